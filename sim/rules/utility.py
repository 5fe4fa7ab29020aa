"""Utilities over issue space: agreements, red lines and the value of fighting on."""

from __future__ import annotations

import numpy as np

from sim.rules.in_place import fits
from sim.rules.registry import Values, rule


@rule(
    kind="utility",
    source="Spatial model of bargaining with salience-weighted city-block distance (Bueno de Mesquita 1985; Fearon 1995)",
    traits=("bounded_unit_negative", "deterministic"),
)
def issue_utility(point: np.ndarray, position: np.ndarray, salience: np.ndarray) -> np.ndarray:
    """Utility of an issue-space point: minus the salience-weighted distance from the actor's position.

    Shapes (R, K) -> (R,); saliences sum to one over K, so utilities lie in [-1, 0].
    """
    terms = np.subtract(point, position)
    np.abs(terms, out=terms)
    # salience x |point - position|, in place where the product has the shape and type of the distances (the same numbers).
    terms = _times(salience, terms)
    # Issue by issue, in order: the same sums as np.sum over a short last axis, without its per-row overhead.
    total = terms[..., 0].copy()
    for k in range(1, terms.shape[-1]):
        total += terms[..., k]
    out: np.ndarray = np.negative(total, out=total)
    return out


def _times(factor: Values | np.ndarray, terms: np.ndarray) -> np.ndarray:
    """`factor * terms`, into `terms` (a temporary) when the product fits it."""
    out: np.ndarray = np.multiply(factor, terms, out=terms) if fits(terms, factor) else factor * terms
    return out


@rule(
    kind="red_line",
    source="Hard red lines: an agreement outside an actor's acceptable interval is refused",
    traits=("deterministic",),
)
def breaks_red_line(point: np.ndarray, low: np.ndarray, high: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """Whether `point` falls outside [low, high] on any issue the agreement fixes (`fixed`, shape (K,) or (R, K))."""
    outside = ((point < low - 1e-12) | (point > high + 1e-12)) & fixed
    hit = outside[..., 0].copy()
    for k in range(1, outside.shape[-1]):
        hit |= outside[..., k]
    out: np.ndarray = hit
    return out


@rule(
    kind="war_outcome",
    source="Expected war outcome proportional to the balance of forces (Fearon 1995, p; Slantchev 2003)",
    traits=("deterministic", "bounded_unit"),
)
def expected_war_outcome(
    front: np.ndarray,
    drift_belief: np.ndarray,
    lookahead: float | np.ndarray,
    aims_ukraine: np.ndarray,
    aims_russia: np.ndarray,
    territory: int,
) -> np.ndarray:
    """The issue-space point a side expects the war to produce `lookahead` weeks on.

    The front is projected with the side's believed weekly drift; its position p on the
    0-1 territory scale is the territory outcome, and on every other issue the outcome lies
    the share p of the way from Ukraine's war aims to Russia's. Shapes (R,), (R, K) -> (R, K).
    """
    p = np.clip(front + drift_belief * lookahead, 0.0, 1.0)
    point = aims_ukraine + p[:, None] * (aims_russia - aims_ukraine)
    point[:, territory] = p
    out: np.ndarray = point
    return out


@rule(
    kind="war_value",
    source="Value of war = expected outcome minus costs (Fearon 1995)",
    traits=("deterministic", "decreasing_in_cost"),
)
def value_of_war(outcome_utility: np.ndarray, weekly_cost: np.ndarray, lookahead: float | np.ndarray) -> np.ndarray:
    """Utility of fighting on: the utility of the expected outcome minus the costs over the look-ahead."""
    return outcome_utility - weekly_cost * lookahead


VETO = 1e6
"""The gain a vetoed proposal is given by the `veto` red-line rule; a belligerent refuses any proposal whose gain is this low."""


def _sum_over_issues(terms: np.ndarray) -> np.ndarray:
    total = terms[..., 0].copy()
    for k in range(1, terms.shape[-1]):
        total += terms[..., k]
    return total


@rule(
    kind="red_lines",
    name="costly",
    source="Audience costs: backing down from a public commitment costs the leader who made it (Fearon 1994; Tomz 2007)",
    traits=("increasing_in_gain", "decreasing_in_cost_low", "decreasing_in_cost_high", "deterministic"),
)
def costly_red_lines(
    gain: np.ndarray, point: np.ndarray, low: np.ndarray, high: np.ndarray, fixed: np.ndarray, cost_low: np.ndarray, cost_high: np.ndarray
) -> np.ndarray:
    """The gain net of the audience costs of every red line the point crosses on the issues the agreement fixes.

    Crossing the low (high) red line on an issue costs `cost_low` (`cost_high`) on that issue, a
    fixed cost however far the line is crossed (the cost of backing down, Fearon 1994); the
    costs of several crossed lines add up. Shapes: gain (R,); the rest (R, K).
    """
    below = _masked(np.less(point, low - 1e-12), fixed)
    above = _masked(np.greater(point, high + 1e-12), fixed)
    costs = np.where(below, cost_low, 0.0)
    crossed_high = np.where(above, cost_high, 0.0)
    costs = np.add(costs, crossed_high, out=costs) if fits(costs, crossed_high) else costs + crossed_high
    total = _sum_over_issues(costs)
    out: np.ndarray = np.subtract(gain, total, out=total) if fits(total, gain) else gain - total
    return out


def _masked(crossed: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """`crossed & fixed`, into `crossed` (a temporary) when the result fits it."""
    out: np.ndarray = np.bitwise_and(crossed, fixed, out=crossed) if fits(crossed, fixed) else crossed & fixed
    return out


@rule(
    kind="red_lines",
    name="veto",
    source="Red lines as absolute vetoes (the first edition's rule, kept for comparison)",
    traits=("increasing_in_gain", "deterministic"),
)
def veto_red_lines(
    gain: np.ndarray, point: np.ndarray, low: np.ndarray, high: np.ndarray, fixed: np.ndarray, cost_low: np.ndarray, cost_high: np.ndarray
) -> np.ndarray:
    """The gain, or minus VETO where the point crosses a red line on an issue the agreement fixes (a refusal)."""
    return np.where(breaks_red_line(point, low, high, fixed), -VETO, gain)


@rule(
    kind="agreement_value",
    source="Credible commitment: a side weighs the risk that an agreement breaks down and what being caught standing "
    "down would cost (Walter 1997, 2002; Fortna 2004)",
    traits=("increasing_in_gain", "decreasing_in_lost_share", "decreasing_in_breakdown_risk", "decreasing_in_exploitation_cost", "deterministic"),
)
def risk_adjusted_gain(gain: np.ndarray, lost_share: np.ndarray, breakdown_risk: np.ndarray, exploitation_cost: Values) -> np.ndarray:
    """Gain of an agreement over fighting on, net of its breakdown risk: gain - lost x max(gain, 0) - risk x exploitation cost.

    A breakdown within the look-ahead (probability `breakdown_risk`) costs the side what the agreement gained it
    over war for the rest of the look-ahead (`lost_share`, the expected share of it lost) and the cost of having
    stood down (Walter 1997); the side does not count on a breakdown to rescue it from an agreement worse than
    war (it would answer for the breakdown). So enforcement, by lowering the risk, never makes an agreement less
    attractive.
    """
    out: np.ndarray = gain - lost_share * np.maximum(gain, 0.0) - breakdown_risk * exploitation_cost
    return out


@rule(
    kind="war_cost",
    source="War weariness: support for a war falls with the log of its cumulative costs (Mueller 1973; Gartner & Segura 1998)",
    traits=("non_negative", "increasing_in_weekly_cost", "increasing_in_cost_paid", "increasing_in_pressure", "deterministic"),
)
def felt_weekly_cost(weekly_cost: Values, pressure: np.ndarray, cost_paid: np.ndarray, weariness: Values) -> np.ndarray:
    """The weekly cost a side feels: base x pressure x (1 + weariness x log(1 + years of base costs already paid))."""
    base = np.maximum(np.asarray(weekly_cost, dtype=float), 1e-12)
    years = np.maximum(cost_paid, 0.0) / (base * 52.0)
    out: np.ndarray = np.asarray(weekly_cost) * pressure * (1.0 + np.asarray(weariness) * np.log1p(years))
    return out
