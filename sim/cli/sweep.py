"""`sim sweep FILE`: scenario variants x replications on an executor, written chunk by chunk, resumable."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, ProgressColumn
from rich.table import Table
from rich.text import Text

from sim.cli.limits import MAX_CHUNK, MAX_RUNS
from sim.cli.options import (
    Executor,
    ExecutorOption,
    OutOption,
    SchedulerOption,
    WeeksOption,
    WorkersOption,
    command_line,
    executor_spec,
    exit_interrupted,
    progress_bar,
    stderr_console,
    stdout_console,
)
from sim.errors import InputError

if TYPE_CHECKING:
    import pyarrow as pa
    from rich.progress import Task

    from sim.experiment.chunks import ChunkTask
    from sim.experiment.sweep import SweepPlan


class _SweepCounts(ProgressColumn):
    """Variants done / all, replications done / all, and replications per second."""

    def render(self, task: Task) -> Text:
        total = "?" if task.total is None else f"{task.total:,.0f}"
        speed = task.finished_speed or task.speed
        rate = "" if not speed else f", {speed:,.0f}/s"
        return Text(f"{task.fields.get('variants', '')} variants, {task.completed:,.0f}/{total} replications{rate}", style="progress.download")


def sweep_progress_bar(console: Console) -> Progress:
    """One bar for a whole sweep: variants and replications done, replications per second, time left."""
    return progress_bar(console, _SweepCounts())


def _percent(share: float | None, low: float | None, high: float | None) -> str:
    if share is None or share != share:
        return "—"
    return f"{100 * share:.1f}% [dim]({100 * (low or 0.0):.1f}–{100 * (high or 0.0):.1f})[/dim]"


def _share(share: float | None) -> str:
    return "—" if share is None or share != share else f"{100 * share:.1f}%"


def variants_view(plan: SweepPlan, summary: pa.Table, limit: int = 40) -> Table:
    """The per-variant outcome table printed at the end (the first `limit` variants)."""
    from sim.analysis.paired import outcome
    from sim.experiment.sweep import display_value  # the library loads when a command runs, not for `sim --help`

    name = plan.spec.design.outcome
    table = Table(
        title=f"{escape(plan.spec.title or plan.name)}: {len(plan.variants)} variants x {plan.runs} replications",
        box=box.SIMPLE_HEAD,
        caption=f"Status at week {plan.horizon}; 95% Wilson interval in brackets (all intervals: summary.parquet). Weeks: median to the first agreement.",
    )
    table.add_column("#", justify="right")
    for info in plan.parameters:
        table.add_column(escape(info.label), justify="right")
    shown = list(dict.fromkeys([name, "war", "partial_truce", "ceasefire", "settlement"]))
    for o in shown:
        table.add_column(outcome(o).label.replace(" at the horizon", ""), justify="right")
    table.add_column("Weeks", justify="right")
    rows = summary.to_pylist()
    for row in rows[:limit]:
        cells = [str(row["variant"])] + [display_value(row[i.column]) for i in plan.parameters]
        cells.append(_percent(row[f"{name}_share"], row[f"{name}_low"], row[f"{name}_high"]))
        cells += [_share(row[f"{o}_share"]) for o in shown[1:]]
        cells.append("—" if row["weeks_median"] is None else str(row["weeks_median"]))
        table.add_row(*cells)
    if len(rows) > limit:
        table.add_row("…", *[""] * (len(table.columns) - 1))
    return table


def sensitivity_view(plan: SweepPlan, sensitivity: pa.Table) -> Table:
    """Sobol indices or Morris effects of the analysed outcome."""
    from sim.analysis.paired import outcome

    name = plan.spec.design.outcome
    labels = {p.path: p.label for p in plan.parameters}
    rows = [r for r in sensitivity.to_pylist() if r["outcome"] == name]
    kind = plan.spec.design.kind
    table = Table(title=f"{kind.capitalize()} sensitivity of: {outcome(name).label}", box=box.SIMPLE_HEAD, caption="95% bootstrap intervals in brackets.")
    table.add_column("Parameter")

    def fmt(v: float | None, lo: float, hi: float, scale: float = 1.0, digits: int = 2) -> str:
        if v is None or v != v:
            return "—"
        return f"{scale * v:.{digits}f} [dim]({scale * lo:.{digits}f} to {scale * hi:.{digits}f})[/dim]"

    if kind == "sobol":
        table.add_column("First order S1", justify="right")
        table.add_column("Total ST", justify="right")
        for r in sorted(rows, key=lambda r: -(r["ST"] if r["ST"] == r["ST"] else -1)):
            table.add_row(escape(labels.get(r["parameter"], r["parameter"])), fmt(r["S1"], r["S1_low"], r["S1_high"]), fmt(r["ST"], r["ST_low"], r["ST_high"]))
    else:
        table.add_column("mu* (points)", justify="right")
        table.add_column("mu (points)", justify="right")
        table.add_column("sigma (points)", justify="right")
        for r in sorted(rows, key=lambda r: -r["mu_star"]):
            table.add_row(
                escape(labels.get(r["parameter"], r["parameter"])),
                fmt(r["mu_star"], r["mu_star_low"], r["mu_star_high"], 100, 1),
                f"{100 * r['mu']:.1f}",
                f"{100 * r['sigma']:.1f}",
            )
    return table


def _shown(value: object) -> str:
    text = "absent" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def sweep_file_changes(file: Path | None, recorded: dict[str, Any]) -> list[str]:
    """How the sweep file differs from the one a sweep started with (recorded in its manifest): renamed or moved,
    values edited (runs, seed, chunk size, ...). Empty when it is the same file with the same content."""
    from sim.experiment.sweep import read_sweep_file

    recorded_file = Path(str(recorded.get("sweep_file") or ""))
    current = Path(file) if file is not None else recorded_file
    changes = []
    try:
        if file is not None and current.resolve() != recorded_file.resolve():
            changes.append(f"the sweep file is {current}, the sweep started from {recorded_file} (renamed or moved?)")
    except (OSError, RuntimeError, ValueError):
        pass
    try:
        spec = read_sweep_file(current).model_dump(mode="json")
    except InputError:
        return changes  # the plan was made from it already; nothing more to compare
    before = recorded.get("sweep_spec")
    if isinstance(before, dict):
        for key in sorted(set(spec) | set(before)):
            if spec.get(key) != before.get(key):
                changes.append(f"{key} is {_shown(spec.get(key))} in the file, {_shown(before.get(key))} when the sweep started")
    return changes


def sweep(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(metavar="FILE", help="A sweep file (TOML); see docs/sweeps.md. Optional with --resume.")] = None,
    runs: Annotated[int | None, typer.Option("--runs", "-n", metavar="N", min=1, max=MAX_RUNS, help="Replications per variant (default: the file's).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", "-s", metavar="SEED", min=0, max=2**63 - 1, help="Seed (default: the file's).")] = None,
    weeks: WeeksOption = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = Executor.local,
    scheduler: SchedulerOption = None,
    out: OutOption = Path("results"),
    resume: Annotated[Path | None, typer.Option("--resume", metavar="RESULT_DIR", help="Finish an interrupted sweep in this result folder.")] = None,
    chunk_size: Annotated[
        int | None,
        typer.Option(
            "--chunk-size", metavar="N", min=1, max=MAX_CHUNK, help="Replications per chunk (default: the file's, else 10000; results do not depend on it)."
        ),
    ] = None,
    crn: Annotated[bool | None, typer.Option("--crn/--no-crn", help="Common random numbers across variants (default: the file's, normally on).")] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="With --resume: refuse when the sweep file was renamed or edited (runs, seed, ...) since the sweep started, instead of resuming with the recorded values.",
        ),
    ] = False,
) -> None:
    """Run a sweep: variants of a scenario x replications; results under OUT/<sweep>/<run id>/."""
    from sim.cli.plotting import SWEEP_PLOTS
    from sim.experiment.executors import ExecutorUnavailable
    from sim.experiment.store import UnwritableOutput, check_writable
    from sim.experiment.sweep import SweepInterrupted, plan_sweep, resume_sweep, start_sweep
    from sim.scenario.shipped import resolve_scenario_path

    command = command_line(ctx)
    spec = executor_spec(executor, workers, scheduler)
    console = stdout_console()
    err = stderr_console()
    if resume is None and file is None:
        raise InputError("FILE", None, "expected a sweep file (or --resume RUN_DIR)")
    if file is not None:
        file = resolve_scenario_path(file, ("sweeps", ""))  # a shipped sweep by name: `sim sweep sobol_ceasefire`
    if resume is None:
        assert file is not None  # checked above
        plan = plan_sweep(file, runs=runs, seed=seed, chunk_size=chunk_size, crn=crn, weeks=weeks)
        try:
            check_writable(out)
        except UnwritableOutput as exc:
            raise InputError("--out", str(out), f"expected a writable folder: {exc}") from None
        from sim.cli.run import report_stale

        report_stale(out)
    else:
        from sim.experiment.sweep import plan_for_resume

        planned = plan_for_resume(resume, file, runs=runs, seed=seed, chunk_size=chunk_size, crn=crn, weeks=weeks)
        plan = planned[0]
        changes = sweep_file_changes(file, planned[1])
        if changes and strict:
            raise InputError(
                "--resume",
                str(resume),
                "expected the sweep file as when the sweep started (--strict), but "
                + "; ".join(changes)
                + "; leave out --strict to resume with the recorded values",
            )
        options = planned[1].get("options", {})
        used = ", ".join(
            f"{k.replace('_', ' ')} {'on' if options[k] is True else 'off' if options[k] is False else options[k]}"
            for k in ("runs", "seed", "chunk_size", "crn", "weeks")
            if options.get(k) is not None
        )
        if changes:
            print(f"sim sweep: note: {'; '.join(changes)}; resuming with the recorded values ({used}); --strict refuses instead", file=sys.stderr)
        elif planned[1].get("status") != "complete":
            print(f"sim sweep: resuming with the recorded values ({used})", file=sys.stderr)

    from sim.experiment.sweep import SweepProgress

    tally = SweepProgress(plan)
    with sweep_progress_bar(err) as progress:
        bar = progress.add_task(f"{plan.name}", total=None, variants=tally.variants_text())

        def on_start(total: int, done: int) -> None:
            tally.start(done)
            progress.update(bar, total=tally.total_replications, completed=tally.replications_done, variants=tally.variants_text())

        def on_chunk(task: ChunkTask, result: object) -> None:
            tally.chunk(task)
            progress.update(bar, completed=tally.replications_done, variants=tally.variants_text())

        try:
            if resume is None:
                result = start_sweep(plan, out, spec, command, on_chunk=on_chunk, on_start=on_start, plots=SWEEP_PLOTS)
            else:
                result = resume_sweep(resume, file, spec, command, on_chunk=on_chunk, on_start=on_start, planned=planned, plots=SWEEP_PLOTS)
        except ExecutorUnavailable as exc:
            raise InputError("--executor", spec.kind, str(exc)) from None
        except SweepInterrupted as exc:
            progress.stop()
            from sim.cli.main import Terminated

            terminated = isinstance(exc.__context__, Terminated) or isinstance(exc.__cause__, Terminated)
            print(
                f"sim sweep: {'terminated (SIGTERM)' if terminated else 'interrupted'}: {exc.done} of {exc.total} chunks "
                f"complete in {exc.path} (marked incomplete); resume with: sim sweep {plan.file} --resume {exc.path}",
                file=sys.stderr,
            )
            exit_interrupted(143 if terminated else 130)
    if not result.complete:
        from sim.experiment.sweep import describe_task

        for task, error in result.failures[:10]:
            print(f"sim sweep: {describe_task(plan, task)}: {' '.join(error.message.split())}", file=sys.stderr)
        more = f" (and {len(result.failures) - 10} more)" if len(result.failures) > 10 else ""
        print(
            f"sim sweep: {len(result.failures)} chunk(s) failed{more}; {result.chunks_done} of {result.chunks_total} chunks "
            f"complete in {result.path} (marked incomplete); after the fix, resume with: "
            f"sim sweep {plan.file} --resume {result.path}",
            file=sys.stderr,
        )
        raise typer.Exit(1)
    if result.summary is not None:
        if result.sensitivity is None:
            console.print(variants_view(plan, result.summary, limit=40 if plan.spec.design.kind == "grid" else 20))
        else:
            console.print(sensitivity_view(plan, result.sensitivity))
    else:
        console.print(f"[dim]{escape(str(result.path))} is already complete; nothing to resume.[/dim]")
    console.print(
        f"[dim]{plan.name}: {len(plan.variants)} variants x {plan.runs} replications in {result.seconds:.1f} s "
        f"({spec.describe()}) -> {escape(str(result.path))}[/dim]"
    )


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep)
