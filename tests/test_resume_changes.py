"""Resuming a sweep whose file was renamed or edited (issue 12, class 9): the change is reported, and the
user chooses: resume with the recorded values (the default, which says what it used) or refuse (--strict)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
from clitools import invoke, only_run

ROOT = Path(__file__).resolve().parent.parent

SWEEP = """
runs = 40
seed = 23
chunk_size = 20
set = ["horizon_weeks=8"]

[design]
kind = "grid"

[[parameters]]
path = "actors.turkey.mediation_intensity"
values = [0.1, 0.4]
"""


def interrupted_sweep(tmp_path: Path) -> tuple[Path, Path]:
    """A finished small sweep marked incomplete, with one chunk file removed: what an interrupted one leaves."""
    path = tmp_path / "resumable.toml"
    path.write_text(f"base = {json.dumps(str(ROOT / 'scenarios' / 'baseline.toml'))}\n" + SWEEP, encoding="utf-8")
    result = invoke("sweep", path, "--out", tmp_path / "out", "--executor", "inprocess")
    assert result.exit_code == 0, result.output
    run = only_run(tmp_path / "out", "resumable")
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["status"] = "incomplete"
    manifest["chunks"]["complete"] = manifest["chunks"]["complete"][:-1]
    (run / "manifest.json").write_text(json.dumps(manifest))
    for name in ("runs.parquet", "summary.parquet"):
        (run / name).unlink(missing_ok=True)
    return path, run


def test_an_unchanged_sweep_file_resumes_and_says_which_values_it_used(tmp_path):
    path, run = interrupted_sweep(tmp_path)
    result = invoke("sweep", path, "--resume", run, "--executor", "inprocess")
    assert result.exit_code == 0, result.output
    assert "resuming with the recorded values (runs 40, seed 23, chunk size 20, crn on" in result.stderr
    assert "note:" not in result.stderr


def test_an_edited_seed_or_runs_is_reported_and_the_recorded_values_are_used(tmp_path):
    path, run = interrupted_sweep(tmp_path)
    path.write_text(path.read_text().replace("seed = 23", "seed = 24").replace("runs = 40", "runs = 60"), encoding="utf-8")
    result = invoke("sweep", path, "--resume", run, "--executor", "inprocess")
    assert result.exit_code == 0, result.output
    assert "note: runs is 60 in the file, 40 when the sweep started; seed is 24 in the file, 23 when the sweep started" in result.stderr
    assert "resuming with the recorded values (runs 40, seed 23" in result.stderr
    assert pq.read_table(run / "runs.parquet").num_rows == 2 * 40


def test_strict_refuses_an_edited_or_renamed_sweep_file(tmp_path):
    path, run = interrupted_sweep(tmp_path)
    renamed = tmp_path / "renamed.toml"
    shutil.copy(path, renamed)
    result = invoke("sweep", renamed, "--resume", run, "--strict")
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert line.startswith(f"--resume: {run}: expected the sweep file as when the sweep started (--strict)")
    assert "renamed or moved" in line
    path.write_text(path.read_text().replace("seed = 23", "seed = 24"), encoding="utf-8")
    result = invoke("sweep", path, "--resume", run, "--strict")
    assert result.exit_code == 2 and "seed is 24 in the file, 23 when the sweep started" in result.stderr
    assert json.loads((run / "manifest.json").read_text())["status"] == "incomplete"
