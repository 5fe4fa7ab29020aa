# Everything runs inside .venv, built from pyproject.toml on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNS ?= 10000
SEED ?= 20250311

.PHONY: run test lint bench bench-help clean sweep bench-sweep

$(BIN)/sim: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dask,viz]'
	@touch $(BIN)/sim

## Run every shipped scenario, print the comparison table, write results and plots under results/
run: $(BIN)/sim
	$(BIN)/sim run scenarios/ --runs $(RUNS) --seed $(SEED)

## Run the shipped sweeps (scenarios/sweeps/): tables, results and plots under results/<sweep>/
sweep: $(BIN)/sim
	$(BIN)/sim sweep scenarios/sweeps/us_aid_x_reassurance_force.toml
	$(BIN)/sim sweep scenarios/sweeps/sobol_ceasefire.toml
	$(BIN)/sim sweep scenarios/sweeps/lhs_mediation_rationality_costs.toml

## Run the whole test suite
test: $(BIN)/sim
	$(BIN)/python -m pytest

## Lint: ruff (rules and format, in pyproject.toml), mypy (strict; relaxations listed in pyproject.toml), the import contract
lint: $(BIN)/sim
	$(BIN)/ruff check sim tests scripts benchmarks
	$(BIN)/ruff format --check sim tests scripts benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

## Performance benchmark (see README, Performance)
bench: $(BIN)/sim
	$(BIN)/python benchmarks/bench_engine.py

## Start-up benchmark: `sim --help` (target under 0.5 s)
bench-help: $(BIN)/sim
	$(BIN)/python benchmarks/bench_help.py

## Sweep benchmark: 50 variants x 10,000 replications x 52 weeks, local processes and Dask
bench-sweep: $(BIN)/sim
	$(BIN)/python benchmarks/bench_sweep.py

clean:
	rm -rf $(VENV) *.egg-info
