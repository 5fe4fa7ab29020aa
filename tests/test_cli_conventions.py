"""Command-line conventions: --version, --json for scripts, choices, shell completion, shipped scenarios by name,
and a start-up that loads none of the library (`sim --help` is timed by benchmarks/bench_help.py, not here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from clitools import invoke

import sim
import sim.scenario.shipped
from sim.cli.options import Executor
from sim.defaults import DEFAULT_CHUNK, DEFAULT_SEED, EXECUTORS
from sim.testing import isolated_rules

QUICK = ("--runs", 60, "--weeks", 6, "--executor", "inprocess")


def test_version_is_the_package_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"sim {sim.__version__}"


def test_help_loads_none_of_the_library():
    code = (
        "import sys\nfrom sim.cli.main import app\n"
        "try:\n    app(['--help'], prog_name='sim')\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('numpy', 'pandas', 'pyarrow', 'scipy', 'pydantic', 'mesa', 'sim.model', 'sim.rules', 'sim.experiment.chunks',"
        " 'sim.experiment.levers', 'sim.scenario.schema', 'sim.analysis') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stdout, done.stdout[-500:]


def test_defaults_have_one_value_everywhere():
    """The library's defaults are the objects of sim.defaults (no copy to drift), and the choices offer the executors."""
    from sim.experiment import chunks, executors
    from sim.experiment.sweep import DEFAULT_SEED as sweep_seed

    assert chunks.DEFAULT_CHUNK is DEFAULT_CHUNK and executors.EXECUTORS is EXECUTORS and sweep_seed == DEFAULT_SEED
    assert tuple(e.value for e in Executor) == EXECUTORS


def test_executor_is_a_choice_in_help_and_a_one_line_error():
    assert "local|inprocess|dask" in invoke("run", "--help").stdout
    result = invoke("whatif", "baseline", "--set", "actors.us.aid_policy=cut", "--executor", "mpi")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == ["--executor: expected one of local, inprocess, dask, got 'mpi'"]


def test_shell_completion_completes_commands_and_options():
    env = {**os.environ, "_SIM_COMPLETE": "complete_bash", "COMP_WORDS": "sim ru", "COMP_CWORD": "1"}
    done = subprocess.run([sys.executable, "-c", "from sim.cli.main import main; main()"], env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["run", "rules"], done.stdout + done.stderr
    script = subprocess.run(
        [sys.executable, "-c", "from sim.cli.main import main; main()", "--show-completion", "bash"], capture_output=True, text=True, timeout=120
    )
    assert script.returncode == 0 and "_SIM_COMPLETE=complete_bash" in script.stdout, script.stdout + script.stderr


def test_run_json_is_the_only_thing_on_stdout(tmp_path):
    result = invoke("run", "baseline", *QUICK, "--out", tmp_path, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)  # nothing else on stdout
    (only,) = document["results"]
    assert (document["runs"], document["seed"], document["executor"]) == (60, DEFAULT_SEED, "inprocess")
    assert only["scenario"] == "baseline" and only["summary"]["n"] == 60
    assert json.loads((tmp_path / "baseline" / os.path.basename(only["folder"]) / "summary.json").read_text()) == only["summary"]
    assert "baseline: 60 replications" in result.stderr


def test_compare_json_has_shares_and_paired_differences():
    result = invoke("compare", "baseline", "us_aid_cut", *QUICK, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    first, second = document["experiments"]
    assert (first["label"], second["label"], first["n"]) == ("baseline", "us_aid_cut", 60)
    assert set(first["shares"]) >= {"war", "partial_truce", "ceasefire", "settlement"}
    (diff,) = document["differences"]
    war = diff["outcomes"]["war"]
    assert war["paired"] is True and war["low"] <= war["difference"] <= war["high"]
    assert war["difference"] == pytest.approx(second["shares"]["war"]["share"] - first["shares"]["war"]["share"])


def test_whatif_json_has_both_summaries_and_the_sentences():
    result = invoke("whatif", "baseline", "--set", "actors.us.aid_policy=cut", *QUICK, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["changes"] == ["actors.us.aid_policy=cut"]
    assert document["baseline"]["n"] == document["whatif"]["n"] == 60
    assert document["sentences"] and all(isinstance(s, str) for s in document["sentences"])
    assert document["differences"]["war"]["paired"] is True


def test_a_file_in_the_current_folder_wins_over_a_shipped_scenario(tmp_path, monkeypatch):
    (tmp_path / "baseline.toml").write_text('extends = "mine_base.toml"\nname = "local_baseline"\n')
    (tmp_path / "mine_base.toml").write_text((sim.scenario.shipped.SHIPPED / "baseline.toml").read_text())
    monkeypatch.chdir(tmp_path)
    assert invoke("validate", "baseline").stdout.startswith("ok baseline: local_baseline")
    os.remove(tmp_path / "baseline.toml")
    assert invoke("validate", "baseline").stdout.startswith("ok baseline: baseline")
    missing = invoke("validate", "no_such_scenario")
    assert missing.exit_code == 2 and "shipped scenarios by name: baseline," in missing.stderr


def test_renamed_options_keep_their_former_names(tmp_path):
    # sim forecast --runs (was --replications, like every other command's -n); --replications still works.
    for option in ("--runs", "--replications"):
        done = invoke("forecast", "baseline", "--issue", "territory", "--rounds", 1, option, 2, "--out", tmp_path / option)
        assert done.exit_code == 0, done.output
        (folder,) = (tmp_path / option / "baseline").iterdir()
        assert json.loads((folder / "forecast.json").read_text())["replications"] == 2
    # sim drivers --base-sample (was --n); --n still works and names the same check.
    for option in ("--base-sample", "--n"):
        done = invoke("drivers", "baseline", option, 12, "--out", tmp_path)
        assert done.exit_code == 2
        assert done.stderr.strip() == "--base-sample: expected a power of two of at least 2 (Saltelli's base sample), got 12"


def test_check_json_lists_every_property_and_keeps_the_exit_code():
    passing = invoke("check", "--rule", "logit", "--examples", 2, "--json")
    assert passing.exit_code == 0, passing.output
    document = json.loads(passing.stdout)
    assert document["failed"] == 0 and document["passed"] == len(document["results"]) > 0
    assert {r["rule"] for r in document["results"]} == {"logit"}
    backwards = Path(__file__).resolve().parent.parent / "examples" / "backwards_acceptance.py"
    with isolated_rules():  # the example's rule is gone afterwards (later tests see the built-in registry)
        failing = invoke("check", "--rules", backwards, "--examples", 5, "--json")
    assert failing.exit_code == 1, failing.output
    document = json.loads(failing.stdout)
    assert document["failed"] >= 1 and any(not r["passed"] and r["counterexample"] for r in document["results"])


def test_levers_json_is_strict_json_with_paired_intervals():
    result = invoke("levers", "baseline", "--actor", "negotiation", "--runs", 100, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["runs"] == 100 and document["levers"]
    assert {lever["actor"] for lever in document["levers"]} == {"negotiation"}
    effect = document["levers"][0]["any_agreement"]
    assert effect["low"] <= effect["difference"] <= effect["high"]
