"""Nothing lost: interrupted sweeps (SIGINT, SIGKILL) and failing chunks leave complete chunks only, and resume.

Each interrupted sweep runs as a `sim sweep` subprocess; once some chunks are on disk it gets
the signal. The folder must then hold complete chunk files only, with the manifest marked
incomplete, and `--resume` must end with files identical, byte for byte, to an
uninterrupted run's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from clitools import invoke, only_run

from sim.analysis.columns import is_drawn
from sim.experiment.batches import read_file_pieces, read_summary_aggregates

ROOT = Path(__file__).resolve().parent.parent
# Not `python -m sim`: sim/__main__.py calls main() unguarded, which spawned worker processes would re-run.
SIM = [sys.executable, "-c", "from sim.cli.main import main; main()"]
FINAL_FILES = ("runs.parquet", "summary.parquet", "variants.parquet")

SWEEP = """
runs = 400
seed = 23
chunk_size = 50
set = ["horizon_weeks=20"]

[design]
kind = "grid"

[[parameters]]
path = "actors.turkey.mediation_intensity"
range = [0.0, 0.45]
steps = 10
"""


def write_sweep(folder: Path, body: str = SWEEP, base: Path | None = None, name: str = "resumable") -> Path:
    path = folder / f"{name}.toml"
    base = base or ROOT / "scenarios" / "russia_red_lines_softened.toml"
    path.write_text(f"base = {json.dumps(str(base))}\n" + body, encoding="utf-8")
    return path


def start(args: list, cwd: Path) -> subprocess.Popen:
    """`sim ARGS` in a new process group, with Ctrl-C handled as in a terminal (even if this process ignores it)."""
    code = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        f"sys.argv = ['sim'] + {[str(a) for a in args]!r}; from sim.cli.main import main; main()"
    )
    env = dict(os.environ, PYTHONFAULTHANDLER="1")
    return subprocess.Popen([sys.executable, "-c", code], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, env=env)


def wait_for_chunks(out: Path, name: str, count: int, proc: subprocess.Popen, timeout: float = 120) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the sweep ended before it could be interrupted: {proc.communicate()}"
        folder = out / name
        runs = [p for p in folder.iterdir() if p.is_dir()] if folder.is_dir() else []
        if runs and (runs[0] / "chunks").is_dir() and len(list((runs[0] / "chunks").glob("*.parquet"))) >= count:
            return runs[0]
        time.sleep(0.02)
    raise AssertionError("no chunks appeared")


def stop_group(proc: subprocess.Popen) -> None:
    """Whatever the sweep left running (its worker processes exit on their own; make sure)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def assert_only_complete_chunks(run: Path, planned: int) -> list[str]:
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "incomplete"
    assert manifest["chunks"]["planned"] == planned
    files = sorted((run / "chunks").glob("*.parquet"))
    names = []
    for path in files:  # every file on disk is whole: its footer, its chunks' identities and aggregates read back
        pieces, _ = read_file_pieces(path)
        aggregates = read_summary_aggregates(path)
        assert path.stem == "b-" + pieces[0].identity["name"]
        for piece in pieces:
            assert aggregates["n"][piece.index] == piece.rows == piece.identity["stop"] - piece.identity["start"]
            names.append(piece.identity["name"])
    assert 0 < len(names) < planned
    assert set(manifest["chunks"]["complete"]) <= set(names)
    for name in FINAL_FILES[:2]:
        assert not (run / name).exists()
    return names


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The same sweep, uninterrupted."""
    folder = tmp_path_factory.mktemp("reference")
    path = write_sweep(folder)
    result = invoke("sweep", path, "--out", folder / "out", "--workers", 2)
    assert result.exit_code == 0, result.output
    return only_run(folder / "out", "resumable")


@pytest.mark.parametrize("how", ["SIGINT", "SIGKILL"])
def test_an_interrupted_sweep_resumes_to_identical_files(reference, tmp_path, how):
    path = write_sweep(tmp_path)
    out = tmp_path / "out"
    proc = start(["sweep", path, "--out", out, "--workers", 2], tmp_path)
    try:
        run = wait_for_chunks(out, "resumable", 1, proc)
        proc.send_signal(getattr(signal, how))
        try:
            stdout, stderr = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)
            stdout, stderr = proc.communicate(timeout=10)
            raise AssertionError(f"the sweep did not stop: {stderr}") from None
    finally:
        stop_group(proc)
    if how == "SIGINT":
        assert proc.returncode == 130, stderr
        assert "Traceback" not in stderr
        assert "interrupted:" in stderr and f"--resume {run}" in stderr, stderr
        assert not any((run / "chunks" / ".partial").iterdir())
    else:
        assert proc.returncode == -signal.SIGKILL
    done = assert_only_complete_chunks(run, 10 * 8)

    result = invoke("sweep", "--resume", run, "--workers", 2)
    assert result.exit_code == 0, result.output
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete" and len(manifest["chunks"]["complete"]) == 80
    assert len(manifest["times"]["sessions"]) == 2 and set(done) <= set(manifest["chunks"]["complete"])
    assert not (run / "chunks").exists()
    for name in FINAL_FILES:
        assert (run / name).read_bytes() == (reference / name).read_bytes(), name


BUGGY_RULE = '''
import numpy as np
from sim.rules.registry import RuleParam, rule


@rule(kind="breakdown_hazard", name="test_switch_hazard", source="a test rule",
      params={{"switch": RuleParam(0.0, 0.0, 1.0, "switch", "Which branch to take.")}})
def switch_hazard(base, type_factor, enforcement, hazard_ratio, resume_gain, gain_sensitivity, truce_age=None, switch=0.0):
    """The constant hazard, with a bug on one branch."""
    if switch > 0.5:
        {branch}
    return np.clip(base * type_factor * np.power(hazard_ratio, enforcement) * np.ones_like(resume_gain), 0.0, 1.0)
'''

RULE_SWEEP = """
runs = 120
seed = 29
chunk_size = 60
set = ["horizon_weeks=30"]

[design]
kind = "grid"

[[parameters]]
path = "breakdown.rule.switch"
values = [0.0, 1.0]
"""


def _rule_scenario(folder: Path, branch: str) -> Path:
    (folder / "user_rules.py").write_text(BUGGY_RULE.format(branch=branch), encoding="utf-8")
    scenario = folder / "with_rule.toml"
    scenario.write_text(
        f'extends = {json.dumps(str(ROOT / "scenarios" / "baseline.toml"))}\nname = "with_rule"\nrules = ["user_rules.py"]\n'
        '[breakdown.rule]\nname = "test_switch_hazard"\n',
        encoding="utf-8",
    )
    return scenario


def test_a_failing_chunk_loses_no_other_chunk_and_resumes_after_the_fix(tmp_path):
    fixed_branch = "base = base * 2.0"
    # The uninterrupted run with the fixed rule, for comparison.
    good = tmp_path / "good"
    good.mkdir()
    run_sweep = write_sweep(good, RULE_SWEEP, base=_rule_scenario(good, fixed_branch), name="rules")
    ok = subprocess.run(SIM + ["sweep", str(run_sweep), "--out", str(good / "out"), "--workers", "2"], cwd=good, capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    reference = only_run(good / "out", "rules")

    bad = tmp_path / "bad"
    bad.mkdir()
    run_sweep = write_sweep(bad, RULE_SWEEP, base=_rule_scenario(bad, 'raise ValueError("bug in the user rule")'), name="rules")
    failed = subprocess.run(SIM + ["sweep", str(run_sweep), "--out", str(bad / "out"), "--workers", "2"], cwd=bad, capture_output=True, text=True, timeout=300)
    assert failed.returncode == 1, failed.stderr
    assert "Traceback" not in failed.stderr
    lines = failed.stderr.strip().splitlines()
    assert lines[0].startswith("sim sweep: variant 1 (breakdown.rule.switch = 1), chunk 0 (replications 0-59): ")
    assert "ValueError: bug in the user rule" in lines[0]
    assert "2 chunk(s) failed; 2 of 4 chunks complete" in lines[-1] and "--resume" in lines[-1]
    run = only_run(bad / "out", "rules")
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "incomplete"
    assert [f["chunk"] for f in manifest["failed"]] == ["v00001-c00000", "v00001-c00001"]
    on_disk = [piece.identity["name"] for path in sorted((run / "chunks").glob("*.parquet")) for piece in read_file_pieces(path)[0]]
    assert sorted(on_disk) == ["v00000-c00000", "v00000-c00001"]
    # A chunk file written before the parameter columns were renamed (`param.actors...`) is computed again, not
    # mixed into runs.parquet under its former names.
    former = sorted((run / "chunks").glob("*.parquet"))[0]
    table = pq.read_table(former)
    assert any(is_drawn(n) for n in table.column_names)
    renamed = table.rename_columns([n.replace("__", ".") if is_drawn(n) else n for n in table.column_names])
    pq.write_table(renamed.replace_schema_metadata(table.schema.metadata), former)  # its identity kept: readable as done

    _rule_scenario(bad, fixed_branch)  # the fix
    resumed = subprocess.run(SIM + ["sweep", str(run_sweep), "--resume", str(run), "--workers", "2"], cwd=bad, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((run / "manifest.json").read_text())["failed"] == []
    for name in FINAL_FILES:
        assert (run / name).read_bytes() == (reference / name).read_bytes(), name


def test_resume_refuses_a_changed_sweep_or_other_options_and_accepts_a_complete_one(reference, tmp_path):
    complete = invoke("sweep", "--resume", reference, "--executor", "inprocess")
    assert complete.exit_code == 0 and "already complete" in complete.stdout

    path = write_sweep(tmp_path)
    assert invoke("sweep", path, "--out", tmp_path / "out", "--executor", "inprocess", "--runs", 50).exit_code == 0
    run = only_run(tmp_path / "out", "resumable")
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["status"] = "incomplete"
    (run / "manifest.json").write_text(json.dumps(manifest))

    other_runs = invoke("sweep", path, "--resume", run, "--runs", 60)
    assert other_runs.exit_code == 2
    assert other_runs.stderr.strip() == "--runs: expected 50 as when the sweep started (or leave it out to resume), got 60"

    path.write_text(path.read_text().replace("steps = 10", "steps = 9"), encoding="utf-8")
    changed = invoke("sweep", path, "--resume", run)
    assert changed.exit_code == 2
    assert "has changed since" in changed.stderr and len(changed.stderr.strip().splitlines()) == 1

    nothing = invoke("sweep", "--resume", tmp_path)
    assert nothing.exit_code == 2 and "expected a sweep result folder holding manifest.json" in nothing.stderr
