"""The terms a mediator tables."""

from __future__ import annotations

import numpy as np

from sim.rules.registry import RuleParam, Values, rule
from sim.rules.short_axis import max_last, sum_last


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
    bias: Values,
    mediator_low: np.ndarray,
    mediator_high: np.ndarray,
    joint_low: np.ndarray,
    joint_high: np.ndarray,
) -> np.ndarray:
    """Settlement terms per issue.

    `positions` and `weights` have shape (A, R, K) for the A bargaining sides; the weighted
    mean is pulled toward the mediator's position by its `bias` (R,) or a number, kept inside the
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
    out: np.ndarray = np.where(feasible, np.clip(terms, joint_low, joint_high), terms)
    return out


@rule(
    kind="proposal_type",
    name="expected_utility",
    source="A mediator with interests of its own tables what it gains most from, weighted by the chance both sides "
    "accept (biased mediation: Kydd 2003; mediators' own interests: Beardsley 2011); logit choice (McFadden 1974)",
    traits=("deterministic",),
    params={"precision": RuleParam(30.0, 0.0, 1000.0, "1/utility", "Logit precision of the mediator's choice of type.")},
)
def expected_utility_type(mediator_gain: np.ndarray, chance: np.ndarray, allowed: np.ndarray, sequencing: np.ndarray, precision: Values = 30.0) -> np.ndarray:
    """Weights of the proposal types: logit of the mediator's gain from each type times the chance both sides accept it.

    Shapes (R, T) for gain, chance and allowed (T types: partial truce, general ceasefire, settlement), (R,) for the
    mediator's sequencing position (unused here). Types not allowed weigh 0; the weights sum to 1 over the allowed."""
    score = np.asarray(chance) * np.asarray(mediator_gain)
    lam = np.asarray(precision, dtype=float)
    lam = lam[..., None] if lam.ndim else lam
    z = np.where(allowed, lam * score, -np.inf)
    top = max_last(np.where(allowed, z, -1e300))[..., None]
    w = np.where(allowed, np.exp(np.clip(z - top, -700.0, 0.0)), 0.0)
    total = sum_last(w)[..., None]
    return np.where(total > 0, w / np.where(total > 0, total, 1.0), 0.0)


@rule(
    kind="proposal_type",
    name="sequencing",
    source="The first edition: the closeness of the mediator's sequencing position to each type's place on the "
    "sequencing scale (partial truce 0.5, general ceasefire 0, settlement 1)",
    traits=("deterministic",),
)
def sequencing_type(mediator_gain: np.ndarray, chance: np.ndarray, allowed: np.ndarray, sequencing: np.ndarray) -> np.ndarray:
    """Weights of the proposal types by the closeness of the mediator's sequencing position; the next fuller type if none is close."""
    anchors = np.array([0.5, 0.0, 1.0])
    q = np.asarray(sequencing, dtype=float)
    w = np.maximum(0.0, 1.0 - np.abs(q[..., None] - anchors) / 0.5)
    w = np.where(allowed, w, 0.0)
    total = w.sum(axis=-1, keepdims=True)
    nxt = np.argmax(allowed, axis=-1)
    fallback = np.zeros_like(w)
    np.put_along_axis(fallback, nxt[..., None], 1.0, axis=-1)
    w = np.where(total > 0, w, fallback * np.any(allowed, axis=-1, keepdims=True))
    total = w.sum(axis=-1, keepdims=True)
    return np.where(total > 0, w / np.where(total > 0, total, 1.0), 0.0)


@rule(
    kind="consent",
    source="A third party that controls a term delivers it only if the whole agreement is worth more to it than the "
    "war going on, its own red lines counted (veto players: Tsebelis 2002; Cunningham 2006)",
    traits=("increasing_in_gain", "deterministic"),
)
def consents(gain: np.ndarray) -> np.ndarray:
    """Whether the controlling party delivers its term: its gain from the agreement over the war going on is >= 0."""
    return (np.asarray(gain) >= 0.0).astype(float)


@rule(
    kind="sanctions_policy",
    source="Coercion of Russia: US sanctions and tariffs conditional on Russia's answers (US President, 7 Mar 2025: "
    "large-scale banking sanctions and tariffs until a ceasefire and settlement)",
    traits=("non_negative", "deterministic"),
)
def conditional_sanctions(current: np.ndarray, accepted: np.ndarray, rejected: np.ndarray, base: np.ndarray, pressure: Values) -> np.ndarray:
    """US sanctions after a week: raised to the pressure level when Russia rejected a US proposal, back to the agreed
    level when it accepted one, else unchanged."""
    raised = np.maximum(base, pressure)
    return np.where(rejected, raised, np.where(accepted, base, current))
