"""Sizes: requests beyond the machine stop with one line and an estimate before any work; plans are lazy; workers are capped."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from clitools import invoke

from sim.experiment.chunks import plan_chunks
from sim.experiment.executors import OVERSUBSCRIBE, capped_workers, usable_cores

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"

GRID = """
[design]
kind = "grid"
[[parameters]]
path = "actors.turkey.mediation_intensity"
range = [0.0, 0.5]
steps = 1000
[[parameters]]
path = "actors.russia.rationality"
range = [1.0, 10.0]
steps = 1000
[[parameters]]
path = "battlefield.drift_scale"
range = [0.001, 0.01]
steps = 1000
"""


def test_a_chunk_plan_is_lazy_however_many_chunks():
    chunks = plan_chunks(10**12, 1)
    assert len(chunks) == 10**12
    assert chunks[-1].start == 10**12 - 1 and chunks[5].index == 5
    assert list(plan_chunks(25, 10)) == [c for c in plan_chunks(25, 10)] and [c.size for c in plan_chunks(25, 10)] == [10, 10, 5]


@pytest.mark.parametrize(
    ("args", "flag", "what"),
    [
        (["run", str(BASELINE), "--runs", "9000000000"], "--runs", "9,000,000,000 replications x 52 weeks"),
        (["sweep", "{grid}"], "{grid}", "1,000,000,000 variants x 1,000 replications"),
        (["sweep", "{grid}", "--runs", "9000000000", "--chunk-size", "1000000"], "{grid}", "variants x 9,000,000,000 replications"),
    ],
)
def test_a_request_beyond_the_machine_gets_one_line_with_the_estimate(tmp_path, args, flag, what):
    grid = tmp_path / "huge.toml"
    grid.write_text(f"base = {json.dumps(str(BASELINE))}\n" + GRID, encoding="utf-8")
    args = [a.replace("{grid}", str(grid)) for a in args]
    t0 = time.perf_counter()
    result = invoke(*args, "--out", tmp_path / "out")
    assert time.perf_counter() - t0 < 30
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(flag.replace("{grid}", str(grid)) + ": ") and what in lines[0], lines[0]
    assert "would take about" in lines[0] and "write about" in lines[0] and lines[0].endswith("expected less")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.parquet"))


def test_worker_counts_are_capped_at_the_cores_unless_asked_explicitly(monkeypatch):
    said: list[str] = []
    cores = usable_cores()
    monkeypatch.delenv(OVERSUBSCRIBE, raising=False)
    assert capped_workers(cores + 38, said.append) == cores
    assert len(said) == 1 and f"{cores + 38} workers asked for, {cores} cores here: using {cores}" in said[0]
    assert capped_workers(None, said.append) == cores and capped_workers(1, said.append) == 1 and len(said) == 1
    monkeypatch.setenv(OVERSUBSCRIBE, "1")
    assert capped_workers(cores + 2, said.append) == cores + 2
    assert len(said) == 2 and said[1].startswith("sim: warning:")
