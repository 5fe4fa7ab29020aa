"""`sim rules [NAME]`: the catalogue of registered rules, or one rule's declaration in full.

Everything printed comes from the rules' registration (`@rule` in sim/rules/ or a user module):
nothing here lists a rule by hand.
"""

from __future__ import annotations

import inspect
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sim.errors import InputError
from sim.names import RuleKind

if TYPE_CHECKING:
    from sim.rules.registry import RuleInfo


def load_user_rules(modules: list[str] | None) -> list[str]:
    """Register the rules of installed packages (entry points), SIM_RULE_MODULES and `modules`; their module names."""
    from sim.rules.plugins import RuleModuleError, load_all, load_rule_modules

    try:
        load_all()
        return load_rule_modules(modules or [])
    except RuleModuleError as exc:
        raise InputError("--rules", None, exc.message) from None


def selected_rules(kind: RuleKind | None = None, trait: str | None = None) -> list[RuleInfo]:
    """Registered rules, by kind then name, filtered by kind and declared trait."""
    import sim.rules  # noqa: F401  (registers the built-in rules)
    from sim.rules.registry import KINDS, REGISTRY

    order = {k: i for i, k in enumerate(KINDS)}
    infos = sorted(REGISTRY.values(), key=lambda r: (order[r.kind], r.name))
    return [r for r in infos if (kind is None or r.kind == kind) and (trait is None or trait in r.traits)]


def _console() -> Console:
    # Piped output (CI logs, docs) gets a wide page rather than rich's default of 80 columns.
    return Console(width=None if sys.stdout.isatty() else 160)


def rules(
    name: Annotated[str | None, typer.Argument(metavar="NAME", help="A rule's name: print its declaration in full.")] = None,
    kind: Annotated[RuleKind | None, typer.Option("--kind", help="Only rules of this kind.")] = None,
    trait: Annotated[str | None, typer.Option("--trait", metavar="TRAIT", help="Only rules declaring this trait (`sim rules --markdown` lists them).")] = None,
    modules: Annotated[list[str] | None, typer.Option("--rules", metavar="PATH_OR_MODULE", help="Register user rules first (repeatable).")] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the catalogue (kinds, traits, properties, rules) as Markdown.")] = False,
) -> None:
    """The rule catalogue (name, kind, traits, source), or one rule's details with NAME."""
    load_user_rules(modules)
    if name is not None:
        _details(name)
        return
    infos = selected_rules(kind, trait)
    if markdown:
        from sim.rules.catalogue import catalogue_markdown

        typer.echo(catalogue_markdown(infos), nl=False)
        return
    from sim.rules.registry import KINDS

    table = Table(title="Registered rules (sim rules NAME for details; sim check to test them)")
    for col in ("Rule", "Kind", "Traits", "Source"):
        table.add_column(col, overflow="fold")
    last = None
    for r in infos:
        if last is not None and r.kind != last:
            table.add_section()
        last = r.kind
        spec = KINDS[r.kind]
        kind_label = r.kind + (" *" if spec.selectable else "")
        name_label = escape(r.name) + (" (default)" if spec.default == r.name else "")
        table.add_row(name_label, kind_label, escape(", ".join(sorted(r.traits))), escape(r.source))
    console = _console()
    console.print(table)
    console.print("[dim]* a scenario picks a variant of this kind by name (sim rules NAME shows where)[/dim]")


def _details(name: str) -> None:
    import sim.rules  # noqa: F401
    from sim.rules.registry import lookup
    from sim.rules.traits import GENERIC_PROPERTIES

    try:
        info = lookup(name)
    except KeyError as exc:
        raise InputError("sim rules", None, exc.args[0]) from None
    spec = info.spec
    console = _console()
    console.print(f"[bold]{escape(info.name)}[/bold]  ({info.kind})")
    console.print(escape(info.summary))
    console.print(f"[bold]Source[/bold]      {escape(info.source)}")
    console.print(f"[bold]Defined in[/bold]  {escape(_shown_path(info.file))} ({escape(info.module)})")
    console.print(f"[bold]Kind[/bold]        {escape(spec.summary)}")
    console.print(f"[bold]Convention[/bold]  {escape(spec.convention())}" + (" + parameters as keywords" if info.params else ""))
    if spec.selectable:
        default = " (the default)" if spec.default == info.name else ""
        console.print(f'[bold]Selected by[/bold] {escape(spec.path or "")} = "{escape(info.name)}"{default}')
    doc = inspect.getdoc(info.func) or ""
    rest = doc.split("\n", 1)[1].strip() if "\n" in doc else ""
    if rest:
        console.print(escape(rest))
    if info.params:
        t = Table(title="Parameters (declared once: bounds, unit; a scenario may set them or draw them)")
        for col in ("Parameter", "Default", "Bounds", "Unit", "Description"):
            t.add_column(col, overflow="fold")
        for pname, p in info.params.items():
            t.add_row(escape(pname), f"{p.default:g}", f"[{p.lo:g}, {p.hi:g}]", escape(p.unit), escape(p.description))
        console.print(t)
        if spec.selectable:
            example = ", ".join(f"{k} = {p.default:g}" for k, p in info.params.items())
            where = (spec.path or "").replace("<belligerent>", "russia")
            console.print(escape(f'In a scenario: {where} = {{name = "{info.name}", {example}}}'))
    t = Table(title="Properties checked by `sim check`")
    t.add_column("Property", overflow="fold")
    t.add_column("What it checks", overflow="fold")
    for gname, what in GENERIC_PROPERTIES.items():
        t.add_row(gname, escape(what))
    for trait in sorted(info.traits):
        t.add_row(f"[bold]{escape(trait)}[/bold] (trait)", escape(info.trait(trait).description))
    console.print(t)


def _shown_path(path: str) -> str:
    """A file path relative to the working folder when it lies inside it."""
    from pathlib import Path

    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def register(app: typer.Typer) -> None:
    app.command("rules")(rules)
