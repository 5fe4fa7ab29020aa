"""`sim clean [RESULTS]`: list the temporary folders that killed runs left behind, and remove them on request."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from sim.errors import InputError


def clean(
    folder: Annotated[Path, typer.Argument(metavar="RESULTS", help="The results folder (default: results).")] = Path("results"),
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Remove them (without it, only list them).")] = False,
) -> None:
    """List stale temporary folders (.tmp-*) of runs that were killed outright; remove them with --yes.

    Only `.tmp-*` folders directly in RESULTS or in its scenario folders are considered, and only those no
    live run holds (each run locks its temporary folder while it writes). Nothing else is ever touched.
    """
    from sim.experiment.store import TMP_PREFIX, folder_size, is_stale, temporary_folders

    if str(folder) == "":
        raise InputError("RESULTS", None, "expected a results folder, got an empty path")
    if not folder.is_dir():
        raise InputError(str(folder), None, "expected a results folder, not found" if not folder.exists() else "expected a results folder, got a file")
    found = temporary_folders(folder)
    stale = [p for p in found if is_stale(p)]
    live = len(found) - len(stale)
    tail = f" ({live} more belong to runs still writing and are left alone)" if live else ""
    if not stale:
        typer.echo(f"no stale {TMP_PREFIX}* folders under {folder}{tail}")
        return
    total = 0
    for path in stale:
        size = folder_size(path)
        total += size
        typer.echo(f"{'removing' if yes else 'stale'} {path} ({size / 1e6:.1f} MB)")
        if yes:
            shutil.rmtree(path)
    if yes:
        typer.echo(f"removed {len(stale)} stale temporary folder(s), {total / 1e6:.1f} MB{tail}")
    else:
        typer.echo(f"{len(stale)} stale temporary folder(s), {total / 1e6:.1f} MB; remove them with: sim clean {folder} --yes{tail}")


def register(app: typer.Typer) -> None:
    app.command("clean")(clean)
