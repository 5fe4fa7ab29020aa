"""Utilities over issue space: agreements, red lines and the value of fighting on."""

from __future__ import annotations

import numpy as np

from sim.rules.registry import rule


@rule(
    kind="utility",
    source="Spatial model of bargaining with salience-weighted city-block distance (Bueno de Mesquita 1985; Fearon 1995)",
    traits=("bounded_unit_negative", "deterministic"),
)
def issue_utility(point: np.ndarray, position: np.ndarray, salience: np.ndarray) -> np.ndarray:
    """Utility of an issue-space point: minus the salience-weighted distance from the actor's position.

    Shapes (R, K) -> (R,); saliences sum to one over K, so utilities lie in [-1, 0].
    """
    terms = salience * np.abs(point - position)
    # Issue by issue, in order: the same sums as np.sum over a short last axis, without its per-row overhead.
    total = terms[..., 0].copy()
    for k in range(1, terms.shape[-1]):
        total += terms[..., k]
    return -total


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
    return hit


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
    return point


@rule(
    kind="war_value",
    source="Value of war = expected outcome minus costs (Fearon 1995)",
    traits=("deterministic", "decreasing_in_cost"),
)
def value_of_war(outcome_utility: np.ndarray, weekly_cost: np.ndarray, lookahead: float | np.ndarray) -> np.ndarray:
    """Utility of fighting on: the utility of the expected outcome minus the costs over the look-ahead."""
    return outcome_utility - weekly_cost * lookahead
