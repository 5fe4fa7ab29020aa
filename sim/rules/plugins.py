"""User rules: import the modules that register them, with the same `@rule` decorator as the built-ins.

Three ways in, all ending in an import that runs the module's `@rule` decorators:

- a scenario's `rules = ["mypkg.myrules", "my_rules.py"]` (a .py path is relative to the file);
- the global option `sim --rules PATH_OR_MODULE` (repeatable);
- the entry-point group `sim.rules` of installed packages, e.g. in their pyproject.toml:
  `[project.entry-points."sim.rules"] myrules = "mypkg.myrules"`.

Modules loaded from a scenario or `--rules` are also listed in the environment variable
`SIM_RULE_MODULES` (absolute paths or module names, separated by os.pathsep), so that worker
processes started afterwards (`sim run --workers N`) register the same rules before they
bind a scenario's choices (`load_environment_modules`).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Iterable
from pathlib import Path

ENV_VAR = "SIM_RULE_MODULES"
ENTRY_POINT_GROUP = "sim.rules"

_entry_points_loaded = False


class RuleModuleError(ValueError):
    """A rule module that cannot be found or fails on import; the message names it."""

    def __init__(self, spec: str, message: str) -> None:
        super().__init__(message)
        self.spec = spec
        self.message = message


def module_name_for_file(path: Path) -> str:
    """The module name a rule file is imported under: stable for a given absolute path."""
    digest = hashlib.blake2b(str(path).encode(), digest_size=4).hexdigest()
    stem = "".join(c if c.isalnum() else "_" for c in path.stem)
    return f"sim_user_rules.{stem}_{digest}"


def load_rule_module(spec: str, base: Path | None = None) -> str:
    """Import one rule module (an importable name, or a .py path relative to `base`); returns its module name.

    Importing a module twice is a no-op. Raises RuleModuleError naming the module.
    """
    spec = str(spec)
    try:
        looks_like_file = Path(spec).suffix.lower() in _FILE_SUFFIXES and (Path(base or ".") / spec).exists()
        if spec.endswith(".py") or os.sep in spec or "/" in spec or looks_like_file:
            path = (Path(base or ".") / spec).resolve()
            if not path.exists():
                raise RuleModuleError(spec, f"expected an existing rule module file, {spec!r} not found")
            _check_rule_file(spec, path)
            name = module_name_for_file(path)
            if name not in sys.modules:
                _ensure_namespace()
                module_spec = importlib.util.spec_from_file_location(name, path)
                if module_spec is None or module_spec.loader is None:  # a .py path always has a source loader
                    raise RuleModuleError(spec, f"expected an importable Python file, got {spec!r}")
                module = importlib.util.module_from_spec(module_spec)
                sys.modules[name] = module
                try:
                    module_spec.loader.exec_module(module)
                except BaseException:
                    sys.modules.pop(name, None)
                    raise
            _remember(str(path))
            return name
        importlib.import_module(spec)
        _remember(spec)
        return spec
    except RuleModuleError:
        raise
    except ImportError as exc:
        raise RuleModuleError(spec, f"expected an importable rule module or a .py file, got {spec!r}: {exc}") from None
    except SystemExit as exc:  # sys.exit() in a rule module must not end `sim` silently with its code
        raise RuleModuleError(spec, f"rule module {spec!r} failed to import: it called sys.exit({exc.code!r})") from None
    except Exception as exc:  # a user module that fails on import (including a bad @rule declaration): name it
        raise RuleModuleError(spec, f"rule module {spec!r} failed to import: {type(exc).__name__}: {exc}") from None


# Suffixes that name a file rather than a dotted module (`rules.toml` is a file given by mistake, not module `rules.toml`).
_FILE_SUFFIXES = (".py", ".toml", ".json", ".txt", ".yaml", ".yml", ".md", ".pyc", ".cfg", ".ini")
MAX_RULE_FILE_BYTES = 4 * 1024 * 1024


def _check_rule_file(spec: str, path: Path) -> None:
    """A rule file must be a regular .py file of reasonable size: checked before Python reads it (a FIFO would hang)."""
    import stat

    try:
        info = os.stat(path)
    except OSError as exc:
        raise RuleModuleError(spec, f"expected a readable rule module file, {spec!r}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise RuleModuleError(spec, f"expected a rule module file (.py), {spec!r} is a folder")
    if not stat.S_ISREG(info.st_mode):
        raise RuleModuleError(spec, f"expected a rule module file (.py), {spec!r} is not a regular file (a FIFO or a device?)")
    if path.suffix != ".py":
        raise RuleModuleError(
            spec,
            f"expected a Python rule module (a .py file) or an importable module name, got {spec!r}"
            + (" (a scenario file? scenarios name their rules in `rules = [...]`)" if path.suffix == ".toml" else ""),
        )
    if info.st_size > MAX_RULE_FILE_BYTES:
        raise RuleModuleError(
            spec, f"expected a rule module of at most {MAX_RULE_FILE_BYTES // 1024 // 1024} MB, {spec!r} is {info.st_size / 1024 / 1024:.1f} MB"
        )


def load_rule_modules(specs: Iterable[str], base: Path | None = None) -> list[str]:
    """Import several rule modules (see `load_rule_module`); returns their module names."""
    return [load_rule_module(s, base) for s in specs]


def load_entry_points() -> None:
    """Import the rule modules that installed packages declare in the `sim.rules` entry-point group (once per process)."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    from importlib.metadata import entry_points

    _entry_points_loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            ep.load()
        except Exception as exc:
            dist = getattr(getattr(ep, "dist", None), "name", None) or "an installed package"
            _entry_points_loaded = False
            raise RuleModuleError(
                ep.value, f"entry point {ep.name!r} = {ep.value!r} of {dist} ({ENTRY_POINT_GROUP}) failed to load: {type(exc).__name__}: {exc}"
            ) from None


def load_environment_modules() -> None:
    """Import the rule modules listed in SIM_RULE_MODULES (set by the process that started this one)."""
    for spec in _listed():
        load_rule_module(spec)


def load_all() -> None:
    """Every source of rules beyond the built-ins: entry points, then modules listed in the environment."""
    load_entry_points()
    load_environment_modules()


def reset_entry_points() -> None:
    """Forget that entry points were loaded (for tests that restore the registry)."""
    global _entry_points_loaded
    _entry_points_loaded = False


def _listed() -> list[str]:
    raw = os.environ.get(ENV_VAR, "")
    return [s for s in raw.split(os.pathsep) if s]


def _remember(spec: str) -> None:
    listed = _listed()
    if spec not in listed:
        os.environ[ENV_VAR] = os.pathsep.join(listed + [spec])


def _ensure_namespace() -> None:
    """An empty parent package for rule files imported by path (keeps their names out of the top level)."""
    if "sim_user_rules" not in sys.modules:
        import types

        pkg = types.ModuleType("sim_user_rules")
        pkg.__path__ = []
        sys.modules["sim_user_rules"] = pkg
