"""Property tests of the rules (sim/rules), driven by what each rule declares in the registry.

Every registered rule gets its arguments from one hypothesis strategy per calling convention
(per kind for the kinds a scenario can swap, per rule otherwise), over arrays of any
replication count, plus its declared parameters drawn within their declared bounds. Every
declared trait has a property check here (`test_every_declared_trait_has_a_property_check`),
and every rule that declares a trait is checked against it.
"""

from __future__ import annotations

import copy
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim.rules import REGISTRY
from sim.rules.acceptance import logit_acceptance
from sim.rules.battlefield import front_drift
from sim.rules.beliefs import normal_update
from sim.rules.proposal import compromise_terms
from sim.rules.registry import KINDS, SELECTABLE, rules_with_trait
from sim.rules.support import conditional_aid, ramped_aid
from sim.rules.utility import breaks_red_line, expected_war_outcome, issue_utility

# ---------------------------------------------------------------- strategies

replications = st.integers(min_value=1, max_value=32)
issue_counts = st.integers(min_value=1, max_value=5)


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def array(shape, lo: float, hi: float) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.float64, shape, elements=floats(lo, hi))


def per_replication(n: int, lo: float, hi: float) -> st.SearchStrategy:
    """A parameter given as one number for all replications or as an array (R,)."""
    return st.one_of(floats(lo, hi), array(n, lo, hi))


def bools(shape) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(bool, shape)


@st.composite
def red_line_box(draw, shape):
    """low <= high, both on the unit scale, shape (R, K)."""
    a, b = draw(array(shape, 0.0, 1.0)), draw(array(shape, 0.0, 1.0))
    return np.minimum(a, b), np.maximum(a, b)


@st.composite
def acceptance_args(draw):
    n = draw(replications)
    return n, {"gain": draw(array(n, -2.0, 2.0)), "rationality": draw(per_replication(n, 0.0, 1000.0))}


@st.composite
def concession_args(draw):
    n, k = draw(replications), draw(issue_counts)
    low, high = draw(red_line_box((n, k)))
    position = np.clip(low + draw(array((n, k), 0.0, 1.0)) * (high - low), low, high)
    costly = draw(hnp.arrays(np.float64, n, elements=st.integers(0, 60).map(float)))
    return n, {
        "position": position,
        "target": draw(array((n, k), 0.0, 1.0)),
        "rate": draw(per_replication(n, 0.0, 1.0)),
        "pressure": draw(array(n, 0.0, 5.0)),
        "resolve": draw(per_replication(n, 0.0, 1.0)),
        "low": low,
        "high": high,
        "costly_weeks": costly,
    }


@st.composite
def hazard_args(draw):
    n = draw(replications)
    age = draw(hnp.arrays(np.float64, n, elements=st.integers(0, 520).map(float)))
    return n, {
        "base": draw(array(n, 0.0, 1.0)),
        "type_factor": draw(per_replication(n, 1.0, 100.0)),
        "enforcement": draw(array(n, 0.0, 1.0)),
        "hazard_ratio": draw(floats(0.01, 1.0)),
        "resume_gain": draw(array(n, -2.0, 2.0)),
        "gain_sensitivity": draw(floats(0.0, 100.0)),
        "truce_age": age,
    }


@st.composite
def effective_strength_args(draw):
    n = draw(replications)
    return n, {
        "troops": draw(array(n, 1_000.0, 5_000_000.0)),
        "firepower": draw(per_replication(n, 0.1, 10.0)),
        "domestic_materiel": draw(per_replication(n, 0.0, 1.0)),
        "aid_index": draw(array(n, 0.0, 3.0)),
    }


@st.composite
def front_drift_args(draw):
    n = draw(replications)
    return n, {
        "strength_russia": draw(array(n, 0.0, 1e8)),
        "strength_ukraine": draw(array(n, 0.0, 1e8)),
        "drift_scale": draw(floats(0.0, 0.05)),
    }


@st.composite
def normal_update_args(draw):
    n = draw(replications)
    return n, {
        "mean": draw(array(n, -0.05, 0.05)),
        "precision": draw(array(n, 1e-2, 1e9)),
        "observation": draw(array(n, -0.05, 0.05)),
        "noise_precision": draw(per_replication(n, 1e-2, 1e9)),
    }


@st.composite
def threshold_commitment_args(draw):
    n, m = draw(replications), draw(st.integers(1, 8))
    # Pledges are whole troops (as in scenarios), so sums over members are exact in any order.
    pledges = draw(hnp.arrays(np.float64, (m, n), elements=st.one_of(st.just(0), st.integers(1, 200_000)).map(float)))
    return n, {
        "committed": draw(bools((m, n))),
        "pledges": pledges,
        "thresholds": draw(array((m, n), 0.0, 1.0)),
        "needs_backstop": draw(bools(m)),
        "backstop": draw(bools(n)),
    }


@st.composite
def compromise_terms_args(draw):
    n, k, sides = draw(replications), draw(issue_counts), draw(st.integers(2, 3))
    mediator_low, mediator_high = draw(red_line_box((n, k)))
    return n, {
        "positions": draw(array((sides, n, k), 0.0, 1.0)),
        # Capability-and-salience weights: zero, or not vanishingly small (subnormal products underflow).
        "weights": draw(hnp.arrays(np.float64, (sides, n, k), elements=st.one_of(st.just(0.0), floats(1e-6, 1.0)))),
        "mediator_position": draw(array((n, k), 0.0, 1.0)),
        "bias": draw(array(n, 0.0, 1.0)),
        "mediator_low": mediator_low,
        "mediator_high": mediator_high,
        # Independent draws: the sides' joint interval is empty on some issues.
        "joint_low": draw(array((n, k), 0.0, 1.0)),
        "joint_high": draw(array((n, k), 0.0, 1.0)),
    }


@st.composite
def conditional_aid_args(draw):
    n = draw(replications)
    return n, {
        "current": draw(array(n, 0.0, 1.0)),
        "accepted": draw(bools(n)),
        "rejected": draw(bools(n)),
        "restored": draw(per_replication(n, 0.0, 1.0)),
    }


@st.composite
def ramped_aid_args(draw):
    n = draw(replications)
    return n, {
        "week": draw(hnp.arrays(np.int64, n, elements=st.integers(0, 520))),
        "start": draw(array(n, 0.0, 3.0)),
        "target": draw(per_replication(n, 0.0, 3.0)),
        "ramp_weeks": draw(floats(1.0, 520.0)),
    }


@st.composite
def saliences(draw, shape):
    raw = draw(hnp.arrays(np.float64, shape, elements=floats(0.01, 1.0)))
    return raw / raw.sum(axis=-1, keepdims=True)


@st.composite
def issue_utility_args(draw):
    n, k = draw(replications), draw(issue_counts)
    return n, {
        "point": draw(array((n, k), 0.0, 1.0)),
        "position": draw(array((n, k), 0.0, 1.0)),
        "salience": draw(saliences((n, k))),
    }


@st.composite
def breaks_red_line_args(draw):
    n, k = draw(replications), draw(issue_counts)
    low, high = draw(red_line_box((n, k)))
    fixed = draw(st.one_of(bools(k), bools((n, k))))
    return n, {"point": draw(array((n, k), 0.0, 1.0)), "low": low, "high": high, "fixed": fixed}


@st.composite
def expected_war_outcome_args(draw):
    n, k = draw(replications), draw(issue_counts)
    return n, {
        "front": draw(array(n, 0.0, 1.0)),
        "drift_belief": draw(array(n, -0.05, 0.05)),
        "lookahead": draw(floats(1.0, 520.0)),
        "aims_ukraine": draw(array((n, k), 0.0, 1.0)),
        "aims_russia": draw(array((n, k), 0.0, 1.0)),
        "territory": draw(st.integers(0, k - 1)),
    }


@st.composite
def value_of_war_args(draw):
    n = draw(replications)
    return n, {
        "outcome_utility": draw(array(n, -1.0, 0.0)),
        "weekly_cost": draw(per_replication(n, 0.0, 0.05)),
        "lookahead": draw(floats(1.0, 520.0)),
    }


@st.composite
def bdm_actor_args(draw, issues: bool = False, span: bool = False, red_lines: bool = False):
    """Bueno de Mesquita's model: positions, salience (R, A[, K]) and capability (R, A) for five actors."""
    n, a = draw(replications), 5
    k = (draw(issue_counts),) if issues else ()
    out = {
        "positions": draw(array((n, a) + k, 0.0, 1.0)),
        "salience": draw(array((n, a) + k, 0.01, 1.0)),
        "capability": draw(array((n, a), 0.01, 1.0)),
    }
    if span:
        out["span"] = draw(per_replication(n, 1.0, 2.0))
    if red_lines:
        out["low"], out["high"] = draw(red_line_box((n, a) + k))
    return n, out


# Selectable kinds share a calling convention (sim.rules.registry.SELECTABLE): one strategy per kind.
KIND_ARGS = {"acceptance": acceptance_args, "concession": concession_args, "breakdown_hazard": hazard_args}
# Other rules each have their own signature: one strategy per rule.
RULE_ARGS = {
    "effective_strength": effective_strength_args,
    "front_drift": front_drift_args,
    "normal_update": normal_update_args,
    "threshold_commitment": threshold_commitment_args,
    "compromise_terms": compromise_terms_args,
    "conditional_aid": conditional_aid_args,
    "ramped_aid": ramped_aid_args,
    "issue_utility": issue_utility_args,
    "breaks_red_line": breaks_red_line_args,
    "expected_war_outcome": expected_war_outcome_args,
    "value_of_war": value_of_war_args,
    "bdm_scholz": lambda: bdm_actor_args(span=True),
    "median_voter": bdm_actor_args,
    "weighted_mean": bdm_actor_args,
    "bdm": lambda: bdm_actor_args(issues=True, red_lines=True),
    "none": lambda: bdm_actor_args(issues=True, red_lines=True),
}


def argument_strategy(info):
    """(n, positional arguments as a dict) for a registered rule."""
    if info.kind in SELECTABLE:
        return KIND_ARGS[info.kind]()
    return RULE_ARGS[info.name]()


def params_strategy(info, n: int):
    """The rule's declared extra parameters within their declared bounds: one value, or one per replication
    (as the model passes parameters drawn from a distribution)."""
    return st.fixed_dictionaries({name: per_replication(n, p.lo, p.hi) for name, p in info.params.items()})


def call(info, args: dict, params: dict | None = None):
    """Call a rule by its convention: positional arguments in declared order, then its parameters as keywords."""
    return info.func(*(args[a] for a in info.arguments), **(params or {}))


def draw_call(data, info):
    n, args = data.draw(argument_strategy(info), label="args")
    params = data.draw(params_strategy(info, n), label="params")
    return n, args, params


# ---------------------------------------------------------------- trait checks, derived from the registry

CHECKED: set[tuple[str, str]] = set()


def checks(kind: str, trait: str):
    """Parametrise a property test over every registered rule of `kind` that declares `trait`."""
    CHECKED.add((kind, trait))
    infos = [r for r in rules_with_trait(trait) if r.kind == kind or kind == "*"]
    return pytest.mark.parametrize("info", infos, ids=[r.name for r in infos])


def _is_monotone(info, trait: str) -> bool:
    return info.trait(trait).argument is not None


def test_every_declared_trait_has_a_property_check():
    missing = sorted(
        f"{r.name} ({r.kind}): {t}"
        for r in REGISTRY.values()
        for t in r.traits
        if (r.kind, t) not in CHECKED and ("*", t) not in CHECKED and not _is_monotone(r, t)
    )
    assert not missing, "declared traits without a property check in tests/test_rules.py: " + "; ".join(missing)


def test_every_rule_has_an_argument_strategy_and_a_source():
    for r in REGISTRY.values():
        assert r.kind in KIND_ARGS or r.name in RULE_ARGS, f"rule {r.name!r} has no argument strategy in tests/test_rules.py"
        if r.kind in KIND_ARGS:
            assert r.arguments == tuple(KINDS[r.kind].arguments), f"rule {r.name!r} does not follow its kind's convention"
        assert r.source.strip() and r.summary.strip(), f"rule {r.name!r} lacks a source or a one-line summary"
        for name, p in r.params.items():
            assert p.lo <= p.default <= p.hi, f"rule {r.name!r}: default of {name} outside its bounds"


def _same(a, b) -> bool:
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


@checks("*", "deterministic")
@given(data=st.data())
def test_rule_is_pure_and_deterministic(info, data):
    """Same inputs, same outputs bit for bit whatever the state of the global random generators;
    the inputs are left untouched; one entry per replication."""
    n, args, params = draw_call(data, info)
    before = copy.deepcopy(args)
    saved = np.random.get_state(), random.getstate()
    try:
        np.random.seed(1), random.seed(1)
        first = call(info, args, params)
        np.random.seed(2), random.seed(2)
        second = call(info, copy.deepcopy(args), params)
    finally:
        np.random.set_state(saved[0]), random.setstate(saved[1])
    assert all(_same(args[k], before[k]) for k in args), "the rule modified its inputs"
    assert _same(first, second)
    for out in first if isinstance(first, tuple) else (first,):
        out = np.asarray(out)
        assert np.all(np.isfinite(out)) or out.dtype == bool
        assert n in out.shape, f"no replication axis of length {n} in output shape {out.shape}"


# Upper ends of the ranges the strategies draw each argument from (parameters use their declared bounds),
# for the monotone traits `increasing_in_<x>` / `decreasing_in_<x>`.
ARGUMENT_TOP = {
    "gain": 2.0, "enforcement": 1.0, "truce_age": 1040.0, "aid_index": 3.0, "weekly_cost": 0.1,
    "resume_gain": 2.0, "rationality": 1000.0, "pressure": 5.0, "rate": 1.0, "drift_scale": 0.05,
    "precision": 1e9, "noise_precision": 1e9, "base": 1.0, "type_factor": 100.0, "gain_sensitivity": 100.0,
    "hazard_ratio": 1.0, "lookahead": 520.0, "troops": 5_000_000.0, "firepower": 10.0, "costly_weeks": 520.0,
}

MONOTONE = [(r, t) for r in sorted(REGISTRY.values(), key=lambda r: r.name) for t in sorted(r.traits) if _is_monotone(r, t)]


@pytest.mark.parametrize("info,trait", MONOTONE, ids=[f"{r.name}-{t}" for r, t in MONOTONE])
@given(data=st.data())
def test_monotone_traits(info, trait, data):
    """`increasing_in_x` / `decreasing_in_x`: raising x (all else equal) moves every output that way."""
    spec = info.trait(trait)
    n, args, params = draw_call(data, info)
    name, direction = spec.argument, spec.direction
    where, top = (params, info.params[name].hi) if name in info.params else (args, ARGUMENT_TOP.get(name))
    assert top is not None, f"no range for argument {name!r}: add it to ARGUMENT_TOP in tests/test_rules.py"
    old = np.asarray(where[name], dtype=float)
    step = data.draw(array(old.shape, 0.0, 1.0) if old.ndim else floats(0.0, 1.0), label="step")
    new = np.minimum(old + step * (top - old), top)
    raised = dict(where, **{name: new if old.ndim else float(new)})
    before = call(info, args, params)
    after = call(info, raised, params) if where is args else call(info, args, raised)
    tol = 1e-12 * np.maximum(np.abs(before), np.abs(after)) + 1e-15
    if direction > 0:
        assert np.all(after >= before - tol), f"{info.name} fell as {name} rose"
    else:
        assert np.all(after <= before + tol), f"{info.name} rose as {name} rose"


# -- probabilities

@checks("acceptance", "bounded_probability")
@given(data=st.data())
def test_acceptance_is_a_probability(info, data):
    n, args, params = draw_call(data, info)
    p = call(info, args, params)
    assert p.shape == (n,)
    assert np.all((p >= 0.0) & (p <= 1.0))


@checks("breakdown_hazard", "bounded_probability")
@given(data=st.data())
def test_hazard_is_a_probability(info, data):
    n, args, params = draw_call(data, info)
    h = call(info, args, params)
    assert h.shape == (n,)
    assert np.all((h >= 0.0) & (h <= 1.0))


@checks("acceptance", "half_at_zero_rationality")
@given(data=st.data())
def test_acceptance_is_a_coin_flip_at_zero_rationality(info, data):
    n, args, params = draw_call(data, info)
    p = call(info, dict(args, rationality=np.zeros(n)), params)
    np.testing.assert_array_equal(p, np.full(n, 0.5))


@checks("acceptance", "best_response_limit")
@given(data=st.data())
def test_acceptance_tends_to_the_best_response(info, data):
    """As rationality grows the probability tends to 1 for a gain and to 0 for a loss (monotonically)."""
    n, args, params = draw_call(data, info)
    gain = np.where(args["gain"] >= 0, 1e-4 + args["gain"], -1e-4 + args["gain"])
    best = (gain > 0).astype(float)
    errors = [np.abs(call(info, dict(args, gain=gain, rationality=np.full(n, lam)), params) - best) for lam in (1.0, 10.0, 1e3, 1e5, 1e7)]
    for a, b in zip(errors, errors[1:]):
        assert np.all(b <= a + 1e-15)
    assert np.all(errors[-1] < 1e-12)


@given(n=replications, data=st.data())
def test_logit_is_symmetric_in_the_gain(n, data):
    """P(accept | gain) + P(accept | -gain) = 1 (McKelvey & Palfrey 1995)."""
    gain, lam = data.draw(array(n, -2.0, 2.0)), data.draw(per_replication(n, 0.0, 1000.0))
    np.testing.assert_allclose(logit_acceptance(gain, lam) + logit_acceptance(-gain, lam), 1.0, rtol=0, atol=1e-12)


# -- breakdown

def _more(data, values, hi: float, n: int):
    """Values raised by a random non-negative step, staying <= hi."""
    step = data.draw(array(n, 0.0, 1.0), label="step")
    return np.minimum(values + step * (hi - values), hi)


@pytest.mark.parametrize("info", rules_with_trait("decreasing_in_enforcement"), ids=lambda r: r.name)
@given(data=st.data())
def test_hazard_falls_as_enforcement_rises(info, data):
    """A reassurance force lowers the hazard (Fortna 2004): never raises it, and strictly lowers it
    wherever the hazard is neither capped at one nor negligible."""
    n, args, params = draw_call(data, info)
    e1 = args["enforcement"]
    e2 = _more(data, e1, 1.0, n)
    h1, h2 = call(info, args, params), call(info, dict(args, enforcement=e2), params)
    assert np.all(h2 <= h1 * (1.0 + 1e-12))
    # Strictly, wherever enforcement rose noticeably, the hazard was neither capped nor negligible,
    # and a reassurance force has an effect at all (hazard ratio below one).
    strict = (e2 - e1 > 1e-3) & (h1 < 1.0) & (h1 > 1e-200) & (args["hazard_ratio"] < 0.99)
    assert np.all(h2[strict] < h1[strict])


@given(n=replications, data=st.data())
def test_constant_hazard_at_full_enforcement_applies_the_peacekeeping_ratio(n, data):
    """No gain from resuming: base x type factor x hazard ratio (Fortna 2004), where not capped."""
    info = REGISTRY["constant"]
    base, factor = data.draw(array(n, 0.0, 0.01)), data.draw(array(n, 1.0, 10.0))
    ratio = data.draw(floats(0.01, 1.0))
    h = call(info, {"base": base, "type_factor": factor, "enforcement": np.ones(n), "hazard_ratio": ratio,
                    "resume_gain": np.zeros(n), "gain_sensitivity": 10.0, "truce_age": None})
    np.testing.assert_allclose(h, base * factor * ratio, rtol=1e-12, atol=0)


# -- concession

@checks("concession", "never_crosses_red_line")
@given(data=st.data())
def test_concession_never_crosses_a_red_line(info, data):
    n, args, params = draw_call(data, info)
    new = call(info, args, params)
    assert new.shape == args["position"].shape
    assert np.all((new >= args["low"]) & (new <= args["high"]))


@checks("concession", "moves_toward_target")
@given(data=st.data())
def test_concession_moves_toward_the_target(info, data):
    """The new position lies between the old one and the target: never past it, never away from it."""
    n, args, params = draw_call(data, info)
    new, old, target = call(info, args, params), args["position"], args["target"]
    tol = 1e-12
    assert np.all(new >= np.minimum(old, target) - tol)
    assert np.all(new <= np.maximum(old, target) + tol)
    assert np.all(np.abs(new - target) <= np.abs(old - target) + tol)


@pytest.mark.parametrize("info", [r for r in REGISTRY.values() if r.kind == "concession"], ids=lambda r: r.name)
@given(data=st.data())
def test_full_resolve_never_concedes(info, data):
    """resolve = 1 means the side never concedes (scenario schema: actors.<id>.resolve)."""
    n, args, params = draw_call(data, info)
    new = call(info, dict(args, resolve=np.ones(n), costly_weeks=np.full(n, 520)), params)
    np.testing.assert_array_equal(new, args["position"])


# -- beliefs

@checks("belief_update", "moves_toward_observation")
@given(data=st.data())
def test_belief_update_moves_toward_the_observation(info, data):
    n, args, params = draw_call(data, info)
    mean, _ = call(info, args, params)
    prior, obs = args["mean"], args["observation"]
    tol = 1e-12 * (np.abs(prior) + np.abs(obs)) + 1e-300
    assert np.all(mean >= np.minimum(prior, obs) - tol)
    assert np.all(mean <= np.maximum(prior, obs) + tol)
    assert np.all(np.abs(mean - obs) <= np.abs(prior - obs) + tol)


@checks("belief_update", "shrinks_variance")
@given(data=st.data())
def test_belief_update_shrinks_the_variance(info, data):
    n, args, params = draw_call(data, info)
    _, precision = call(info, args, params)
    assert np.all(1.0 / precision < 1.0 / args["precision"])


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
    bound = np.abs(m - x) * tau / (tau + 200 * noise) * (1 + 1e-9) + 1e-15
    assert np.all(np.abs(mean - x) <= bound)


# -- battlefield

@checks("battlefield", "non_negative")
@given(data=st.data())
def test_strength_is_non_negative(info, data):
    n, args, params = draw_call(data, info)
    assert np.all(call(info, args, params) >= 0.0)


@checks("battlefield", "bounded_by_scale")
@given(data=st.data())
def test_drift_is_bounded_by_its_scale(info, data):
    n, args, params = draw_call(data, info)
    assert np.all(np.abs(call(info, args, params)) <= args["drift_scale"] * (1.0 + 1e-12))


@checks("battlefield", "antisymmetric")
@given(data=st.data())
def test_drift_is_antisymmetric(info, data):
    n, args, params = draw_call(data, info)
    swapped = dict(args, strength_russia=args["strength_ukraine"], strength_ukraine=args["strength_russia"])
    np.testing.assert_array_equal(call(info, swapped, params), -call(info, args, params))


@given(data=front_drift_args(), extra=st.data())
def test_drift_moves_toward_the_side_that_grows_stronger(data, extra):
    n, args = data
    stronger = args["strength_russia"] + extra.draw(array(n, 0.0, 1e8))
    before = front_drift(args["strength_russia"], args["strength_ukraine"], args["drift_scale"])
    after = front_drift(stronger, args["strength_ukraine"], args["drift_scale"])
    assert np.all(after >= before - 1e-12 * args["drift_scale"])


# -- coalition

@checks("coalition", "monotone_commitment")
@given(data=st.data())
def test_commitments_are_monotone(info, data):
    """No one leaves; more commitments never make anyone stay out (Granovetter 1978); only members
    with a pledge and, where they need one, a US backstop ever join; rounds reach a fixed point."""
    n, args, params = draw_call(data, info)
    committed = args["committed"]
    allowed = (args["pledges"] > 0) & (~args["needs_backstop"][:, None] | args["backstop"][None, :])
    new = call(info, args, params)
    assert np.all(new >= committed)
    assert np.all(new <= committed | allowed)
    more = committed | data.draw(bools(committed.shape), label="more committed")
    assert np.all(call(info, dict(args, committed=more), params) >= new)
    state = new
    for _ in range(committed.shape[0] + 1):
        nxt = call(info, dict(args, committed=state), params)
        assert np.all(nxt >= state)
        state = nxt
    np.testing.assert_array_equal(call(info, dict(args, committed=state), params), state)


# -- proposals

@checks("proposal", "bounded_unit")
@given(data=st.data())
def test_terms_lie_on_the_unit_scale(info, data):
    n, args, params = draw_call(data, info)
    terms = call(info, args, params)
    assert terms.shape == args["mediator_position"].shape
    assert np.all((terms >= 0.0) & (terms <= 1.0))


@checks("proposal", "within_joint_red_lines")
@given(data=st.data())
def test_terms_respect_the_sides_red_lines_when_they_can(info, data):
    """Inside the sides' joint acceptable interval where it is not empty; else inside the mediator's."""
    n, args, params = draw_call(data, info)
    terms = call(info, args, params)
    lo, hi = args["joint_low"], args["joint_high"]
    feasible = lo <= hi
    assert np.all((terms[feasible] >= lo[feasible]) & (terms[feasible] <= hi[feasible]))
    m_lo, m_hi = args["mediator_low"], args["mediator_high"]
    assert np.all((terms[~feasible] >= m_lo[~feasible]) & (terms[~feasible] <= m_hi[~feasible]))


@given(data=compromise_terms_args())
def test_unbiased_unconstrained_terms_lie_between_the_positions(data):
    n, args = data
    zeros, ones = np.zeros_like(args["mediator_position"]), np.ones_like(args["mediator_position"])
    terms = compromise_terms(args["positions"], args["weights"], args["mediator_position"], np.zeros(n), zeros, ones, zeros, ones)
    lo, hi = args["positions"].min(axis=0), args["positions"].max(axis=0)
    assert np.all((terms >= lo - 1e-12) & (terms <= hi + 1e-12))
    full_bias = compromise_terms(args["positions"], args["weights"], args["mediator_position"], np.ones(n), zeros, ones, zeros, ones)
    np.testing.assert_allclose(full_bias, args["mediator_position"], rtol=0, atol=1e-12)


# -- support

@checks("aid_policy", "bounded_unit")
@given(data=st.data())
def test_conditional_aid_stays_on_the_unit_scale(info, data):
    n, args, params = draw_call(data, info)
    aid = call(info, args, params)
    assert np.all((aid >= 0.0) & (aid <= 1.0))


@given(data=conditional_aid_args())
def test_conditional_aid_follows_ukraines_answer(data):
    """Restored when Ukraine accepted a US proposal, suspended when it rejected one, else unchanged."""
    n, a = data
    aid = conditional_aid(a["current"], a["accepted"], a["rejected"], a["restored"])
    restored = np.broadcast_to(a["restored"], (n,))
    np.testing.assert_array_equal(aid[a["accepted"]], restored[a["accepted"]])
    np.testing.assert_array_equal(aid[a["rejected"] & ~a["accepted"]], 0.0)
    quiet = ~a["accepted"] & ~a["rejected"]
    np.testing.assert_array_equal(aid[quiet], a["current"][quiet])


@checks("aid_policy", "monotone_in_time")
@given(data=st.data())
def test_ramped_aid_moves_monotonically_from_start_to_target(info, data):
    n, args, params = draw_call(data, info)
    later = args["week"] + data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, 520)))
    now, then = call(info, args, params), call(info, dict(args, week=later), params)
    start, target = np.broadcast_to(args["start"], (n,)), np.broadcast_to(args["target"], (n,))
    tol = 1e-12
    assert np.all(np.abs(then - target) <= np.abs(now - target) + tol)
    assert np.all((now >= np.minimum(start, target) - tol) & (now <= np.maximum(start, target) + tol))
    np.testing.assert_allclose(call(info, dict(args, week=np.zeros(n, dtype=np.int64)), params), start, rtol=1e-12, atol=1e-15)


def test_ramped_aid_reaches_its_target():
    np.testing.assert_allclose(ramped_aid(10_000, 1.0, 1.25, 52), 1.25, rtol=1e-12)


# -- utilities

@checks("utility", "bounded_unit_negative")
@given(data=st.data())
def test_utility_lies_between_minus_one_and_zero(info, data):
    n, args, params = draw_call(data, info)
    u = call(info, args, params)
    assert u.shape == (n,)
    assert np.all((u >= -1.0 - 1e-12) & (u <= 0.0))


@given(data=issue_utility_args(), extra=st.data())
def test_utility_is_highest_at_the_own_position_and_falls_with_distance(data, extra):
    n, a = data
    np.testing.assert_array_equal(issue_utility(a["position"], a["position"], a["salience"]), 0.0)
    k = extra.draw(st.integers(0, a["point"].shape[1] - 1))
    far = a["point"].copy()
    # Move issue k away from the position (to the far end of the scale on its side).
    far[:, k] = np.where(a["point"][:, k] >= a["position"][:, k], 1.0, 0.0)
    assert np.all(issue_utility(far, a["position"], a["salience"]) <= issue_utility(a["point"], a["position"], a["salience"]) + 1e-15)


@given(data=breaks_red_line_args())
def test_red_lines_bind_only_on_the_issues_an_agreement_fixes(data):
    n, a = data
    fixed = np.broadcast_to(a["fixed"], a["point"].shape)
    # Clearly outside (beyond a rounding tolerance) on a fixed issue breaks; inside never does.
    clearly_out = (a["point"] < a["low"] - 1e-9) | (a["point"] > a["high"] + 1e-9)
    maybe_out = (a["point"] < a["low"]) | (a["point"] > a["high"])
    broken = breaks_red_line(a["point"], a["low"], a["high"], a["fixed"])
    assert broken.shape == (n,)
    assert np.all(broken >= np.any(clearly_out & fixed, axis=-1))
    assert np.all(broken <= np.any(maybe_out & fixed, axis=-1))
    inside = np.clip(a["point"], a["low"], a["high"])
    assert not breaks_red_line(inside, a["low"], a["high"], np.ones(a["point"].shape[1], dtype=bool)).any()


@checks("war_outcome", "bounded_unit")
@given(data=st.data())
def test_expected_war_outcome_lies_on_the_unit_scale(info, data):
    n, args, params = draw_call(data, info)
    point = call(info, args, params)
    assert point.shape == args["aims_ukraine"].shape
    assert np.all((point >= 0.0) & (point <= 1.0))


@given(data=expected_war_outcome_args(), extra=st.data())
def test_a_more_optimistic_belief_expects_more_territory(data, extra):
    n, a = data
    higher = a["drift_belief"] + extra.draw(array(n, 0.0, 0.05))
    low = expected_war_outcome(**a)
    high = expected_war_outcome(**dict(a, drift_belief=higher))
    assert np.all(high[:, a["territory"]] >= low[:, a["territory"]])


# -- relabelling the actors


@checks("proposal", "invariant_to_relabelling")
@given(data=st.data())
def test_terms_do_not_depend_on_the_order_of_the_sides(info, data):
    n, args, params = draw_call(data, info)
    order = np.array(data.draw(st.permutations(range(args["positions"].shape[0])), label="order"))
    swapped = dict(args, positions=args["positions"][order], weights=args["weights"][order])
    np.testing.assert_allclose(call(info, swapped, params), call(info, args, params), rtol=0, atol=1e-12)


@checks("bdm_round", "invariant_to_relabelling")
@given(data=st.data())
def test_bdm_round_does_not_depend_on_the_order_of_the_actors(info, data):
    n, args, params = draw_call(data, info)
    order = np.array(data.draw(st.permutations(range(5)), label="order"))
    swapped = dict(args, **{k: args[k][:, order] for k in ("positions", "salience", "capability")})
    np.testing.assert_allclose(call(info, swapped, params), call(info, args, params)[:, order], rtol=0, atol=1e-12)


@checks("bdm_outcome", "invariant_to_relabelling")
@given(data=st.data())
def test_bdm_outcome_does_not_depend_on_the_order_of_the_actors(info, data):
    n, args, params = draw_call(data, info)
    order = np.array(data.draw(st.permutations(range(5)), label="order"))
    swapped = dict(args, **{k: args[k][:, order] for k in ("positions", "salience", "capability")})
    np.testing.assert_allclose(call(info, swapped, params), call(info, args, params), rtol=0, atol=1e-12)


@checks("position_dynamics", "invariant_to_relabelling")
@given(data=st.data())
def test_position_dynamics_do_not_depend_on_the_order_of_the_actors(info, data):
    n, args, params = draw_call(data, info)
    order = np.array(data.draw(st.permutations(range(5)), label="order"))
    swapped = dict(args, **{k: args[k][:, order] for k in ("positions", "salience", "capability", "low", "high")})
    np.testing.assert_allclose(call(info, swapped, params), call(info, args, params)[:, order], rtol=0, atol=1e-12)


@checks("*", "within_initial_range")
@given(data=st.data())
def test_bdm_stays_within_the_range_of_the_positions(info, data):
    n, args, params = draw_call(data, info)
    out = np.asarray(call(info, args, params))
    x = args["positions"]
    lo, hi = x.min(axis=1), x.max(axis=1)
    if out.ndim == 2:
        lo, hi = lo[:, None], hi[:, None]
    assert (out >= lo - 1e-12).all() and (out <= hi + 1e-12).all()


@checks("position_dynamics", "within_own_red_lines")
@given(data=st.data())
def test_position_dynamics_keep_actors_within_their_red_lines(info, data):
    n, args, params = draw_call(data, info)
    out = call(info, args, params)
    inside = (args["positions"] >= args["low"]) & (args["positions"] <= args["high"])
    assert ((out >= args["low"]) & (out <= args["high"]))[inside].all()


@checks("coalition", "invariant_to_relabelling")
@given(data=st.data())
def test_commitments_do_not_depend_on_the_order_of_the_members(info, data):
    n, args, params = draw_call(data, info)
    order = np.array(data.draw(st.permutations(range(args["committed"].shape[0])), label="order"))
    swapped = dict(args, **{k: args[k][order] for k in ("committed", "pledges", "thresholds", "needs_backstop")})
    np.testing.assert_array_equal(call(info, swapped, params), call(info, args, params)[order])
