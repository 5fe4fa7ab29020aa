"""Property checks: the generic ones every rule must pass, and one per declarable trait.

A check is a function `check(case, data)` of a `RuleCase` (the rule's drawn inputs) and
hypothesis' `data` (for any further draw, such as a step up in one argument); it raises
`PropertyFailure` with a message that shows where the property broke. `properties_for(info)`
lists the checks a rule is held to: the generic ones (`GENERIC`), then one per declared
trait (`TRAIT_CHECKS`, plus the monotone families `increasing_in_<x>` / `decreasing_in_<x>`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim.rules.registry import RuleInfo
from sim.rules.traits import GENERIC_PROPERTIES, TRAITS, Trait
from sim.testing.strategies import DOMAINS, Domain, RuleCase, fmt

Check = Callable[[RuleCase, st.DataObject], None]


class PropertyFailure(AssertionError):
    """A property does not hold; the message says where, with the values involved."""


def _outputs(case: RuleCase, out: Any) -> tuple[Any, ...]:
    """The rule's result as a tuple of arrays (one per declared output)."""
    n = len(case.info.spec.outputs)
    if n > 1:
        if not isinstance(out, tuple) or len(out) != n:
            raise PropertyFailure(f"expected a tuple of {n} arrays, got {type(out).__name__}")
        return tuple(np.asarray(o) for o in out)
    return (np.asarray(out),)


def _where(mask: np.ndarray) -> tuple[Any, ...]:
    """Index of the first True entry of `mask`."""
    return tuple(int(i) for i in np.argwhere(np.asarray(mask))[0])


def _at(x: Any, idx: tuple[Any, ...]) -> str:
    """x at index idx, broadcasting scalars and shorter arrays (per-replication values) as the rules do."""
    a = np.asarray(x)
    if a.ndim == 0:
        return fmt(a)
    return fmt(a[idx[: a.ndim]] if a.ndim <= len(idx) else a[idx])


def _first_output(case: RuleCase, out: Any) -> np.ndarray:
    first: np.ndarray = _outputs(case, out)[0]
    return first


def _same(a: Any, b: Any) -> bool:
    """Bitwise equal (NaN equal to NaN), for arrays or tuples of arrays."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        return isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    a, b = np.asarray(a), np.asarray(b)
    return bool(a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes())


def _close(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise: equal up to rounding (relative 1e-12), NaN equal to NaN."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    both_nan = np.isnan(a) & np.isnan(b)
    with np.errstate(invalid="ignore"):
        out: np.ndarray = both_nan | (a == b) | (np.abs(a - b) <= 1e-12 * np.maximum(np.abs(a), np.abs(b)) + 1e-300)
        return out


# ---------------------------------------------------------------- generic checks


def check_shape(case: RuleCase, data: st.DataObject) -> None:
    """The output has the shape the kind declares (for a selectable kind: the shape of its first argument)."""
    outs = _outputs(case, case.call())
    for i, (o, expected) in enumerate(zip(outs, case.output_shapes())):
        if o.shape != expected:
            which = f"output {i + 1}" if len(outs) > 1 else "output"
            raise PropertyFailure(f"{which} has shape {o.shape}, expected {expected} for R={case.sizes['R']}")


def check_no_nan(case: RuleCase, data: st.DataObject) -> None:
    """No NaN (nor infinity) for valid input."""
    for o in _outputs(case, case.call()):
        if o.dtype == bool:
            continue
        o = o.astype(float)
        bad = ~np.isfinite(o)
        if bad.any():
            idx = _where(bad)
            raise PropertyFailure(f"output {fmt(o[idx])} at index {idx}")


def check_repeatable(case: RuleCase, data: st.DataObject) -> None:
    """The same inputs give the same result; the inputs are left unmodified."""
    before = {k: np.array(v, copy=True) for k, v in case.args.items() if isinstance(v, np.ndarray)}
    args = dict(case.args)
    first = case.info.func(*args.values(), **dict(case.params))
    changed = [k for k, v in before.items() if not _same(v, args[k])]
    if changed:
        raise PropertyFailure(f"the rule modified its input(s) {', '.join(changed)}")
    second = case.call()
    for _i, (a, b) in enumerate(zip(_outputs(case, first), _outputs(case, second))):
        ok = _close(a, b) if a.shape == b.shape else np.array(False)
        if not np.all(ok):
            idx = _where(~ok) if a.shape == b.shape and ok.ndim else ()
            raise PropertyFailure(f"two calls with the same inputs gave {_at(a, idx)} and then {_at(b, idx)} at index {idx}")


def check_batch_consistent(case: RuleCase, data: st.DataObject) -> None:
    """Each replication's result is the same computed alone as inside the batch."""
    outs = _outputs(case, case.call())
    for i in range(case.sizes["R"]):
        alone = _outputs(case, case.single(i).call())
        for dims, o, a in zip(case.info.spec.outputs, outs, alone):
            axis = dims.index("R")
            inside = np.take(o, [i], axis=axis) if o.ndim > axis else o
            if inside.shape != a.shape or not np.all(_close(inside, a)):
                raise PropertyFailure(f"replication {i} alone gives {fmt(a)}, inside the batch of {case.sizes['R']} it gives {fmt(inside)}")


_GENERIC_CHECKS = {"shape": check_shape, "no_nan": check_no_nan, "repeatable": check_repeatable, "batch_consistent": check_batch_consistent}
# name -> (check, what it checks); the names and descriptions are declared in sim.rules.traits.GENERIC_PROPERTIES.
GENERIC: dict[str, tuple[Check, str]] = {name: (_GENERIC_CHECKS[name], what) for name, what in GENERIC_PROPERTIES.items()}


# ---------------------------------------------------------------- trait checks


def check_deterministic(case: RuleCase, data: st.DataObject) -> None:
    """Bit for bit the same output whatever the global random generators (numpy's legacy one, `random`) hold."""
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        np.random.seed(1)
        random.seed(1)
        a = case.call()
        np.random.seed(2)
        random.seed(2)
        b = case.call()
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    if not _same(a, b):
        raise PropertyFailure(f"the output depends on the global random state: {fmt(a)} then {fmt(b)}")


def _within(lo: float, hi: float, what: str) -> Check:
    def check(case: RuleCase, data: st.DataObject) -> None:
        for o in _outputs(case, case.call()):
            o = o.astype(float)
            bad = ~((o >= lo) & (o <= hi))
            if bad.any():
                idx = _where(bad)
                raise PropertyFailure(f"output {fmt(o[idx])} at index {idx} is not {what}")

    check.__doc__ = f"Every output is {what}."
    return check


def check_non_negative(case: RuleCase, data: st.DataObject) -> None:
    """Every output is >= 0."""
    for o in _outputs(case, case.call()):
        bad = ~(o.astype(float) >= 0.0)
        if bad.any():
            idx = _where(bad)
            raise PropertyFailure(f"output {fmt(o[idx])} at index {idx} is negative")


def _raised(case: RuleCase, name: str, data: st.DataObject) -> Any:
    """The value of `name` raised by a random non-negative step within its domain (a whole number for whole-number domains)."""
    domain = case.domain(name)
    value = case.value(name)
    if domain.dtype == "bool":
        raise PropertyFailure(f"{name!r} is a flag: a monotone trait needs a numeric argument")
    shape = np.shape(value)
    step = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(0.0, 1.0)) if shape else st.floats(0.0, 1.0), label=f"step up in {name}")
    raised = np.asarray(value, dtype=float) + np.asarray(step) * (domain.hi - np.asarray(value, dtype=float))
    raised = np.minimum(raised, domain.hi)
    if domain.dtype == "int":
        raised = np.ceil(raised).astype(np.int64)
    return raised if shape else raised.item()


def monotone_check(trait: Trait) -> Check:
    """The check of a monotone trait: raising `trait.argument` moves the output in `trait.direction` (or not at all)."""
    name, direction = trait.argument, trait.direction

    def check(case: RuleCase, data: st.DataObject) -> None:
        if name not in case.args and name not in case.params:
            raise PropertyFailure(f"the rule has no argument or parameter {name!r}")
        before = _first_output(case, case.call()).astype(float)
        raised = _raised(case, name, data)
        after = _first_output(case, case.call(**{name: raised})).astype(float)
        tol = 1e-12 * np.maximum(np.abs(before), np.abs(after)) + 1e-300
        bad = direction * (after - before) < -tol
        if bad.any():
            idx = _where(bad)
            old = case.value(name)
            verb = "lowered" if direction > 0 else "raised"
            raise PropertyFailure(
                f"raising {name} from {_at(old, idx)} to {_at(raised, idx)} {verb} the output from {fmt(before[idx])} to {fmt(after[idx])} (index {idx})"
            )

    check.__doc__ = trait.description
    return check


def check_half_at_zero_rationality(case: RuleCase, data: st.DataObject) -> None:
    """With rationality 0 the output is one half."""
    zero = np.zeros_like(np.asarray(case.value("rationality"), dtype=float))
    p = _first_output(case, case.call(rationality=zero if zero.ndim else 0.0)).astype(float)
    bad = ~(np.abs(p - 0.5) <= 1e-15)
    if bad.any():
        idx = _where(bad)
        raise PropertyFailure(f"at rationality 0 the output is {fmt(p[idx])}, not 0.5 (index {idx}, gain {_at(case.args['gain'], idx)})")


RATIONALITY_LADDER = (1.0, 10.0, 1e3, 1e5, 1e7)


def check_best_response_limit(case: RuleCase, data: st.DataObject) -> None:
    """As rationality grows the output tends monotonically to the best response (1 for a gain, 0 for a loss)."""
    gain = np.asarray(case.args["gain"], dtype=float)
    gain = np.where(gain >= 0, 1e-4 + gain, -1e-4 + gain)  # keep away from the tie at zero
    best = (gain > 0).astype(float)
    errors = []
    for lam in RATIONALITY_LADDER:
        p = _first_output(case, case.call(gain=gain, rationality=np.full(gain.shape, lam))).astype(float)
        errors.append((lam, np.abs(p - best)))
    for (l1, e1), (l2, e2) in zip(errors, errors[1:]):
        bad = e2 > e1 + 1e-15
        if bad.any():
            idx = _where(bad)
            raise PropertyFailure(
                f"at gain {fmt(gain[idx])} the distance to the best response grew from {fmt(e1[idx])} at rationality {l1:g} to {fmt(e2[idx])} at {l2:g}"
            )
    lam, last = errors[-1]
    bad = last >= 1e-9
    if bad.any():
        idx = _where(bad)
        raise PropertyFailure(f"at gain {fmt(gain[idx])} and rationality {lam:g} the output is still {fmt(last[idx])} from the best response")


def check_never_crosses_red_line(case: RuleCase, data: st.DataObject) -> None:
    """The output stays within [low, high] when the input position does."""
    new = _first_output(case, case.call()).astype(float)
    low, high = np.asarray(case.args["low"]), np.asarray(case.args["high"])
    bad = (new < low - 1e-12) | (new > high + 1e-12)
    if bad.any():
        idx = _where(bad)
        raise PropertyFailure(
            f"new position {fmt(new[idx])} outside the red lines [{fmt(low[idx])}, {fmt(high[idx])}] at index {idx} "
            f"(position was {fmt(np.asarray(case.args['position'])[idx])})"
        )


def check_moves_toward_target(case: RuleCase, data: st.DataObject) -> None:
    """The output lies between the position and the target."""
    new = _first_output(case, case.call()).astype(float)
    old, target = np.asarray(case.args["position"], dtype=float), np.asarray(case.args["target"], dtype=float)
    tol = 1e-12
    bad = (new < np.minimum(old, target) - tol) | (new > np.maximum(old, target) + tol)
    if bad.any():
        idx = _where(bad)
        raise PropertyFailure(f"from position {fmt(old[idx])} toward target {fmt(target[idx])} the rule moved to {fmt(new[idx])} (index {idx})")


def check_bounded_by_scale(case: RuleCase, data: st.DataObject) -> None:
    """|output| <= drift_scale."""
    out = _first_output(case, case.call()).astype(float)
    scale = np.broadcast_to(np.abs(np.asarray(case.value("drift_scale"), dtype=float)), out.shape)
    bad = np.abs(out) > scale * (1 + 1e-12) + 1e-300
    if bad.any():
        idx = _where(bad)
        raise PropertyFailure(f"output {fmt(out[idx])} exceeds the scale {fmt(scale[idx])} (index {idx})")


def check_antisymmetric(case: RuleCase, data: st.DataObject) -> None:
    """Swapping the first two arguments negates the output."""
    a, b = case.info.arguments[:2]
    out = _first_output(case, case.call()).astype(float)
    swapped = _first_output(case, case.call(**{a: case.args[b], b: case.args[a]})).astype(float)
    bad = ~_close(swapped, -out)
    if bad.any():
        idx = _where(bad)
        raise PropertyFailure(f"output {fmt(out[idx])}, but {fmt(swapped[idx])} with {a} and {b} swapped (index {idx})")


def check_moves_toward_observation(case: RuleCase, data: st.DataObject) -> None:
    """The posterior mean lies between the prior mean and the observation."""
    mean = _first_output(case, case.call()).astype(float)
    prior, obs = np.asarray(case.args["mean"], dtype=float), np.asarray(case.args["observation"], dtype=float)
    tol = 1e-12 * (np.abs(prior) + np.abs(obs)) + 1e-300
    bad = (mean < np.minimum(prior, obs) - tol) | (mean > np.maximum(prior, obs) + tol)
    if bad.any():
        idx = _where(bad)
        raise PropertyFailure(f"prior mean {fmt(prior[idx])}, observation {fmt(obs[idx])}, posterior mean {fmt(mean[idx])} (index {idx})")


def check_shrinks_variance(case: RuleCase, data: st.DataObject) -> None:
    """The posterior precision exceeds the prior precision (the variance shrinks)."""
    outs = _outputs(case, case.call())
    post = outs[-1].astype(float)
    prior = np.asarray(case.args["precision"], dtype=float)
    bad = ~(1.0 / post < 1.0 / prior)
    if bad.any():
        idx = _where(bad)
        raise PropertyFailure(f"prior precision {fmt(prior[idx])}, posterior precision {fmt(post[idx])} (index {idx})")


def check_monotone_commitment(case: RuleCase, data: st.DataObject) -> None:
    """No one leaves, and more commitments never keep anyone out."""
    committed = np.asarray(case.args["committed"], dtype=bool)
    new = _first_output(case, case.call()).astype(bool)
    left = committed & ~new
    if left.any():
        idx = _where(left)
        raise PropertyFailure(f"member {idx[0]} left in replication {idx[1]}")
    more = committed | data.draw(hnp.arrays(bool, committed.shape), label="more committed")
    after = _first_output(case, case.call(committed=more)).astype(bool)
    out = new & ~after
    if out.any():
        idx = _where(out)
        raise PropertyFailure(f"member {idx[0]} joins with commitments {fmt(committed[:, idx[1]])} but not with {fmt(more[:, idx[1]])} (replication {idx[1]})")


def check_within_joint_red_lines(case: RuleCase, data: st.DataObject) -> None:
    """Where the joint acceptable interval is not empty, the output lies inside it."""
    terms = _first_output(case, case.call()).astype(float)
    lo, hi = np.asarray(case.args["joint_low"]), np.asarray(case.args["joint_high"])
    bad = (lo <= hi) & ((terms < lo - 1e-12) | (terms > hi + 1e-12))
    if bad.any():
        idx = _where(bad)
        raise PropertyFailure(f"terms {fmt(terms[idx])} outside the joint interval [{fmt(lo[idx])}, {fmt(hi[idx])}] (index {idx})")


def check_monotone_in_time(case: RuleCase, data: st.DataObject) -> None:
    """The output lies between start and target and moves toward the target as week grows."""
    week = case.value("week")
    later = _raised(case, "week", data)
    now = _first_output(case, case.call()).astype(float)
    then = _first_output(case, case.call(week=later)).astype(float)
    start = np.broadcast_to(np.asarray(case.value("start"), dtype=float), now.shape)
    target = np.broadcast_to(np.asarray(case.value("target"), dtype=float), now.shape)
    tol = 1e-12 * (1 + np.abs(target))
    bad = (now < np.minimum(start, target) - tol) | (now > np.maximum(start, target) + tol)
    if bad.any():
        idx = _where(bad)
        raise PropertyFailure(f"output {fmt(now[idx])} at week {_at(week, idx)} is not between start {fmt(start[idx])} and target {fmt(target[idx])}")
    bad = np.abs(then - target) > np.abs(now - target) + tol
    if bad.any():
        idx = _where(bad)
        raise PropertyFailure(
            f"from week {_at(week, idx)} to {_at(later, idx)} the output moved away from the target {fmt(target[idx])}: {fmt(now[idx])} -> {fmt(then[idx])}"
        )


def check_invariant_to_relabelling(case: RuleCase, data: st.DataObject) -> None:
    """Permuting the actor axis (A or M) of the inputs permutes the output's actor axis the same way (or leaves it unchanged)."""
    spec = case.info.spec
    axis_name = next(d for d in ("A", "M") if any(d in spec.arguments[a] for a in case.info.arguments))
    perm = np.asarray(data.draw(st.permutations(range(case.sizes[axis_name])), label=f"relabelling of the {axis_name} axis"))
    changes = {a: np.take(np.asarray(v), perm, axis=spec.arguments[a].index(axis_name)) for a, v in case.args.items() if axis_name in spec.arguments[a]}
    outs = _outputs(case, case.call())
    relabelled = _outputs(case, case.call(**changes))
    for dims, o, r in zip(spec.outputs, outs, relabelled):
        expected = np.take(o, perm, axis=dims.index(axis_name)) if axis_name in dims else o
        bad = ~_close(r.astype(float), expected.astype(float))
        if bad.any():
            idx = _where(bad)
            raise PropertyFailure(f"relabelling the actors by {fmt(perm)} gives {fmt(r[idx])} at index {idx}, expected {fmt(expected[idx])}")


def check_within_initial_range(case: RuleCase, data: st.DataObject) -> None:
    """Every output lies within [min, max] of the positions given over the actor axis (per replication and issue)."""
    positions = np.asarray(case.args["positions"], dtype=float)
    axis = case.info.spec.arguments["positions"].index("A")
    lo, hi = positions.min(axis=axis), positions.max(axis=axis)
    for dims, o in zip(case.info.spec.outputs, _outputs(case, case.call())):
        o = o.astype(float)
        lo_, hi_ = (np.expand_dims(lo, dims.index("A")), np.expand_dims(hi, dims.index("A"))) if "A" in dims else (lo, hi)
        tol = 1e-12 * (1 + np.abs(hi_))
        bad = (o < lo_ - tol) | (o > hi_ + tol)
        if bad.any():
            idx = _where(bad)
            raise PropertyFailure(
                f"output {fmt(o[idx])} at index {idx} outside the range of the positions given "
                f"[{_at(np.broadcast_to(lo_, o.shape), idx)}, {_at(np.broadcast_to(hi_, o.shape), idx)}]"
            )


def check_within_own_red_lines(case: RuleCase, data: st.DataObject) -> None:
    """Each actor's new positions lie within its [low, high] wherever the positions given did."""
    new = _first_output(case, case.call()).astype(float)
    old = np.asarray(case.args["positions"], dtype=float)
    low, high = np.asarray(case.args["low"], dtype=float), np.asarray(case.args["high"], dtype=float)
    inside = (old >= low) & (old <= high)
    bad = inside & ((new < low - 1e-12) | (new > high + 1e-12))
    if bad.any():
        idx = _where(bad)
        raise PropertyFailure(
            f"new position {fmt(new[idx])} outside the red lines [{fmt(low[idx])}, {fmt(high[idx])}] at index {idx} (position was {fmt(old[idx])})"
        )


TRAIT_CHECKS: dict[str, Check] = {
    "deterministic": check_deterministic,
    "bounded_probability": _within(0.0, 1.0, "a probability in [0, 1]"),
    "bounded_unit": _within(0.0, 1.0, "on the 0-1 scale"),
    "bounded_unit_negative": _within(-1.0 - 1e-12, 0.0, "in [-1, 0]"),
    "non_negative": check_non_negative,
    "half_at_zero_rationality": check_half_at_zero_rationality,
    "best_response_limit": check_best_response_limit,
    "never_crosses_red_line": check_never_crosses_red_line,
    "moves_toward_target": check_moves_toward_target,
    "bounded_by_scale": check_bounded_by_scale,
    "antisymmetric": check_antisymmetric,
    "moves_toward_observation": check_moves_toward_observation,
    "shrinks_variance": check_shrinks_variance,
    "monotone_commitment": check_monotone_commitment,
    "within_joint_red_lines": check_within_joint_red_lines,
    "monotone_in_time": check_monotone_in_time,
    "invariant_to_relabelling": check_invariant_to_relabelling,
    "within_initial_range": check_within_initial_range,
    "within_own_red_lines": check_within_own_red_lines,
}
for _name, _trait in TRAITS.items():
    if _trait.argument is not None:
        TRAIT_CHECKS[_name] = monotone_check(_trait)


# The argument domains of the kinds that sim.rules.bdm adds to the registry (Bueno de Mesquita's model): kept with
# its trait checks so that the kinds, their rules and their checks arrive together (the lead may move them into
# sim.testing.strategies.DOMAINS). Salience and capability from a small positive floor: BdM's weights are shares.
_BDM_UNIT = DOMAINS["utility"]["point"]
_BDM_WEIGHT = Domain(0.01, 1.0, why="BdM salience and capability are in (0, 1]")
DOMAINS.setdefault(
    "bdm_round",
    {
        "positions": _BDM_UNIT,
        "salience": _BDM_WEIGHT,
        "capability": _BDM_WEIGHT,
        "span": Domain(1.0, 2.0, why="the scale's length: at least the range of positions on the 0-1 scale"),
    },
)
DOMAINS.setdefault("bdm_outcome", {"positions": _BDM_UNIT, "salience": _BDM_WEIGHT, "capability": _BDM_WEIGHT})
DOMAINS.setdefault(
    "position_dynamics",
    {
        "positions": _BDM_UNIT,
        "salience": _BDM_WEIGHT,
        "capability": _BDM_WEIGHT,
        "low": _BDM_UNIT,
        "high": _BDM_UNIT,
    },
)


def trait_check(info: RuleInfo, trait: str) -> Check:
    """The check of one declared trait of `info` (named, or a monotone family member)."""
    if trait in TRAIT_CHECKS:
        return TRAIT_CHECKS[trait]
    resolved = info.trait(trait)
    if resolved.argument is None:
        raise KeyError(f"no property check for trait {trait!r}")
    return monotone_check(resolved)


def properties_for(info: RuleInfo) -> list[tuple[str, Check]]:
    """The properties a rule is held to: the generic ones, then one per declared trait (sorted)."""
    return [(name, fn) for name, (fn, _) in GENERIC.items()] + [(t, trait_check(info, t)) for t in sorted(info.traits)]
