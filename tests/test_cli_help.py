"""Every command's help, walked through the click command tree that typer builds: no Python type shown (`<bool>`,
`<list[str]>`, `<path>`), a metavar for every value, and every option with a fixed set of values a choice, never a
string checked by hand."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
from clitools import invoke
from typer.core import TyperArgument, TyperOption

import sim.cli
from sim.cli.main import app
from sim.names import RuleKind

GROUP = typer.main.get_command(app)
CONTEXT = typer.Context(GROUP, info_name="sim")
NAMES = GROUP.list_commands(CONTEXT)

# What typer prints for a parameter without a metavar: a Python type in angle brackets.
PYTHON_TYPE = re.compile(r"<(?:bool|int|float|str|bytes|path|Path|file|dir|datetime|uuid|UUID|list\[[^>]*\]|tuple\[[^>]*\]|(?:int|float) range)>")
METAVAR = re.compile(r"[A-Z][A-Z0-9_]*(?:=[A-Z][A-Z0-9_]*)?")  # no brackets: typer brackets an optional argument itself

# Text options and arguments whose values are open-ended (a path, an expression, a name from the user's own files or
# rules): each says why it is not a choice. Any other text parameter must be an Enum.
FREE_FORM: dict[tuple[str, str], str] = {
    ("", "--rules"): "a file or module of the user's",
    ("run", "--set"): "an assignment",
    ("run", "--scheduler"): "an address",
    ("sweep", "--scheduler"): "an address",
    ("compare", "targets"): "folders, files or scenario names",
    ("compare", "--scheduler"): "an address",
    ("whatif", "scenario"): "a file or a scenario name",
    ("whatif", "--set"): "an assignment",
    ("whatif", "--scheduler"): "an address",
    ("story", "--find"): "a condition",
    ("story", "--set"): "an assignment",
    ("inspect", "--set"): "an assignment",
    ("rules", "name"): "user rules add names",
    ("rules", "--trait"): "traits include monotonicity in any argument (increasing_in_<argument>)",
    ("rules", "--rules"): "a file or module of the user's",
    ("check", "--rules"): "a file or module of the user's",
    ("check", "--rule"): "user rules add names",
    ("check", "--model"): "a file or a scenario name",
    ("discover", "--outcome"): "an expression",
    ("discover", "--dimension"): "the parameters of the result folder",
    ("drivers", "--set"): "an assignment",
    ("drivers", "--scheduler"): "an address",
    ("forecast", "--issue"): "the issues of the scenario",
    ("forecast", "--capability"): "an assignment",
    ("forecast", "--param"): "an assignment",
    ("forecast", "--set"): "an assignment",
    ("levers", "scenario"): "a file or a scenario name",
}


def commands() -> list[tuple[str, Any]]:
    """(name, command) for the group itself ("") and every command, as the group hands them out."""
    return [("", GROUP), *((name, GROUP.get_command(CONTEXT, name)) for name in NAMES)]


def params(command: Any) -> list[Any]:
    return [p for p in command.get_params(CONTEXT) if not getattr(p, "hidden", False)]


def label(param: Any) -> str:
    return param.opts[0] if isinstance(param, TyperOption) else param.name


def is_text(param: Any) -> bool:
    """The parameter takes text (str or list[str]) that no Enum constrains."""
    annotation = param.type_descriptor.annotation
    return not param.type_descriptor.is_choice and (annotation is str or annotation == list[str])


@pytest.mark.parametrize("name", ["", *NAMES])
def test_help_shows_no_python_type(name):
    result = invoke(*([name] if name else []), "--help")
    assert result.exit_code == 0, result.output
    assert not PYTHON_TYPE.findall(result.stdout), f"sim {name} --help shows {PYTHON_TYPE.findall(result.stdout)}:\n{result.stdout}"


def test_every_value_has_a_metavar_or_choices():
    missing = []
    for name, command in commands():
        for param in params(command):
            if isinstance(param, TyperArgument):
                ok = param.metavar is not None and METAVAR.fullmatch(param.metavar.removesuffix("..."))
            else:
                ok = param.is_flag or param.type_descriptor.is_choice or bool(param.metavar and METAVAR.fullmatch(param.metavar))
            if not ok:
                missing.append(f"sim {name} {label(param)}: {param.display_type_rich(CONTEXT)!r}")
    assert not missing, "parameters shown by their Python type instead of a metavar (N, FOLDER, PATH=VALUE):\n" + "\n".join(missing)


def test_text_parameters_are_choices_unless_open_ended():
    text = {(name, label(p)) for name, command in commands() for p in params(command) if is_text(p)}
    assert not text - FREE_FORM.keys(), (
        f"text parameters with no Enum type: make them choices, or say here why their values are open: {sorted(text - FREE_FORM.keys())}"
    )
    assert not FREE_FORM.keys() - text, f"stale entries: {sorted(FREE_FORM.keys() - text)}"


def _membership_tests_against_constants(function: Any, names: set[str]) -> list[str]:
    """`x in CONSTANT`, `x not in ("a", "b")` in `function`'s module, where x is one of `names`."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.getmodule(function))))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare) or not isinstance(node.left, ast.Name) or node.left.id not in names:
            continue
        for op, right in zip(node.ops, node.comparators):
            fixed = isinstance(right, (ast.Tuple, ast.List, ast.Set)) or (
                isinstance(right, (ast.Name, ast.Attribute)) and re.fullmatch(r"[A-Z][A-Z0-9_]*", getattr(right, "id", getattr(right, "attr", "")))
            )
            if isinstance(op, (ast.In, ast.NotIn)) and fixed:
                found.append(f"{inspect.getsourcefile(function)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_option_checks_its_choices_by_hand():
    callbacks = {info.name or info.callback.__name__: info.callback for info in app.registered_commands}
    checked = []
    for name, command in commands():
        if not name:
            continue
        text = {p.name for p in params(command) if is_text(p)}
        checked += _membership_tests_against_constants(callbacks[name], text)
    for path in sorted(Path(sim.cli.__file__).parent.glob("*.py")):
        for line_number, line in enumerate(path.read_text().splitlines(), 1):
            if "InputError(" in line and "expected one of" in line:
                checked.append(f"{path}:{line_number}: {line.strip()}")
    assert not checked, "choices checked by hand (make the option an Enum):\n" + "\n".join(checked)


def _hand_checked(fmt: str) -> str:
    """What test_no_option_checks_its_choices_by_hand is there to catch."""
    if fmt not in ("terminal", "markdown"):
        raise ValueError(fmt)
    return fmt


def test_the_membership_scan_finds_a_hand_check():
    assert _membership_tests_against_constants(_hand_checked, {"fmt"})
    assert not _membership_tests_against_constants(_hand_checked, {"format"})


def offered(command: str, option: str) -> tuple[str, ...]:
    """The values an option of `sim <command>` offers, in the order help lists them."""
    (param,) = [p for p in params(GROUP.get_command(CONTEXT, command)) if label(p) == option]
    return tuple(choice.value if isinstance(choice, Enum) else choice for choice in param.type_descriptor.choices)


def test_the_choices_offered_are_what_the_library_declares():
    # sim.names holds each set of names once, for the command line and the library; this checks from the outside
    # that the options offer them and that the library's declarations agree (every lever actor has levers, in order).
    from sim.analysis.discovery import METHODS
    from sim.experiment.levers import baseline_levers
    from sim.rules.registry import KINDS

    assert offered("rules", "--kind") == offered("check", "--kind") == tuple(KINDS)
    assert offered("levers", "--actor") == tuple(dict.fromkeys(lever.actor for lever in baseline_levers()))
    assert offered("discover", "--method") == METHODS


def test_a_lever_names_an_actor_the_command_line_offers():
    from sim.experiment.levers import Lever

    with pytest.raises(ValueError, match=r"expected a lever's actor among us, russia, .*, negotiation, got 'china'"):
        Lever("china", "mediation", ("actors.turkey.mediation_intensity=0.5",), "a lever of an actor that has none")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("story", "baseline", "--format", "pdf"), "--format: expected one of terminal, markdown, html, got 'pdf'"),
        (("discover", ".", "--outcome", "war", "--method", "tree"), "--method: expected one of prim, cart, scores, got 'tree'"),
        (("levers", "baseline", "--actor", "china"), "--actor: expected one of us, russia, ukraine, europe, turkey, battlefield, negotiation, got 'china'"),
        (
            ("rules", "--kind", "acceptanse"),
            "--kind: expected one of " + ", ".join(k.value for k in RuleKind) + ", got 'acceptanse' (did you mean 'acceptance'?)",
        ),
    ],
)
def test_a_value_outside_the_choices_is_one_line(args, line):
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [line]
