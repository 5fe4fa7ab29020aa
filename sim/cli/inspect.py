"""`sim inspect FILE`: the derived parameters with the statements behind every number."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, JustifyMethod
from rich.markup import escape
from rich.table import Table

from sim.cli.options import SetOption


def inspect(
    scenario: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario file, or a shipped scenario by name.")],
    set_: SetOption = None,
    statements: Annotated[bool, typer.Option("--statements/--no-statements", help="List the statements with their quotes.")] = True,
) -> None:
    """Print the derived table (actor x issue), capabilities and rule parameters, with their sources."""
    from sim.experiment.load import load as load_scenario
    from sim.report.assumptions import capability_rows, position_rows, rule_parameter_rows

    loaded = load_scenario(scenario, set_ or [])
    s = loaded.scenario
    console = Console()
    # Scenario text (titles, quotes, sources, ids) is printed as text, never read as rich markup: "[sic]" stays.
    console.print(f"[bold]{escape(s.title)}[/bold] ({s.name}), from {s.start_date}, {s.horizon_weeks} weeks")
    if len(loaded.chain) > 1:
        console.print(escape("extends: " + " -> ".join(p.name for p in loaded.chain)))

    table = Table(title="Positions derived from statements (0-1 issue scales)")
    columns: list[tuple[str, JustifyMethod]] = [
        ("Actor", "left"),
        ("Issue", "left"),
        ("Position ± spread", "right"),
        ("Salience", "right"),
        ("Acceptable", "center"),
        ("How", "left"),
        ("Statements", "left"),
    ]
    for col, just in columns:
        table.add_column(col, justify=just)
    last = None
    for r in position_rows(s):
        if last is not None and r.actor != last:
            table.add_section()
        last = r.actor
        red = "any" if (r.red_line_low, r.red_line_high) == (0.0, 1.0) else f"[{r.red_line_low:.2f}, {r.red_line_high:.2f}]"
        table.add_row(
            r.actor, escape(r.issue), f"{r.position:.2f} ± {r.spread:.2f}", f"{r.salience:.2f}", red, escape(r.rule), escape(", ".join(r.statements)) or "—"
        )
    console.print(table)

    for title, rows in (("Capabilities and policies", capability_rows(s)), ("Rule parameters", rule_parameter_rows(s))):
        t = Table(title=title)
        for col in ("Field", "Value", "Unit", "Source"):
            t.add_column(col)
        for p in rows:
            t.add_row(escape(p.path), escape(p.value), escape(p.unit), escape(p.source) or "[dim]assumption (docs/model.md)[/dim]")
        console.print(t)

    if statements and s.statements:
        t = Table(title="Statements")
        for col in ("Id", "Speaker, date", "Issue: stance", "Strength", "Quote", "Source"):
            t.add_column(col, overflow="fold")
        for sid, st in s.statements.items():
            strength = st.strength + (f" (rejects {st.rejects}; {st.commitment_kind})" if st.rejects else "") + (", reported" if st.reported else "")
            quote = st.quote + (" [paraphrase]" if st.paraphrase else "")
            cells = (sid, f"{st.speaker}, {st.date}", f"{st.issue}: {st.stance}", strength, quote, st.source)
            t.add_row(*map(escape, cells))
        console.print(t)
    if s.events:
        t = Table(title="Dated events (each drawn per replication with its probability: param__event__<i>)")
        for col in ("#", "Week", "Probability", "Changes", "What"):
            t.add_column(col, overflow="fold")
        for i, ev in enumerate(s.events):
            t.add_row(str(i), str(ev.week), f"{ev.probability:.2f}", escape("; ".join(ev.set)), escape(ev.label))
        console.print(t)
    if s.statements and any(st.readings for st in s.statements.values()):
        t = Table(title="Readings: statements with alternative codings, one drawn per replication (param__reading__<id>)")
        for col in ("Id", "Reading", "Weight", "Coding"):
            t.add_column(col, overflow="fold")
        for sid, st in s.statements.items():
            if not st.readings:
                continue
            for i in range(len(st.readings) + 1):
                c = st.coded(i)
                label = "as coded" if i == 0 else st.readings[i - 1].label
                weight = st.own_weight if i == 0 else st.readings[i - 1].weight
                coding = f"{c.issue}: {c.stance}, {c.strength}" + (f" (rejects {c.rejects}; {c.commitment_kind})" if c.rejects else "")
                t.add_row(escape(sid if i == 0 else ""), escape(label), f"{weight:.2f}", escape(coding))
        console.print(t)


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect)
