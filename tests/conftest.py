"""Shared test setup: hypothesis profiles and fixtures for the command line and scenario files.

Hypothesis profiles: "ci" (50 examples, derandomized: the same examples on every run),
"dev" (100 examples) and "thorough" (1000 examples). The profile is named by the
environment variable HYPOTHESIS_PROFILE; without it, "ci" when CI is set, else "dev":

    HYPOTHESIS_PROFILE=thorough .venv/bin/python -m pytest tests/test_bad_input.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=50, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"


@pytest.fixture
def baseline_path() -> Path:
    """The shipped baseline scenario (absolute path)."""
    return BASELINE


@pytest.fixture
def runner():
    """typer's CliRunner; `result.stdout` and `result.stderr` are kept apart."""
    from typer.testing import CliRunner

    return CliRunner()


@pytest.fixture
def app():
    """The `sim` typer app."""
    from sim.cli.main import app

    return app


@pytest.fixture
def tmp_scenario(tmp_path, baseline_path):
    """Factory: write `text` to `tmp_path/<name>.toml` after a line that extends the baseline by absolute path.

    `extends=False` writes `text` alone (for files that set their own `extends`).
    """

    def make(text: str = "", name: str = "scenario", extends: bool = True) -> Path:
        path = tmp_path / f"{name}.toml"
        head = f"extends = {json.dumps(str(baseline_path))}\n" if extends else ""
        path.write_text(head + text, encoding="utf-8")
        return path

    return make
