"""User rules: registered from a scenario's `rules`, `sim --rules`, or the `sim.rules` entry points; a user
rule that raises or returns the wrong shape stops the run with one line naming the rule."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from clitools import invoke

import sim.rules  # noqa: F401
from sim.rules.plugins import ENV_VAR, load_entry_points
from sim.rules.registry import REGISTRY
from sim.testing import isolated_rules

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_RULES = ROOT / "examples" / "grudging_acceptance.py"

# A user acceptance rule that never accepts: a run that uses it ends every replication at war.
NEVER = '''
import numpy as np
from sim.rules.registry import rule

@rule(kind="acceptance", name="never", source="a test", traits=("bounded_probability",))
def never(gain, rationality):
    """Never accepts."""
    return np.zeros_like(gain)
'''


@pytest.fixture(autouse=True)
def isolated():
    """Rules registered by a test are gone after it (the built-in registry is what other tests see)."""
    with isolated_rules():
        yield


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def statuses(out: Path, name: str) -> set[str]:
    run = next((out / name).iterdir())
    return set(pq.read_table(run / "runs.parquet").column("status").to_pylist())


def test_a_scenario_registers_rules_from_a_file_beside_it_and_uses_them(tmp_path, tmp_scenario):
    write(tmp_path / "never_rules.py", NEVER)
    path = tmp_scenario('rules = ["never_rules.py"]\n[actors.russia.rules]\nacceptance = "never"\n', name="never_scenario")
    result = invoke("run", path, "--runs", 200, "--weeks", 20, "--workers", 1, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert statuses(tmp_path / "out", "never_scenario") == {"war"}


def test_the_global_rules_option_registers_a_module_for_any_command(tmp_path, tmp_scenario):
    module = write(tmp_path / "never_rules.py", NEVER)
    path = tmp_scenario('[actors.ukraine.rules]\nacceptance = "never"\n', name="global_option")
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert "expected a registered acceptance rule, got 'never'" in result.output
    result = invoke("--rules", module, "validate", path)
    assert result.exit_code == 0, result.output
    result = invoke("--rules", module, "rules", "never")
    assert result.exit_code == 0 and "Never accepts." in result.output


def test_user_rules_reach_worker_processes(tmp_path, tmp_scenario):
    path = tmp_scenario('[actors.russia.rules]\nacceptance = { name = "grudging", grudge = 0.5 }\n', name="grudging_workers")
    result = invoke("--rules", EXAMPLE_RULES, "run", path, "--runs", 200, "--weeks", 10, "--workers", 2, "--chunk-size", 100, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    # A grudge of 0.5 (half the whole prize) makes Russia refuse everything.
    assert statuses(tmp_path / "out", "grudging_workers") == {"war"}


def test_rules_from_an_importable_module(tmp_path, tmp_scenario, monkeypatch):
    write(tmp_path / "mypkg_never_rules.py", NEVER)
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_scenario('rules = ["mypkg_never_rules"]\n[actors.russia.rules]\nacceptance = "never"\n', name="importable")
    assert invoke("validate", path).exit_code == 0
    assert "mypkg_never_rules" in os.environ[ENV_VAR].split(os.pathsep), "listed for worker processes"


def test_rules_from_the_entry_point_group_of_an_installed_package(tmp_path, monkeypatch):
    """An installed package declares `[project.entry-points."sim.rules"] never = "fakepkg_rules"`."""
    write(tmp_path / "fakepkg_rules.py", NEVER)
    info = tmp_path / "fakepkg-1.0.dist-info"
    info.mkdir()
    write(info / "METADATA", "Metadata-Version: 2.1\nName: fakepkg\nVersion: 1.0\n")
    write(info / "entry_points.txt", "[sim.rules]\nnever = fakepkg_rules\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "never" not in REGISTRY
    load_entry_points()
    assert REGISTRY["never"].module == "fakepkg_rules"
    result = invoke("rules", "--kind", "acceptance")
    assert "never" in result.output


def test_a_broken_entry_point_is_named(tmp_path, monkeypatch):
    info = tmp_path / "badpkg-1.0.dist-info"
    info.mkdir()
    write(info / "METADATA", "Metadata-Version: 2.1\nName: badpkg\nVersion: 1.0\n")
    write(info / "entry_points.txt", "[sim.rules]\nbad = badpkg_missing_module\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    result = invoke("rules")
    assert result.exit_code == 2
    assert "entry point 'bad' = 'badpkg_missing_module' of badpkg (sim.rules) failed to load: ModuleNotFoundError" in result.output


RAISES = '''
from sim.rules.registry import rule

@rule(kind="acceptance", name="explodes", source="a test")
def explodes(gain, rationality):
    """Divides by zero."""
    return gain * (1 / 0)
'''
WRONG_SHAPE = '''
import numpy as np
from sim.rules.registry import rule

@rule(kind="concession", name="flattens", source="a test")
def flattens(position, target, rate, pressure, resolve, low, high, costly_weeks):
    """Returns one number per replication instead of one per issue."""
    return position.mean(axis=1)
'''
RETURNS_NAN = '''
import numpy as np
from sim.rules.registry import rule

@rule(kind="breakdown_hazard", name="nan_hazard", source="a test")
def nan_hazard(base, type_factor, enforcement, hazard_ratio, resume_gain, gain_sensitivity, truce_age):
    """Not a number."""
    return np.full(np.shape(base), np.nan)
'''


@pytest.mark.parametrize(
    "module, choice, message",
    [
        (
            RAISES,
            '[actors.russia.rules]\nacceptance = "explodes"\n',
            "rule 'explodes' (acceptance, for russia's acceptance) raised ZeroDivisionError: division by zero",
        ),
        (
            WRONG_SHAPE,
            '[actors.ukraine.rules]\nconcession = "flattens"\n',
            "rule 'flattens' (concession, for ukraine's concession) returned shape (50,), expected (50, 5) (the shape of its first argument, position)",
        ),
        (RETURNS_NAN, '[breakdown.rule]\nname = "nan_hazard"\n', "rule 'nan_hazard' (breakdown_hazard, for the breakdown hazard) returned NaN"),
    ],
)
def test_a_user_rule_that_raises_or_returns_a_wrong_shape_stops_the_run_with_one_line_naming_it(tmp_path, tmp_scenario, module, choice, message):
    write(tmp_path / "bad_rules.py", module)
    path = tmp_scenario('rules = ["bad_rules.py"]\n' + choice + "[actors.us]\nmediation_intensity = 1.0\n", name="bad")
    result = invoke("run", path, "--runs", 50, "--workers", 1, "--out", tmp_path / "out")
    assert result.exit_code != 0
    # The experiment layer reports a failed chunk with its error's one line (sim.model.rulebook.RuleError).
    text = " ".join((result.output + " " + str(result.exception or "")).split())
    assert message in text, text
    assert "bad_rules.py: rule" in text, "the line names the rule's file"


def test_a_bad_declaration_in_a_user_module_is_one_line_naming_module_and_rule(tmp_path, tmp_scenario):
    write(tmp_path / "typo_rules.py", NEVER.replace('"bounded_probability"', '"bounded_probabilty"'))
    path = tmp_scenario('rules = ["typo_rules.py"]\n', name="typo")
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert (
        "rules[0]: rule module 'typo_rules.py' failed to import: RuleDeclarationError: rule 'never': "
        "unknown trait 'bounded_probabilty' (did you mean 'bounded_probability'?)"
    ) in result.output


def test_a_missing_rule_module_is_one_line(tmp_path, tmp_scenario):
    path = tmp_scenario('rules = ["no_such_rules.py"]\n', name="missing")
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert "rules[0]: expected an existing rule module file, 'no_such_rules.py' not found" in result.output
    result = invoke("--rules", "no_such_module_xyz", "rules")
    assert result.exit_code == 2
    assert result.output.startswith("--rules: expected an importable rule module or a .py file, got 'no_such_module_xyz'")


def test_the_runs_record_a_drawn_user_rule_parameter(tmp_path):
    """examples/grudging_russia.toml draws Russia's grudge per replication: runs.parquet keeps the draws."""
    result = invoke("run", ROOT / "examples" / "grudging_russia.toml", "--runs", 100, "--weeks", 5, "--workers", 1, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    run = next((tmp_path / "grudging_russia").iterdir())
    grudge = pq.read_table(run / "runs.parquet").column("param__actors__russia__rules__acceptance__grudge").to_pylist()
    assert len(grudge) == 100 and all(0.0 <= g <= 0.1 for g in grudge)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["resolved_scenario"]["rules"] == ["grudging_acceptance.py"]
