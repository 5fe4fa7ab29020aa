"""Experiments: plans of replications cut into chunks, executors, and result folders."""
