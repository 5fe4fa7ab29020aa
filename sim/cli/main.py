"""The `sim` command: assembles the commands and turns every input error into one line, exit code 2."""

from __future__ import annotations

import sys
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from sim.errors import InputError
from sim.experiment.execute import ChunksFailed

# typer vendors click; its ClickException is the base of every usage error (BadParameter's ancestors).
_ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


class OneLineErrors(TyperGroup):
    """A command group whose usage and input errors print as one line on stderr with exit code 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra: Any) -> Any:
        # The arguments as given (not sys.argv, which differs when called in-process), for run manifests.
        extra.setdefault("obj", {"argv": list(args) if args is not None else sys.argv[1:]})
        try:
            rv = super().main(args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra)
        except InputError as exc:
            _fail(exc.line(), 2)
        except ChunksFailed as exc:
            # A chunk raised (e.g. a user rule with a bug): the others finished; name the failures in one line.
            _fail(f"{prog_name or 'sim'}: {exc}", 1)
        except _ClickException as exc:
            _fail(f"{prog_name or 'sim'}: {exc.format_message()}", exc.exit_code)
        except (typer.Abort, KeyboardInterrupt):
            _fail("interrupted", 130)
        code = rv if isinstance(rv, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _fail(line: str, code: int) -> None:
    print(" ".join(line.split()), file=sys.stderr)
    sys.exit(code)


app = typer.Typer(
    cls=OneLineErrors,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Scenario simulator of ceasefire negotiations: ensemble agent-based Monte Carlo on Mesa.",
)


@app.callback()
def global_options(
    rules: Annotated[
        Optional[list[str]],
        typer.Option("--rules", metavar="PATH_OR_MODULE", help="Register user rules from a .py file or an importable module before the command (repeatable)."),
    ] = None,
) -> None:
    """Scenario simulator of ceasefire negotiations: ensemble agent-based Monte Carlo on Mesa."""
    if rules:
        from sim.rules.plugins import RuleModuleError, load_rule_modules

        try:
            load_rule_modules(rules)
        except RuleModuleError as exc:
            raise InputError("--rules", None, exc.message) from None


# Commands are the modules of sim.cli that define `register(app)`; help lists them in this order first.
COMMAND_ORDER = ("run", "sweep", "compare", "whatif", "story", "inspect", "validate", "report", "viz", "rules", "check", "schema")


def _register() -> None:
    import importlib
    import pkgutil

    import sim.cli

    names = [m.name for m in pkgutil.iter_modules(sim.cli.__path__) if m.name not in ("main",)]
    names.sort(key=lambda n: (COMMAND_ORDER.index(n) if n in COMMAND_ORDER else len(COMMAND_ORDER), n))
    for name in names:
        module = importlib.import_module(f"sim.cli.{name}")
        if hasattr(module, "register"):
            module.register(app)


_register()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="sim")
