"""Options shared by the commands, declared once: names, short forms, bounds, help and choices.

Light on purpose: this module (like every command module at import time) loads only typer and `sim.defaults`,
so that `sim --help` starts in well under half a second (benchmarks/bench_help.py); the library is imported
inside the command functions that use it.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sim.cli.limits import MAX_CHUNK, MAX_INDEX, MAX_RUNS, MAX_WEEKS, MAX_WORKERS
from sim.cli.paths import output_path
from sim.defaults import DEFAULT_CHUNK, DEFAULT_RUNS, DEFAULT_SEED
from sim.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, ProgressColumn

    from sim.experiment.executors import ExecutorSpec

__all__ = ["DEFAULT_CHUNK", "DEFAULT_RUNS", "DEFAULT_SEED", "Executor"]


class Executor(StrEnum):
    """Where chunks run (a choice on the command line: `--executor local|inprocess|dask`; the names of EXECUTORS)."""

    local = "local"
    inprocess = "inprocess"
    dask = "dask"


# Metavars name what a value is (N, SEED, FOLDER), never its Python type; tests/test_cli_help.py holds every command to it.
RunsOption = Annotated[int, typer.Option("--runs", "-n", metavar="N", min=1, max=MAX_RUNS, help="Replications of each scenario.")]
SeedOption = Annotated[int, typer.Option("--seed", "-s", metavar="SEED", min=0, max=MAX_INDEX, help="Seed; the same seed gives the same results.")]
WeeksOption = Annotated[int | None, typer.Option("--weeks", "-w", metavar="WEEKS", min=1, max=MAX_WEEKS, help="Horizon in weeks (overrides the scenario).")]
SetOption = Annotated[list[str] | None, typer.Option("--set", metavar="PATH=VALUE", help="Override a field: dotted.path=value (repeatable).")]
OutOption = Annotated[Path, typer.Option("--out", "-o", parser=output_path, metavar="FOLDER", help="Base folder of the results.")]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o", parser=output_path, metavar="FILE", help="Write to this file instead of stdout.")]
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", "-j", metavar="N", min=1, max=MAX_WORKERS, help="Worker processes, or Dask workers of a LocalCluster (default: all cores)."),
]
ExecutorOption = Annotated[Executor, typer.Option("--executor", "-x", help="Where chunks run (results are identical).")]
SchedulerOption = Annotated[
    str | None, typer.Option("--scheduler", metavar="ADDRESS", help="Join an existing Dask cluster at this address (tcp://host:8786); implies --executor dask.")
]
ChunkSizeOption = Annotated[int, typer.Option("--chunk-size", metavar="N", min=1, max=MAX_CHUNK, help="Replications per chunk (results do not depend on it).")]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Write the results as one JSON document on stdout (for scripts); tables, progress and notes go to stderr or nowhere.")
]


def seed_option(help: str) -> Any:
    """`--seed`/`-s` SEED with its bounds and the help of one command (the default is the command's)."""
    return typer.Option("--seed", "-s", metavar="SEED", min=0, max=MAX_INDEX, help=help)


def runs_option(help: str, low: int = 1, high: int = MAX_RUNS) -> Any:
    """`--runs`/`-n` N (replications) with the bounds and help of one command."""
    return typer.Option("--runs", "-n", metavar="N", min=low, max=high, help=help)


def set_option(help: str) -> Any:
    """`--set` PATH=VALUE (repeatable) with the help of one command."""
    return typer.Option("--set", metavar="PATH=VALUE", help=help)


def executor_spec(executor: Executor, workers: int | None, scheduler: str | None) -> ExecutorSpec:
    """The executor options as a spec (`--executor` is a choice, so its name is valid; a Dask address or a missing
    Dask is an input error here, before any work)."""
    from sim.experiment.executors import ExecutorSpec, ExecutorUnavailable

    kind = "dask" if scheduler else Executor(executor).value
    if scheduler is not None:  # a malformed address is an input error, before any work
        from sim.experiment.executors import check_scheduler_address

        try:
            check_scheduler_address(scheduler)
        except ValueError as exc:
            raise InputError("--scheduler", None, str(exc)) from None
    if kind == "dask":  # say so before any work (or result folder) is started
        from sim.experiment.executors import import_distributed

        try:
            import_distributed()
        except ExecutorUnavailable as exc:
            raise InputError("--executor", "dask", str(exc)) from None
    return ExecutorSpec(kind, workers, scheduler)


def command_line(ctx: typer.Context) -> list[str]:
    """The command as given to `sim` (for manifests)."""
    argv = ctx.obj.get("argv") if isinstance(ctx.obj, dict) else None
    return ["sim", *(argv if argv is not None else sys.argv[1:])]


def progress_bar(console: Console, counts: ProgressColumn | None = None) -> Progress:
    """The progress bar of the commands that run chunks: drawn on `console` (stderr) only when it is a terminal,
    when chunks are reported (no thread: `sim.cli.progress`); `counts` replaces the done/total column."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from sim.cli.progress import ChunkProgress

    return ChunkProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        counts or MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def stdout_console(width: int = 150) -> Console:
    """The console of tables: stdout, with a wide page when piped (make run, CI logs) rather than rich's 80 columns."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else width)


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def print_json(document: object) -> None:
    """One strict JSON document on stdout (NaN and infinity become null: the results' missing-value convention)."""
    import json
    import math

    def clean(value: object) -> object:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {str(k): clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        if hasattr(value, "item") and callable(value.item):  # a numpy scalar
            return clean(value.item())
        return value

    sys.stdout.write(json.dumps(clean(document), indent=2, allow_nan=False, ensure_ascii=False) + "\n")


def exit_interrupted(code: int) -> None:
    """End the process at once after an interrupted sweep, whose state is already on disk.

    A normal exit would wait for the workers' batches in flight (CPython joins a process pool at exit, and a
    worker stopped while sending its result leaves the pool's pipe half-written, so the wait never ends); the
    workers notice their parent is gone and exit within half a second (sim.experiment.executors)."""
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
