"""Closed forms of textbook bargaining games, and what they mean in the five-actor model's terms.

The textbook scenarios (scenarios/textbook/, docs/textbook.md) reduce the model to two
sides bargaining over one prize: side A is Russia, side B Ukraine, the prize is the
territory issue read as A's share x, A sits at 1 and B at 0 with all salience on territory
(so utilities are x - 1 and -x, linear), the front is fixed (no drift, no noise) and no
side is optimistic, so both expect war to leave A the share p = the front. The model then
values war at U(p) - weekly_cost x lookahead_weeks (sim.rules.utility.value_of_war), that
is a cost c = weekly_cost x lookahead_weeks in shares of the prize, and a side accepts a
settlement x with its acceptance rule's probability of the gain U(x) - value of war:

    gain_A(x) = x - p + c_A,        gain_B(x) = p + c_B - x.

`bargaining_terms(scenario)` reads p, c_A and c_B (or B's cost range) off a scenario after
checking that it is such a reduction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from sim.scenario.params import Uniform
from sim.scenario.schema import Scenario


def fearon_range(p: float, c_a: float, c_b: float) -> tuple[float, float]:
    """The bargaining range (p - c_A, p + c_B): every split in it beats war for both (Fearon 1995)."""
    return p - c_a, p + c_b


def tioli_demand(p: float, c_a: float, c_max: float) -> float:
    """A's optimal take-it-or-leave-it demand when B's cost is uniform on [0, c_max]: p + (c_max - c_A)/2 (p if c_A >= c_max)."""
    return p + max(c_max - c_a, 0.0) / 2


def tioli_war_probability(c_a: float, c_max: float) -> float:
    """Probability that B rejects A's optimal demand: (c_max - c_A) / (2 c_max) when c_A < c_max, else 0."""
    return max(c_max - c_a, 0.0) / (2 * c_max)


def tioli_expected_share(x: float | np.ndarray, p: float, c_a: float, c_max: float) -> float | np.ndarray:
    """A's expected share from demanding x: x if B accepts (c_B > x - p), p - c_A if war."""
    accept = np.clip(1.0 - (np.asarray(x) - p) / c_max, 0.0, 1.0)
    return accept * x + (1.0 - accept) * (p - c_a)


def quantal_response(lam: float | np.ndarray, du: float | np.ndarray) -> float | np.ndarray:
    """Logit quantal response: probability 1 / (1 + exp(-lambda dU)) of taking a choice worth dU (McKelvey & Palfrey 1995)."""
    p: float | np.ndarray = 1.0 / (1.0 + np.exp(-np.asarray(lam) * np.asarray(du)))
    return p


def rubinstein_share(d1: float, d2: float) -> float:
    """The first proposer's share (1 - d2) / (1 - d1 d2) in alternating offers (Rubinstein 1982).

    Not expressible in the model (docs/textbook.md, "Rubinstein"): kept for comparison in class.
    """
    return (1.0 - d2) / (1.0 - d1 * d2)


@dataclass(frozen=True)
class BargainingTerms:
    """A textbook reduction's parameters: p, A's cost, and B's cost (fixed, or uniform on [c_b_low, c_b_high])."""

    p: float
    c_a: float
    c_b_low: float
    c_b_high: float

    @property
    def c_b(self) -> float:
        if self.c_b_low != self.c_b_high:
            raise ValueError("B's cost is uncertain here: use c_b_low and c_b_high")
        return self.c_b_low


def bargaining_terms(scenario: Scenario) -> BargainingTerms:
    """p, c_A and c_B of a scenario that reduces the model to a textbook two-sided game (ValueError if it does not)."""
    territory = next(k for k, v in scenario.issues.items() if v.role == "territory")
    bf = scenario.battlefield
    problems = []
    if bf.drift_scale != 0.0 or bf.noise != 0.0:
        problems.append("the front must be fixed (battlefield.drift_scale = 0 and noise = 0)")
    a, b = scenario.actors.russia, scenario.actors.ukraine
    for side, want in ((a, 1.0), (b, 0.0)):
        if side.optimism != 0.0:
            problems.append(f"{side.label}: optimism must be 0 (complete information about the war)")
        for issue in scenario.issues:
            ov = side.overrides.get(issue)
            salience = 1.0 if issue == territory else 0.0
            if ov is None or ov.salience != salience:
                problems.append(f"{side.label}: salience on {issue} must be {salience:g}")
        ov = side.overrides.get(territory)
        if ov is None or ov.position != want:
            problems.append(f"{side.label}: territory position must be {want:g}")
    for side in (a, b):
        if side.pressure_sensitivity != 0.0:
            problems.append(f"{side.label}: pressure_sensitivity must be 0 (costs are weekly_cost alone)")
    if problems:
        raise ValueError("not a textbook reduction: " + "; ".join(problems))
    look = bf.lookahead_weeks
    if not isinstance(look, float):
        raise ValueError("lookahead_weeks must be a number")
    if not isinstance(a.weekly_cost, float):
        raise ValueError("A's weekly_cost must be a number")
    if isinstance(b.weekly_cost, Uniform):
        lo, hi = b.weekly_cost.low * look, b.weekly_cost.high * look
    elif isinstance(b.weekly_cost, float):
        lo = hi = b.weekly_cost * look
    else:
        raise ValueError("B's weekly_cost must be a number or a uniform distribution")
    return BargainingTerms(scenario.issues[territory].status_quo, a.weekly_cost * look, lo, hi)


def optimal_demand_estimate(demand: np.ndarray, payoff: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """The demand that maximises a quadratic fitted to (demand, realised payoff), with a delta-method interval.

    Under B's uniform cost, A's expected payoff is exactly quadratic in its demand on [p, p + c_max];
    least squares with heteroskedasticity-robust (HC0) covariance, then x = -b1 / (2 b2).
    """
    x = np.asarray(demand, dtype=float)
    y = np.asarray(payoff, dtype=float)
    centre = x.mean()
    z = x - centre  # centred for a well-conditioned fit
    X = np.column_stack([np.ones_like(z), z, z * z])
    xtx_inv = np.linalg.inv(X.T @ X)
    beta = xtx_inv @ X.T @ y
    resid = y - X @ beta
    cov = xtx_inv @ (X.T * resid**2) @ X @ xtx_inv
    b1, b2 = beta[1], beta[2]
    est = -b1 / (2 * b2)
    grad = np.array([0.0, -1 / (2 * b2), b1 / (2 * b2 * b2)])
    se = float(np.sqrt(grad @ cov @ grad))
    q = norm.ppf(0.5 + confidence / 2)
    return centre + est, centre + est - q * se, centre + est + q * se
