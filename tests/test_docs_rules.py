"""docs/rules.md is run: its worked example is the shipped example module, its commands run with the exit
codes and output lines it shows, its test file passes, and its catalogue is the registry's."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sim.rules  # noqa: F401
from sim.cli.main import app
from sim.cli.rules import selected_rules
from sim.rules.catalogue import catalogue_markdown
from sim.testing import isolated_rules

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "rules.md"
TEXT = DOC.read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.S | re.M)
BOX = set("│┃┏┓┗┛┡┩┢┪━─┌┐└┘├┤┬┴┼╇╈")


def blocks(language: str) -> list[tuple[str, str]]:
    """(info string after the language, body) of every fenced block in `language`."""
    return [(m.group(2).strip(), m.group(3)) for m in FENCE.finditer(TEXT) if m.group(1) == language]


def commands() -> list[tuple[list[str], int, list[str]]]:
    """Every `$ sim ...` of the console blocks: arguments, expected exit code, output lines shown after it."""
    out = []
    for _, body in blocks("console"):
        current = None
        for line in body.splitlines():
            line = line.strip()
            if line.startswith("$ "):
                command, _, comment = line[2:].partition("#")
                code = int(m.group(1)) if (m := re.search(r"exit code (\d+)", comment)) else 0
                current = (shlex.split(command)[1:], code, [])
                out.append(current)
            elif line and current is not None and not (set(line) & BOX):
                current[2].append(line)
    return out


@pytest.fixture(autouse=True)
def at_the_root(monkeypatch):
    """Docs commands use paths relative to the repository; rules they register are gone afterwards."""
    monkeypatch.chdir(ROOT)
    with isolated_rules():
        yield


def test_the_worked_example_is_the_shipped_example_module():
    ((info, body),) = [b for b in blocks("python") if b[0].startswith("file=")]
    path = ROOT / info.removeprefix("file=")
    assert body == path.read_text(encoding="utf-8"), f"docs/rules.md and {path.name} differ: copy the file into the doc"


COMMANDS = commands()


@pytest.mark.parametrize("args, code, shown", COMMANDS, ids=[" ".join(c[0]) for c in COMMANDS])
def test_every_command_of_the_docs_runs_as_shown(args, code, shown):
    result = CliRunner().invoke(app, args, env={"COLUMNS": "160"})
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == code, result.output
    flat = " ".join(result.output.split())
    for line in shown:
        assert " ".join(line.split()) in flat, f"shown in the docs but not printed: {line!r}"


def test_the_test_file_of_the_docs_passes():
    ((_, body),) = [b for b in blocks("python") if b[0] == "run"]
    namespace: dict = {"__name__": "docs_rules_example"}
    # A pseudo file name: hypothesis reads a test's source where it can, and this one is not a .py file.
    exec(compile(body, "<docs/rules.md>", "exec"), namespace)
    tests = [f for name, f in namespace.items() if name.startswith("test_") and callable(f)]
    assert len(tests) == 2
    for test in tests:
        test()


def test_the_catalogue_in_the_docs_is_the_registry():
    start = TEXT.index("<!-- catalogue:start")
    start = TEXT.index("\n", start) + 1
    end = TEXT.index("<!-- catalogue:end -->")
    assert TEXT[start:end] == catalogue_markdown(selected_rules()), "docs/rules.md's catalogue is stale: replace it with the output of `sim rules --markdown`"
