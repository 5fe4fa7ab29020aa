"""`sim drivers SCENARIO`: which uncertain inputs drive the main outcomes (Sobol indices over a sweep of them)."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box as rich_box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sim.cli.options import (
    DEFAULT_SEED,
    Executor,
    ExecutorOption,
    OutOption,
    SchedulerOption,
    WeeksOption,
    WorkersOption,
    command_line,
    executor_spec,
    progress_bar,
    runs_option,
    seed_option,
    set_option,
)
from sim.errors import InputError

if TYPE_CHECKING:
    import pyarrow as pa


def _reserve_sweep_file(parent: Path, seed: int) -> Path:
    """`<out>/drivers_<scenario>/<run id>.toml`, suffixed when taken: the sweep that `sim sweep --resume` can finish."""
    from sim.experiment.store import make_run_id

    parent.mkdir(parents=True, exist_ok=True)
    stem = make_run_id(seed)
    suffix = 1
    while True:
        path = parent / (f"{stem}.toml" if suffix == 1 else f"{stem}-{suffix}.toml")
        try:
            with path.open("x", encoding="utf-8"):
                return path
        except FileExistsError:
            suffix += 1


def _fmt(r: dict[str, Any]) -> str:
    """`ST ±half-width / S1`, or a dash when the outcome did not vary."""
    st, s1 = r["ST"], r["S1"]
    if st is None or not math.isfinite(st):
        return "—"
    half = (r["ST_high"] - r["ST_low"]) / 2
    return f"{st:.2f} [dim]±{half:.2f}[/dim] / {s1:.2f}"


SHORT = {"any_agreement": "Any agreement", "ceasefire_or_settlement": "Ceasefire or settlement", "war": "War at horizon"}


def drivers_view(table: pa.Table, outcomes: tuple[str, ...], limit: int = 25) -> Table:
    """The ranked inputs: ST with its interval's half-width, and S1, for each main outcome."""
    rows = table.to_pylist()
    view = Table(
        title="What drives the outcomes: Sobol indices over the uncertain inputs",
        box=rich_box.SIMPLE_HEAD,
        caption="Each cell: total index ST ± half-width of its 95% bootstrap interval / first-order index S1 "
        "(— when the outcome did not vary). Ranked by the largest ST; all rows and intervals in drivers.parquet.",
    )
    view.add_column("#", justify="right")
    view.add_column("Input", no_wrap=True)
    view.add_column("Range", justify="right", style="dim", no_wrap=True)
    for name in outcomes:
        view.add_column(f"{SHORT.get(name, name)}\nST ± / S1", justify="right", no_wrap=True)
    seen = []
    for r in rows:
        if r["input"] not in seen:
            seen.append(r["input"])
    for path in seen[:limit]:
        mine = {r["outcome"]: r for r in rows if r["input"] == path}
        first = next(iter(mine.values()))
        cells = [str(first["rank"]), escape(first["label"]), f"{first['low']:.3g} to {first['high']:.3g}"]
        for name in outcomes:
            r = mine.get(name)
            cells.append("—" if r is None else _fmt(r))
        view.add_row(*cells)
    if len(seen) > limit:
        view.add_row("…", f"{len(seen) - limit} more in drivers.parquet", *[""] * (len(view.columns) - 2))
    return view


def drivers(
    ctx: typer.Context,
    scenario: Annotated[
        Path, typer.Argument(metavar="SCENARIO", help="A scenario file (or a shipped scenario by name) whose uncertain inputs (distributions) are analysed.")
    ],
    base_sample: Annotated[int, typer.Option("--base-sample", metavar="N", help="Saltelli's base sample N, a power of two: N x (inputs + 2) variants.")] = 16,
    runs: Annotated[int, runs_option("Replications per variant.")] = 200,
    seed: Annotated[int, seed_option("Seed of the runs and of the design.")] = DEFAULT_SEED,
    weeks: WeeksOption = None,
    set_: Annotated[
        list[str] | None, set_option("Override a field first: dotted.path=value (repeatable); a field fixed this way is no longer an input.")
    ] = None,
    positions: Annotated[bool, typer.Option("--positions/--no-positions", help="Include the actors' positions derived from statements.")] = True,
    out: OutOption = Path("results"),
    workers: WorkersOption = None,
    executor: ExecutorOption = Executor.local,
    scheduler: SchedulerOption = None,
    former_n: Annotated[int | None, typer.Option("--n", metavar="N", hidden=True, help="The former name of --base-sample.")] = None,
) -> None:
    """Rank a scenario's uncertain inputs by their Sobol indices on P(any agreement), P(ceasefire or settlement) and P(war)."""
    n = base_sample if former_n is None else former_n
    from sim.analysis.drivers import MAIN_OUTCOMES, drivers_table, is_power_of_two, sweep_document, toml_text, uncertain_inputs
    from sim.analysis.paired import outcome
    from sim.cli.plotting import SWEEP_PLOTS
    from sim.experiment.executors import ExecutorUnavailable
    from sim.experiment.load import load
    from sim.experiment.store import UnwritableOutput, check_writable, write_json_atomic, write_parquet_atomic
    from sim.experiment.sweep import SweepInterrupted, plan_sweep, start_sweep
    from sim.report.discovery_plots import drivers_plot

    if not is_power_of_two(n):
        raise InputError("--base-sample", None, f"expected a power of two of at least 2 (Saltelli's base sample), got {n}")
    sets = list(set_ or [])
    loaded = load(scenario, sets)
    inputs = uncertain_inputs(loaded.scenario, positions=positions)
    if len(inputs) < 2:
        raise InputError(
            str(scenario),
            None,
            f"expected at least two uncertain inputs (fields given as distributions{', positions' if positions else ''}), found {len(inputs)}",
        )
    spec = executor_spec(executor, workers, scheduler)
    try:
        check_writable(out)
    except UnwritableOutput as exc:
        raise InputError("--out", str(out), f"expected a writable folder: {exc}") from None
    name = f"drivers_{loaded.scenario.name}"
    sweep_file = _reserve_sweep_file(out / name, seed)
    doc = sweep_document(str(Path(scenario).resolve()), name, inputs, n, runs, seed, sets)
    sweep_file.write_text(toml_text(doc), encoding="utf-8")
    plan = plan_sweep(sweep_file, weeks=weeks)
    console = Console(width=None if sys.stdout.isatty() else 160)
    err = Console(stderr=True)
    err.print(
        f"[dim]{len(inputs)} uncertain inputs, Sobol N = {n}: {len(plan.variants)} variants x {runs} replications (sweep file {escape(str(sweep_file))})[/dim]"
    )
    with progress_bar(err) as progress:
        bar = progress.add_task(f"{name}: {len(plan.variants)} variants", total=None)
        try:
            result = start_sweep(
                plan,
                out,
                spec,
                command_line(ctx),
                plots=SWEEP_PLOTS,
                on_chunk=lambda task, res: progress.advance(bar, 1),
                on_start=lambda total, done: progress.update(bar, total=total, completed=done),
            )
        except ExecutorUnavailable as exc:
            raise InputError("--executor", spec.kind, str(exc)) from None
        except SweepInterrupted as exc:
            progress.stop()
            print(
                f"sim drivers: interrupted: {exc.done} of {exc.total} chunks complete in {exc.path}; resume with: "
                f"sim sweep {sweep_file} --resume {exc.path}, then run sim drivers again for the table",
                file=sys.stderr,
            )
            from sim.cli.options import exit_interrupted

            exit_interrupted(130)
    if not result.complete:
        print(
            f"sim drivers: {len(result.failures)} chunk(s) failed; {result.chunks_done} of {result.chunks_total} complete in "
            f"{result.path}; after the fix: sim sweep {sweep_file} --resume {result.path}",
            file=sys.stderr,
        )
        raise typer.Exit(1)
    table = drivers_table(result.sensitivity, inputs, MAIN_OUTCOMES)
    write_parquet_atomic(result.path / "drivers.parquet", table)
    labels = {o: outcome(o).label for o in MAIN_OUTCOMES}
    plot = drivers_plot(table, result.path / "plots" / "drivers.png", MAIN_OUTCOMES, labels)
    write_json_atomic(
        result.path / "drivers.json",
        {
            "scenario": loaded.scenario.name,
            "scenario_file": str(Path(scenario).resolve()),
            "sets": sets,
            "sweep_file": str(sweep_file),
            "design": {"kind": "sobol", "n": n, "variants": len(plan.variants), "runs": runs, "seed": seed, "weeks": plan.variants[0].scenario.horizon_weeks},
            "outcomes": {o: labels[o] for o in MAIN_OUTCOMES},
            "inputs": [i.as_dict() for i in inputs],
            "indices": [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()} for r in table.to_pylist()],
            "plot": str(plot.relative_to(result.path)),
        },
        sort_keys=False,
    )
    console.print(drivers_view(table, MAIN_OUTCOMES))
    console.print(
        f"[dim]{name}: {len(plan.variants)} variants x {runs} replications in {result.seconds:.1f} s "
        f"({spec.describe()}) -> {escape(str(result.path))} (drivers.parquet, drivers.json, plots/drivers.png)[/dim]"
    )


def register(app: typer.Typer) -> None:
    app.command("drivers")(drivers)
