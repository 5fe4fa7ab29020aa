"""Regenerate tests/golden/baseline_summary.json: the baseline's summary at a fixed seed and runs count.

The regression test (tests/test_reproducibility.py) recomputes this summary and compares it
with the file. Run this script only when a change is *meant* to change the baseline's
results (a model or rule change, a new baseline number), then review the diff of the JSON
file and commit it with the change:

    .venv/bin/python scripts/regen_golden.py           # rewrite the file
    .venv/bin/python scripts/regen_golden.py --check   # compare only; exit 1 if it differs
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "baseline.toml"
GOLDEN = ROOT / "tests" / "golden" / "baseline_summary.json"
SEED = 20250311
RUNS = 4000
CHUNK_SIZE = 1000  # chunking cannot change the results; several chunks exercise the merge


def baseline_summary(seed: int = SEED, runs: int = RUNS, chunk_size: int = CHUNK_SIZE) -> dict:
    """The summary `sim run scenarios/baseline.toml --runs RUNS --seed SEED` writes, computed in-process."""
    from sim.analysis.aggregate import Aggregates
    from sim.analysis.summary import summarise
    from sim.experiment.chunks import plan_chunks, simulate_chunk
    from sim.scenario.load import load_scenario

    scenario = load_scenario(SCENARIO).scenario
    agg = Aggregates.empty(tuple(scenario.issues), scenario.horizon_weeks)
    for chunk in plan_chunks(runs, chunk_size):
        _, part = simulate_chunk(scenario, seed, chunk.start, chunk.stop)
        agg = agg.merge(part)
    summary = summarise(agg)
    summary["scenario"] = scenario.name
    summary["seed"] = seed
    return summary


def golden_document(seed: int = SEED, runs: int = RUNS) -> dict:
    """The golden file's content: how it was made, and the summary."""
    from sim.scenario.load import load_scenario, scenario_hash

    return {
        "about": "Baseline summary at a fixed seed; regenerate with `.venv/bin/python scripts/regen_golden.py` "
        "only when a change is meant to change the baseline's results.",
        "scenario": SCENARIO.relative_to(ROOT).as_posix(),
        "scenario_hash": scenario_hash(load_scenario(SCENARIO).scenario),
        "seed": seed,
        "runs": runs,
        "summary": baseline_summary(seed, runs),
    }


def dumps(document: dict) -> str:
    return json.dumps(document, sort_keys=True, indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the file instead of rewriting it")
    args = parser.parse_args(argv)
    text = dumps(golden_document())
    if args.check:
        # What the regression test compares: the settings and the summary (the scenario hash is
        # informative only: it also changes when the schema gains a field with a default).
        fresh = json.loads(text)
        old = json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.is_file() else {}
        keys = ("scenario", "seed", "runs", "summary")
        same = all(old.get(k) == fresh[k] for k in keys)
        print(f"{GOLDEN.relative_to(ROOT)} is {'up to date' if same else 'OUT OF DATE'}")
        return 0 if same else 1
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(text, encoding="utf-8")
    print(f"wrote {GOLDEN.relative_to(ROOT)} (seed {SEED}, {RUNS} replications)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
