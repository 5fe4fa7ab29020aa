"""`sim levers SCENARIO`: for each actor, what its levers do to the outcome shares, paired with 95% intervals."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sim.cli.options import DEFAULT_SEED, JsonOption, print_json, runs_option, seed_option
from sim.errors import InputError
from sim.names import LeverActor

if TYPE_CHECKING:
    from sim.analysis.paired import Difference
    from sim.experiment.levers import LeverTable

DEFAULT_LEVER_RUNS = 10_000
SHOWN = ("ceasefire_or_settlement", "any_agreement", "war_at_horizon")


def _points(d: Difference) -> str:
    return f"{100 * d.difference:+.1f} ({100 * d.low:+.1f} to {100 * d.high:+.1f})"


def lever_rows(table: LeverTable) -> list[dict[str, Any]]:
    """The lever table as plain records (for --json and docs/levers.md)."""
    out = []
    for row in table.rows:
        rec: dict[str, Any] = {"actor": row.lever.actor, "lever": row.lever.name, "description": row.lever.description, "sets": list(row.lever.sets)}
        for key, d in row.effects.items():
            rec[key] = {"difference": d.difference, "low": d.low, "high": d.high}
        est, low, high = row.means["front_final"]
        rec["front_final"] = {"difference": est, "low": low, "high": high}
        out.append(rec)
    return out


def lever_markdown(table: LeverTable) -> str:
    """The lever table as Markdown: one row per lever, effects in percentage points with paired 95% intervals."""
    head = [
        "| actor | lever | change (`--set`) | ceasefire or settlement | any agreement | war at horizon | mean final front |",
        "|---|---|---|---|---|---|---|",
    ]
    lines = []
    for row in table.rows:
        e = row.effects
        est, low, high = row.means["front_final"]
        sets = "<br>".join(f"`{s}`" for s in row.lever.sets)
        lines.append(
            f"| {row.lever.actor} | {row.lever.name} | {sets} | " + " | ".join(_points(e[k]) for k in SHOWN) + f" | {est:+.3f} ({low:+.3f} to {high:+.3f}) |"
        )
    return "\n".join(head + lines) + "\n"


def levers(
    scenario: Annotated[str, typer.Argument(metavar="SCENARIO", help="The scenario whose levers to pull.")],
    runs: Annotated[int, runs_option("Replications of the scenario and of each lever.", 100, 1_000_000)] = DEFAULT_LEVER_RUNS,
    seed: Annotated[int, seed_option("Seed shared by every run (common random numbers).")] = DEFAULT_SEED,
    actor: Annotated[LeverActor | None, typer.Option("--actor", help="Only this actor's levers.")] = None,
    as_json: JsonOption = False,
) -> None:
    """What each actor's levers do: the paired change in outcome shares (percentage points, 95% interval) per lever."""
    from sim.experiment.levers import baseline_levers, lever_table

    chosen = baseline_levers()
    if actor is not None:
        chosen = [lv for lv in chosen if lv.actor == actor]
    from sim.scenario.shipped import resolve_scenario_path

    scenario = str(resolve_scenario_path(scenario))
    if not Path(scenario).is_file():
        raise InputError(scenario, None, "expected a scenario file, which does not exist")
    err = Console(stderr=True)
    with err.status("pulling levers") as status:
        table = lever_table(Path(scenario), chosen, runs, seed, progress=lambda what: status.update(f"pulling levers: {what}"))
    if as_json:
        print_json(
            {
                "scenario": scenario,
                "runs": runs,
                "seed": seed,
                "base": table.base_shares,
                "base_front_final": table.base_means["front_final"],
                "levers": lever_rows(table),
            }
        )
        return
    console = Console(width=None if sys.stdout.isatty() else 170)
    out = Table(title=f"Levers of {escape(scenario)}: paired change in percentage points (95% interval), {runs} replications, seed {seed}")
    for col in ("Actor", "Lever", "Ceasefire or settlement", "Any agreement", "War at horizon", "Mean final front"):
        out.add_column(col, overflow="fold")
    last = None
    for row in table.rows:
        if last is not None and row.lever.actor != last:
            out.add_section()
        est, low, high = row.means["front_final"]
        cells = []
        for k in SHOWN:
            d = row.effects[k]
            text = _points(d)
            strong = (d.low > 0 or d.high < 0) and abs(d.difference) >= 0.02
            cells.append(f"[bold]{text}[/bold]" if strong else text)
        out.add_row(row.lever.actor if row.lever.actor != last else "", escape(row.lever.name), *cells, f"{est:+.3f}")
        last = row.lever.actor
    console.print(out)
    b = table.base_shares
    console.print(
        f"Scenario: ceasefire or settlement {100 * b['ceasefire_or_settlement']:.1f}%, any agreement "
        f"{100 * b['any_agreement']:.1f}%, war at the horizon {100 * b['war_at_horizon']:.1f}%. "
        "Bold: at least 2 points with an interval excluding 0."
    )


def register(app: typer.Typer) -> None:
    app.command("levers")(levers)
