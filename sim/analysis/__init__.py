"""Analysis of simulation outcomes: exact aggregates, intervals, survival and summaries."""
