"""Acceptance of a proposal by comparing it with fighting on."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from sim.rules.registry import RuleParam, Values, rule


@rule(
    kind="acceptance",
    name="logit",
    source="Logit quantal response (McKelvey & Palfrey 1995)",
    traits=("bounded_probability", "increasing_in_gain", "half_at_zero_rationality", "best_response_limit", "deterministic"),
)
def logit_acceptance(gain: np.ndarray, rationality: np.ndarray) -> np.ndarray:
    """Probability of accepting: 1 / (1 + exp(-lambda * gain)); lambda = 0 is a coin flip, large lambda best response."""
    z = np.clip(np.asarray(rationality) * gain, -700.0, 700.0)
    out: np.ndarray = 1.0 / (1.0 + np.exp(-z))
    return out


@rule(
    kind="acceptance",
    name="satisficing",
    source="Satisficing with a reservation level (Simon 1955), with normal noise on the perceived gain",
    traits=("bounded_probability", "increasing_in_gain", "decreasing_in_reservation", "deterministic"),
    params={
        "reservation": RuleParam(0.0, -1.0, 1.0, "utility", "Gain over fighting on the side requires before it accepts."),
        "noise": RuleParam(0.02, 1e-6, 1.0, "utility", "Standard deviation of the noise on the perceived gain."),
    },
)
def satisficing_acceptance(gain: np.ndarray, rationality: np.ndarray, reservation: Values = 0.0, noise: Values = 0.02) -> np.ndarray:
    """Probability of accepting: P(gain + noise > reservation) = Phi((gain - reservation) / noise); rationality unused."""
    out: np.ndarray = ndtr((gain - reservation) / noise) + np.zeros_like(np.asarray(rationality, dtype=float))
    return out
