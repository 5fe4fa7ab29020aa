"""Tests of the PNG plots and of the atomic result store."""

from __future__ import annotations

import json
import math

import matplotlib.pyplot as plt
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.analysis.aggregate import Aggregates, ChunkOutcome
from sim.analysis.summary import summarise, weekly_table
from sim.experiment import store
from sim.experiment.store import (
    RunDirExists,
    UnwritableOutput,
    atomic_run_dir,
    check_writable,
    make_run_id,
    new_run_dir,
    publish_run_dir,
    write_json_atomic,
    write_parquet_atomic,
)
from sim.report.plots import PLOT_FILES, write_plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def small_chunk(n: int = 300, horizon: int = 20) -> ChunkOutcome:
    """A deterministic chunk respecting the engine's data contract."""
    rng = np.random.default_rng(42)
    first = rng.integers(0, 4, n).astype(np.int8)
    week = np.where(first > 0, rng.integers(1, horizon + 1, n), -1).astype(np.int32)
    agreements = (first > 0).astype(np.int32)
    weekly_status = np.zeros((horizon + 1, n), dtype=np.int8)
    for w in range(1, horizon + 1):
        weekly_status[w] = np.where((first > 0) & (week <= w), first, 0)
    runs = {
        "replication": np.arange(n, dtype=np.int64),
        "status": weekly_status[-1].copy(),
        "first_agreement": first,
        "first_agreement_week": week,
        "breakdowns": np.zeros(n, dtype=np.int32),
        "agreements": agreements,
        "terms_territory": np.where(agreements > 0, rng.random(n), np.nan),
    }
    front = np.clip(0.5 + np.cumsum(rng.normal(0, 0.01, (horizon + 1, n)), axis=0), 0, 1)
    return ChunkOutcome(runs, weekly_status, front, ("territory",), horizon)


@pytest.fixture(scope="module")
def results():
    agg = Aggregates.from_chunk(small_chunk())
    return summarise(agg), weekly_table(agg), agg


def test_plots_are_written_as_png_without_leaking_figures(results, tmp_path):
    before = plt.get_fignums()
    paths = write_plots(*results, tmp_path)
    assert [p.name for p in paths] == list(PLOT_FILES)
    for path in paths:
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        assert path.stat().st_size > 5_000
    assert plt.get_fignums() == before


def test_plots_are_byte_identical_for_the_same_inputs(results, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    write_plots(*results, first)
    write_plots(*results, second)
    for name in PLOT_FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert b"matplotlib version" not in (first / PLOT_FILES[0]).read_bytes()


def test_plots_handle_an_experiment_without_agreements(tmp_path):
    chunk = small_chunk(20, 5)
    chunk.runs["first_agreement"][:] = 0
    chunk.runs["first_agreement_week"][:] = -1
    chunk.runs["agreements"][:] = 0
    chunk.runs["status"][:] = 0
    chunk.runs["terms_territory"][:] = np.nan
    chunk.weekly_status[:] = 0
    agg = Aggregates.from_chunk(chunk)
    paths = write_plots(summarise(agg), weekly_table(agg), agg, tmp_path)
    assert all(p.exists() for p in paths)


def test_run_id_format():
    from datetime import datetime

    assert make_run_id(7, datetime(2025, 3, 11, 9, 5, 3)) == "20250311-090503-seed7"


def test_atomic_run_dir_publishes_on_success(tmp_path):
    with atomic_run_dir(tmp_path, "baseline", "run-1") as tmp:
        assert tmp.parent == tmp_path / "baseline"
        assert tmp.name == ".tmp-run-1"  # the temporary folder reserves the run id
        (tmp / "summary.json").write_text("{}")
        assert not (tmp_path / "baseline" / "run-1").exists()
    final = tmp_path / "baseline" / "run-1"
    assert (final / "summary.json").read_text() == "{}"
    assert sorted(p.name for p in (tmp_path / "baseline").iterdir()) == ["run-1"]


def test_atomic_run_dir_never_overwrites(tmp_path):
    existing = tmp_path / "baseline" / "run-1"
    existing.mkdir(parents=True)
    (existing / "keep.txt").write_text("old")
    with pytest.raises(RunDirExists, match=r"run-1 already exists"), atomic_run_dir(tmp_path, "baseline", "run-1"):
        pytest.fail("the block must not run when the run id exists")
    assert issubclass(RunDirExists, FileExistsError)
    assert (existing / "keep.txt").read_text() == "old"
    assert sorted(p.name for p in (tmp_path / "baseline").iterdir()) == ["run-1"]


def test_atomic_run_dir_removes_temporary_folder_on_exception(tmp_path):
    with pytest.raises(RuntimeError, match="simulation failed"), atomic_run_dir(tmp_path, "baseline", "run-2") as tmp:
        (tmp / "partial.parquet").write_bytes(b"x")
        raise RuntimeError("simulation failed")
    assert list((tmp_path / "baseline").iterdir()) == []


def test_run_folder_appearing_during_the_run_is_not_replaced(tmp_path):
    final, tmp = new_run_dir(tmp_path, "baseline", "run-3")
    (tmp / "new.txt").write_text("new")
    final.mkdir()
    (final / "other.txt").write_text("other")
    with pytest.raises(RunDirExists, match="results are kept in"):
        publish_run_dir(tmp, final)
    assert (final / "other.txt").read_text() == "other"
    assert (tmp / "new.txt").read_text() == "new"


def test_generated_run_ids_get_a_suffix_when_taken(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "make_run_id", lambda seed=None, now=None: f"20250311-000000-seed{seed}")
    names = []
    for _ in range(3):
        with atomic_run_dir(tmp_path, "baseline", seed=5) as tmp:
            (tmp / "x").write_text("x")
        names = sorted(p.name for p in (tmp_path / "baseline").iterdir())
    assert names == ["20250311-000000-seed5", "20250311-000000-seed5-2", "20250311-000000-seed5-3"]


@pytest.mark.parametrize("name", ["../evil", "a/b", ".hidden", "", ".."])
def test_unsafe_scenario_names_are_rejected(tmp_path, name):
    with pytest.raises(ValueError, match="cannot be used as a folder name"):
        new_run_dir(tmp_path, name, "run")


def test_check_writable_creates_base(tmp_path):
    base = tmp_path / "results" / "nested"
    assert check_writable(base) == base
    assert base.is_dir() and list(base.iterdir()) == []


def test_check_writable_fails_early_for_impossible_base(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UnwritableOutput, match=r"cannot write results under .*file/results"):
        check_writable(blocker / "results")


def test_write_json_atomic_sorted_strict_and_clean(tmp_path):
    path = tmp_path / "summary.json"
    write_json_atomic(path, {"b": 1, "a": [1.5, None]})
    assert path.read_text() == json.dumps({"a": [1.5, None], "b": 1}, indent=2) + "\n"
    with pytest.raises(ValueError, match="Out of range float"):
        write_json_atomic(path, {"a": math.nan})
    assert json.loads(path.read_text()) == {"a": [1.5, None], "b": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_write_parquet_atomic_round_trips(results, tmp_path):
    _, weekly, _ = results
    path = write_parquet_atomic(tmp_path / "weekly.parquet", weekly)
    assert pq.read_table(path).equals(weekly)
    assert [p.name for p in tmp_path.iterdir()] == ["weekly.parquet"]
    with pytest.raises(TypeError, match=r"expected a pyarrow\.Table, got str"):
        write_parquet_atomic(tmp_path / "bad.parquet", "not a table")  # type: ignore[arg-type]
    assert [p.name for p in tmp_path.iterdir()] == ["weekly.parquet"]
    assert isinstance(weekly, pa.Table)
