"""The `sim` command: assembles the commands and turns every input error into one line, exit code 2."""

from __future__ import annotations

import errno
import os
import re
import signal
import sys
from collections.abc import Callable, Sequence
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer
from typer.core import TyperGroup

import sim
from sim.cli.helpstyle import conventional_help
from sim.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console

SigtermHandler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None
"""What `signal.signal` returns for SIGTERM (or None off the main thread)."""

# typer vendors click; its ClickException is the base of every usage error (BadParameter's ancestors).
_ClickException: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C so that every clean-up (temporary folders, a sweep's
    manifest marked incomplete, worker pools) runs as on an interrupt."""


class _Carried(Exception):
    """An exception carried unchanged past typer's own handling (see `OneLineErrors.invoke`)."""

    def __init__(self, original: BaseException):
        super().__init__(str(original))
        self.original = original


class OneLineErrors(TyperGroup):
    """A command group whose usage and input errors print as one line on stderr with exit code 2.

    Also the one place where everything else that can end a command becomes one line: an OS error
    (a full disk, a closed pipe, a permission denied: exit code 1), SIGTERM (exit code 143) and Ctrl-C
    (130). Work already written stays: result folders are renamed into place only when complete.
    """

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        conventional_help(params)
        return params

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:  # every command is handed out here: to run it, to show its help, to complete it
            conventional_help(command.get_params(ctx))
        return command

    def invoke(self, ctx: Any) -> Any:
        # typer's main turns Ctrl-C into a bare exit code 130 and a broken pipe into a silent exit 1; carry
        # both (and every other OS error) past it to `main` below, which says what happened in one line.
        try:
            return super().invoke(ctx)
        except (KeyboardInterrupt, OSError) as exc:
            raise _Carried(exc) from exc

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        # The arguments as given (not sys.argv, which differs when called in-process), for run manifests.
        extra.setdefault("obj", {"argv": list(args) if args is not None else sys.argv[1:]})
        name = prog_name or "sim"
        _install_rich_broken_pipe()
        _show_input_warnings()
        previous = _catch_sigterm()
        try:
            try:
                rv = super().main(
                    args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, windows_expand_args=windows_expand_args, **extra
                )
                if standalone_mode:
                    sys.stdout.flush()  # a full device or a closed pipe shows here, not in the interpreter's exit
            except _Carried as carried:
                raise carried.original from None
        except InputError as exc:
            _fail(exc.line(), 2)
        except _ClickException as exc:
            _fail(_choice_line(exc) or f"{name}: {exc.format_message()}", exc.exit_code)
        except Terminated:
            _fail(f"{name}: terminated (SIGTERM); nothing half-written was left under a result name", 143)
        except (typer.Abort, KeyboardInterrupt):
            _fail("interrupted", 130)
        except OSError as exc:
            _os_error(name, exc)
        except RecursionError:
            _fail(f"{name}: input nested too deeply to process", 2)
        except MemoryError:
            _fail(f"{name}: out of memory; ask for fewer replications or variants", 1)
        except Exception as exc:
            if not _chunks_failed(exc):
                raise
            # A chunk raised (e.g. a user rule with a bug): the others finished; name the failures in one line.
            _fail(f"{name}: {exc}", 1)
        finally:
            _restore_sigterm(previous)
        code = rv if isinstance(rv, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


_NOT_A_CHOICE = re.compile(r"(?P<value>'.*') is not one of (?P<choices>'.*')\.?$", re.DOTALL)


def _choice_line(exc: Exception) -> str | None:
    """A value outside a choice option's choices in the project's one-line form (`--executor: expected one of
    local, inprocess, dask, got 'bogus'`, with a suggestion for a misspelt one), as for every other input error;
    None for other usage errors."""
    from sim.errors import did_you_mean

    param = getattr(exc, "param", None)
    match = _NOT_A_CHOICE.search(str(getattr(exc, "message", "")))
    if param is None or match is None:
        return None
    option = max(getattr(param, "opts", None) or [str(getattr(param, "name", ""))], key=len)
    choices = [c.strip().strip("'") for c in match.group("choices").split(",")]
    return f"{option}: expected one of {', '.join(choices)}, got {match.group('value')}" + did_you_mean(match.group("value").strip("'"), choices, listing=None)


def _chunks_failed(exc: BaseException) -> bool:
    """Whether `exc` is the experiment layer's ChunksFailed, without importing that layer (and the model) to know:
    if it was never imported, nothing raised it (`sim --help` stays fast)."""
    execute = sys.modules.get("sim.experiment.execute")
    return execute is not None and isinstance(exc, execute.ChunksFailed)


def _catch_sigterm() -> SigtermHandler:
    """Turn SIGTERM into `Terminated` in the main thread (returns the previous handler, or None off the main thread)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    pid = os.getpid()

    def handler(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != pid:  # a forked child: die as SIGTERM says
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        raise Terminated()

    try:
        return signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):
        return None


def _restore_sigterm(previous: SigtermHandler) -> None:
    if previous is not None:
        try:
            signal.signal(signal.SIGTERM, previous)
        except (ValueError, OSError):
            pass


def _os_error(name: str, exc: OSError) -> None:
    """One line for an OS error that reached the top (exit code 1); stdout that is gone is not written to again."""
    if exc.errno == errno.EPIPE or isinstance(exc, BrokenPipeError):
        _silence_stdout()
        _fail(f"{name}: output closed early (broken pipe); results already written are kept", 1)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        _silence_stdout()
    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    reason = exc.strerror or str(exc) or type(exc).__name__
    _fail(f"{name}: {reason}{where}; nothing half-written was left under a result name", 1)


def _show_input_warnings() -> None:
    """Input warnings (`sim.errors.InputWarning`) print as one line on stderr, `warning: FILE: FIELD: message`."""
    import warnings

    from sim.errors import InputWarning

    if getattr(warnings.showwarning, "_sim_one_line", False):
        return
    default = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int, file: TextIO | None = None, line: str | None = None) -> None:
        if issubclass(category, InputWarning):
            try:
                print("warning: " + " ".join(str(message).split()), file=sys.stderr)
            except (OSError, ValueError):
                pass
            return
        default(message, category, filename, lineno, file, line)

    show._sim_one_line = True  # type: ignore[attr-defined]
    warnings.showwarning = show


def _rich_broken_pipe(console: Console) -> None:
    """rich's Console ends the process with a silent SystemExit(1) on a closed pipe; raise the OS error instead,
    so that it ends in one line like every other (`_os_error`)."""
    console.quiet = True
    raise BrokenPipeError(errno.EPIPE, "Broken pipe")


def _install_rich_broken_pipe() -> None:
    try:
        from rich.console import Console
    except ImportError:  # pragma: no cover - rich comes with typer
        return
    if hasattr(Console, "on_broken_pipe"):
        Console.on_broken_pipe = _rich_broken_pipe  # type: ignore[method-assign,assignment]


def _silence_stdout() -> None:
    """Point stdout at the null device, so that the interpreter's final flush does not fail a second time."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)
    except (OSError, ValueError, AttributeError):
        pass


def _fail(line: str, code: int) -> None:
    try:
        print(" ".join(line.split()), file=sys.stderr)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr itself is gone: the exit code still says it
    sys.exit(code)


app = typer.Typer(
    cls=OneLineErrors,
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish and PowerShell
    pretty_exceptions_enable=False,
    help="Scenario simulator of ceasefire negotiations: ensemble agent-based Monte Carlo on Mesa.",
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"sim {sim.__version__}")
        raise typer.Exit()


@app.callback()
def global_options(
    rules: Annotated[
        list[str] | None,
        typer.Option("--rules", metavar="PATH_OR_MODULE", help="Register user rules from a .py file or an importable module before the command (repeatable)."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_print_version, help="Print the version of sim and exit."),
    ] = False,
) -> None:
    """Scenario simulator of ceasefire negotiations: ensemble agent-based Monte Carlo on Mesa."""
    if rules:
        from sim.rules.plugins import RuleModuleError, load_rule_modules

        try:
            load_rule_modules(rules)
        except RuleModuleError as exc:
            raise InputError("--rules", None, exc.message) from None


# Commands are the modules of sim.cli that define `register(app)`; help lists them in this order first.
COMMAND_ORDER = ("run", "sweep", "compare", "whatif", "story", "inspect", "validate", "report", "viz", "rules", "check", "schema", "clean")


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
