"""The package as a user installs it: build the wheel, install it outside the repository, run a shipped scenario by name.

The wheel is built by pip (`pip wheel . --no-deps`, setuptools in an isolated build environment, as `make test`'s own
install does) from a copy of the source tree. It is installed with `--no-deps` into a fresh venv in a temporary folder; that venv sees the test
venv's dependencies (numpy, mesa, ...) through a `.pth` file naming the test venv's site-packages. Paths listed in a
`.pth` file are appended to `sys.path` but their own `.pth` files are not run, so the test venv's editable install of
this repository (an import hook installed by its `.pth`) stays inactive: `import sim` finds only the installed wheel.
The commands run with the temporary folder as the current folder, far from the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import sim

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.wheel


def run(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding the built wheel of this repository; returns its `bin` folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools keeps a build/ folder in the source tree, whose stale files would go into the wheel.
    source = tmp / "source"
    shutil.copytree(
        ROOT,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "results", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"),
    )
    dist = tmp / "dist"
    built = run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--quiet", "-w", str(dist)], cwd=tmp)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = dist.glob("ceasefire_sim-*.whl")
    venv = tmp / "venv"
    base_python = getattr(sys, "_base_executable", sys.executable)
    made = run([base_python, "-m", "venv", "--without-pip", str(venv)], cwd=tmp)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    purelib = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()}
    (Path(purelib) / "test_venv_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    done = run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet", str(wheel)], cwd=tmp)
    assert done.returncode == 0, done.stderr[-2000:]
    return venv / "bin"


def test_installed_sim_is_the_wheel_not_the_checkout(installed, tmp_path):
    out = run([str(installed / "python"), "-c", "import sim; print(sim.__file__)"], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert not Path(out.stdout.strip()).is_relative_to(ROOT)
    version = run([str(installed / "sim"), "--version"], cwd=tmp_path)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"sim {sim.__version__}"


def test_installed_sim_runs_the_shipped_baseline_by_name(installed, tmp_path):
    done = run([str(installed / "sim"), "run", "baseline", "--runs", "100", "--executor", "inprocess"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    (folder,) = (tmp_path / "results" / "baseline").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["runs"] == 100
    shipped = Path(manifest["scenario_file"])
    assert shipped.name == "baseline.toml" and not shipped.resolve().is_relative_to(ROOT), shipped
    assert (folder / "runs.parquet").is_file() and (folder / "summary.json").is_file()


def test_installed_sim_finds_shipped_whatifs_and_sweeps(installed, tmp_path):
    # A what-if extends the baseline by a relative name: it resolves inside the installed package too.
    done = run([str(installed / "sim"), "validate", "us_aid_cut", "textbook/quantal_response"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("ok us_aid_cut: us_aid_cut")
    # A user's own what-if in an empty folder may extend the shipped baseline by name.
    (tmp_path / "mine.toml").write_text('extends = "baseline.toml"\nname = "mine"\n\n[actors.us]\naid_policy = "cut"\n')
    done = run([str(installed / "sim"), "validate", "mine.toml"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
