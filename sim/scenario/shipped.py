"""Scenarios shipped with the package, addressable by name: `sim run baseline` is `scenarios/baseline.toml`.

In a source checkout `sim/data/scenarios` is a symlink to the repository's `scenarios/`; a wheel holds a copy
(package data, see pyproject.toml). A path that exists is always taken as given: a shipped scenario is used only
when no such file or folder exists, so a user's own `baseline.toml` in the current folder wins.
"""

from __future__ import annotations

from pathlib import Path

SHIPPED = Path(__file__).resolve().parent.parent / "data" / "scenarios"
"""The folder of the shipped scenarios (with `sweeps/` and `textbook/`)."""


def shipped_names(folder: str = "") -> list[str]:
    """The names of the shipped scenarios (or sweep files, `folder="sweeps"`), without `.toml`, sorted."""
    try:
        return sorted(p.stem for p in (SHIPPED / folder).glob("*.toml"))
    except OSError:
        return []


def shipped_path(name: str | Path, folders: tuple[str, ...] = ("",)) -> Path | None:
    """The shipped file or folder that `name` names (with or without `.toml`), looked up in each of `folders`
    of the shipped scenarios (`""` is the top); None if there is none. Only a plain relative name is looked up,
    never an absolute path or one with `..`."""
    text = str(name)
    given = Path(name)
    if not text or text == "." or "\x00" in text or given.is_absolute() or ".." in given.parts:
        return None
    try:
        for folder in folders:
            top = SHIPPED / folder
            for candidate in (top / given, top / (text + ".toml")):
                if candidate.is_file() or (candidate.is_dir() and candidate.resolve() != top.resolve()):
                    return candidate
    except (OSError, ValueError):  # a name too long, ...
        return None
    return None


def resolve_scenario_path(path: str | Path, folders: tuple[str, ...] = ("",)) -> Path:
    """The scenario file (or folder) that `path` names on the command line.

    In order: `path` as given if it exists; `path` + `.toml` if that exists; the shipped file or folder of that
    name (`shipped_path`); else `path` unchanged, so that the loader reports it missing.
    """
    given = Path(path)
    text = str(path)
    try:
        if given.exists():
            return given
        local = Path(text + ".toml")
        if text and "\x00" not in text and local.is_file():
            return local
    except (OSError, ValueError):  # a name too long, a NUL byte, ...: the loader says what is wrong
        return given
    return shipped_path(path, folders) or given
