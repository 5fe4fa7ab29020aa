"""Path options of the commands: an empty path is an input error, not the current folder."""

from __future__ import annotations

from pathlib import Path

import typer


def output_path(value: str) -> Path:
    """Parse an output path option (`--out`, `--output`): an empty string is refused (Path("") would mean ".")."""
    if isinstance(value, Path):
        return value
    if value is None or not str(value).strip():
        raise typer.BadParameter("expected a path, got an empty string")
    if "\x00" in str(value):
        raise typer.BadParameter("expected a path, got one with a NUL byte")
    return Path(value)
