"""Results outside the model's columns: a single run's summary.parquet, provenance in manifests, null for "none"."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import sim
from sim.analysis.aggregate import Aggregates
from sim.analysis.summary import summary_row, summary_table
from sim.cli.plotting import RUN_PLOTS
from sim.experiment.load import load
from sim.experiment.provenance import DEPENDENCIES, git_commit, provenance
from sim.experiment.run import run_scenario

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    loaded = load("baseline", ["horizon_weeks=8"])
    return run_scenario(loaded, 80, 7, out, chunk_size=40, command=["sim", "test"], executor=None, workers=1, plots=RUN_PLOTS)


def test_summary_table_agrees_with_summary_json(small_run):
    table = summary_table(small_run.aggregates, "baseline", 7)
    assert table.num_rows == 1
    (row,) = table.to_pylist()
    summary = json.loads((small_run.path / "summary.json").read_text())
    assert (row["scenario"], row["seed"], row["n"]) == ("baseline", 7, 80)
    for status in ("war", "partial_truce", "ceasefire", "settlement"):
        expected = summary["status_at_horizon"][status]
        assert (row[f"{status}_share"], row[f"{status}_low"], row[f"{status}_high"]) == (expected["share"], expected["low"], expected["high"])
    weeks = summary["weeks_to_first_agreement"]
    assert (row["weeks_reached"], row["weeks_median"], row["weeks_q25"], row["weeks_q75"]) == (weeks["n"], weeks["median"], weeks["q25"], weeks["q75"])
    assert row["breakdown_share"] == summary["truce_broken_down"]["share"]
    assert str(table.schema.field("weeks_median").type) == "int32" and str(table.schema.field("n").type) == "int64"


def test_summary_of_nothing_is_null_not_nan():
    row = summary_row(Aggregates.empty(("territory",), 4))
    assert row["n"] == 0 and row["weeks_reached"] == 0
    missing = {k: v for k, v in row.items() if k not in ("n", "weeks_reached")}
    assert all(v is None for v in missing.values()), missing
    table = summary_table(Aggregates.empty(("territory",), 4), "empty", 1)
    assert table.column("war_share").null_count == 1
    assert not any(isinstance(v, float) and math.isnan(v) for v in table.to_pylist()[0].values())


def test_provenance_names_versions_and_the_commit():
    record = provenance()
    assert set(record["versions"]) == {"python", "sim", *DEPENDENCIES}
    assert record["versions"]["sim"] == sim.__version__
    json.dumps(record, allow_nan=False)  # goes into manifest.json as it is
    if (ROOT / ".git").exists():
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
        if head.returncode == 0:
            assert git_commit()["commit"] == head.stdout.strip()


def test_a_run_folder_has_summary_parquet_and_provenance(small_run):
    table = pq.read_table(small_run.path / "summary.parquet")
    assert table.equals(summary_table(small_run.aggregates, "baseline", 7))
    manifest = json.loads((small_run.path / "manifest.json").read_text())
    assert set(manifest["versions"]) == {"python", "sim", *DEPENDENCIES} and "git" in manifest


def test_runs_parquet_keeps_dictionaries_for_labels_and_counts_only(small_run):
    """Floating-point columns (drawn parameters, costs, the front) are written plain: a dictionary of values that
    differ in nearly every replication only slows the writer. Labels and counts repeat and keep theirs."""
    meta = pq.ParquetFile(small_run.path / "runs.parquet").metadata
    schema = pq.read_schema(small_run.path / "runs.parquet")
    group = meta.row_group(0)
    floats = 0
    for i in range(group.num_columns):
        column = group.column(i)
        dictionary = "RLE_DICTIONARY" in column.encodings or "PLAIN_DICTIONARY" in column.encodings
        is_float = str(schema.field(column.path_in_schema).type) in ("double", "float")
        floats += is_float
        assert dictionary != is_float, (column.path_in_schema, column.encodings)
    assert floats > 10  # the drawn parameters are among them
