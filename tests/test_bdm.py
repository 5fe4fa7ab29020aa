"""Bueno de Mesquita's expected-utility model (sim/rules/bdm.py) and `sim forecast`.

The replication tests compare the rule, on the EC car-emissions case, with (1) the median and mean
positions by round that Scholz et al. (2011) publish in their Table 2, at the precision printed, and
(2) every position of every round of a reference implementation (J. McKibben's port of Scholz et
al.'s code). data/bdm/README.md says where each reference file comes from; the paper's figures were
read from a third party's transcription of the paper, not from the paper itself.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import sim.rules  # noqa: F401  (registers the rules)
from sim.model.model import CeasefireModel
from sim.rules.bdm import (
    bdm_position_dynamics,
    bdm_round,
    bdm_step,
    forecast_rounds,
    median_voter,
    no_position_dynamics,
    success_probability,
    votes,
    weighted_mean_position,
)
from sim.rules.registry import REGISTRY
from sim.testing import check_rules
from tests.clitools import invoke, only_run

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "bdm"
BASELINE = ROOT / "scenarios" / "baseline.toml"
TEXTBOOK = ROOT / "scenarios" / "textbook" / "fearon_complete_information.toml"
SCHOLZ_CODE = {"lowest_compromise": 1.0}  # the parameter that follows Scholz et al.'s code as McKibben ports it


def ec_inputs():
    rows = list(csv.DictReader((DATA / "ec_car_emissions.csv").open()))
    names = [r["actor"] for r in rows]
    x, s, c = (np.array([[float(r[k]) for r in rows]]) for k in ("position", "salience", "capability"))
    return names, x, s, c


def read_table(name: str) -> list[dict[str, str]]:
    """A CSV of data/bdm whose leading lines starting with '#' are its citation."""
    with (DATA / name).open() as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def reference_rounds():
    rows = list(csv.DictReader((DATA / "ec_car_emissions_rounds_mckibben.csv").open()))
    names, *_ = ec_inputs()
    positions = np.array([[float(r[n]) for n in names] for r in rows])
    return positions, np.array([float(r["median"]) for r in rows]), np.array([float(r["mean"]) for r in rows])


# ---------------------------------------------------------------- the EC car-emissions case


def test_inputs_are_the_published_table_as_transcribed():
    names, x, s, c = ec_inputs()
    assert names == ["Netherlands", "Belgium", "Luxembourg", "Germany", "France", "Italy", "UK", "Ireland", "Denmark", "Greece"]
    assert x[0].tolist() == [4, 7, 4, 4, 10, 10, 10, 7, 4, 7]
    assert c.sum() == pytest.approx(1.01)  # as published: the capabilities are rounded shares


def test_rounds_reproduce_the_reference_implementation_to_1e_9():
    """Every position of every actor after each of 10 rounds, the median and the weighted mean."""
    _, x, s, c = ec_inputs()
    ref, ref_median, ref_mean = reference_rounds()
    path = forecast_rounds(x, s, c, len(ref) - 1, **SCHOLZ_CODE)[:, 0, :]
    np.testing.assert_allclose(path, ref, rtol=0, atol=1e-9)
    w = c * s
    np.testing.assert_allclose([median_voter(p[None], w)[0] for p in path], ref_median, rtol=0, atol=1e-9)
    np.testing.assert_allclose([weighted_mean_position(p[None], w)[0] for p in path], ref_mean, rtol=0, atol=1e-9)


# ---------------------------------------------------------------- the paper's Table 1 and Table 2

# Scholz et al.'s printed figures that the rule (with the code's compromise choice) does not reproduce, as
# (statistic, round): farther than half the last printed digit from the printed value ...
OFF_BY_MORE_THAN_HALF_A_DIGIT = {
    ("median", 2),
    ("median", 3),
    ("median", 4),
    ("median", 5),
    ("median", 6),
    ("median", 8),
    ("mean", 1),
    ("mean", 2),
    ("mean", 4),
}
# ... and outside [printed, printed + one digit), the printed value read as truncated.
NOT_IN_THE_TRUNCATED_DIGIT = {("median", 2), ("mean", 3), ("mean", 8)}
# docs/bdm.md ("Against the paper's Table 2") gives the numbers of each.


def table2_comparison(**params) -> list[tuple[int, str, str, float, bool, bool]]:
    """(round, statistic, printed, ours, within half the last printed digit, within the printed digit truncated)
    for every cell of Scholz et al.'s Table 2, the rule run on the EC inputs with `params`."""
    _, x, s, c = ec_inputs()
    table = read_table("scholz2011_table2.csv")
    rounds = [int(r["round"]) for r in table]
    path = forecast_rounds(x, s, c, max(rounds), **params)[:, 0, :]
    w = c * s
    ours = {"median": lambda p: median_voter(p[None], w)[0], "mean": lambda p: weighted_mean_position(p[None], w)[0]}
    rows = []
    for stat, of in ours.items():
        for r, cells in zip(rounds, table):
            printed = cells[stat]
            value, digit = float(printed), 10.0 ** -len(printed.partition(".")[2])
            v = float(of(path[r]))
            rows.append((r, stat, printed, v, abs(v - value) <= digit / 2 + 1e-12, value - 1e-12 <= v < value + digit))
    return rows


def format_table2_comparison(rows) -> str:
    """The comparison as a markdown table: round, printed and ours for the median and the mean."""
    cell = {(r, stat): (printed, v, half, trunc) for r, stat, printed, v, half, trunc in rows}
    mark = {(True, True): "", (False, True): " (t)", (True, False): " (r)", (False, False): " x"}
    lines = ["| round | median, Table 2 | median, ours | mean, Table 2 | mean, ours |", "|---|---|---|---|---|"]
    for r in sorted({r for r, *_ in rows}):
        (pm, vm, hm, tm), (pa, va, ha, ta) = cell[(r, "median")], cell[(r, "mean")]
        lines.append(f"| {r} | {pm} | {vm:.4f}{mark[hm, tm]} | {pa} | {va:.4f}{mark[ha, ta]} |")
    return "\n".join(lines)


def test_inputs_are_the_papers_table_1():
    """data/bdm/ec_car_emissions.csv is Scholz et al.'s Table 1 (BdM 1994, p. 78), salience from percent to 0-1."""
    names, x, s, c = ec_inputs()
    table = read_table("scholz2011_table1.csv")
    assert [r["actor"].replace("United Kingdom", "UK") for r in table] == names
    assert x[0].tolist() == [float(r["position"]) for r in table]
    assert c[0].tolist() == [float(r["capability"]) for r in table]
    assert s[0].tolist() == [float(r["salience_percent"]) / 100 for r in table]


def test_rounds_against_the_papers_table_2():
    """The median and mean of rounds 1-8 against Scholz et al.'s Table 2, at the precision printed (one decimal).

    With the code's compromise choice, 7 of the 16 printed values lie within half a digit of ours and 13 within
    the printed digit read as truncated; neither reading accounts for all (the exceptions are pinned above)."""
    rows = table2_comparison(**SCHOLZ_CODE)
    print("\n" + format_table2_comparison(rows))
    assert len(rows) == 16
    assert {(stat, r) for r, stat, _, _, half, _ in rows if not half} == OFF_BY_MORE_THAN_HALF_A_DIGIT
    assert {(stat, r) for r, stat, _, _, _, trunc in rows if not trunc} == NOT_IN_THE_TRUNCATED_DIGIT


def test_the_papers_table_2_follows_the_codes_compromise_choice_not_the_texts():
    """With the text's compromise (the least move, our default) the median stays within 0.001 of 10 from round 4 to
    7, where the paper prints 9.9, 9.9, 7.4 and 8.8: its fall in round 6 comes only from the code's choice (the lowest
    EU-weighted point)."""
    code, text = table2_comparison(**SCHOLZ_CODE), table2_comparison()
    for k in (4, 5):  # half-digit agreements, then truncated-digit agreements
        assert sum(row[k] for row in code) > sum(row[k] for row in text)
    text_median = {r: v for r, stat, _, v, _, _ in text if stat == "median"}
    code_median = {r: v for r, stat, _, v, _, _ in code if stat == "median"}
    assert min(text_median[r] for r in (4, 5, 6, 7)) > 9.999
    assert abs(text_median[6] - 7.4) > 2 and abs(code_median[6] - 7.4) < 0.1


def test_initial_median_and_mean():
    """Median voter 7 and weighted mean 7.39 before any round (the inputs' values, computed by hand)."""
    _, x, s, c = ec_inputs()
    w = c * s
    assert median_voter(x, w)[0] == 7.0
    assert weighted_mean_position(x, w)[0] == pytest.approx((w * x).sum() / w.sum())
    assert weighted_mean_position(x, w)[0] == pytest.approx(7.38996, abs=1e-5)


def test_the_default_compromise_departs_from_the_code_in_round_4_only_by_belgium():
    """Text (least move) vs code (lowest EU-weighted point): identical for 3 rounds, then Belgium compromises
    with France (about 10) rather than with the Netherlands (4.80) in round 4."""
    _, x, s, c = ec_inputs()
    text = forecast_rounds(x, s, c, 4)[:, 0, :]
    code = forecast_rounds(x, s, c, 4, **SCHOLZ_CODE)[:, 0, :]
    np.testing.assert_array_equal(text[:4], code[:4])
    differs = np.flatnonzero(text[4] != code[4])
    assert differs.tolist() == [1]  # Belgium
    assert code[4, 1] == pytest.approx(4.800881140632622, abs=1e-9)
    assert text[4, 1] == pytest.approx(9.999607370747668, abs=1e-9)


def test_capitulation_never_arises_in_the_ec_case():
    """McKibben's port can never capitulate (its condition is always false); here it would not anyway."""
    _, x, s, c = ec_inputs()
    on = forecast_rounds(x, s, c, 10, **SCHOLZ_CODE, capitulation=1.0)
    off = forecast_rounds(x, s, c, 10, **SCHOLZ_CODE, capitulation=0.0)
    np.testing.assert_array_equal(on, off)


def test_round_one_offers_as_the_reference_log_shows():
    """Round 1: Belgium compromises with France/Italy to 8.416, Luxembourg loses to Belgium (7), Ireland to
    Luxembourg (4); no one else moves."""
    _, x, s, c = ec_inputs()
    new = bdm_round(x, s, c, 6.0, **SCHOLZ_CODE)[0]
    moved = {i: v for i, (v, o) in enumerate(zip(new, x[0])) if v != o}
    assert set(moved) == {1, 2, 7}
    assert moved[1] == pytest.approx(8.415932315426764, abs=1e-12)
    assert moved[2] == 7.0 and moved[7] == 4.0


# ---------------------------------------------------------------- the pieces


def test_pairwise_probabilities_sum_to_one_all_pairs_do_not():
    _, x, s, c = ec_inputs()
    v = votes(x, c * s, np.ones_like(x), np.array([6.0]))
    pair = success_probability(v, x, np.array([False]))[0]
    every = success_probability(v, x, np.array([True]))[0]
    distinct = x[0][:, None] != x[0][None, :]
    np.testing.assert_allclose((pair + pair.T)[distinct], 1.0)
    assert (every + every.T)[distinct].max() < 0.5  # normalised by every pair: small numbers (McKibben's comment)


def test_median_beats_every_position_in_the_linear_vote():
    rng = np.random.default_rng(3)
    x, w = rng.uniform(0, 1, (200, 5)), rng.uniform(0.01, 1, (200, 5))
    mu = median_voter(x, w)
    v = votes(np.concatenate([x, mu[:, None]], axis=1), np.concatenate([w, np.zeros((200, 1))], axis=1), np.ones((200, 6)), np.ones(200))
    margin = v.sum(axis=1)[:, 5, :5]  # the median (index 5) against each actor's position
    assert (margin >= -1e-12).all()


def test_risk_exponents_lie_between_half_and_two():
    _, x, s, c = ec_inputs()
    details = {}
    bdm_step(x, s, c, 6.0, details=details)
    r = details["risk"]
    assert (r >= 0.5 - 1e-12).all() and (r <= 2 + 1e-12).all()
    assert r.min() == pytest.approx(0.5) and r.max() == pytest.approx(2.0)  # the extremes: R = +1 and -1


def test_a_fixed_risk_exponent_is_used_for_every_actor():
    _, x, s, c = ec_inputs()
    details = {}
    bdm_step(x, s, c, 6.0, risk_exponent=1.0, details=details)
    assert (details["risk"] == 1.0).all()


def test_identical_positions_stay():
    x = np.full((3, 5), 0.4)
    out = bdm_round(x, np.full((3, 5), 0.5), np.full((3, 5), 0.2), 1.0)
    np.testing.assert_array_equal(out, x)


# ---------------------------------------------------------------- properties with five actors

five = st.integers(1, 4).flatmap(
    lambda r: st.tuples(
        hnp.arrays(np.float64, (r, 5), elements=st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]) | st.floats(0, 1)),
        hnp.arrays(np.float64, (r, 5), elements=st.floats(0.01, 1)),
        hnp.arrays(np.float64, (r, 5), elements=st.floats(0.01, 1)),
        st.permutations(range(5)),
    )
)


@given(five, st.sampled_from([{}, SCHOLZ_CODE, {"all_pairs_probability": 0.0}, {"risk_exponent": 1.0}]))
def test_round_is_invariant_to_relabelling_five_actors(case, params):
    x, s, c, perm = case
    perm = np.asarray(perm)
    out = bdm_round(x, s, c, 1.0, **params)
    relabelled = bdm_round(x[:, perm], s[:, perm], c[:, perm], 1.0, **params)
    np.testing.assert_allclose(relabelled, out[:, perm], rtol=1e-12, atol=1e-12)


@given(five)
def test_round_stays_within_the_initial_range_five_actors(case):
    x, s, c, _ = case
    out = bdm_round(x, s, c, 1.0)
    assert (out >= x.min(axis=1, keepdims=True)).all() and (out <= x.max(axis=1, keepdims=True)).all()


def test_the_registered_rules_pass_their_property_checks():
    infos = [REGISTRY[n] for n in ("bdm_scholz", "median_voter", "weighted_mean", "bdm", "none")]
    failed = [r for r in check_rules(infos, examples=30) if not r.passed]
    assert not failed, failed


# ---------------------------------------------------------------- position dynamics


def test_position_dynamics_is_one_round_per_issue_within_red_lines():
    rng = np.random.default_rng(5)
    r, a, k = 4, 5, 3
    x, s = rng.uniform(0, 1, (r, a, k)), rng.uniform(0.1, 1, (r, a, k))
    c = rng.uniform(0.05, 1, (r, a))
    low, high = np.minimum(x, 0.3), np.maximum(x, 0.7)
    out = bdm_position_dynamics(x, s, c, low, high)
    assert out.shape == (r, a, k)
    for j in range(k):
        np.testing.assert_array_equal(out[:, :, j], np.clip(bdm_round(x[:, :, j], s[:, :, j], c, 1.0), low[:, :, j], high[:, :, j]))
    assert (out >= low).all() and (out <= high).all()
    np.testing.assert_array_equal(no_position_dynamics(x, s, c, low, high), x)


def test_red_lines_hold_the_actors():
    """A weak actor at 0 that moves to 0.5 when free stops at its red line 0.2."""
    x = np.array([[[0.0], [1.0], [1.0], [0.5]]])
    s = np.array([[[0.3], [0.5], [0.5], [0.5]]])
    c = np.array([[0.1, 0.8, 0.8, 0.3]])
    free = bdm_position_dynamics(x, s, c, np.zeros_like(x), np.ones_like(x))
    assert free[0, 0, 0] == 0.5
    low, high = np.zeros_like(x), np.ones_like(x)
    high[0, 0, 0] = 0.2
    held = bdm_position_dynamics(x, s, c, low, high)
    assert held[0, 0, 0] == 0.2
    np.testing.assert_array_equal(held[0, 1:], free[0, 1:])


# ---------------------------------------------------------------- sim forecast


def test_forecast_prints_the_rounds_and_writes_a_results_folder(tmp_path):
    result = invoke("forecast", BASELINE, "--issue", "territory", "--rounds", "4", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert "Territory (territory): expected-utility forecast, 4 rounds" in result.output
    assert "Median" in result.output and "United States" in result.output
    run = only_run(tmp_path, "baseline")
    assert run.name.startswith("forecast-")
    assert (run / "plots" / "forecast_territory.png").stat().st_size > 0
    table = pq.read_table(run / "forecast.parquet").to_pydict()
    assert table["round"] == [0, 1, 2, 3, 4] and set(table["issue"]) == {"territory"}
    summary = json.loads((run / "forecast.json").read_text())
    issue = summary["issues"]["territory"]
    assert issue["median"][-1] == table["median"][-1] == issue["forecast_median"]
    assert summary["rounds"] == 4 and summary["replications"] == 1
    assert sum(summary["capability"].values()) == pytest.approx(1.0)


def test_forecast_is_the_rule_applied_to_the_derived_inputs(tmp_path):
    from sim.experiment.forecast import capability_table, forecast_inputs
    from sim.scenario.load import load_scenario
    from sim.scenario.schema import ACTOR_IDS

    invoke("forecast", BASELINE, "--issue", "territory", "--rounds", "3", "--out", tmp_path)
    table = pq.read_table(only_run(tmp_path, "baseline") / "forecast.parquet").to_pydict()
    scenario = load_scenario(BASELINE).scenario
    x, s, _, _ = forecast_inputs(scenario, ["territory"], 1, 0)
    caps, _ = capability_table([], scenario)
    c = np.array([[caps[a] for a in ACTOR_IDS]])
    expected = forecast_rounds(x[:, :, 0], s[None, :, 0], c, 3, span=1.0)[:, 0, :]
    got = np.array([table[a] for a in ACTOR_IDS]).T
    np.testing.assert_array_equal(got, expected)


def test_forecast_every_issue_and_replications(tmp_path):
    result = invoke("forecast", BASELINE, "--rounds", "2", "--replications", "3", "--seed", "7", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    table = pq.read_table(only_run(tmp_path, "baseline") / "forecast.parquet")
    assert table.num_rows == 5 * 3 * 3  # issues x replications x (rounds + 1)
    assert "mean of 3 replications" in result.output


def test_forecast_replications_draw_positions_as_the_simulation_does():
    from sim.experiment.forecast import forecast_inputs
    from sim.model.parameters import draw_parameters
    from sim.rng import Streams
    from sim.scenario.load import load_scenario
    from sim.scenario.schema import ACTOR_IDS

    scenario = load_scenario(BASELINE).scenario
    x, _, _, _ = forecast_inputs(scenario, ["guarantees", "territory"], 4, 11)
    drawn = draw_parameters(scenario, Streams(11, np.arange(4)))
    k = [list(scenario.issues).index(i) for i in ("guarantees", "territory")]
    for n, actor in enumerate(ACTOR_IDS):
        np.testing.assert_array_equal(x[:, n, :], drawn.actors[actor].position[:, k])


def test_forecast_results_do_not_depend_on_the_run(tmp_path):
    for out in ("a", "b"):
        assert invoke("forecast", BASELINE, "-r", "3", "-n", "2", "--out", tmp_path / out).exit_code == 0
    a, b = (pq.read_table(only_run(tmp_path / o, "baseline") / "forecast.parquet") for o in ("a", "b"))
    assert a.equals(b)


def test_forecast_capability_override(tmp_path):
    result = invoke("forecast", BASELINE, "-i", "territory", "-r", "1", "-c", "us=0", "-c", "europe=0", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    caps = json.loads((only_run(tmp_path, "baseline") / "forecast.json").read_text())["capability"]
    assert caps["us"] == 0 and caps["europe"] == 0 and caps["russia"] > 0.5


def test_forecast_rule_parameters(tmp_path):
    result = invoke("forecast", BASELINE, "-i", "territory", "-r", "2", "-p", "capitulation=0", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert "rule bdm_scholz with capitulation=0" in result.output
    summary = json.loads((only_run(tmp_path, "baseline") / "forecast.json").read_text())
    assert summary["rule_parameters"]["capitulation"] == 0.0 and summary["rule_parameters"]["all_pairs_probability"] == 1.0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--param", "capitulation=3"], "--param: capitulation=3: expected a value in [0, 1] flag"),
        (["--param", "risk=1"], "--param: risk=1: expected NAME=VALUE with NAME one of risk_exponent"),
        (["--issue", "borders"], "--issue: borders: expected an issue of"),
        (["--capability", "nato=3"], "--capability: nato=3: expected ACTOR=VALUE with ACTOR one of"),
        (["--capability", "us=-1"], "--capability: us=-1: expected a finite number >= 0"),
        (["--rounds", "0"], "--rounds"),
    ],
)
def test_forecast_bad_input_is_one_line_exit_2(tmp_path, args, message):
    result = invoke("forecast", BASELINE, *args, "--out", tmp_path)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "baseline").exists() or not any((tmp_path / "baseline").iterdir())


# ---------------------------------------------------------------- the new traits' checks can fail


@pytest.mark.parametrize(
    "trait, kind, args, body",
    [
        ("within_initial_range", "bdm_round", "positions, salience, capability, span", "return positions + 0.5"),
        ("within_own_red_lines", "position_dynamics", "positions, salience, capability, low, high", "return high + 0.5"),
    ],
)
def test_the_new_trait_checks_catch_a_rule_broken_on_purpose(trait, kind, args, body):
    """(The lead may move these into tests/test_check.py's BROKEN_RULES, which asks for one per trait.)"""
    from sim.rules.registry import rule
    from sim.testing import check_property, isolated_rules, trait_check

    namespace = {"np": np}
    exec(f'def broken({args}):\n    """Broken on purpose."""\n    {body}\n', namespace)
    with isolated_rules():
        info = rule(kind=kind, name=f"broken_{trait}", source="a test", traits=(trait,))(namespace["broken"]).rule_info
        result = check_property(info, trait, trait_check(info, trait), examples=50)
    assert not result.passed
    assert "outside" in result.message


def test_a_scenario_without_capabilities_forecasts_with_equal_shares_as_the_simulation_does():
    from sim.experiment.forecast import capability_table
    from sim.scenario.load import load_scenario

    scenario = load_scenario(TEXTBOOK).scenario
    caps, source = capability_table([], scenario)
    assert caps == dict.fromkeys(caps, 0.2) and source.startswith("equal shares")
    model = CeasefireModel(scenario, 1, np.arange(3))
    np.testing.assert_array_equal(model.capability, np.full((3, 5), 0.2))


def test_capabilities_for_some_actors_only_are_one_line_input_errors(tmp_path):
    partial = tmp_path / "partial.toml"
    partial.write_text(f'extends = "{TEXTBOOK.as_posix()}"\n[actors.us]\ncapability = 0.5\n')
    result = invoke("validate", partial)
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (f"{partial}: actors.russia.capability: expected a capability for every actor or for none (given for us)")


def test_a_set_that_leaves_capabilities_incomplete_names_the_set(tmp_path):
    result = invoke("run", TEXTBOOK, "--runs", "10", "--set", "actors.us.capability=0.5", "--out", tmp_path)
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == ("--set: actors.russia.capability: expected a capability for every actor or for none (given for us)")
