"""Acceptance of a proposal by comparing it with fighting on."""

from __future__ import annotations

import numpy as np

from sim.rules.registry import rule


@rule(
    kind="acceptance",
    source="Logit quantal response (McKelvey & Palfrey 1995)",
    traits=("bounded_probability", "increasing_in_gain", "half_at_zero_rationality", "deterministic"),
)
def logit_acceptance(gain: np.ndarray, rationality: np.ndarray) -> np.ndarray:
    """Probability of accepting: 1 / (1 + exp(-lambda * gain)); lambda = 0 is a coin flip, large lambda best response."""
    z = np.clip(np.asarray(rationality) * gain, -700.0, 700.0)
    return 1.0 / (1.0 + np.exp(-z))
