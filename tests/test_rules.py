"""Closed-form and behavioural facts about particular rules (sim/rules) that no declared trait states.

Every declared trait, and the generic properties every rule is held to (shape, no NaN, purity,
batch consistency), is checked once, by `sim.testing` (`sim check`; tests/test_check.py runs it on
every built-in rule): this file does not repeat those checks. Rule-generic tests here draw their
arguments from `sim.testing.strategies.rule_cases`, the strategies the package ships.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim.rules import REGISTRY, rules_of_kind
from sim.rules.acceptance import logit_acceptance
from sim.rules.battlefield import front_drift
from sim.rules.beliefs import normal_update
from sim.rules.proposal import compromise_terms, conditional_sanctions, expected_utility_type, sequencing_type
from sim.rules.support import conditional_aid, ramped_aid
from sim.rules.utility import (
    VETO,
    breaks_red_line,
    costly_red_lines,
    expected_war_outcome,
    felt_weekly_cost,
    issue_utility,
    risk_adjusted_gain,
    veto_red_lines,
)
from sim.testing.strategies import rule_cases

replications = st.integers(min_value=1, max_value=32)
issue_counts = st.integers(min_value=1, max_value=5)


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def array(shape, lo: float, hi: float) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.float64, shape, elements=floats(lo, hi))


def bools(shape) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(bool, shape, elements=st.booleans())


@st.composite
def red_line_case(draw):
    """(gain, point, low, high, fixed, cost_low, cost_high) for n replications and k issues."""
    n, k = draw(replications), draw(issue_counts)
    a, b = draw(array((n, k), 0.0, 1.0)), draw(array((n, k), 0.0, 1.0))
    return (
        draw(array(n, -2.0, 2.0)),
        draw(array((n, k), 0.0, 1.0)),
        np.minimum(a, b),
        np.maximum(a, b),
        draw(bools((n, k))),
        draw(array((n, k), 0.0, 2.0)),
        draw(array((n, k), 0.0, 2.0)),
    )


# ---------------------------------------------------------------- acceptance and red lines


@given(n=replications, data=st.data())
def test_logit_is_symmetric_in_the_gain(n, data):
    """P(accept | gain) + P(accept | -gain) = 1 (McKelvey & Palfrey 1995)."""
    gain, lam = data.draw(array(n, -2.0, 2.0)), data.draw(array(n, 0.0, 1000.0))
    np.testing.assert_allclose(logit_acceptance(gain, lam) + logit_acceptance(-gain, lam), 1.0, rtol=0, atol=1e-12)


@given(case=red_line_case())
def test_costly_red_lines_charge_each_crossed_line_once(case):
    """Audience costs (Fearon 1994): the gain falls by the cost of every red line crossed on a fixed issue, no more."""
    gain, point, low, high, fixed, cl, ch = case
    expected = gain - np.sum(np.where((point < low - 1e-12) & fixed, cl, 0.0) + np.where((point > high + 1e-12) & fixed, ch, 0.0), axis=-1)
    np.testing.assert_allclose(costly_red_lines(*case), expected, rtol=0, atol=1e-12)
    inside = np.clip(point, low, high)
    np.testing.assert_array_equal(costly_red_lines(gain, inside, low, high, fixed, cl, ch), gain)


@given(case=red_line_case())
def test_the_veto_variant_refuses_exactly_what_crosses_a_red_line(case):
    gain, point, low, high, fixed, cl, ch = case
    out = veto_red_lines(*case)
    crossed = breaks_red_line(point, low, high, fixed)
    np.testing.assert_array_equal(out[crossed], -VETO)
    np.testing.assert_array_equal(out[~crossed], gain[~crossed])


@given(n=replications, data=st.data())
def test_without_breakdown_risk_the_gain_is_unchanged_and_with_certain_breakdown_it_is_lost(n, data):
    """Credible commitment (Walter 1997): no risk leaves the gain; a sure, immediate breakdown keeps none of it."""
    gain, cost = data.draw(array(n, -2.0, 2.0)), data.draw(array(n, 0.0, 1.0))
    np.testing.assert_array_equal(risk_adjusted_gain(gain, np.zeros(n), np.zeros(n), cost), gain)
    np.testing.assert_allclose(risk_adjusted_gain(gain, np.ones(n), np.ones(n), cost), np.minimum(gain, 0.0) - cost, atol=1e-12)


@given(n=replications, data=st.data())
def test_war_weariness_starts_at_the_base_cost_and_grows_with_the_log_of_costs_paid(n, data):
    """Mueller (1973): nothing paid, the felt cost is the base under pressure; a year of base costs adds ln 2 x weariness."""
    base, pressure, w = data.draw(array(n, 1e-4, 0.05)), data.draw(array(n, 0.0, 3.0)), data.draw(array(n, 0.0, 5.0))
    np.testing.assert_allclose(felt_weekly_cost(base, pressure, np.zeros(n), w), base * pressure, rtol=1e-12)
    np.testing.assert_allclose(felt_weekly_cost(base, pressure, 52 * base, w), base * pressure * (1 + w * np.log(2)), rtol=1e-12)


# ---------------------------------------------------------------- mediators and supporters


@given(data=st.data())
def test_a_precise_mediator_tables_the_type_it_gains_most_from(data):
    gain = data.draw(array((1, 3), -1.0, 1.0).filter(lambda g: len(set(np.round(g[0], 6))) == 3))
    w = expected_utility_type(gain, np.ones((1, 3)), np.ones((1, 3), dtype=bool), np.zeros(1), precision=1000.0)
    assert np.argmax(w[0]) == np.argmax(gain[0])


def test_the_sequencing_variant_is_the_first_editions_rule():
    """Sequencing position 0.25 (the baseline US): partial truce and general ceasefire, half each; 1: settlement."""
    allowed = np.ones((2, 3), dtype=bool)
    w = sequencing_type(np.zeros((2, 3)), np.ones((2, 3)), allowed, np.array([0.25, 1.0]))
    np.testing.assert_allclose(w, [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])


@given(n=replications, data=st.data())
def test_conditional_sanctions_follow_russias_answer(n, data):
    """US coercion: raised after Russia rejects a US proposal, back to the agreed level when it accepts."""
    current, base = data.draw(array(n, 0.0, 2.0)), data.draw(array(n, 0.0, 2.0))
    accepted, rejected = data.draw(bools(n)), data.draw(bools(n))
    out = conditional_sanctions(current, accepted, rejected, base, 1.5)
    np.testing.assert_array_equal(out[rejected], np.maximum(base, 1.5)[rejected])
    np.testing.assert_array_equal(out[accepted & ~rejected], base[accepted & ~rejected])
    quiet = ~accepted & ~rejected
    np.testing.assert_array_equal(out[quiet], current[quiet])


@given(n=replications, data=st.data())
def test_conditional_aid_follows_ukraines_answer(n, data):
    """Restored when Ukraine accepted a US proposal, suspended when it rejected one, else unchanged."""
    current, accepted, rejected = data.draw(array(n, 0.0, 1.0)), data.draw(bools(n)), data.draw(bools(n))
    aid = conditional_aid(current, accepted, rejected, 0.8)
    np.testing.assert_array_equal(aid[accepted], 0.8)
    np.testing.assert_array_equal(aid[rejected & ~accepted], 0.0)
    np.testing.assert_array_equal(aid[~accepted & ~rejected], current[~accepted & ~rejected])


def test_ramped_aid_reaches_its_target():
    np.testing.assert_allclose(ramped_aid(10_000, 1.0, 1.25, 52), 1.25, rtol=1e-12)


@given(n=replications, k=issue_counts, data=st.data())
def test_unbiased_unconstrained_terms_lie_between_the_positions_and_full_bias_is_the_mediator(n, k, data):
    positions, weights = data.draw(array((2, n, k), 0.0, 1.0)), data.draw(array((2, n, k), 0.01, 1.0))
    mediator = data.draw(array((n, k), 0.0, 1.0))
    zeros, ones = np.zeros((n, k)), np.ones((n, k))
    terms = compromise_terms(positions, weights, mediator, np.zeros(n), zeros, ones, zeros, ones)
    assert np.all((terms >= positions.min(axis=0) - 1e-12) & (terms <= positions.max(axis=0) + 1e-12))
    np.testing.assert_allclose(compromise_terms(positions, weights, mediator, np.ones(n), zeros, ones, zeros, ones), mediator, atol=1e-12)


# ---------------------------------------------------------------- breakdown, concession, beliefs, battlefield


@given(n=replications, data=st.data())
def test_constant_hazard_at_full_enforcement_applies_the_peacekeeping_ratio(n, data):
    """No gain from resuming: base x type factor x hazard ratio (Fortna 2004), where not capped."""
    rule = REGISTRY["constant"].func
    base, factor, ratio = data.draw(array(n, 0.0, 0.01)), data.draw(array(n, 1.0, 10.0)), data.draw(floats(0.01, 1.0))
    h = rule(base, factor, np.ones(n), ratio, np.zeros(n), 10.0, None)
    np.testing.assert_allclose(h, base * factor * ratio, rtol=1e-12, atol=0)


@pytest.mark.parametrize("info", rules_of_kind("concession"), ids=lambda r: r.name)
@given(data=st.data())
def test_full_resolve_never_concedes(info, data):
    """resolve = 1 means the side never concedes (scenario schema: actors.<id>.resolve)."""
    case = data.draw(rule_cases(info))
    n = case.sizes["R"]
    out = case.call(resolve=np.ones(n), costly_weeks=np.full(n, 520))
    np.testing.assert_array_equal(out, np.clip(case.value("position"), case.value("low"), case.value("high")))


@given(n=replications, data=st.data())
def test_normal_update_does_not_depend_on_the_order_of_observations(n, data):
    m, tau = data.draw(array(n, -0.05, 0.05)), data.draw(array(n, 1.0, 1e7))
    x1, x2 = data.draw(array(n, -0.05, 0.05)), data.draw(array(n, -0.05, 0.05))
    noise = data.draw(floats(1.0, 1e7))
    a = normal_update(*normal_update(m, tau, x1, noise), x2, noise)
    b = normal_update(*normal_update(m, tau, x2, noise), x1, noise)
    np.testing.assert_allclose(a[0], b[0], rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-12)


@given(n=replications, data=st.data())
def test_normal_update_converges_to_a_repeated_observation(n, data):
    m, tau, x = data.draw(array(n, -0.05, 0.05)), data.draw(array(n, 1.0, 1e7)), data.draw(array(n, -0.05, 0.05))
    noise = data.draw(floats(1.0, 1e7))
    mean, prec = m, tau
    for _ in range(200):
        mean, prec = normal_update(mean, prec, x, noise)
    bound = np.abs(m - x) * tau / (tau + 200 * noise) * (1 + 1e-9) + 1e-12 * np.abs(x) + 1e-15
    assert np.all(np.abs(mean - x) <= bound)


@given(n=replications, data=st.data())
def test_drift_moves_toward_the_side_that_grows_stronger(n, data):
    s_ru, s_ua, scale = data.draw(array(n, 0.0, 1e8)), data.draw(array(n, 0.0, 1e8)), data.draw(floats(0.0, 0.05))
    stronger = s_ru + data.draw(array(n, 0.0, 1e8))
    assert np.all(front_drift(stronger, s_ua, scale) >= front_drift(s_ru, s_ua, scale) - 1e-12 * scale)


# ---------------------------------------------------------------- utilities


@given(n=replications, k=issue_counts, data=st.data())
def test_utility_is_highest_at_the_own_position_and_falls_with_distance(n, k, data):
    point, position = data.draw(array((n, k), 0.0, 1.0)), data.draw(array((n, k), 0.0, 1.0))
    raw = data.draw(array((n, k), 0.01, 1.0))
    salience = raw / raw.sum(axis=1, keepdims=True)
    np.testing.assert_array_equal(issue_utility(position, position, salience), 0.0)
    j = data.draw(st.integers(0, k - 1))
    far = point.copy()
    far[:, j] = np.where(point[:, j] >= position[:, j], 1.0, 0.0)
    assert np.all(issue_utility(far, position, salience) <= issue_utility(point, position, salience) + 1e-15)


@given(case=red_line_case())
def test_red_lines_bind_only_on_the_issues_an_agreement_fixes(case):
    _, point, low, high, fixed, _, _ = case
    clearly_out = (point < low - 1e-9) | (point > high + 1e-9)
    maybe_out = (point < low) | (point > high)
    broken = breaks_red_line(point, low, high, fixed)
    assert np.all(broken >= np.any(clearly_out & fixed, axis=-1))
    assert np.all(broken <= np.any(maybe_out & fixed, axis=-1))
    assert not breaks_red_line(np.clip(point, low, high), low, high, np.ones(point.shape[1], dtype=bool)).any()


@given(n=replications, k=issue_counts, data=st.data())
def test_a_more_optimistic_belief_expects_more_territory(n, k, data):
    front, belief = data.draw(array(n, 0.0, 1.0)), data.draw(array(n, -0.03, 0.03))
    aims_ua, aims_ru = data.draw(array((n, k), 0.0, 1.0)), data.draw(array((n, k), 0.0, 1.0))
    territory = data.draw(st.integers(0, k - 1))
    higher = belief + data.draw(array(n, 0.0, 0.05))
    low = expected_war_outcome(front, belief, 52, aims_ua, aims_ru, territory)
    high = expected_war_outcome(front, higher, 52, aims_ua, aims_ru, territory)
    assert np.all(high[:, territory] >= low[:, territory])
