"""`sim report RESULT_DIR`: one self-contained HTML page (plots embedded, no network) of a result folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from sim.errors import InputError


def report(
    folder: Annotated[Path, typer.Argument(metavar="RESULT_DIR", help="A result folder: a run, a sweep or a comparison.")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="The HTML file to write (default RESULT_DIR/report.html).")] = None,
) -> None:
    """Write an HTML report: what was run, the assumptions, outcomes with intervals, plots, how to reproduce it."""
    from sim.report.html import report as build

    if not folder.is_dir():
        raise InputError(str(folder), None, "expected a result folder (e.g. results/<scenario>/<run id>/), not found")
    if not any(folder.iterdir()):
        raise InputError(str(folder), None, "expected a result folder, got an empty folder")
    text = build(folder)
    target = output if output is not None else folder / "report.html"
    try:
        _write_atomic(target, text)
    except OSError as exc:
        raise InputError("--output", str(target), f"expected a writable file: {exc.strerror or exc}") from None
    typer.echo(f"wrote {target}")


def _write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder, so a reader never sees half a page."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def register(app: typer.Typer) -> None:
    app.command("report")(report)
