"""Failure behaviour of the command line (issue 12): special files, output paths, temporary folders,
concurrent runs, signals and OS errors.

Every special file here is made inside the test's tmp dir (FIFOs with mkfifo, device nodes with
mknod, symlinks pointing into the tmp dir); no system path is ever given to the code as an output.
Subprocess calls have timeouts, so a hang fails the test instead of blocking it.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from clitools import invoke

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
SIM = [sys.executable, "-m", "sim"]


def sim(*args, cwd: Path, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    """`sim ARGS...` in a subprocess (cwd a tmp dir), with a timeout: a hang fails the test."""
    return subprocess.run([*SIM, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kwargs)


def one_line(result, code: int = 2) -> str:
    err = result.stderr if isinstance(result.stderr, str) else result.stderr.decode()
    assert "Traceback" not in err, err
    assert result.returncode == code, (result.returncode, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def can_mknod() -> bool:
    return hasattr(os, "mknod") and os.geteuid() == 0


def make_special(kind: str, folder: Path, name: str) -> Path:
    """A special file of `kind` inside `folder` (never a system path)."""
    path = folder / name
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "zero":  # our own /dev/zero: reads never end
        if not can_mknod():
            pytest.skip("mknod needs root")
        os.mknod(path, 0o644 | stat.S_IFCHR, os.makedev(1, 5))
    elif kind == "null":  # our own /dev/null: the node the report once replaced
        if not can_mknod():
            pytest.skip("mknod needs root")
        os.mknod(path, 0o644 | stat.S_IFCHR, os.makedev(1, 3))
    elif kind == "dir":
        path.mkdir()
    elif kind == "link-to-fifo":
        os.mkfifo(folder / f"{name}.target")
        os.symlink(folder / f"{name}.target", path)
    elif kind == "link-to-file":
        (folder / f"{name}.target").write_text("keep me")
        os.symlink(folder / f"{name}.target", path)
    else:
        raise ValueError(kind)
    return path


# ---------------------------------------------------------------- 4. inputs: regular files only, a size limit
SPECIAL_INPUTS = ["fifo", "zero", "link-to-fifo"]


@pytest.mark.parametrize("kind", SPECIAL_INPUTS)
@pytest.mark.parametrize("command", [["validate"], ["inspect"], ["run", "--runs", "1"], ["sweep"], ["--rules", None, "rules"]])
def test_special_input_files_are_refused_in_one_line_without_reading(tmp_path, kind, command):
    path = make_special(kind, tmp_path, "input.toml" if "--rules" not in command else "input.py")
    args = [str(path) if a is None else a for a in command] + ([] if "--rules" in command else [str(path)])
    line = one_line(sim(*args, cwd=tmp_path, timeout=30))
    assert "regular file" in line or "FIFO" in line or "device" in line, line
    assert not (tmp_path / "results").exists()


def test_an_extended_special_file_is_refused(tmp_path):
    make_special("fifo", tmp_path, "base.toml")
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\n')
    line = one_line(sim("validate", child, cwd=tmp_path, timeout=30))
    assert "extends" in line


def test_an_oversized_scenario_file_is_refused_before_it_is_read(tmp_path):
    from sim.input_files import MAX_INPUT_BYTES

    big = tmp_path / "big.toml"
    with big.open("wb") as handle:  # sparse: no disk used
        handle.truncate(MAX_INPUT_BYTES + 1)
    line = one_line(sim("validate", big, cwd=tmp_path, timeout=30))
    assert "at most 16.0 MB" in line


def test_a_toml_given_to_rules_is_one_clear_line(tmp_path):
    (tmp_path / "mine.toml").write_text("x = 1\n")
    line = one_line(sim("--rules", "mine.toml", "rules", cwd=tmp_path))
    assert "expected a Python rule module (a .py file)" in line and "NoneType" not in line


def test_a_rule_module_calling_sys_exit_on_import_is_named(tmp_path):
    (tmp_path / "quits.py").write_text("import sys\nsys.exit(3)\n")
    line = one_line(sim("--rules", "quits.py", "rules", cwd=tmp_path))
    assert "quits.py" in line and "sys.exit(3)" in line


# ---------------------------------------------------------------- 1. outputs: never replace anything but a regular file
SPECIAL_OUTPUTS = ["null", "fifo", "dir", "link-to-file", "link-to-fifo"]


@pytest.mark.parametrize("kind", SPECIAL_OUTPUTS)
def test_schema_output_never_replaces_a_special_file(tmp_path, kind):
    target = make_special(kind, tmp_path, "out")
    before = os.lstat(target)
    line = one_line(sim("schema", "-o", target, cwd=tmp_path, timeout=30))
    assert line.startswith(f"--output: {target}: expected a regular file to write"), line
    after = os.lstat(target)
    assert (stat.S_IFMT(after.st_mode), after.st_ino, after.st_rdev) == (stat.S_IFMT(before.st_mode), before.st_ino, before.st_rdev)
    if kind == "link-to-file":
        assert (tmp_path / "out.target").read_text() == "keep me"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("results")
    result = invoke("run", BASELINE, "--runs", 20, "--weeks", 6, "--out", out, "-x", "inprocess")
    assert result.exit_code == 0, result.output
    (folder,) = (out / "baseline").iterdir()
    return folder


@pytest.mark.parametrize("kind", SPECIAL_OUTPUTS)
def test_report_and_story_outputs_never_replace_a_special_file(tmp_path, run_folder, kind):
    for command in (["report", run_folder, "-o"], ["story", "--from", run_folder, "-o"]):
        target = make_special(kind, tmp_path, f"out-{command[0]}")
        before = os.lstat(target)
        # In a subprocess with a timeout: writing into a FIFO nobody reads would block forever.
        line = one_line(sim(*command, target, cwd=tmp_path, timeout=60))
        assert "expected a regular file to write" in line
        after = os.lstat(target)
        assert (stat.S_IFMT(after.st_mode), after.st_ino) == (stat.S_IFMT(before.st_mode), before.st_ino)


@pytest.mark.parametrize(
    "command",
    [
        ["run", BASELINE, "--runs", "1", "--weeks", "1", "-x", "inprocess", "--out"],
        ["sweep", "x.toml", "--out"],
        ["schema", "--output"],
        ["report", ".", "--output"],
        ["story", BASELINE, "--output"],
    ],
)
def test_an_empty_output_path_is_an_input_error(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)  # where an empty path would otherwise write
    result = invoke(*command, "")
    assert result.exit_code == 2, result.output
    assert "expected a path, got an empty string" in result.stderr
    assert list(tmp_path.iterdir()) == []


def _damage(folder: Path, how: str) -> None:
    if how == "truncated runs":
        data = (folder / "runs.parquet").read_bytes()
        (folder / "runs.parquet").write_bytes(data[: len(data) // 2])
    elif how == "empty runs":
        (folder / "runs.parquet").write_bytes(b"")
    elif how == "missing manifest":
        (folder / "manifest.json").unlink()
    elif how == "corrupt manifest":
        (folder / "manifest.json").write_text('{"seed": 1, "resol')
    elif how == "missing weekly":
        (folder / "weekly.parquet").unlink()


@pytest.mark.parametrize(
    "how, pattern",
    [
        ("truncated runs", "damaged one: runs.parquet is damaged"),
        ("empty runs", "runs.parquet is empty"),
        ("missing manifest", "manifest.json: it is missing"),
        ("corrupt manifest", "manifest.json: expected a JSON manifest: it is corrupt"),
        ("missing weekly", "weekly.parquet is missing"),
    ],
)
def test_report_says_what_is_wrong_with_a_damaged_run(tmp_path, run_folder, how, pattern):
    copy = tmp_path / "run"
    shutil.copytree(run_folder, copy)
    _damage(copy, how)
    result = invoke("report", copy)
    assert result.exit_code == 2, result.output
    assert pattern in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not (copy / "report.html").exists()


def test_report_refuses_a_folder_that_is_not_a_result(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    result = invoke("report", tmp_path)
    assert result.exit_code == 2 and "manifest.json: it is missing" in result.stderr
    assert not (tmp_path / "report.html").exists()


# ---------------------------------------------------------------- 2. temporary folders
def _slow_run(out: Path, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*SIM, "run", str(BASELINE), "--runs", "400000", "--weeks", "200", "--chunk-size", "2000", "-x", "inprocess", "--out", str(out)],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )


def _wait_for_tmp(out: Path, proc: subprocess.Popen, timeout: float = 60) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()
        found = list(out.glob("baseline/.tmp-*"))
        if found and (found[0] / "chunks").exists():
            return found[0]
        time.sleep(0.1)
    raise AssertionError("no temporary folder appeared")


def test_sigterm_removes_the_temporary_folder(tmp_path):
    out = tmp_path / "results"
    proc = _slow_run(out, tmp_path)
    try:
        _wait_for_tmp(out, proc)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    err = err.decode()
    assert "Traceback" not in err and proc.returncode == 143, (proc.returncode, err)
    assert "terminated" in err
    assert list((out / "baseline").iterdir()) == []


def test_stale_temporary_folders_after_sigkill_are_reported_refused_and_cleaned(tmp_path):
    out = tmp_path / "results"
    proc = _slow_run(out, tmp_path)
    try:
        tmp = _wait_for_tmp(out, proc)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert tmp.is_dir()
    # never taken for a result
    for args in (["report", tmp], ["story", "--from", tmp], ["compare", tmp, tmp]):
        line = one_line(sim(*args, cwd=tmp_path))
        assert "temporary folder of an unfinished or killed run" in line, line
    # reported by run
    result = sim("run", BASELINE, "--runs", 5, "--weeks", 4, "-x", "inprocess", "--out", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 stale temporary folder(s)" in result.stderr and "sim clean" in result.stderr
    # listed (dry run: nothing removed), then removed with --yes; the finished run is untouched
    listed = sim("clean", out, cwd=tmp_path)
    assert listed.returncode == 0 and str(tmp) in listed.stdout and tmp.exists()
    removed = sim("clean", out, "--yes", cwd=tmp_path)
    assert removed.returncode == 0 and not tmp.exists(), removed.stdout
    assert len([p for p in (out / "baseline").iterdir()]) == 1


def test_clean_leaves_the_temporary_folder_of_a_live_run_alone(tmp_path):
    from sim.experiment.store import discard_run_dir, new_run_dir, stale_temporary_folders

    final, tmp = new_run_dir(tmp_path, "demo", seed=1)
    try:
        assert stale_temporary_folders(tmp_path) == []
        assert invoke("clean", tmp_path, "--yes").exit_code == 0
        assert tmp.is_dir()
    finally:
        discard_run_dir(tmp)


def test_an_exception_removes_the_temporary_folder(tmp_path, monkeypatch):
    import sim.experiment.run as run_module

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run_module, "write_json_atomic", boom)
    result = invoke("run", BASELINE, "--runs", 5, "--weeks", 4, "-x", "inprocess", "--out", tmp_path)
    assert result.exit_code == 1, result.output
    assert "No space left on device" in result.stderr and result.stderr.count("\n") == 1
    assert list((tmp_path / "baseline").iterdir()) == []


# ---------------------------------------------------------------- 3. concurrent runs get distinct ids
def test_runs_started_in_the_same_second_get_distinct_ids(tmp_path):
    from sim.experiment.store import discard_run_dir, make_run_id, new_run_dir, publish_run_dir

    reserved = [new_run_dir(tmp_path, "demo", seed=7) for _ in range(3)]
    names = [final.name for final, _ in reserved]
    stem = names[0]
    if any(not n.startswith(stem[:15]) for n in names):  # the clock ticked over a second: compare within one
        for _, tmp in reserved:
            discard_run_dir(tmp)
        pytest.skip("clock ticked")
    assert len(set(names)) == 3 and names[1] == f"{stem}-2" and names[2] == f"{stem}-3"
    for final, tmp in reversed(reserved):  # published in any order: no clash, nothing hidden
        (tmp / "x").write_text("1")
        publish_run_dir(tmp, final)
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == sorted(names)
    assert make_run_id(7) is not None


def test_two_concurrent_processes_with_the_same_seed(tmp_path):
    out = tmp_path / "results"
    args = [*SIM, "run", str(BASELINE), "--runs", "20", "--weeks", "4", "-x", "inprocess", "--out", str(out)]
    procs = [subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
    errs = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    assert not any("Traceback" in e for e in errs)
    names = sorted(p.name for p in (out / "baseline").iterdir())
    assert len(names) == 2 and not any(n.startswith(".tmp-") for n in names), names


# ---------------------------------------------------------------- 10. OS errors: one line, nothing lost
def test_stdout_on_a_full_device_is_one_line(tmp_path):
    if not can_mknod():
        pytest.skip("mknod needs root")
    full = tmp_path / "full"
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))  # our own /dev/full
    for args in (["schema"], ["rules"], ["validate", BASELINE]):
        with full.open("w") as stdout:
            result = subprocess.run([*SIM, *map(str, args)], cwd=tmp_path, stdout=stdout, stderr=subprocess.PIPE, timeout=60)
        line = one_line(result, 1)
        assert "No space left on device" in line


def test_a_closed_pipe_is_one_line(tmp_path):
    for args in (["schema"], ["rules"], ["validate", BASELINE]):
        read_end, write_end = os.pipe()
        os.close(read_end)  # closed before sim writes a byte: its first write fails with EPIPE
        try:
            result = subprocess.run([*SIM, *map(str, args)], cwd=tmp_path, stdout=write_end, stderr=subprocess.PIPE, timeout=60)
        finally:
            os.close(write_end)
        line = one_line(result, 1)
        assert "broken pipe" in line and "Exception ignored" not in result.stderr.decode()


def test_an_os_error_anywhere_is_one_line(monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "somewhere/file")

    # `sim validate` imports the loader when it runs (the command modules load the library lazily).
    monkeypatch.setattr("sim.experiment.load.load", denied)
    result = invoke("validate", BASELINE)
    assert result.exit_code == 1
    assert result.stderr.strip().endswith(": Permission denied (somewhere/file); nothing half-written was left under a result name")
    assert result.stderr.count("\n") == 1


def test_a_run_whose_table_cannot_be_printed_keeps_its_results(tmp_path):
    if not can_mknod():
        pytest.skip("mknod needs root")
    full = tmp_path / "full"
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    out = tmp_path / "results"
    with full.open("w") as stdout:
        result = subprocess.run(
            [*SIM, "run", str(BASELINE), "--runs", "10", "--weeks", "4", "-x", "inprocess", "--out", str(out)],
            cwd=tmp_path,
            stdout=stdout,
            stderr=subprocess.PIPE,
            timeout=120,
        )
    one_line(result, 1)
    (folder,) = (out / "baseline").iterdir()
    assert (folder / "manifest.json").is_file() and not folder.name.startswith(".tmp-")


def test_an_unwritable_output_is_one_line(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = invoke("schema", "-o", locked / "x.json")
    assert result.exit_code == 2 and "Permission denied" in result.stderr


@pytest.mark.parametrize("command", [["story", "--from"], ["compare"]])
def test_story_and_compare_say_what_is_wrong_with_a_damaged_run(tmp_path, run_folder, command):
    copy = tmp_path / "run"
    shutil.copytree(run_folder, copy)
    _damage(copy, "truncated runs")
    result = invoke(*command, copy, *([copy] if command == ["compare"] else []))
    assert result.exit_code == 2, result.output
    assert "got a damaged one: runs.parquet is damaged" in result.stderr and result.stderr.count("\n") == 1, result.stderr
