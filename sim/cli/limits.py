"""Upper bounds of the integer options, so that no number given on the command line overflows (into a C long,
an int64 replication index, a process count) and a value beyond them is one line, exit code 2."""

MAX_RUNS = 10**10  # replications; the index of a replication must fit an int64 with room to spare
MAX_CHUNK = 10**10  # replications per chunk (a chunk is never larger than the run)
MAX_WORKERS = 1024  # processes (or Dask workers) to start
MAX_INDEX = 2**63 - 1  # a replication index, an n-th match, a seed
MAX_EXAMPLES = 100_000  # hypothesis examples per property (`sim check`)
MAX_WEEKS = 520  # a horizon in weeks (ten years), as the scenario schema bounds `horizon_weeks`
