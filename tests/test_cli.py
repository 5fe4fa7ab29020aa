"""The command line through typer's CliRunner: run, validate, inspect, schema.

The runs are small (300 replications) and shared by the tests of this module: one run,
the same run again, and the same run on two worker processes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from sim.analysis.aggregate import STATUSES
from sim.cli.main import app as sim_app
from sim.scenario.load import load_scenario

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
RUNS = 300
SEED = 7
RESULT_FILES = ("manifest.json", "runs.parquet", "weekly.parquet", "summary.json")
DETERMINISTIC_FILES = ("runs.parquet", "weekly.parquet", "summary.json")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WIDE = {"COLUMNS": "250"}  # rich tables in one line per row


def invoke(runner: CliRunner, *args, env=None):
    result = runner.invoke(sim_app, [str(a) for a in args], env=env)
    assert "Traceback" not in result.output, result.output
    return result


def run_folders(out: Path, scenario: str = "baseline") -> list[Path]:
    """Result folders of a scenario under `out`, oldest first."""
    folder = out / scenario
    return sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime_ns) if folder.is_dir() else []


def run_ok(runner: CliRunner, out: Path, *args, target=None, scenario: str = "baseline") -> Path:
    """Run `sim run` and return the one new result folder."""
    before = set(run_folders(out, scenario))
    result = invoke(runner, "run", target, "--out", out, *args)
    assert result.exit_code == 0, result.output
    new = [p for p in run_folders(out, scenario) if p not in before]
    assert len(new) == 1, new
    return new[0]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three runs of the baseline with the same seed: two on one process into one folder, one on two workers."""
    runner = CliRunner()
    base = tmp_path_factory.mktemp("results")
    common = ("--runs", RUNS, "--seed", SEED, "--chunk-size", 100)
    first = run_ok(runner, base / "out", *common, "--workers", 1, target=BASELINE)
    again = run_ok(runner, base / "out", *common, "--workers", 1, target=BASELINE)
    two = run_ok(runner, base / "out_j2", *common, "--workers", 2, target=BASELINE)
    inprocess = run_ok(runner, base / "out_inprocess", *common, "--executor", "inprocess", target=BASELINE)
    return {"first": first, "again": again, "two_workers": two, "inprocess": inprocess, "out": base / "out"}


# ---------------------------------------------------------------- run


def test_run_writes_the_result_folder_layout(runs):
    folder = runs["first"]
    assert folder.parent.name == "baseline"
    assert re.fullmatch(rf"\d{{8}}-\d{{6}}-seed{SEED}(-\d+)?", folder.name)
    for name in RESULT_FILES:
        assert (folder / name).is_file(), name
    plots = sorted((folder / "plots").glob("*.png"))
    assert plots
    for png in plots:
        assert png.read_bytes().startswith(PNG_SIGNATURE), png
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_run_manifest_has_seed_hash_command_and_counts(runs, baseline_path):
    manifest = json.loads((runs["first"] / "manifest.json").read_text())
    assert manifest["seed"] == SEED
    assert manifest["scenario"] == "baseline"
    assert manifest["scenario_hash"] == load_scenario(baseline_path).hash
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["scenario_hash"])
    assert manifest["runs"] == RUNS
    assert manifest["weeks"] == 52
    assert manifest["chunk_size"] == 100 and manifest["chunks"] == 3
    assert manifest["command"][:3] == ["sim", "run", str(baseline_path)]
    assert "--runs" in manifest["command"] and str(RUNS) in manifest["command"]
    assert manifest["run_id"] == runs["first"].name
    assert manifest["resolved_scenario"]["name"] == "baseline"


def test_runs_parquet_has_one_row_per_replication(runs):
    table = pq.read_table(runs["first"] / "runs.parquet")
    assert table.num_rows == RUNS
    assert {"replication", "status"} <= set(table.column_names)
    assert table.column("replication").to_pylist() == list(range(RUNS))
    assert set(table.column("status").to_pylist()) <= set(STATUSES)


def test_weekly_parquet_and_summary(runs):
    weekly = pq.read_table(runs["first"] / "weekly.parquet")
    assert weekly.column("week").to_pylist() == list(range(53))
    summary = json.loads((runs["first"] / "summary.json").read_text())
    assert summary["n"] == RUNS
    assert summary["seed"] == SEED
    assert summary["scenario"] == "baseline"


@pytest.mark.parametrize("name", DETERMINISTIC_FILES)
def test_same_seed_gives_identical_files(runs, name):
    assert runs["first"] != runs["again"]
    assert (runs["first"] / name).read_bytes() == (runs["again"] / name).read_bytes()


@pytest.mark.parametrize("name", DETERMINISTIC_FILES)
def test_workers_do_not_change_the_files(runs, name):
    assert json.loads((runs["two_workers"] / "manifest.json").read_text())["workers"] == 2
    assert (runs["first"] / name).read_bytes() == (runs["two_workers"] / name).read_bytes()


@pytest.mark.parametrize("name", DETERMINISTIC_FILES)
def test_executor_does_not_change_the_files(runs, name):
    assert (runs["first"] / name).read_bytes() == (runs["inprocess"] / name).read_bytes()


def test_unknown_executor_is_one_line(runner, tmp_path, baseline_path):
    result = invoke(runner, "run", baseline_path, "--runs", 10, "--out", tmp_path, "--executor", "bogus")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == ["--executor: expected one of local, inprocess, dask, got 'bogus'"]
    assert not any(tmp_path.iterdir())


def test_run_never_overwrites(runs):
    folders = run_folders(runs["out"])
    assert [runs["first"], runs["again"]] == folders
    for folder in folders:  # both complete
        for name in RESULT_FILES:
            assert (folder / name).is_file()


def test_chunk_size_does_not_change_the_data(runs, runner, tmp_path, baseline_path):
    folder = run_ok(runner, tmp_path, "--runs", RUNS, "--seed", SEED, "--chunk-size", 64, "--workers", 1, target=baseline_path)
    # The same values (NaN terms where no agreement); the bytes differ as row groups follow the chunks.
    assert pq.read_table(folder / "runs.parquet").to_pandas().equals(pq.read_table(runs["first"] / "runs.parquet").to_pandas())
    assert (folder / "summary.json").read_bytes() == (runs["first"] / "summary.json").read_bytes()


def test_run_prints_the_outcome_table(runner, tmp_path, baseline_path):
    result = invoke(runner, "run", baseline_path, "--runs", 50, "--out", tmp_path, "--workers", 1, env=WIDE)
    assert result.exit_code == 0, result.output
    assert "Baseline: stated positions" in result.stdout
    assert "Status at the horizon" in result.stdout
    assert "50 replications" in result.stdout


def test_run_set_and_weeks_reach_the_manifest(runner, tmp_path, baseline_path):
    folder = run_ok(runner, tmp_path, "--runs", 50, "--weeks", 8, "--set", "actors.us.aid_policy=cut", "--workers", 1, target=baseline_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["weeks"] == 8
    assert manifest["resolved_scenario"]["horizon_weeks"] == 8
    assert manifest["resolved_scenario"]["actors"]["us"]["aid_policy"] == "cut"
    assert manifest["scenario_hash"] != load_scenario(baseline_path).hash
    assert pq.read_table(folder / "weekly.parquet").num_rows == 9


def test_run_folder_target_compares_and_writes_one_folder_per_scenario(runner, tmp_path, baseline_path):
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    head = f"extends = {json.dumps(str(baseline_path))}\n"
    (scenarios / "status_quo.toml").write_text(head, encoding="utf-8")
    (scenarios / "aid_cut.toml").write_text(head + '[actors.us]\naid_policy = "cut"\n', encoding="utf-8")
    out = tmp_path / "out"
    result = invoke(runner, "run", scenarios, "--runs", 100, "--out", out, "--workers", 1, env=WIDE)
    assert result.exit_code == 0, result.output
    assert "Scenario comparison" in result.stdout
    assert "status_quo" in result.stdout and "aid_cut" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == ["aid_cut", "status_quo"]
    for name in ("aid_cut", "status_quo"):
        (folder,) = run_folders(out, name)
        assert (folder / "manifest.json").is_file()
        assert json.loads((folder / "manifest.json").read_text())["scenario"] == name


# ---------------------------------------------------------------- validate


def test_validate_ok(runner, baseline_path):
    result = invoke(runner, "validate", baseline_path)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"ok {baseline_path}: baseline (5 issues,")
    assert result.stderr == ""


def test_validate_every_shipped_scenario(runner, baseline_path):
    files = sorted(baseline_path.parent.glob("*.toml"))
    result = invoke(runner, "validate", *files)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == len(files)
    assert all(line.startswith("ok ") for line in result.stdout.splitlines())


def test_validate_failing_file(runner, tmp_scenario):
    bad = tmp_scenario("horizon_weeks = 0\n", name="bad")
    result = invoke(runner, "validate", bad)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"{bad}: horizon_weeks: expected: input should be greater than or equal to 1, got 0"]


def test_validate_reports_each_file(runner, tmp_scenario, baseline_path):
    bad = tmp_scenario("[battlefield]\nnoise = -1\n", name="bad")
    result = invoke(runner, "validate", baseline_path, bad)
    assert result.exit_code == 2
    assert result.stdout.startswith(f"ok {baseline_path}")
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{bad}: battlefield.noise: expected a value in [0, 0.05]")


# ---------------------------------------------------------------- inspect


def test_inspect_shows_statements_and_positions(runner, baseline_path):
    result = invoke(runner, "inspect", baseline_path, env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Positions derived from statements" in out
    rows = {tuple(c.strip() for c in line.split("│")[1:3]): line for line in out.splitlines() if line.count("│") >= 7}
    russia_territory = rows[("russia", "territory")]
    assert "1.00 ± 0.05" in russia_territory and "ru_territory_putin" in russia_territory
    assert "[1.00, 1.00]" in russia_territory  # the red line
    europe_guarantees = rows[("europe", "guarantees")]
    assert "eu_troops_starmer, eu_troops_scholz, eu_troops_meloni, eu_troops_tusk" in europe_guarantees
    assert "0.50 ± 0.25" in rows[("us", "military_limits")]  # no statement: uninformed
    for sid in ("ru_territory_putin", "ua_nato_zelensky", "tr_sanctions"):  # the statements table
        assert re.search(rf"│ {sid}\s+│", out), sid
    assert "Capabilities and policies" in out and "Rule parameters" in out


def test_inspect_applies_set_and_shows_the_extends_chain(runner, tmp_scenario):
    path = tmp_scenario("[actors.russia.overrides.territory]\nposition = 0.8\n", name="override")
    result = invoke(runner, "inspect", path, "--set", "actors.russia.overrides.territory.salience=0.9", env=WIDE)
    assert result.exit_code == 0, result.output
    assert "extends: override.toml -> baseline.toml" in result.stdout
    row = next(line for line in result.stdout.splitlines() if re.search(r"│ russia\s+│ territory\s+│", line))
    assert "0.80 ± 0.00" in row and "explicit override" in row


def test_inspect_prints_scenario_text_verbatim(runner, tmp_scenario):
    """Square brackets in quotes are text, not rich markup ("[sic]" kept, "[/i]" no crash)."""
    path = tmp_scenario(
        'title = "Title [bold]with brackets[/bold]"\n[statements.ru_troops_lavrov]\nquote = "Peacekeepers [sic] [/i] no"\nsource = "a [b] c"\n',
        name="brackets",
    )
    result = invoke(runner, "inspect", path, env=WIDE)
    assert result.exit_code == 0, result.output
    assert "Peacekeepers [sic] [/i] no" in result.stdout
    assert "a [b] c" in result.stdout
    assert "Title [bold]with brackets[/bold]" in result.stdout


def test_inspect_no_statements(runner, baseline_path):
    result = invoke(runner, "inspect", baseline_path, "--no-statements", env=WIDE)
    assert result.exit_code == 0, result.output
    assert "Quote" not in result.stdout


# ---------------------------------------------------------------- schema


def test_schema_prints_json_schema(runner):
    result = invoke(runner, "schema")
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert "Distribution" in schema["$defs"]
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"issues", "actors", "statements", "battlefield", "breakdown"} <= set(schema["properties"])
    troops = schema["$defs"]["Belligerent"]["properties"]["troops"]
    assert {"$ref": "#/$defs/Distribution"} in troops["anyOf"]


def test_schema_output_file(runner, tmp_path):
    target = tmp_path / "scenario.schema.json"
    result = invoke(runner, "schema", "-o", target)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"wrote {target}"
    assert json.loads(target.read_text()) == json.loads(invoke(runner, "schema").stdout)


def test_help_lists_the_commands(runner):
    result = invoke(runner, "--help", env=WIDE)
    assert result.exit_code == 0
    for command in ("run", "validate", "inspect", "schema"):
        assert re.search(rf"│ {command}\s", result.stdout), command
