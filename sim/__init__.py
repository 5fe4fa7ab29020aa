"""Ceasefire-negotiation scenario simulator: ensemble agent-based Monte Carlo on Mesa."""

__version__ = "0.1.0"
