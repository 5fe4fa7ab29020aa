"""`sim report RESULT_DIR`: one self-contained HTML page (plots embedded, no network) of a result folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.paths import output_path
from sim.errors import InputError
from sim.experiment.store import UnsafeOutput, atomic_write, check_not_temporary, check_output_file
from sim.input_files import read_input_text


def report(
    folder: Annotated[Path, typer.Argument(metavar="RESULT_DIR", help="A result folder: a run, a sweep or a comparison.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", parser=output_path, metavar="FILE", help="The HTML file to write (default RESULT_DIR/report.html).")
    ] = None,
) -> None:
    """Write an HTML report: what was run, the assumptions, outcomes with intervals, plots, how to reproduce it."""
    from sim.report.html import report as build

    check_result_folder(folder)
    target = output if output is not None else folder / "report.html"
    try:
        check_output_file(target)
    except UnsafeOutput as exc:
        raise InputError("--output", str(target), f"expected a regular file to write: {exc}") from None
    text = build(folder)
    try:
        atomic_write(target, lambda name: Path(name).write_text(text, encoding="utf-8"))
    except UnsafeOutput as exc:
        raise InputError("--output", str(target), f"expected a regular file to write: {exc}") from None
    except OSError as exc:
        raise InputError("--output", str(target), f"expected a writable file: {exc.strerror or exc}") from None
    typer.echo(f"wrote {target}")


def _damaged_parquet(path: Path) -> str | None:
    """What is wrong with a Parquet file that should be there (None when it reads)."""
    import pyarrow.parquet as pq

    if not path.exists():
        return f"{path.name} is missing"
    if not path.is_file():
        return f"{path.name} is not a regular file"
    if path.stat().st_size == 0:
        return f"{path.name} is empty (0 bytes)"
    try:
        pq.read_metadata(path)
    except Exception as exc:
        return f"{path.name} is damaged (truncated or not Parquet: {' '.join(str(exc).split())[:120]})"
    return None


def check_result_folder(folder: Path) -> str:
    """The kind of a complete result folder ("run", "sweep" or another kind its manifest declares); InputError
    saying what is wrong with anything else: not a folder, a temporary folder, a missing, corrupt or foreign
    manifest, missing or damaged tables, an incomplete sweep."""
    import pyarrow.parquet as pq

    if not folder.is_dir():
        raise InputError(
            str(folder),
            None,
            "expected a result folder (e.g. results/<scenario>/<run id>/), not found"
            if not folder.exists()
            else "expected a result folder (e.g. results/<scenario>/<run id>/), got a file",
        )
    check_not_temporary(str(folder), folder)
    if not any(folder.iterdir()):
        raise InputError(str(folder), None, "expected a result folder, got an empty folder")
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise InputError(
            str(folder),
            None,
            "expected a result folder holding manifest.json: it is missing (not a result folder of `sim run` or `sim sweep`, or a damaged one)",
        )
    text = read_input_text(manifest_path, "manifest (JSON)")
    try:
        manifest = json.loads(text)
    except ValueError as exc:
        raise InputError(str(manifest_path), None, f"expected a JSON manifest: it is corrupt ({exc})") from None
    if not isinstance(manifest, dict):
        raise InputError(str(manifest_path), None, f"expected a JSON object, got {type(manifest).__name__}")
    problems: list[str] = []
    if manifest.get("kind") == "sweep":
        if manifest.get("status") != "complete":
            recorded = manifest.get("chunks")
            chunks = recorded if isinstance(recorded, dict) else {}
            done, planned = len(chunks.get("complete") or []), chunks.get("planned", "?")
            raise InputError(
                str(folder),
                None,
                f"expected a complete sweep, got an incomplete one ({done} of {planned} chunks); finish it first: sim sweep --resume {folder}",
            )
        for name in ("runs.parquet", "variants.parquet", "summary.parquet"):
            problem = _damaged_parquet(folder / name)
            if problem:
                problems.append(problem)
        kind = "sweep"
    elif "resolved_scenario" in manifest or "seed" in manifest:
        for name in ("runs.parquet", "weekly.parquet"):
            problem = _damaged_parquet(folder / name)
            if problem:
                problems.append(problem)
        runs = manifest.get("runs")
        if not problems and isinstance(runs, int):
            rows = pq.read_metadata(folder / "runs.parquet").num_rows
            if rows != runs:
                problems.append(f"runs.parquet holds {rows} rows, the manifest says {runs} replications")
        summary = folder / "summary.json"
        if not summary.is_file():
            problems.append("summary.json is missing")
        else:
            try:
                json.loads(read_input_text(summary, "summary (JSON)"))
            except ValueError:
                problems.append("summary.json is corrupt")
        kind = "run"
    elif isinstance(manifest.get("kind"), str):
        return str(manifest["kind"])  # a layout this version does not know: reported as far as it goes
    else:
        raise InputError(str(manifest_path), None, 'expected the manifest of a run or a sweep (resolved_scenario and seed, or kind = "sweep"), got neither')
    if problems:
        raise InputError(str(folder), None, f"expected a complete {kind} result folder, got a damaged one: " + "; ".join(problems))
    return kind


def register(app: typer.Typer) -> None:
    app.command("report")(report)
