# Everything runs inside .venv, built from pyproject.toml on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNS ?= 2000
SEED ?= 20250311

.PHONY: run test bench clean

$(BIN)/sim: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(BIN)/sim

## Run every shipped scenario, print the comparison table, write results and plots under results/
run: $(BIN)/sim
	$(BIN)/sim run scenarios/ --runs $(RUNS) --seed $(SEED)

## Run the whole test suite
test: $(BIN)/sim
	$(BIN)/python -m pytest

## Performance benchmark (see README, Performance)
bench: $(BIN)/sim
	$(BIN)/python benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) *.egg-info
