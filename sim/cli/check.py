"""`sim check`: property-test rules, the checks their declared traits call for plus the generic ones."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sim.cli.limits import MAX_EXAMPLES
from sim.cli.options import DEFAULT_SEED, JsonOption, print_json, progress_bar, seed_option
from sim.cli.rules import load_user_rules, selected_rules
from sim.errors import InputError
from sim.names import RuleKind


def check(
    modules: Annotated[
        list[str] | None,
        typer.Option(
            "--rules", metavar="PATH_OR_MODULE", help="Register user rules from a .py file or module; without --rule, check only its rules (repeatable)."
        ),
    ] = None,
    names: Annotated[list[str] | None, typer.Option("--rule", metavar="NAME", help="Check this rule (repeatable); default: every registered rule.")] = None,
    kind: Annotated[RuleKind | None, typer.Option("--kind", help="Only rules of this kind.")] = None,
    examples: Annotated[
        int | None,
        typer.Option(
            "--examples",
            "-n",
            metavar="N",
            min=1,
            max=MAX_EXAMPLES,
            help="Examples per property (hypothesis max_examples; default: the active hypothesis profile's).",
        ),
    ] = None,
    seed: Annotated[int | None, seed_option("Seed of the search (default: derandomized, the same examples every run); with --model, of the runs.")] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", metavar="SCENARIO", help="Check the model-level properties on this scenario instead (paired runs, common random numbers)."),
    ] = None,
    runs: Annotated[int, typer.Option("--runs", metavar="N", min=100, max=1_000_000, help="Replications per run for --model.")] = 2000,
    as_json: JsonOption = False,
) -> int:
    """Property-test rules: a table of rule x property, passed or failed with the shrunk counterexample (exit code 1 on a failure).

    With --model SCENARIO, check the model-level properties instead: each relation's paired effect with its 95%
    interval, failed when the interval lies wholly on the wrong side of zero."""
    if model is not None:
        return check_model(model, runs, DEFAULT_SEED if seed is None else seed, as_json)
    try:
        from sim.testing.check import check_rules
    except ImportError as exc:  # hypothesis is a test extra
        raise InputError("sim check", None, f"needs hypothesis ({exc}); install the test extra: pip install 'ceasefire-sim[test]'") from None
    from sim.rules.registry import lookup, rules_from_module

    loaded = load_user_rules(modules)
    if names:
        infos = []
        for name in names:
            try:
                infos.append(lookup(name))
            except KeyError as exc:
                raise InputError("--rule", None, exc.args[0]) from None
    elif loaded:
        infos = [r for m in loaded for r in rules_from_module(m)]
        if not infos:
            raise InputError("--rules", None, f"expected the module(s) {', '.join(modules or [])} to register rules with @rule, found none")
    else:
        infos = selected_rules()
    if kind is not None:
        kinds = {r.name for r in selected_rules(kind)}
        infos = [r for r in infos if r.name in kinds]

    err = Console(stderr=True)
    from sim.testing.properties import properties_for

    total = sum(len(properties_for(r)) for r in infos)
    with progress_bar(err) as progress:
        task = progress.add_task("checking", total=total)
        results = check_rules(infos, examples=examples, seed=seed, progress=lambda r: progress.advance(task))
    failed = [r for r in results if not r.passed]
    if as_json:
        print_json(
            {
                "rules": len(infos),
                "examples": examples,
                "seed": seed,
                "passed": len(results) - len(failed),
                "failed": len(failed),
                "results": [
                    {"rule": r.rule, "property": r.prop, "passed": r.passed, "message": r.message, "counterexample": r.counterexample} for r in results
                ],
            }
        )
        return 1 if failed else 0
    console = Console(width=None if sys.stdout.isatty() else 160)

    table = Table(title=f"Properties of {len(infos)} rule(s)" + (f", {examples} examples each" if examples else ""))
    for col in ("Rule", "Property", "Result"):
        table.add_column(col, overflow="fold")
    last = None
    for r in results:
        if last is not None and r.rule != last:
            table.add_section()
        shown = escape(r.rule) if r.rule != last else ""
        last = r.rule
        if r.passed:
            table.add_row(shown, escape(r.prop), "[green]passed[/green]")
        else:
            table.add_row(shown, escape(r.prop), f"[red]FAILED[/red]: {escape(r.message)}\n[bold]counterexample[/bold]: {escape(r.counterexample)}")
    console.print(table)
    console.print(f"{len(results)} properties of {len(infos)} rule(s): {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def check_model(scenario: str, runs: int, seed: int, as_json: bool = False) -> int:
    """The model-level properties of `scenario` as a table; exit code 1 when any is violated."""
    from pathlib import Path

    from sim.experiment.levers import check_relations
    from sim.experiment.load import load

    scenario = str(load(scenario).path)  # one-line errors for a bad file before any work; shipped names resolved
    err = Console(stderr=True)
    with err.status("checking the model") as status:
        results = check_relations(Path(scenario), runs, seed, progress=lambda what: status.update(f"checking: {what}"))
    failed = [r for r in results if r.violated]
    if as_json:
        print_json(
            {
                "scenario": scenario,
                "runs": runs,
                "seed": seed,
                "hold": len(results) - len(failed),
                "violated": len(failed),
                "relations": [
                    {
                        "relation": r.relation.name,
                        "outcome": r.relation.outcome,
                        "kind": r.kind,
                        "estimate": r.estimate,
                        "low": r.low,
                        "high": r.high,
                        "violated": r.violated,
                        "by": r.by,
                    }
                    for r in results
                ],
            }
        )
        return 1 if failed else 0
    console = Console(width=None if sys.stdout.isatty() else 160)
    table = Table(title=f"Model-level properties of {escape(scenario)}, {runs} paired replications, seed {seed}")
    for col in ("Relation", "Effect (95% interval)", "Result"):
        table.add_column(col, overflow="fold")
    for r in results:
        scale, unit = (100.0, " pts") if r.kind == "share" else (1.0, "")
        effect = f"{scale * r.estimate:+.4g}{unit} ({scale * r.low:+.4g} to {scale * r.high:+.4g})"
        verdict = "[green]holds[/green]" if not r.violated else f"[red]VIOLATED[/red] by {scale * r.by:.4g}{unit}"
        table.add_row(escape(r.relation.name), effect, verdict)
    console.print(table)
    console.print(f"{len(results)} relations: {len(results) - len(failed)} hold, {len(failed)} violated")
    return 1 if failed else 0


def register(app: typer.Typer) -> None:
    app.command("check")(check)
