"""Reporting: plots of experiment results."""
