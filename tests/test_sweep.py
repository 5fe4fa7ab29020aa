"""Sweeps: sweep files and their one-line errors, designs, common random numbers, result files, plots.

Runs are small (a few hundred replications, short horizons) and in-process unless a test
is about executors (tests/test_executors.py) or interruptions (tests/test_resume.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from clitools import invoke, only_run

from sim.analysis.aggregate import STATUSES
from sim.errors import InputError
from sim.experiment.sweep import plan_sweep, toml_literal, variant_seed

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
SHIPPED = sorted((SCENARIOS / "sweeps").glob("*.toml"))
PNG = b"\x89PNG\r\n\x1a\n"


def write_sweep(folder: Path, body: str, name: str = "sweep", base: Path | None = None) -> Path:
    """A sweep file in `folder` whose base is the shipped baseline (by absolute path) unless `base` says otherwise."""
    path = folder / f"{name}.toml"
    base = base or SCENARIOS / "baseline.toml"
    path.write_text(f"base = {json.dumps(str(base))}\n" + body, encoding="utf-8")
    return path


GRID = """
runs = 120
seed = 11
set = ["horizon_weeks=12"]

[design]
kind = "grid"

[[parameters]]
path = "actors.turkey.mediation_intensity"
values = [0.0, 0.3]

[[parameters]]
path = "actors.us.aid_policy"
values = ["conditional", "cut"]
"""


# ---------------------------------------------------------------------- sweep files
@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_sweeps_plan(path):
    plan = plan_sweep(path)
    assert plan.variants and plan.runs >= 100
    assert len({v.scenario_hash for v in plan.variants}) == len(plan.variants)


def test_at_least_three_shipped_sweeps_with_the_asked_designs():
    kinds = {plan_sweep(p).spec.design.kind for p in SHIPPED}
    assert {"grid", "sobol", "latin_hypercube"} <= kinds


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (GRID.replace("runs = 120", "runz = 120"), "runz", r"unknown key 'runz' \(did you mean 'runs'\?\)"),
        (
            GRID.replace('kind = "grid"', 'kind = "gird"'),
            "design.kind",
            r"expected one of grid, latin_hypercube, sobol, morris, got 'gird' \(did you mean 'grid'\?\)",
        ),
        (
            GRID.replace("values = [0.0, 0.3]", "values = [0.0, 1.5]"),
            r"parameters\[0\]\.values\[1\]",
            r"actors\.turkey\.mediation_intensity = 1\.5: expected a value in \[0, 1\] probability, got 1\.5",
        ),
        (
            GRID.replace('values = ["conditional", "cut"]', 'values = ["conditional", "halved"]'),
            r"parameters\[1\]\.values\[1\]",
            r"actors\.us\.aid_policy = halved: expected: input should be 'conditional', 'full' or 'cut'",
        ),
        (
            GRID.replace("actors.turkey.mediation_intensity", "actors.turkey.mediation_intesity"),
            r"parameters\[0\]\.values\[0\]",
            r"unknown key 'mediation_intesity' \(did you mean 'mediation_intensity'\?\)",
        ),
        (GRID.replace("values = [0.0, 0.3]", "range = [0.0, 0.3]"), r"parameters\[0\]\.steps", "expected the number of grid values"),
        (GRID.replace('kind = "grid"', 'kind = "latin_hypercube"'), r"design\.samples", "expected the number of samples"),
        (
            GRID.replace('kind = "grid"', 'kind = "sobol"\nsamples = 8'),
            r"parameters\[0\]",
            r"expected range = \[low, high\] in a sobol design \(categorical values work in grid designs\)",
        ),
        (GRID.replace('set = ["horizon_weeks=12"]', 'set = ["horizon_weeks=0"]'), r"set: horizon_weeks", "expected"),
        (GRID + '\n[[parameters]]\npath = "actors.us.aid_policy"\nvalues = ["cut"]\n', r"parameters\[2\]\.path", "expected each path once"),
        (GRID.replace('[design]\nkind = "grid"', '[design]\nkind = "grid"\noutcome = "cease"'), r"design\.outcome", r"expected one of war, .*got 'cease'"),
    ],
)
def test_bad_sweep_files_get_one_line_errors(tmp_path, body, field, message):
    path = write_sweep(tmp_path, body)
    result = invoke("sweep", path, "--out", tmp_path / "out", "--executor", "inprocess")
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{path}: "), lines[0]
    assert __import__("re").search(f"{field}: .*{message}", lines[0]), lines[0]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("manifest.json"))


def test_missing_base_and_toml_syntax_errors(tmp_path):
    path = write_sweep(tmp_path, GRID, base=tmp_path / "nope.toml")
    with pytest.raises(InputError, match=r"base: expected an existing scenario file"):
        plan_sweep(path)
    broken = tmp_path / "broken.toml"
    broken.write_text("[design\nkind = 'grid'\n", encoding="utf-8")
    result = invoke("sweep", broken)
    assert result.exit_code == 2 and "TOML syntax error" in result.stderr


def test_a_bad_base_scenario_names_the_scenario_file(tmp_path):
    base = tmp_path / "base.toml"
    base.write_text(f"extends = {json.dumps(str(SCENARIOS / 'baseline.toml'))}\n[battlefield]\nnoise = 9\n", encoding="utf-8")
    path = write_sweep(tmp_path, GRID, base=base)
    with pytest.raises(InputError) as info:
        plan_sweep(path)
    assert info.value.file == str(base) and info.value.path == "battlefield.noise"


# ---------------------------------------------------------------------- designs
def test_grid_is_the_full_factorial_with_categorical_values(tmp_path):
    plan = plan_sweep(write_sweep(tmp_path, GRID))
    values = [(v.values["actors.turkey.mediation_intensity"], v.values["actors.us.aid_policy"]) for v in plan.variants]
    assert values == [(0.0, "conditional"), (0.0, "cut"), (0.3, "conditional"), (0.3, "cut")]
    assert [v.scenario.actors.us.aid_policy for v in plan.variants] == ["conditional", "cut", "conditional", "cut"]
    assert all(v.scenario.horizon_weeks == 12 for v in plan.variants)


def test_grid_range_with_steps_and_integer_fields_are_rounded(tmp_path):
    body = GRID.replace("values = [0.0, 0.3]", "range = [0.0, 0.3]\nsteps = 4").replace(
        'path = "actors.us.aid_policy"\nvalues = ["conditional", "cut"]', 'path = "actors.us.patience_weeks"\nrange = [3, 6]\nsteps = 3'
    )
    plan = plan_sweep(write_sweep(tmp_path, body))
    assert sorted({v.values["actors.turkey.mediation_intensity"] for v in plan.variants}) == pytest.approx([0.0, 0.1, 0.2, 0.3])
    # linspace(3, 6, 3) = 3, 4.5, 6: the declared whole-number field gets whole numbers
    assert sorted({v.values["actors.us.patience_weeks"] for v in plan.variants}) == [3.0, 4.0, 6.0]
    assert {v.scenario.actors.us.patience_weeks for v in plan.variants} == {3.0, 4.0, 6.0}


SAMPLED = """
runs = 60
seed = 5
set = ["horizon_weeks=8"]

[design]
kind = "{kind}"
samples = {samples}

[[parameters]]
path = "actors.us.mediation_intensity"
range = [0.05, 0.5]

[[parameters]]
path = "actors.russia.rationality"
range = [5.0, 100.0]

[[parameters]]
path = "battlefield.drift_scale"
range = [0.002, 0.02]
"""


def test_latin_hypercube_fills_each_stratum_once_within_the_ranges(tmp_path):
    plan = plan_sweep(write_sweep(tmp_path, SAMPLED.format(kind="latin_hypercube", samples=10)))
    assert len(plan.variants) == 10
    x = np.array([[v.values[p.path] for p in plan.parameters] for v in plan.variants])
    lows, highs = np.array([0.05, 5.0, 0.002]), np.array([0.5, 100.0, 0.02])
    assert np.all((x >= lows) & (x <= highs))
    strata = np.floor((x - lows) / (highs - lows) * 10).astype(int)
    for column in strata.T:
        assert sorted(column) == list(range(10))


@pytest.mark.parametrize(("kind", "samples", "expected"), [("sobol", 4, 4 * (3 + 2)), ("morris", 3, 3 * (3 + 1))])
def test_salib_design_sizes(tmp_path, kind, samples, expected):
    plan = plan_sweep(write_sweep(tmp_path, SAMPLED.format(kind=kind, samples=samples)))
    assert len(plan.variants) == expected
    assert plan.design_matrix.shape == (expected, 3)


def test_designs_are_reproducible_and_depend_on_the_seed(tmp_path):
    path = write_sweep(tmp_path, SAMPLED.format(kind="latin_hypercube", samples=6))
    first = [v.values for v in plan_sweep(path).variants]
    assert first == [v.values for v in plan_sweep(path).variants]
    assert first != [v.values for v in plan_sweep(path, seed=6).variants]


# ---------------------------------------------------------------------- common random numbers
def test_common_random_numbers_on_by_default_and_a_switch_turns_them_off(tmp_path):
    path = write_sweep(tmp_path, GRID)
    assert {v.seed for v in plan_sweep(path).variants} == {11}
    off = plan_sweep(path, crn=False)
    assert [v.seed for v in off.variants] == [variant_seed(11, i) for i in range(4)]
    assert len({v.seed for v in off.variants}) == 4


def test_identical_variants_give_identical_rows_only_with_common_random_numbers(tmp_path):
    body = GRID.replace("values = [0.0, 0.3]", "values = [0.2, 0.2]").replace('values = ["conditional", "cut"]', 'values = ["cut"]')
    path = write_sweep(tmp_path, body)
    for flag, same in (("--crn", True), ("--no-crn", False)):
        out = tmp_path / flag
        result = invoke("sweep", path, "--out", out, "--executor", "inprocess", flag)
        assert result.exit_code == 0, result.output
        runs = pq.read_table(only_run(out, "sweep") / "runs.parquet")
        a = runs.filter(pc.equal(runs["variant"], 0)).drop(["variant"])
        b = runs.filter(pc.equal(runs["variant"], 1)).drop(["variant"])
        assert a.to_pandas().equals(b.to_pandas()) is same


# ---------------------------------------------------------------------- result files
@pytest.fixture(scope="module")
def grid_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grid")
    path = write_sweep(folder, GRID, name="aid_grid")
    result = invoke("sweep", path, "--out", folder / "out", "--executor", "inprocess", "--chunk-size", 50)
    assert result.exit_code == 0, result.output
    return only_run(folder / "out", "aid_grid"), result


def test_sweep_writes_the_result_layout(grid_run):
    run, _ = grid_run
    assert sorted(p.name for p in run.iterdir()) == ["manifest.json", "plots", "runs.parquet", "summary.parquet", "variants.parquet"]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["variants"] == 4 and manifest["runs"] == 120
    assert manifest["chunks"]["planned"] == 4 * 3 and len(manifest["chunks"]["complete"]) == 12
    assert manifest["common_random_numbers"] is True and manifest["seed"] == 11


def test_variants_parquet_has_typed_parameter_columns(grid_run):
    run, _ = grid_run
    variants = pq.read_table(run / "variants.parquet")
    assert variants.column_names[:4] == ["variant", "seed", "actors__turkey__mediation_intensity", "actors__us__aid_policy"]
    assert str(variants.schema.field("actors__turkey__mediation_intensity").type) == "double"
    assert variants.column("actors__us__aid_policy").to_pylist() == ["conditional", "cut", "conditional", "cut"]
    assert variants.column("overrides").to_pylist()[1] == 'actors.turkey.mediation_intensity=0.0; actors.us.aid_policy="cut"'


def test_runs_parquet_has_variant_and_replication_in_chunk_order(grid_run):
    run, _ = grid_run
    runs = pq.read_table(run / "runs.parquet", columns=["variant", "replication", "status"])
    assert runs.num_rows == 4 * 120
    assert runs.column("variant").to_pylist() == [v for v in range(4) for _ in range(120)]
    assert runs.column("replication").to_pylist() == list(range(120)) * 4


def test_summary_matches_the_rows(grid_run):
    run, _ = grid_run
    runs = pq.read_table(run / "runs.parquet", columns=["variant", "status", "agreements"]).to_pandas()
    summary = pq.read_table(run / "summary.parquet").to_pandas()
    for _, row in summary.iterrows():
        mine = runs[runs.variant == row.variant]
        assert row.n == len(mine)
        for status in STATUSES:
            share = (mine.status == status).mean()
            assert row[f"{status}_share"] == pytest.approx(share)
            assert row[f"{status}_low"] <= share <= row[f"{status}_high"]
        assert row["any_agreement_share"] == pytest.approx((mine.agreements > 0).mean())


def test_results_do_not_depend_on_the_chunk_size(grid_run, tmp_path):
    run, _ = grid_run
    path = write_sweep(tmp_path, GRID, name="aid_grid")
    result = invoke("sweep", path, "--out", tmp_path / "out", "--executor", "inprocess", "--chunk-size", 1000)
    assert result.exit_code == 0, result.output
    other = only_run(tmp_path / "out", "aid_grid")
    for name in ("summary.parquet", "variants.parquet", "runs.parquet"):  # row groups have a fixed size, not the chunks'
        assert (run / name).read_bytes() == (other / name).read_bytes(), name


def test_two_parameter_grid_plots_a_band_plot_and_heatmaps(grid_run):
    run, result = grid_run
    names = sorted(p.name for p in (run / "plots").iterdir())
    assert names == [
        "ceasefire_or_settlement_by_actors_turkey_mediation_intensity.png",
        "heatmap_ceasefire_or_settlement.png",
        "heatmap_partial_truce.png",
        "heatmap_war.png",
    ]
    assert all((run / "plots" / n).read_bytes().startswith(PNG) for n in names)
    assert "4 variants x 120 replications" in result.stdout


def test_one_parameter_sweep_plots_outcomes_against_it(tmp_path):
    body = GRID.replace('\n[[parameters]]\npath = "actors.us.aid_policy"\nvalues = ["conditional", "cut"]\n', "\n")
    path = write_sweep(tmp_path, body)
    result = invoke("sweep", path, "--out", tmp_path / "out", "--executor", "inprocess")
    assert result.exit_code == 0, result.output
    plots = sorted(p.name for p in (only_run(tmp_path / "out", "sweep") / "plots").iterdir())
    assert plots == ["outcomes_by_actors_turkey_mediation_intensity.png"]


@pytest.mark.parametrize(
    ("kind", "samples", "columns", "plot"),
    [
        ("sobol", 4, ["S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"], "sobol_ceasefire_or_settlement.png"),
        ("morris", 2, ["mu", "mu_star", "mu_star_low", "mu_star_high", "sigma"], "morris_ceasefire_or_settlement.png"),
    ],
)
def test_salib_sweeps_write_their_analysis(tmp_path, kind, samples, columns, plot):
    path = write_sweep(tmp_path, SAMPLED.format(kind=kind, samples=samples), base=SCENARIOS / "russia_red_lines_softened.toml")
    result = invoke("sweep", path, "--out", tmp_path / "out", "--executor", "inprocess", "--runs", 40)
    assert result.exit_code == 0, result.output
    run = only_run(tmp_path / "out", "sweep")
    sens = pq.read_table(run / "sensitivity.parquet")
    assert sens.column_names == ["outcome", "parameter", *columns]
    mine = sens.filter(pc.equal(sens["outcome"], "ceasefire_or_settlement"))
    assert mine.column("parameter").to_pylist() == ["actors.us.mediation_intensity", "actors.russia.rationality", "battlefield.drift_scale"]
    assert (run / "plots" / plot).read_bytes().startswith(PNG)
    assert f"{kind.capitalize()} sensitivity of" in result.stdout


def test_toml_literal_round_trips_through_set():
    from sim.scenario.load import parse_set

    for value in (0.1 + 0.2, 3, True, "cut", 'quote " and \\', {"dist": "uniform", "low": 0.1, "high": 0.2}):
        assert parse_set(f"a.b={toml_literal(value)}")[1] == value
