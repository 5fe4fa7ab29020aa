"""Defaults shared by the command line and the library, in a module that imports nothing (so `sim --help` can
show them without loading the model).

The library imports these values from here (`sim.experiment.chunks`, `sim.experiment.executors`, the sweep
format): one copy of each.
"""

DEFAULT_SEED = 20250311
"""The seed of every command unless given (the date of the actors' positions, 11 March 2025)."""

DEFAULT_RUNS = 10_000
"""Replications of `sim run`, `sim compare` and `sim whatif` unless given."""

DEFAULT_CHUNK = 10_000
"""Replications per chunk: what one process computes at once (results do not depend on it)."""

EXECUTORS = ("local", "inprocess", "dask")
"""Where chunks run: local worker processes, this process, or Dask."""
