"""`sim drivers`: the uncertain inputs of a scenario and their ranges, the Sobol sweep over them, bad input."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from clitools import invoke, only_run
from hypothesis import given
from hypothesis import strategies as st

from sim.analysis.drivers import CENTRAL, MAIN_OUTCOMES, UncertainInput, input_range, is_power_of_two, sweep_document, toml_text, uncertain_inputs
from sim.experiment.load import load
from sim.scenario.params import Beta, Bounds, Normal, Triangular, Uniform, quantile


@pytest.fixture(scope="module")
def baseline_inputs(request):
    from conftest import BASELINE

    return {i.path: i for i in uncertain_inputs(load(BASELINE).scenario)}


def test_every_distribution_of_the_baseline_is_an_input(baseline_inputs):
    fields = {p for p, i in baseline_inputs.items() if i.kind == "field"}
    assert fields == {
        "actors.russia.troops",
        "actors.russia.weekly_cost",
        "actors.russia.rationality",
        "actors.ukraine.troops",
        "actors.ukraine.domestic_materiel",
        "actors.ukraine.weekly_cost",
        "actors.ukraine.rationality",
        "actors.europe.aid_target",
        "breakdown.partial_truce_factor",
        "breakdown.ceasefire_factor",
        "negotiation.audience_costs.law",
        "negotiation.audience_costs.leader",
        "negotiation.audience_costs.official",
        "negotiation.audience_costs.reported",
    }
    codings = {p for p, i in baseline_inputs.items() if i.kind == "coding"}
    assert codings == {
        f"statements.{sid}.readings.0.weight" for sid in ("ru_no_freeze_putin", "ua_territory_zelensky", "us_sequencing_saudi", "us_sanctions_trump")
    }
    troops = baseline_inputs["actors.russia.troops"]
    assert (troops.low, troops.high, troops.range_rule) == (600000.0, 1130000.0, "support")  # uniform: its support
    cost = baseline_inputs["actors.russia.weekly_cost"]
    assert cost.range_rule == "central 95%" and 0 < cost.low < 0.003 < cost.high


def test_positions_are_inputs_within_their_red_lines(baseline_inputs):
    positions = {p: i for p, i in baseline_inputs.items() if i.kind == "position"}
    assert "actors.ukraine.overrides.territory.position" in positions
    # Russia's territory is pinned by its red lines ([1, 1]): nothing to vary.
    assert "actors.russia.overrides.territory.position" not in positions
    ukraine = positions["actors.ukraine.overrides.territory.position"]
    assert ukraine.high <= 0.5 and "truncated to [0, 0.5]" in ukraine.distribution
    assert all(0 <= i.low < i.high <= 1 for i in positions.values())


def test_no_positions_leaves_the_fields(baseline_path):
    inputs = uncertain_inputs(load(baseline_path).scenario, positions=False)
    assert {i.kind for i in inputs} == {"field"} and len(inputs) == 14


@given(
    st.one_of(
        st.builds(lambda a, w: Uniform(dist="uniform", low=a, high=a + w), st.floats(0, 0.5), st.floats(0.01, 0.5)),
        st.builds(lambda a, m, b: Triangular(dist="triangular", low=a, mode=a + m * b, high=a + b), st.floats(0, 0.4), st.floats(0, 1), st.floats(0.01, 0.6)),
        st.builds(lambda m, s: Normal(dist="normal", mean=m, sd=s), st.floats(0, 1), st.floats(0.01, 0.5)),
        st.builds(lambda m, f: Beta(dist="beta", mean=m, sd=f * np.sqrt(m * (1 - m))), st.floats(0.05, 0.95), st.floats(0.05, 0.95)),
    )
)
def test_ranges_lie_within_the_bounds_and_hold_the_central_95_percent(value):
    bounds = Bounds(0.0, 1.0, "share")
    low, high, rule = input_range(value, bounds)
    assert 0.0 <= low <= high <= 1.0
    draws = quantile(value, bounds, np.linspace(0.001, 0.999, 999))
    inside = np.mean((draws >= low - 1e-12) & (draws <= high + 1e-12))
    assert inside >= (0.998 if rule == "support" else CENTRAL[1] - CENTRAL[0] - 0.002)


_label = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@given(st.lists(st.tuples(_label, st.floats(-1e6, 1e6, allow_nan=False), st.floats(0.001, 1e6)), min_size=2, max_size=5), st.sampled_from([2, 4, 64]), _label)
def test_the_written_sweep_file_reads_back_as_the_document(entries, n, title):
    inputs = [UncertainInput(f"a.b{i}", label, "field", low, low + width, "uniform", "support") for i, (label, low, width) in enumerate(entries)]
    doc = sweep_document("/x/base.toml", "drivers_x", inputs, n, 10, 3, ["actors.us.bias=0.2"], title=title or "t")
    assert tomllib.loads(toml_text(doc)) == doc


def test_power_of_two():
    assert [k for k in range(1, 70) if is_power_of_two(k)] == [2, 4, 8, 16, 32, 64]


def _one_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_n_must_be_a_power_of_two(baseline_path, tmp_path):
    line = _one_line(invoke("drivers", baseline_path, "--base-sample", "12", "--out", tmp_path))
    assert line == "--base-sample: expected a power of two of at least 2 (Saltelli's base sample), got 12"
    assert not any(tmp_path.iterdir())


def test_a_scenario_without_two_uncertain_inputs_is_refused(baseline_path, tmp_path):
    fixed = [
        "actors.russia.troops=800000",
        "actors.russia.weekly_cost=0.003",
        "actors.russia.rationality=20",
        "actors.ukraine.troops=850000",
        "actors.ukraine.domestic_materiel=0.3",
        "actors.ukraine.weekly_cost=0.003",
        "actors.ukraine.rationality=20",
        "breakdown.partial_truce_factor=79",
        "breakdown.ceasefire_factor=56",
        "negotiation.audience_costs.law=0.4",
        "negotiation.audience_costs.leader=0.15",
        "negotiation.audience_costs.official=0.08",
        "negotiation.audience_costs.reported=0.04",
    ]
    args = [a for s in fixed for a in ("--set", s)]
    line = _one_line(invoke("drivers", baseline_path, "--no-positions", *args, "--out", tmp_path))
    assert line.endswith("expected at least two uncertain inputs (fields given as distributions), found 1")


def test_a_tiny_drivers_run(baseline_path, tmp_path):
    out = tmp_path / "out"
    result = invoke(
        "drivers", baseline_path, "--n", "2", "--runs", "8", "--weeks", "6", "--no-positions", "--seed", "5", "--executor", "inprocess", "--out", out
    )
    assert result.exit_code == 0, result.output
    assert "What drives the outcomes" in result.stdout
    folder = only_run(out, "drivers_baseline")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["design"] == "sobol" and manifest["variants"] == 2 * (14 + 2)
    table = pq.read_table(folder / "drivers.parquet")
    assert table.num_rows == 14 * len(MAIN_OUTCOMES)
    assert set(table.column("outcome").to_pylist()) == set(MAIN_OUTCOMES)
    assert sorted(set(table.column("rank").to_pylist())) == list(range(1, 15))
    data = json.loads((folder / "drivers.json").read_text())
    assert data["design"]["n"] == 2 and len(data["inputs"]) == 14 and (folder / data["plot"]).exists()
    # The sweep file it ran sits beside the result folder, so `sim sweep --resume` can finish an interrupted one.
    sweep_file = manifest["sweep_file"]
    assert sweep_file.startswith(str((out / "drivers_baseline").resolve())) and sweep_file.endswith(".toml")
    assert tomllib.loads(Path(sweep_file).read_text(encoding="utf-8"))["design"]["kind"] == "sobol"
    # A drivers folder is a sweep folder: `sim discover` reads its inputs as dimensions.
    from sim.analysis.discovery import load_cases

    assert "actors__russia__troops" in load_cases(folder).x.columns
