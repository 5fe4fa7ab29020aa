"""A deliberately broken user rule, for docs/rules.md: `sim check` catches its sign error.

It declares `increasing_in_gain` but accepts less the more it gains.
"""

from __future__ import annotations

import numpy as np

from sim.rules.registry import rule


@rule(
    kind="acceptance",
    name="backwards",
    source="None: a logit with a sign error, to show `sim check` at work",
    traits=("bounded_probability", "increasing_in_gain"),
)
def backwards_acceptance(gain: np.ndarray, rationality: np.ndarray) -> np.ndarray:
    """Probability of accepting: 1 / (1 + exp(+lambda * gain)), the logit with its sign flipped (wrong on purpose)."""
    return 1.0 / (1.0 + np.exp(np.clip(np.asarray(rationality) * gain, -700.0, 700.0)))
