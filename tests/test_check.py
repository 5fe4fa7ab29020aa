"""The property-testing toolkit: `sim check`, the checks of sim.testing.properties, the strategies of sim.testing.

Every check is shown to catch a rule broken on purpose (no check that cannot fail); the
built-in rules pass all of theirs; the strategies produce valid input (tested like Axelrod's
property builders). Example counts come from the hypothesis profile (tests/conftest.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from clitools import invoke
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.rules  # noqa: F401
from sim.rules.registry import KINDS, REGISTRY, rule
from sim.scenario.params import Bounds, validate_number
from sim.scenario.schema import Belligerent, Breakdown
from sim.testing import (
    GENERIC,
    actor_parameters,
    check_property,
    distributions,
    isolated_rules,
    issue_profiles,
    profile_arrays,
    rule_cases,
    scenarios,
    trait_check,
)

# ---------------------------------------------------------------- sim check


def test_sim_check_passes_on_every_built_in_rule():
    result = invoke("check")
    assert result.exit_code == 0, result.output
    for info in REGISTRY.values():
        assert info.name in result.output
    n = sum(len(GENERIC) + len(r.traits) for r in REGISTRY.values())
    assert f"{n} properties of {len(REGISTRY)} rule(s): {n} passed, 0 failed" in result.output


BROKEN = '''
import numpy as np
from sim.rules.registry import rule

@rule(kind="acceptance", name="backwards", source="A deliberately broken rule: a sign error",
      traits=("bounded_probability", "increasing_in_gain", "deterministic"))
def backwards(gain, rationality):
    """Accepts less the more it gains."""
    return 1.0 / (1.0 + np.exp(np.clip(np.asarray(rationality) * gain, -700, 700)))
'''


def test_sim_check_catches_a_broken_user_rule_with_a_readable_shrunk_counterexample(tmp_path):
    module = tmp_path / "broken_rules.py"
    module.write_text(BROKEN)
    with isolated_rules():
        result = invoke("check", "--rules", module, "--examples", settings().max_examples)
    assert result.exit_code == 1, result.output
    out = result.output
    assert "backwards" in out and "logit" not in out, "only the module's rules are checked"
    row = next(line for line in out.splitlines() if "increasing_in_gain" in line)
    assert "FAILED: raising gain from" in row and "lowered the output from" in row
    assert "counterexample: gain=[" in out and "rationality=" in out
    assert "7 properties of 1 rule(s): 6 passed, 1 failed" in out


def test_sim_check_rule_selects_by_name_with_did_you_mean():
    result = invoke("check", "--rule", "stubborn")
    assert result.exit_code == 0, result.output
    assert "stubborn" in result.output and "pressure " not in result.output
    result = invoke("check", "--rule", "stubbron")
    assert result.exit_code == 2
    assert result.output.strip() == "--rule: expected a registered rule, got 'stubbron' (did you mean 'stubborn'?)"


def test_sim_check_reports_a_module_that_registers_nothing(tmp_path):
    module = tmp_path / "empty_rules.py"
    module.write_text("x = 1\n")
    with isolated_rules():
        result = invoke("check", "--rules", module)
    assert result.exit_code == 2
    assert "found none" in result.output


# ---------------------------------------------------------------- every check can fail

# One rule per property, broken so that exactly this property fails: (property, kind, function source).
BROKEN_RULES = {
    "shape": ("acceptance", "return np.zeros(1)"),
    "no_nan": ("acceptance", "return np.where(gain > 0.5, np.nan, 0.5)"),
    "repeatable": ("acceptance", "gain += 0.1\n    return np.clip(gain, 0, 1)"),
    "batch_consistent": ("acceptance", "return np.clip(gain - gain.mean() + 0.5, 0, 1)"),
    "deterministic": ("acceptance", "return np.full(gain.shape, np.random.random())"),
    "bounded_probability": ("acceptance", "return 1.5 + 0.0 * gain"),
    "increasing_in_gain": ("acceptance", "return np.clip(0.5 - gain, 0, 1)"),
    "half_at_zero_rationality": ("acceptance", "return np.clip(0.5 + gain, 0, 1)"),
    "best_response_limit": ("acceptance", "return 0.9 / (1 + np.exp(-np.clip(rationality * gain, -700, 700)))"),
    "never_crosses_red_line": ("concession", "return target"),
    "moves_toward_target": ("concession", "return np.clip(position - 0.5 * (target - position), low, high)"),
    "decreasing_in_enforcement": ("breakdown_hazard", "return np.clip(base * (1 + enforcement), 0, 1)"),
    "decreasing_in_age": ("breakdown_hazard", "return np.clip(base * (1 + truce_age), 0, 1)"),
    "increasing_in_resume_gain": ("breakdown_hazard", "return np.clip(base * np.exp(-resume_gain), 0, 1)"),
    "bounded_unit": ("proposal", "return mediator_position + 0.5"),
    "within_joint_red_lines": ("proposal", "return mediator_position"),
    "invariant_to_relabelling": ("proposal", "return positions[0]"),
    "moves_toward_observation": ("belief_update", "return 2 * observation - mean, precision + noise_precision"),
    "shrinks_variance": ("belief_update", "return mean, precision + 0 * noise_precision"),
    "non_negative": ("battlefield", "return troops * (aid_index - 1.0)"),
    "increasing_in_aid": ("battlefield", "return troops / (1.0 + aid_index)"),
    "bounded_by_scale": ("battlefield", "return 2 * drift_scale * np.ones_like(strength_russia)"),
    "antisymmetric": ("battlefield", "return drift_scale * strength_russia / np.maximum(strength_russia + strength_ukraine, 1.0)"),
    "bounded_unit_negative": ("utility", "return np.sum(salience * np.abs(point - position), axis=-1)"),
    "decreasing_in_cost": ("war_value", "return outcome_utility + weekly_cost * lookahead"),
    "monotone_commitment": ("coalition", "return ~committed"),
    "monotone_in_time": ("aid_policy", "return target + (start - target) * np.cos(week)"),
    "within_initial_range": ("bdm_round", "return positions + 0.5"),
    "within_own_red_lines": ("position_dynamics", "return high + 0.5"),
}
ARGUMENTS = {
    "battlefield": {
        "non_negative": "troops, aid_index",
        "increasing_in_aid": "troops, aid_index",
        "bounded_by_scale": "strength_russia, strength_ukraine, drift_scale",
        "antisymmetric": "strength_russia, strength_ukraine, drift_scale",
    },
    "aid_policy": {"monotone_in_time": "week, start, target"},
}


def _broken_rule(prop: str):
    kind, body = BROKEN_RULES[prop]
    args = ARGUMENTS.get(kind, {}).get(prop) or ", ".join(KINDS[kind].arguments)
    namespace = {"np": np}
    exec(f'def broken_{prop}({args}):\n    """Broken on purpose."""\n    {body}\n', namespace)
    traits = () if prop in GENERIC else (prop,)
    return rule(kind=kind, name=f"broken_{prop}", source="a test", traits=traits)(namespace[f"broken_{prop}"]).rule_info


def test_every_trait_of_the_vocabulary_and_every_generic_property_is_shown_to_fail():
    from sim.rules.traits import TRAITS

    covered = set(BROKEN_RULES)
    assert set(TRAITS) | set(GENERIC) <= covered, "add a broken rule for the new property"


@pytest.mark.parametrize("prop", sorted(BROKEN_RULES))
def test_each_property_catches_a_rule_broken_on_purpose(prop):
    with isolated_rules():
        info = _broken_rule(prop)
        check = GENERIC[prop][0] if prop in GENERIC else trait_check(info, prop)
        result = check_property(info, prop, check)
    assert not result.passed, f"{prop} did not catch its broken rule"
    assert result.message and result.counterexample


def test_a_rule_that_raises_fails_its_properties_with_the_exception_named():
    def explodes(gain, rationality):
        """Divides by zero."""
        raise ZeroDivisionError("no")

    with isolated_rules():
        info = rule(kind="acceptance", name="explodes", source="a test")(explodes).rule_info
        result = check_property(info, "shape", GENERIC["shape"][0])
    assert not result.passed
    assert result.message == "the rule raised ZeroDivisionError: no"


# ---------------------------------------------------------------- strategies


@given(case=rule_cases("compromise_terms", replications=st.integers(1, 3)))
def test_rule_cases_follow_the_declared_shapes_and_relations(case):
    r, k = case.sizes["R"], case.sizes["K"]
    assert case.args["positions"].shape == (2, r, k)
    assert np.all(case.args["mediator_low"] <= case.args["mediator_high"])
    assert np.all((case.args["bias"] >= 0) & (case.args["bias"] <= 1))


@given(case=rule_cases("pressure"))
def test_concession_cases_keep_the_position_within_the_red_lines(case):
    assert np.all((case.args["low"] <= case.args["position"]) & (case.args["position"] <= case.args["high"]))
    assert case.args["costly_weeks"].dtype == np.int64


@given(values=actor_parameters(Belligerent))
def test_actor_parameter_sets_lie_within_the_declared_bounds(values):
    from sim.scenario.params import field_bounds

    for name, value in values.items():
        validate_number(value, field_bounds(Belligerent, name))


@given(data=st.data())
def test_distributions_are_valid_for_the_field_bounds(data):
    from sim.scenario.params import field_bounds

    bounds = data.draw(st.sampled_from([field_bounds(Belligerent, "weekly_cost"), field_bounds(Breakdown, "base_hazard"), Bounds(-2, 3, "u")]))
    validate_number(data.draw(distributions(bounds)), bounds)


@given(profiles=issue_profiles(["territory", "sanctions"]), arrays=profile_arrays(3, 2))
def test_issue_profiles_keep_positions_within_red_lines_and_saliences_sum_to_one(profiles, arrays):
    for p in profiles.values():
        assert p["red_line_low"] <= p["position"] <= p["red_line_high"]
    position, salience, low, high = arrays
    assert np.all((low <= position) & (position <= high))
    np.testing.assert_allclose(salience.sum(axis=1), 1.0)


# A model run per example: a fifth of the profile's examples (at least 5) keeps this test quick.
@settings(max_examples=max(5, settings().max_examples // 5))
@given(scenario=scenarios())
def test_generated_scenarios_are_valid_and_the_model_runs_them_without_nan(scenario):
    from sim.model.model import CeasefireModel

    model = CeasefireModel(scenario, 1, np.arange(3))
    model.run()
    out = model.outcome()
    assert np.all(np.isfinite(out.runs["front_final"]))
    assert np.all(np.isfinite(model.russia.position)) and np.all(np.isfinite(model.ukraine.position))
