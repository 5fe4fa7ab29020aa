"""`sim validate FILE...`: check scenario files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.errors import InputError


def validate(files: Annotated[list[Path], typer.Argument(metavar="SCENARIO", help="Scenario files (or shipped scenarios by name) to check.")]) -> int:
    """Check scenario files: one line per file, ok or the first problem (exit code 2 if any fails)."""
    from sim.experiment.load import load as load_scenario

    failed = 0
    for path in files:
        try:
            loaded = load_scenario(path)
        except InputError as exc:
            typer.echo(exc.line(), err=True)
            failed += 1
            continue
        s = loaded.scenario
        typer.echo(f"ok {path}: {s.name} ({len(s.issues)} issues, {len(s.statements)} statements, {s.horizon_weeks} weeks)")
    return 2 if failed else 0


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
