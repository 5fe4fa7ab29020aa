"""Helpers shared by the command-line tests: invoke `sim` in-process, find a run folder."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sim.cli.main import app

WIDE = {"COLUMNS": "250"}  # rich tables in one line per row


def invoke(*args, env: dict | None = None):
    """Run `sim ARGS...` through typer's CliRunner (wide terminal); a traceback fails the test."""
    result = CliRunner().invoke(app, [str(a) for a in args], env={**WIDE, **(env or {})})
    assert "Traceback" not in result.output, result.output
    return result


def only_run(out: Path, name: str) -> Path:
    """The one run folder under OUT/<name>/."""
    runs = [p for p in (out / name).iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    return runs[0]
