"""Terminal tables (rich) of experiment summaries."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.table import Table

from sim.analysis.aggregate import AGREEMENT_TYPES, STATUSES


def label(name: str) -> str:
    """Human-readable label of a status, agreement type or issue name."""
    return name.replace("_", " ").capitalize()


def _pct(value: float) -> str:
    """A share in percent to one decimal; a positive share that would round to 0.0 shows as <0.1."""
    return "<0.1" if 0 < value < 0.0005 else f"{100 * value:.1f}"


def format_percent(entry: dict[str, Any] | None, two_lines: bool = False) -> str:
    """Share with its interval, e.g. '18.3% (16.1–20.6)'; with `two_lines`, the interval dimmed on a
    second line (so that many columns fit a terminal); an em dash when undefined."""
    if not entry or entry.get("share") is None:
        return "—"
    text = f"{_pct(entry['share'])}%"
    if entry.get("low") is not None and entry.get("high") is not None:
        interval = f"{_pct(entry['low'])}–{_pct(entry['high'])}"
        text += f"\n[dim]{interval}[/dim]" if two_lines else f" ({interval})"
    return text


def format_weeks(weeks: dict[str, Any]) -> str:
    """Median weeks to first agreement with its interquartile range, e.g. '23 (12–41)'."""
    if weeks.get("median") is None:
        return "no agreement"
    return f"{weeks['median']} ({weeks['q25']}–{weeks['q75']})"


def format_terms(value: float | None) -> str:
    """A term on the 0-1 issue scale, to two decimals; an em dash when none was agreed."""
    return "—" if value is None else f"{value:.2f}"


def outcome_table(summary: dict[str, Any], title: str) -> Table:
    """Table of one experiment's outcomes with 95% intervals, from `summarise`'s dict."""
    confidence = round(100 * summary.get("confidence", 0.95))
    table = Table(title=title, caption=f"n = {summary['n']} replications, horizon {summary['horizon']} weeks; {confidence}% Wilson intervals")
    table.add_column("Outcome", style="bold")
    table.add_column(f"Share ({confidence}% interval)", justify="right")

    table.add_section()
    table.add_row("[italic]Status at the horizon[/italic]", "")
    for status in STATUSES:
        table.add_row(f"  {label(status)}", format_percent(summary["status_at_horizon"][status]))

    table.add_section()
    table.add_row("[italic]First agreement[/italic]", "")
    for kind in AGREEMENT_TYPES:
        table.add_row(f"  {label(kind)}", format_percent(summary["first_agreement"][kind]))

    table.add_section()
    weeks = summary["weeks_to_first_agreement"]
    table.add_row("Weeks to first agreement, median (IQR)", format_weeks(weeks))
    table.add_row("Truces broken down (of those with an agreement)", format_percent(summary["truce_broken_down"]))
    if summary.get("mean_breakdowns") is not None:
        table.add_row("Mean breakdowns per replication", f"{summary['mean_breakdowns']:.2f}")

    if summary["issues"]:
        table.add_section()
        table.add_row("[italic]Median agreed terms (0–1 scale): settlements / all agreements[/italic]", "")
        terms = summary["median_terms"]
        for issue in summary["issues"]:
            table.add_row(
                f"  {label(issue)}",
                f"{format_terms(terms['settlement'][issue])} / {format_terms(terms['any_agreement'][issue])}",
            )
    return table


def _two_lines(entry: dict[str, Any] | None) -> str:
    return format_percent(entry, two_lines=True)


def comparison_table(summaries: dict[str, dict[str, Any]], title: str = "Scenario comparison") -> Table:
    """Table with one row per scenario and its outcome shares (with intervals below them) as columns."""
    sizes = sorted({s["n"] for s in summaries.values()})
    table = Table(
        title=title,
        box=box.SIMPLE_HEAD,
        caption=f"n = {', '.join(map(str, sizes))} per scenario. Status at the horizon; 95% Wilson intervals below "
        "each share. Weeks: median (IQR) to the first agreement. Broken: truces that broke down, "
        "among runs with an agreement.",
    )
    table.add_column("Scenario", style="bold", no_wrap=True)
    for status in STATUSES:
        table.add_column(label(status).replace("Partial truce", "Partial"), justify="right", no_wrap=True)
    table.add_column("Any agr.", justify="right", no_wrap=True)
    table.add_column("Weeks", justify="right", no_wrap=True)
    table.add_column("Broken", justify="right", no_wrap=True)
    for name, summary in summaries.items():
        table.add_row(
            name,
            *(_two_lines(summary["status_at_horizon"][s]) for s in STATUSES),
            _two_lines(summary.get("any_agreement")),
            format_weeks(summary["weeks_to_first_agreement"]),
            _two_lines(summary["truce_broken_down"]),
        )
        table.add_section()
    return table
