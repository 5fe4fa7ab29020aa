"""Bueno de Mesquita's expected-utility model of group decisions, on arrays over replications.

The model (Bueno de Mesquita 1994, "Political forecasting: an expected utility method", in
Bueno de Mesquita & Stokman eds., *European Community Decision Making*, Yale UP, 71-104) as
reconstructed by Scholz, Calbert & Smith (2011), "Unravelling Bueno De Mesquita's group
decision model", *Journal of Theoretical Politics* 23(4):510-531. Actors hold a position on
one issue, a salience (how much the issue matters to them) and a capability (their power).
Each round every actor weighs challenging every other one, from its own point of view:

- votes: actor k's vote for x_i over x_j is c_k s_k ((|x_k - x_j| / span)^r_k - (|x_k - x_i| / span)^r_k);
- the median voter position: the position that no other beats in the capability-and-salience
  weighted vote (with linear votes, r = 1, the weighted median; Black 1948);
- probability of success P_ij: the votes for x_i over x_j from all actors, normalised;
- expected utility of challenging, E^i U_ij = s_j (P_ij U_s + (1 - P_ij) U_f) + (1 - s_j) U_s
  - (Q U_sq + (1 - Q) (T U_b + (1 - T) U_w)), with the utilities U = 2 - 4 (0.5 -/+ ...)^r_i;
- risk: each actor's exponent r_i = (1 - R_i / 3) / (1 + R_i / 3) from its security R_i,
  the expected utility of the challenges it faces relative to the other actors' (BdM 1985);
- offers: from i's view of E^i U_ij and E^i U_ji, j's challenge is a confrontation i loses, a
  compromise, or i's capitulation; i takes the best offer (confrontations first, then
  compromises, then capitulations; within a type, the one that moves i least).

Where the replication's code departs from the text, or the text is ambiguous, the choice is a
declared parameter (see docs/bdm.md for each, and which one is the default).

The pieces (`votes`, `median_voter`, `success_probability`, `expected_utilities`,
`risk_exponents`, `best_offers`) are plain functions on arrays shaped (R, A) (replications,
actors); the registered rules compose them: `bdm_scholz` (one round on one issue),
`median_voter` and `weighted_mean` (the forecast outcome of a round), and `bdm` (the position
dynamics of the simulation, one round per issue within each actor's red lines).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.rules.registry import KINDS, KindSpec, RuleParam, Values, rule

# The kinds of rule this module adds to the registry (one place: here, where the rules are).
_RA, _RAK = ("R", "A"), ("R", "A", "K")
KINDS.update(
    {
        "bdm_round": KindSpec(
            "One round of Bueno de Mesquita's expected-utility model on one issue: every actor's next position.",
            {"positions": _RA, "salience": _RA, "capability": _RA, "span": ("R?",)},
            _RA,
        ),
        "bdm_outcome": KindSpec(
            "The forecast outcome on one issue from the actors' positions, saliences and capabilities.",
            {"positions": _RA, "salience": _RA, "capability": _RA},
            ("R",),
        ),
        "position_dynamics": KindSpec(
            "Every actor's positions after one round of bargaining among all actors, per issue, within its red lines.",
            {"positions": _RAK, "salience": _RAK, "capability": _RA, "low": _RAK, "high": _RAK},
            _RAK,
            path="negotiation.position_dynamics",
            default="none",
        ),
    }
)

SOURCE = (
    "Bueno de Mesquita 1994 (Political forecasting: an expected utility method, in European Community Decision "
    "Making); Scholz, Calbert & Smith 2011 (J. Theoretical Politics 23(4):510-531)"
)

PARAMS = {
    "risk_exponent": RuleParam(
        0.0,
        0.0,
        2.0,
        "exponent",
        "0: each actor's risk exponent r_i is computed every round from its security (Scholz et al. 2011, after "
        "BdM 1985), in [0.5, 2]; > 0: this exponent for every actor (1 = risk neutral).",
    ),
    "status_quo": RuleParam(
        1.0,
        0.0,
        1.0,
        "probability",
        "Q: the probability a challenger expects the status quo to last if it does not challenge (BdM 1994); "
        "1 as in Scholz et al.'s runs, which drops the better/worse-than-median terms.",
    ),
    "improvement": RuleParam(
        1.0,
        0.0,
        1.0,
        "probability",
        "T: when the status quo does not last, the probability it changes for the better for the challenger (BdM 1994); irrelevant when status_quo = 1.",
    ),
    "all_pairs_probability": RuleParam(
        1.0,
        0.0,
        1.0,
        "flag",
        "1 (above 0.5): P_ij = votes for x_i over x_j / the absolute votes over every pair of positions (Scholz "
        "et al.'s code, as ported by J. McKibben); 0: / the absolute votes on this pair only, so P_ij + P_ji = 1 "
        "(BdM's intent, as McKibben reads it).",
    ),
    "lowest_compromise": RuleParam(
        0.0,
        0.0,
        1.0,
        "flag",
        "1 (above 0.5): among compromises take the lowest EU-weighted point (|E_ij| x_i + |E_ji| x_j) / "
        "(|E_ij| + |E_ji|) (Scholz et al.'s code, as ported by J. McKibben); 0: the compromise that moves the "
        "actor least (what BdM's and Scholz et al.'s texts state, as McKibben quotes them).",
    ),
    "capitulation": RuleParam(
        1.0,
        0.0,
        1.0,
        "flag",
        "1 (above 0.5): an actor that expects to lose more than the challenger gains capitulates to the "
        "challenger's position (the model's third kind of offer); 0: it stays (J. McKibben's port, whose condition "
        "for capitulation can never hold).",
    ),
}


# ---------------------------------------------------------------- helpers


def _flag(value: Values, shape_r: int) -> np.ndarray:
    """A declared 0/1 parameter as booleans (R,) (a float or one value per replication)."""
    return np.broadcast_to(np.asarray(value, dtype=float) > 0.5, (shape_r,))


def _per_r(value: Values, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=float), (n,)).astype(float)


def _sum(a: np.ndarray, axis: int | tuple[int, ...]) -> np.ndarray:
    """Sum over actor axes in an order that does not depend on how the actors are labelled (sorted first)."""
    if isinstance(axis, tuple):
        moved = np.moveaxis(a, axis, tuple(range(a.ndim - len(axis), a.ndim)))
        a = moved.reshape(moved.shape[: a.ndim - len(axis)] + (-1,))
        axis = -1
    out: np.ndarray = np.sort(a, axis=axis).sum(axis=axis)
    return out


def _distance(positions: np.ndarray, span: np.ndarray) -> np.ndarray:
    """|x_a - x_b| / span (R, A, A), at most 1."""
    d = np.abs(positions[:, :, None] - positions[:, None, :]) / span[:, None, None]
    out: np.ndarray = np.minimum(d, 1.0)
    return out


def _power(base: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.power(np.maximum(base, 0.0), exponent)
    return out


# ---------------------------------------------------------------- the pieces


def votes(positions: np.ndarray, weights: np.ndarray, risk: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Votes v[r, k, i, j] of actor k for position x_i over x_j: w_k ((|x_k - x_j|/span)^r_k - (|x_k - x_i|/span)^r_k).

    `weights` is capability x salience (R, A); `risk` the voters' exponents (R, A). Scholz et al. 2011, eq. 2.
    """
    d = _power(_distance(positions, span), risk[:, :, None])  # d[r, k, a] = (|x_k - x_a| / span)^r_k
    out: np.ndarray = weights[:, :, None, None] * (d[:, :, None, :] - d[:, :, :, None])
    return out


def median_voter(positions: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The median voter position (R,): the lowest position by which at least half the weight lies at or below.

    With linear votes (r = 1) this is the position no other beats in the weighted pairwise vote (Black 1948),
    which Scholz et al. find by comparing the positions pairwise. With no weight at all: the plain median.
    """
    w = np.where(weights.sum(axis=1, keepdims=True) > 0, weights, 1.0)
    order = np.lexsort((w, positions), axis=1)  # by position, ties by weight: independent of the labels
    x = np.take_along_axis(positions, order, axis=1)
    cum = np.cumsum(np.take_along_axis(w, order, axis=1), axis=1)
    total = cum[:, -1:]
    # A tolerance keeps the choice independent of the order of summation at an exact half.
    first = np.argmax(cum >= 0.5 * total * (1 - 1e-12), axis=1)
    out: np.ndarray = x[np.arange(len(x)), first]
    return out


def weighted_mean_position(positions: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The capability-and-salience weighted mean position (R,) (the plain mean with no weight at all)."""
    w = np.where(weights.sum(axis=1, keepdims=True) > 0, weights, 1.0)
    out: np.ndarray = np.clip(_sum(w * positions, 1) / _sum(w, 1), positions.min(axis=1), positions.max(axis=1))
    return out


def success_probability(v: np.ndarray, positions: np.ndarray, all_pairs: np.ndarray) -> np.ndarray:
    """P[r, i, j]: the probability that x_i prevails over x_j, from the votes `v` (R, A, A, A).

    The votes for x_i over x_j (positive parts, summed over the voters) divided either by the absolute votes over
    every pair of positions (`all_pairs`, Scholz et al.'s code) or by those on this pair only (BdM 1994's text).
    Zero where x_i = x_j.
    """
    favour = _sum(np.maximum(v, 0.0), 1)  # (R, A, A)
    every = _sum(np.abs(v), (1, 2, 3))[:, None, None]
    pair = favour + np.swapaxes(favour, 1, 2)
    den = np.where(all_pairs[:, None, None], every, pair)
    p = np.divide(favour, den, out=np.zeros_like(favour), where=den > 0)
    same = positions[:, :, None] == positions[:, None, :]
    return np.where(same, 0.0, np.clip(p, 0.0, 1.0))


def _utilities(d_ij: np.ndarray, d_imu: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """U_s, U_f, U_b, U_w, U_sq for distances in units of span, from an actor with exponent r (BdM 1994; Scholz eq. 5-9)."""
    u_s = 2 - 4 * _power(0.5 - 0.5 * d_ij, r)
    u_f = 2 - 4 * _power(0.5 + 0.5 * d_ij, r)
    u_b = 2 - 4 * _power(0.5 - 0.25 * (d_imu + d_ij), r)
    u_w = 2 - 4 * _power(0.5 + 0.25 * (d_imu + d_ij), r)
    u_sq = 2 - 4 * _power(np.full_like(d_ij, 0.5), r)
    return u_s, u_f, u_b, u_w, u_sq


def expected_utilities(
    positions: np.ndarray,
    salience: np.ndarray,
    p: np.ndarray,
    risk: np.ndarray,
    span: np.ndarray,
    median: np.ndarray,
    status_quo: np.ndarray,
    improvement: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(E^i U_ij, E^i U_ji), each (R, A, A): i's expected utility of challenging j, and of j challenging i, both as i
    sees them (with i's risk exponent r_i).

    E^i U_ij = s_j (P_ij U_s + (1 - P_ij) U_f) + (1 - s_j) U_s - (Q U_sq + (1 - Q)(T U_b + (1 - T) U_w))
    (BdM 1994; Scholz et al. 2011, eq. 4), where U_b, U_w involve the challenger's distance to the median voter.
    """
    d = _distance(positions, span)  # |x_i - x_j|, symmetric
    d_mu = np.minimum(np.abs(positions - median[:, None]) / span[:, None], 1.0)  # (R, A)
    r = risk[:, :, None]  # i's exponent, along the first actor axis
    q, t = status_quo[:, None, None], improvement[:, None, None]

    def eu(challenger_mu: np.ndarray, resist_salience: np.ndarray, prob: np.ndarray) -> np.ndarray:
        u_s, u_f, u_b, u_w, u_sq = _utilities(d, challenger_mu, r)
        reference = q * u_sq + (1 - q) * (t * u_b + (1 - t) * u_w)
        value: np.ndarray = resist_salience * (prob * u_s + (1 - prob) * u_f) + (1 - resist_salience) * u_s - reference
        return value

    e_ij = eu(d_mu[:, :, None], salience[:, None, :], p)  # i challenges j: j resists with its salience
    e_ji = eu(d_mu[:, None, :], salience[:, :, None], np.swapaxes(p, 1, 2))  # j challenges i
    return e_ij, e_ji


def risk_exponents(
    positions: np.ndarray,
    salience: np.ndarray,
    weights: np.ndarray,
    span: np.ndarray,
    median: np.ndarray,
    status_quo: np.ndarray,
    improvement: np.ndarray,
    all_pairs: np.ndarray,
) -> np.ndarray:
    """Each actor's risk exponent r_i (R, A) in [0.5, 2], from the challenges it faces (Scholz et al. 2011, eq. 10-11).

    With every exponent 1, i's danger is the sum over j of E^i U_ji; R_i = (2 danger_i - max - min) / (max - min)
    over the actors (0 when all dangers are equal), and r_i = (1 - R_i / 3) / (1 + R_i / 3).
    """
    n, a = positions.shape
    ones = np.ones((n, a))
    p = success_probability(votes(positions, weights, ones, span), positions, all_pairs)
    _, e_ji = expected_utilities(positions, salience, p, ones, span, median, status_quo, improvement)
    off = ~np.eye(a, dtype=bool)[None]
    danger = _sum(np.where(off, e_ji, 0.0), 2)
    hi, lo = danger.max(axis=1, keepdims=True), danger.min(axis=1, keepdims=True)
    spread = hi - lo
    big = spread > 1e-12 * np.maximum(np.abs(hi), np.abs(lo))
    rr = np.clip(np.divide(2 * danger - hi - lo, spread, out=np.zeros_like(danger), where=big), -1.0, 1.0)
    out: np.ndarray = (1 - rr / 3) / (1 + rr / 3)
    return out


def best_offers(positions: np.ndarray, e_ij: np.ndarray, e_ji: np.ndarray, lowest_compromise: np.ndarray, capitulation: np.ndarray) -> np.ndarray:
    """Every actor's next position (R, A): the best offer it receives, or its own position when none.

    From i's view of (E^i U_ij, E^i U_ji) for each j at another position: E_ji > E_ij > 0, i loses a confrontation
    and moves to x_j; E_ji > 0 > E_ij with E_ji > |E_ij|, i compromises to x_i + (x_j - x_i)|E_ij / E_ji|;
    E_ji > 0 > E_ij with E_ji < |E_ij|, i capitulates to x_j (when `capitulation`). Confrontations come first,
    then compromises, then capitulations; within a type, the offer that moves i least (compromises: the lowest
    EU-weighted point when `lowest_compromise`). Exact ties go to the lower position, so the labels never matter.
    """
    xi, xj = positions[:, :, None], positions[:, None, :]
    other = xi != xj
    confront = other & (e_ji > e_ij) & (e_ij > 0)
    lose = other & (e_ji > 0) & (e_ij < 0)
    ratio = np.divide(np.abs(e_ij), e_ji, out=np.zeros_like(e_ij), where=lose)
    compromise = lose & (e_ji > np.abs(e_ij))
    capitulate = lose & (e_ji < np.abs(e_ij)) & capitulation[:, None, None]
    compromise_at = np.clip(xi + (xj - xi) * np.minimum(ratio, 1.0), np.minimum(xi, xj), np.maximum(xi, xj))
    move = np.abs(compromise_at - xi)
    weighted = np.divide(np.abs(e_ij) * xi + np.abs(e_ji) * xj, np.abs(e_ij) + np.abs(e_ji), out=np.zeros_like(e_ij), where=lose)
    compromise_key = np.where(lowest_compromise[:, None, None], weighted, move)

    def pick(mask: np.ndarray, key: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = np.where(mask, key, np.inf)
        best = key.min(axis=2, keepdims=True)
        chosen = mask & (key <= best)
        return np.where(chosen, at, np.inf).min(axis=2), np.asarray(mask.any(axis=2))

    x_conf, has_conf = pick(confront, np.abs(xj - xi), np.broadcast_to(xj, e_ij.shape))
    x_comp, has_comp = pick(compromise, compromise_key, compromise_at)
    x_capi, has_capi = pick(capitulate, np.abs(xj - xi), np.broadcast_to(xj, e_ij.shape))
    out = np.where(has_capi, x_capi, positions)
    out = np.where(has_comp, x_comp, out)
    result: np.ndarray = np.where(has_conf, x_conf, out)
    return result


def bdm_step(
    positions: np.ndarray,
    salience: np.ndarray,
    capability: np.ndarray,
    span: Values,
    *,
    risk_exponent: Values = 0.0,
    status_quo: Values = 1.0,
    improvement: Values = 1.0,
    all_pairs_probability: Values = 1.0,
    lowest_compromise: Values = 0.0,
    capitulation: Values = 1.0,
    details: dict[str, Any] | None = None,
) -> np.ndarray:
    """One round for arrays (R, A); fills `details` (when given) with the round's median, risks, P and EUs."""
    x = np.asarray(positions, dtype=float)
    s = np.clip(np.asarray(salience, dtype=float), 0.0, 1.0)
    c = np.maximum(np.asarray(capability, dtype=float), 0.0)
    n, a = x.shape
    span = _per_r(span, n)
    span = np.where(span > 0, np.maximum(span, x.max(axis=1) - x.min(axis=1)), 1.0)
    w = c * s
    q, t = _per_r(status_quo, n), _per_r(improvement, n)
    all_pairs = _flag(all_pairs_probability, n)
    mu = median_voter(x, w)
    fixed = _per_r(risk_exponent, n)
    computed = risk_exponents(x, s, w, span, mu, q, t, all_pairs)
    r = np.where(fixed[:, None] > 0, fixed[:, None], computed)
    p = success_probability(votes(x, w, r, span), x, all_pairs)
    e_ij, e_ji = expected_utilities(x, s, p, r, span, mu, q, t)
    new = best_offers(x, e_ij, e_ji, _flag(lowest_compromise, n), _flag(capitulation, n))
    if details is not None:
        details.update(median=mu, risk=r, probability=p, eu_challenge=e_ij, eu_challenged=e_ji)
    out: np.ndarray = np.clip(new, x.min(axis=1, keepdims=True), x.max(axis=1, keepdims=True))
    return out


# ---------------------------------------------------------------- registered rules


@rule(
    kind="bdm_round",
    name="bdm_scholz",
    source=SOURCE,
    traits=("deterministic", "invariant_to_relabelling", "within_initial_range"),
    params=PARAMS,
)
def bdm_round(
    positions: np.ndarray,
    salience: np.ndarray,
    capability: np.ndarray,
    span: Values,
    risk_exponent: Values = 0.0,
    status_quo: Values = 1.0,
    improvement: Values = 1.0,
    all_pairs_probability: Values = 1.0,
    lowest_compromise: Values = 0.0,
    capitulation: Values = 1.0,
) -> np.ndarray:
    """Every actor's next position on one issue after one round of challenges and offers (BdM; Scholz et al.).

    Shapes: positions, salience, capability (R, A); span (R,) or a number: the length of the scale the distances
    are measured in (BdM: the range of the initial positions; at least the range of `positions`).
    """
    return bdm_step(
        positions,
        salience,
        capability,
        span,
        risk_exponent=risk_exponent,
        status_quo=status_quo,
        improvement=improvement,
        all_pairs_probability=all_pairs_probability,
        lowest_compromise=lowest_compromise,
        capitulation=capitulation,
    )


@rule(
    kind="bdm_outcome",
    name="median_voter",
    source="Black 1948 (On the rationale of group decision-making); BdM 1994; Scholz, Calbert & Smith 2011",
    traits=("deterministic", "invariant_to_relabelling", "within_initial_range"),
)
def median_voter_outcome(positions: np.ndarray, salience: np.ndarray, capability: np.ndarray) -> np.ndarray:
    """The median voter position: the lowest position with at least half the capability x salience at or below it."""
    x = np.asarray(positions, dtype=float)
    return median_voter(x, np.maximum(np.asarray(capability, float), 0) * np.clip(np.asarray(salience, float), 0, 1))


@rule(
    kind="bdm_outcome",
    name="weighted_mean",
    source="BdM 1994 (the mean forecast beside the median); Scholz, Calbert & Smith 2011",
    traits=("deterministic", "invariant_to_relabelling", "within_initial_range"),
)
def weighted_mean_outcome(positions: np.ndarray, salience: np.ndarray, capability: np.ndarray) -> np.ndarray:
    """The capability-and-salience weighted mean of the positions."""
    x = np.asarray(positions, dtype=float)
    return weighted_mean_position(x, np.maximum(np.asarray(capability, float), 0) * np.clip(np.asarray(salience, float), 0, 1))


@rule(
    kind="position_dynamics",
    name="bdm",
    source=SOURCE + "; red lines as bounds: this project",
    traits=("deterministic", "invariant_to_relabelling", "within_own_red_lines"),
    params=PARAMS,
)
def bdm_position_dynamics(
    positions: np.ndarray,
    salience: np.ndarray,
    capability: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    risk_exponent: Values = 0.0,
    status_quo: Values = 1.0,
    improvement: Values = 1.0,
    all_pairs_probability: Values = 1.0,
    lowest_compromise: Values = 0.0,
    capitulation: Values = 1.0,
) -> np.ndarray:
    """One BdM round among all actors on every issue, each new position clipped to the actor's [low, high].

    Shapes: positions, salience, low, high (R, A, K); capability (R, A). Issues are on the 0-1 scale, so distances
    are measured in units of the whole scale (span 1). Salience is used as given (BdM's salience is in [0, 1]).
    """
    x = np.asarray(positions, dtype=float)
    s = np.asarray(salience, dtype=float)
    c = np.asarray(capability, dtype=float)
    out = np.empty_like(x)
    for k in range(x.shape[2]):
        out[:, :, k] = bdm_step(
            x[:, :, k],
            s[:, :, k],
            c,
            1.0,
            risk_exponent=risk_exponent,
            status_quo=status_quo,
            improvement=improvement,
            all_pairs_probability=all_pairs_probability,
            lowest_compromise=lowest_compromise,
            capitulation=capitulation,
        )
    clipped: np.ndarray = np.clip(out, low, high)
    return clipped


@rule(
    kind="position_dynamics",
    name="none",
    source="No position dynamics: positions move only by the model's other phases",
    traits=("deterministic", "invariant_to_relabelling", "within_own_red_lines"),
)
def no_position_dynamics(positions: np.ndarray, salience: np.ndarray, capability: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Positions unchanged."""
    return np.array(positions, dtype=float, copy=True)


def forecast_rounds(
    positions: np.ndarray, salience: np.ndarray, capability: np.ndarray, rounds: int, span: Values | None = None, **params: float
) -> np.ndarray:
    """Positions (rounds + 1, R, A): the initial ones and after each of `rounds` rounds of `bdm_round`.

    `span` defaults to the range of the initial positions (BdM; Scholz et al.).
    """
    x = np.asarray(positions, dtype=float)
    if span is None:
        span = x.max(axis=1) - x.min(axis=1)
    out = [x]
    for _ in range(rounds):
        out.append(bdm_round(out[-1], salience, capability, span, **params))
    return np.stack(out)
