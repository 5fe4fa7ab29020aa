"""Every command of the lesson in docs/teaching.md runs, in order, and succeeds.

The commands are the lines of the ```sh blocks. They run through bash (they use `$(...)`)
in a fresh folder whose `scenarios` is this repository's, with this interpreter's `sim` on
the PATH. `sim viz` is a server: it is started on a free port of 127.0.0.1, must answer,
and is stopped. A command whose `sim` subcommand does not exist fails the test (a renamed
command must be renamed in the lesson too).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from clitools import serving

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "docs" / "teaching.md"


def lesson_commands() -> list[str]:
    """The lines of the ```sh blocks of the lesson, in order."""
    commands, inside = [], False
    for line in LESSON.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            inside = line.strip() == "```sh"
            continue
        if inside and line.strip() and not line.lstrip().startswith("#"):
            commands.append(line.strip())
    return commands


def available_commands() -> set[str]:
    import typer.main

    from sim.cli.main import app

    group = typer.main.get_command(app)
    return set(group.commands)


def unknown_commands(commands: list[str], known: set[str]) -> list[str]:
    """The lesson's commands whose `sim` subcommand does not exist."""
    return [command for command in commands if len(command.split()) < 2 or command.split()[1] not in known]


def test_an_unknown_command_is_reported_not_skipped():
    known = available_commands()
    assert unknown_commands(["sim run baseline", "sim simulate baseline", "sim"], known) == ["sim simulate baseline", "sim"]
    assert not unknown_commands(lesson_commands(), known)


def test_the_lesson_has_five_exercises_with_commands():
    text = LESSON.read_text(encoding="utf-8")
    exercises = re.findall(r"^## [1-5]\. ", text, flags=re.M)
    assert len(exercises) == 5
    assert text.count("**What students see.**") >= 5 and text.count("**Question.**") >= 5
    assert len(lesson_commands()) >= 12


@pytest.fixture(scope="module")
def lesson_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("lesson")
    (folder / "scenarios").symlink_to(ROOT / "scenarios", target_is_directory=True)
    return folder


def _env() -> dict:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["COLUMNS"] = "120"
    return env


def _serve_and_stop(command: str, cwd: Path, env: dict) -> None:
    from sim.cli.viz import free_port

    port = free_port()
    log = cwd / "viz.log"
    with serving(["bash", "-c", f"exec {command} --port {port}"], port, log, cwd, env):
        pass
    assert f"http://127.0.0.1:{port}/" in log.read_text()


def test_every_command_of_the_lesson_runs(lesson_dir):
    env = _env()
    commands = lesson_commands()
    unknown = unknown_commands(commands, available_commands())
    assert not unknown, f"the lesson uses commands that `sim` does not have: {unknown}"
    for command in commands:
        words = command.split()
        assert words[0] == "sim", f"the lesson should only use sim: {command}"
        if words[1] == "viz":
            _serve_and_stop(command, lesson_dir, env)
            continue
        result = subprocess.run(["bash", "-c", command], cwd=lesson_dir, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        assert "Traceback" not in result.stderr, result.stderr
    assert (lesson_dir / "lesson" / "report.html").is_file()
    assert (lesson_dir / "lesson" / "story.html").is_file()
