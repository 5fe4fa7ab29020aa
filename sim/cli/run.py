"""`sim run SCENARIO_OR_FOLDER`: Monte Carlo runs, a terminal table, result folders."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sim.cli.options import (
    DEFAULT_CHUNK,
    DEFAULT_RUNS,
    DEFAULT_SEED,
    ChunkSizeOption,
    Executor,
    ExecutorOption,
    JsonOption,
    OutOption,
    RunsOption,
    SchedulerOption,
    SeedOption,
    SetOption,
    WeeksOption,
    WorkersOption,
    command_line,
    executor_spec,
    print_json,
    progress_bar,
    stderr_console,
    stdout_console,
)
from sim.errors import InputError

if TYPE_CHECKING:
    from sim.scenario.load import LoadedScenario

__all__ = ["DEFAULT_RUNS", "DEFAULT_SEED", "load_targets", "report_stale", "run", "writable_out"]


def load_targets(target: Path, sets: list[str], weeks: int | None) -> list[LoadedScenario]:
    """Load and validate every scenario named by `target` (a file or a folder) before running any."""
    from sim.experiment.load import load as load_scenario
    from sim.scenario.load import scenario_files

    overrides = list(sets) + ([f"horizon_weeks={weeks}"] if weeks is not None else [])
    return [load_scenario(path, overrides) for path in scenario_files(target)]


def writable_out(out: Path) -> Path:
    """The output base, checked before any simulation; an unwritable one is an input error."""
    from sim.experiment.store import UnwritableOutput, check_writable

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
        print(
            f"sim: note: {len(stale)} stale temporary folder(s) of killed runs under {base} ({size / 1e6:.1f} MB); "
            f"list them with `sim clean {base}`, remove them with `sim clean {base} --yes`",
            file=sys.stderr,
        )


def run(
    ctx: typer.Context,
    target: Annotated[
        Path, typer.Argument(metavar="SCENARIO_OR_FOLDER", help="A scenario file, a folder (every *.toml in it), or a shipped scenario by name (baseline).")
    ],
    runs: RunsOption = DEFAULT_RUNS,
    seed: SeedOption = DEFAULT_SEED,
    weeks: WeeksOption = None,
    set_: SetOption = None,
    out: OutOption = Path("results"),
    workers: WorkersOption = None,
    chunk_size: ChunkSizeOption = DEFAULT_CHUNK,
    executor: ExecutorOption = Executor.local,
    scheduler: SchedulerOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run scenarios: outcome shares with 95% intervals, results under OUT/<scenario>/<run id>/."""
    from rich.markup import escape

    from sim.analysis.tables import comparison_table, outcome_table
    from sim.cli.plotting import RUN_PLOTS
    from sim.experiment.executors import ExecutorUnavailable, default_workers
    from sim.experiment.run import run_scenario
    from sim.experiment.store import UnwritableOutput

    command = command_line(ctx)
    loaded = load_targets(target, set_ or [], weeks)
    base = writable_out(out)
    report_stale(base)
    workers = workers or default_workers()
    spec = executor_spec(executor, workers, scheduler)
    err = stderr_console()
    # With --json, stdout holds the JSON document only: the tables are not printed, the notes go to stderr.
    console = err if as_json else stdout_console()
    summaries = {}
    written = []
    with progress_bar(err) as progress:
        for item in loaded:
            name = item.scenario.name
            task = progress.add_task(name, total=runs)
            try:
                result = run_scenario(
                    item,
                    runs,
                    seed,
                    base,
                    workers=workers,
                    chunk_size=chunk_size,
                    command=command,
                    progress=functools.partial(progress.advance, task),
                    executor=spec,
                    plots=RUN_PLOTS,
                )
            except UnwritableOutput as exc:  # e.g. OUT/<scenario> exists as a file
                raise InputError("--out", str(out), f"expected a writable folder: {exc}") from None
            except ExecutorUnavailable as exc:
                raise InputError("--executor", spec.kind, str(exc)) from None
            summaries[name] = result.summary
            written.append(
                {
                    "scenario": name,
                    "title": item.scenario.title,
                    "scenario_file": str(item.path),
                    "folder": str(result.path),
                    "seconds": round(result.seconds, 3),
                    "summary": result.summary,
                }
            )
            if len(loaded) == 1 and not as_json:
                console.print(outcome_table(result.summary, escape(item.scenario.title)))
            console.print(f"[dim]{name}: {runs} replications in {result.seconds:.1f} s -> {escape(str(result.path))}[/dim]")
    if as_json:
        print_json({"runs": runs, "seed": seed, "executor": spec.kind, "results": written})
    elif len(loaded) > 1:
        console.print(comparison_table(summaries, f"Scenario comparison (seed {seed}, {runs} replications each)"))


def register(app: typer.Typer) -> None:
    app.command("run")(run)
