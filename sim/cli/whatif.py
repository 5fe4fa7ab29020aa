"""`sim whatif SCENARIO --set path=value ...`: a scenario and its modified copy on the same random numbers.

Both run with one seed on the same replications (common random numbers), so the difference
is the effect of the change, not noise; its 95% interval is the paired one
(`sim.analysis.paired`). Prints the two outcome tables side by side, the differences, and
a few plain sentences naming the largest changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from sim.cli.options import (
    DEFAULT_CHUNK,
    DEFAULT_RUNS,
    DEFAULT_SEED,
    ChunkSizeOption,
    Executor,
    ExecutorOption,
    JsonOption,
    RunsOption,
    SchedulerOption,
    WeeksOption,
    WorkersOption,
    executor_spec,
    print_json,
    progress_bar,
    seed_option,
    set_option,
    stderr_console,
    stdout_console,
)
from sim.errors import InputError

if TYPE_CHECKING:
    from rich.table import Table

    from sim.analysis.paired import Difference

MIN_CHANGE = 0.005  # half a point: smaller changes are not worth a sentence
SENTENCES = 3
OVERLAPS = {"ceasefire_or_settlement": {"ceasefire", "settlement"}, "any_agreement": {"agreement_broke_down"}}


def _points(value: float) -> str:
    """Percentage points for a sentence: whole points, one decimal below 2 points."""
    points = 100 * value
    return f"{points:+.1f}" if abs(points) < 2 else f"{points:+.0f}"


def _percent(value: float) -> str:
    percent = 100 * value
    return f"{percent:.1f}%" if 0 < percent < 2 or 98 < percent < 100 else f"{percent:.0f}%"


def sentence(phrase: str, d: Difference) -> str:
    """One plain sentence about a change, e.g. 'A general ceasefire ... becomes more likely: 18% -> 31% (+13 points, ...).'"""
    numbers = f"{_percent(d.first)} -> {_percent(d.second)} ({_points(d.difference)} points, 95% interval {_points(d.low)} to {_points(d.high)})"
    if d.low <= 0.0 <= d.high:
        return f"{phrase} changes little: {numbers}; the interval includes no change."
    direction = "more" if d.difference > 0 else "less"
    return f"{phrase} becomes {direction} likely: {numbers}."


def largest_changes(diffs: dict[str, Difference], horizon: int, count: int = SENTENCES) -> list[str]:
    """Sentences about the outcomes that change most (at least half a point), largest first."""
    from sim.analysis.paired import OUTCOMES

    ranked = sorted(OUTCOMES, key=lambda o: -abs(diffs[o.name].difference))
    chosen: list[Any] = []
    for o in ranked:
        if abs(diffs[o.name].difference) < MIN_CHANGE or len(chosen) == count:
            break
        # "ceasefire or settlement" mostly repeats a ceasefire or settlement sentence (and the other way round).
        if any(OVERLAPS.get(o.name, set()) & {c.name} or o.name in OVERLAPS.get(c.name, set()) for c in chosen):
            continue
        chosen.append(o)
    if not chosen:
        return [f"No outcome changes by half a point or more within {horizon} weeks."]
    sentences = []
    for o in chosen:
        phrase = o.phrase.format(h=horizon)
        sentences.append(sentence(phrase[0].upper() + phrase[1:], diffs[o.name]))
    return sentences


def difference_table(diffs: dict[str, Difference], first: str, second: str) -> Table:
    """Outcome shares of both and the paired difference with its 95% interval."""
    from rich import box
    from rich.table import Table

    from sim.analysis.paired import OUTCOMES

    table = Table(
        title="What changes",
        box=box.SIMPLE_HEAD,
        caption="Differences in percentage points; 95% paired intervals (same seed and replications: common random numbers; Newcombe 1998, method 10).",
    )
    table.add_column("Outcome", style="bold")
    table.add_column(escape(first), justify="right")
    table.add_column(escape(second), justify="right")
    table.add_column("Change (points)", justify="right")
    table.add_column("95% interval", justify="right")
    for o in OUTCOMES:
        d = diffs[o.name]
        table.add_row(o.label, f"{100 * d.first:.1f}%", f"{100 * d.second:.1f}%", f"{100 * d.difference:+.1f}", f"{100 * d.low:+.1f} to {100 * d.high:+.1f}")
    return table


def whatif(
    scenario: Annotated[str, typer.Argument(metavar="SCENARIO", help="The baseline scenario: a file, or a shipped scenario by name.")],
    set_: Annotated[list[str] | None, set_option("The change: dotted.path=value (repeatable).")] = None,
    runs: RunsOption = DEFAULT_RUNS,
    seed: Annotated[int, seed_option("Seed shared by both.")] = DEFAULT_SEED,
    weeks: WeeksOption = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = Executor.local,
    scheduler: SchedulerOption = None,
    chunk_size: ChunkSizeOption = DEFAULT_CHUNK,
    as_json: JsonOption = False,
) -> None:
    """What if one thing changes? The scenario and its modified copy, side by side, on the same random numbers."""
    from rich.columns import Columns

    from sim.analysis.paired import compare_codes
    from sim.analysis.summary import summarise
    from sim.analysis.tables import outcome_table
    from sim.experiment.executors import ExecutorUnavailable
    from sim.experiment.load import load
    from sim.experiment.run import run_in_memory

    sets = list(set_ or [])
    if not sets:
        raise InputError("--set", None, "expected at least one change: --set dotted.path=value")
    spec = executor_spec(executor, workers, scheduler)
    horizon = [f"horizon_weeks={weeks}"] if weeks is not None else []
    base = load(scenario, horizon)
    changed = load(scenario, horizon + sets)
    err = stderr_console()
    with progress_bar(err) as progress:
        bar = progress.add_task("baseline and what-if", total=2 * runs)
        try:
            first, second = run_in_memory([base, changed], runs, seed, chunk_size=chunk_size, executor=spec, progress=lambda k: progress.advance(bar, k))
        except ExecutorUnavailable as exc:
            raise InputError("--executor", spec.kind, str(exc)) from None
    diffs = compare_codes(first.codes, second.codes, paired=True)
    sentences = largest_changes(diffs, base.scenario.horizon_weeks)
    if as_json:
        print_json(
            {
                "scenario": base.scenario.name,
                "scenario_file": str(base.path),
                "changes": sets,
                "runs": runs,
                "seed": seed,
                "executor": spec.kind,
                "baseline": summarise(first.aggregates),
                "whatif": summarise(second.aggregates),
                "differences": {
                    name: {"baseline": d.first, "whatif": d.second, "difference": d.difference, "low": d.low, "high": d.high, "paired": d.paired}
                    for name, d in diffs.items()
                },
                "sentences": sentences,
            }
        )
        return
    console = stdout_console()
    change = ", ".join(sets)
    left = outcome_table(summarise(first.aggregates), escape(base.scenario.title))
    right = outcome_table(summarise(second.aggregates), escape(f"What if {change}"))
    console.print(Columns([left, right], equal=True))
    console.print(difference_table(diffs, "Baseline", "What-if"))
    for line in sentences:
        console.print(escape(line))
    console.print(f"[dim]{runs} replications each, seed {seed}, {spec.describe()}; nothing written.[/dim]")


def register(app: typer.Typer) -> None:
    app.command("whatif")(whatif)
