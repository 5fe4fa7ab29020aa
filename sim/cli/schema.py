"""`sim schema`: the JSON Schema of the scenario format, for editors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from sim.cli.options import OutputOption


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a scenario file, distributions included (`$defs.Distribution`)."""
    from sim.scenario.schema import Scenario

    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Ceasefire simulator scenario"
    return schema


def schema(
    output: OutputOption = None,
) -> None:
    """Write the JSON Schema of the scenario format (point your editor's TOML plugin at it)."""
    text = json.dumps(scenario_json_schema(), indent=2, sort_keys=True) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    from sim.errors import InputError
    from sim.experiment.store import UnsafeOutput, atomic_write

    try:
        atomic_write(output, lambda name: Path(name).write_text(text, encoding="utf-8"))
    except UnsafeOutput as exc:
        raise InputError("--output", str(output), f"expected a regular file to write: {exc}") from None
    except OSError as exc:
        raise InputError("--output", str(output), f"expected a writable file: {exc.strerror or exc}") from None
    typer.echo(f"wrote {output}")


def register(app: typer.Typer) -> None:
    app.command("schema")(schema)
