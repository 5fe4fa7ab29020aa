"""`sim run SCENARIO_OR_FOLDER`: Monte Carlo runs, a terminal table, result folders."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from sim.cli.limits import MAX_CHUNK, MAX_RUNS, MAX_WORKERS
from sim.analysis.tables import comparison_table, outcome_table
from sim.cli.paths import output_path
from sim.errors import InputError
from sim.experiment.run import DEFAULT_CHUNK, default_workers, run_scenario
from sim.experiment.store import UnwritableOutput, check_writable
from sim.experiment.load import load as load_scenario
from sim.scenario.load import scenario_files

DEFAULT_SEED = 20250311
DEFAULT_RUNS = 10_000


def load_targets(target: Path, sets: list[str], weeks: int | None):
    """Load and validate every scenario named by `target` (a file or a folder) before running any."""
    overrides = list(sets) + ([f"horizon_weeks={weeks}"] if weeks is not None else [])
    return [load_scenario(path, overrides) for path in scenario_files(target)]


def writable_out(out: Path) -> Path:
    """The output base, checked before any simulation; an unwritable one is an input error."""
    try:
        return check_writable(out)
    except UnwritableOutput as exc:
        raise InputError("--out", str(out), f"expected a writable folder: {exc}") from None


def report_stale(base: Path) -> None:
    """One line on stderr when killed runs left temporary folders under `base` (they are never taken for results)."""
    from sim.experiment.store import folder_size, stale_temporary_folders

    stale = stale_temporary_folders(base)
    if stale:
        size = sum(folder_size(p) for p in stale)
        print(f"sim: note: {len(stale)} stale temporary folder(s) of killed runs under {base} ({size / 1e6:.1f} MB); "
              f"list them with `sim clean {base}`, remove them with `sim clean {base} --yes`", file=sys.stderr)


def run(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(metavar="SCENARIO_OR_FOLDER", help="A scenario file, or a folder: every *.toml in it.")],
    runs: Annotated[int, typer.Option("--runs", "-n", min=1, max=MAX_RUNS, help="Replications per scenario.")] = DEFAULT_RUNS,
    seed: Annotated[int, typer.Option("--seed", "-s", min=0, max=2**63 - 1, help="Seed; the same seed gives the same files.")] = DEFAULT_SEED,
    weeks: Annotated[Optional[int], typer.Option("--weeks", "-w", min=1, max=520, help="Horizon in weeks (overrides the scenario).")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override a field: dotted.path=value (repeatable).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", parser=output_path, help="Base folder of the results.")] = Path("results"),
    workers: Annotated[Optional[int], typer.Option("--workers", "-j", min=1, max=MAX_WORKERS, help="Worker processes, or Dask workers to start (default: all cores).")] = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, max=MAX_CHUNK, help="Replications per chunk (results do not depend on it).")] = DEFAULT_CHUNK,
    executor: Annotated[str, typer.Option("--executor", "-x", help="Where chunks run: local, inprocess or dask (results are identical).")] = "local",
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="Join an existing Dask cluster at this address (tcp://host:8786); implies --executor dask.")] = None,
) -> None:
    """Run scenarios: outcome shares with 95% intervals, results under OUT/<scenario>/<run id>/."""
    argv = ctx.obj.get("argv") if isinstance(ctx.obj, dict) else None  # as given to the `sim` group
    command = ["sim", *(argv if argv is not None else sys.argv[1:])]
    loaded = load_targets(target, set_ or [], weeks)
    base = writable_out(out)
    report_stale(base)
    workers = workers or default_workers()
    from sim.cli.sweep import executor_spec  # shared with sweep, compare and whatif
    from sim.experiment.executors import ExecutorUnavailable

    spec = executor_spec(executor, workers, scheduler)
    # Piped output (make run, CI logs) gets a wide page rather than rich's default of 80 columns.
    console = Console(width=None if sys.stdout.isatty() else 150)
    err = Console(stderr=True)
    summaries = {}
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
        console=err, transient=True, disable=not err.is_terminal,
    ) as progress:
        for item in loaded:
            name = item.scenario.name
            task = progress.add_task(name, total=runs)
            try:
                result = run_scenario(
                    item, runs, seed, base, workers=workers, chunk_size=chunk_size, command=command,
                    progress=lambda k, task=task: progress.advance(task, k), executor=spec,
                )
            except UnwritableOutput as exc:  # e.g. OUT/<scenario> exists as a file
                raise InputError("--out", str(out), f"expected a writable folder: {exc}") from None
            except ExecutorUnavailable as exc:
                raise InputError("--executor", spec.kind, str(exc)) from None
            summaries[name] = result.summary
            if len(loaded) == 1:
                console.print(outcome_table(result.summary, escape(item.scenario.title)))
            console.print(f"[dim]{name}: {runs} replications in {result.seconds:.1f} s -> {escape(str(result.path))}[/dim]")
    if len(loaded) > 1:
        console.print(comparison_table(summaries, f"Scenario comparison (seed {seed}, {runs} replications each)"))


def register(app: typer.Typer) -> None:
    app.command("run")(run)
