"""The terms a mediator tables."""

from __future__ import annotations

import numpy as np

from sim.rules.registry import rule


@rule(
    kind="proposal",
    source="Capability-and-salience weighted mean of positions (Bueno de Mesquita 1985; Stokman & van Oosten 1994), "
    "pulled toward the mediator (biased mediation, Kydd 2003)",
    traits=("bounded_unit", "within_joint_red_lines", "invariant_to_relabelling", "deterministic"),
)
def compromise_terms(
    positions: np.ndarray,
    weights: np.ndarray,
    mediator_position: np.ndarray,
    bias: np.ndarray,
    mediator_low: np.ndarray,
    mediator_high: np.ndarray,
    joint_low: np.ndarray,
    joint_high: np.ndarray,
) -> np.ndarray:
    """Settlement terms per issue.

    `positions` and `weights` have shape (A, R, K) for the A bargaining sides; the weighted
    mean is pulled toward the mediator's position by its `bias` (R,), kept inside the
    mediator's own red lines, and then inside the sides' joint acceptable interval
    [joint_low, joint_high] on each issue where that interval is not empty (red lines are
    public, so a mediator does not table what a side has ruled out when it can avoid it).
    """
    total = np.sum(weights, axis=0)
    mean = np.sum(weights * positions, axis=0) / np.where(total > 0, total, 1.0)
    mean = np.where(total > 0, mean, np.mean(positions, axis=0))
    b = np.asarray(bias)[..., None] if np.ndim(bias) else bias
    terms = (1.0 - b) * mean + b * mediator_position
    terms = np.clip(terms, mediator_low, mediator_high)
    feasible = joint_low <= joint_high
    return np.where(feasible, np.clip(terms, joint_low, joint_high), terms)
