"""How `sim ... --help` shows a parameter: an argument by its name (SCENARIO), an option by its metavar (N, FOLDER)
or its choices (`local|inprocess|dask`), a flag by its name alone; never a Python type.

typer shows the Python type of every parameter that has no metavar (`<bool>` for every flag, `--help` included,
and `<path>` beside an argument's name); `conventional_help` is applied by the command group (sim.cli.main) to
each command it hands out. Options that take a value declare their metavar where they are declared
(sim.cli.options and the command modules); tests/test_cli_help.py fails on any that does not.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperOption


class NamedArgument(TyperArgument):
    """An argument shown in help by its name alone (its metavar, e.g. SCENARIO), without typer's `<path>`."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


def conventional_help(params: list[Any]) -> None:
    """Give `params` (a command's, from `get_params`) the help conventions above, in place."""
    for param in params:
        if type(param) is TyperArgument:
            param.__class__ = NamedArgument  # same fields; only the help display differs
        elif isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""  # a flag takes no value: nothing to show after its name
