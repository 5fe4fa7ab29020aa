"""What a result was computed with, for manifests: the versions of the package, Python and the libraries whose
behaviour shapes the numbers, and the git commit of a source checkout (null when the package is installed from a
wheel or git is not available)."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

import sim

DEPENDENCIES = ("numpy", "scipy", "mesa", "pyarrow", "pydantic")
"""The distributions whose versions a manifest records."""


def dependency_versions() -> dict[str, str | None]:
    """`python`, `sim` and each of DEPENDENCIES with its installed version (None if it is not installed)."""
    versions: dict[str, str | None] = {"python": platform.python_version(), "sim": sim.__version__}
    for name in DEPENDENCIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit() -> dict[str, object] | None:
    """`{"commit": <sha>, "dirty": <uncommitted changes?>}` when the package runs from a git checkout (the folder
    above `sim/` holds `.git`), else None. Never raises: no git, a broken repository or a slow one give None."""
    root = Path(sim.__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        if sha.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, timeout=10)
        return {"commit": sha.stdout.strip(), "dirty": bool(dirty.stdout.strip()) if dirty.returncode == 0 else None}
    except (OSError, subprocess.SubprocessError):
        return None


def provenance() -> dict[str, object]:
    """The manifest keys `versions` (`dependency_versions`) and `git` (`git_commit`, null outside a checkout)."""
    return {"versions": dependency_versions(), "git": git_commit()}
