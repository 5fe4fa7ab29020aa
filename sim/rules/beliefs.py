"""Beliefs about the course of the war."""

from __future__ import annotations

import numpy as np

from sim.rules.registry import rule


@rule(
    kind="belief_update",
    source="Bayesian learning from fighting (Slantchev 2003; Smith & Stam 2004): normal prior, normal observations",
    traits=("moves_toward_observation", "shrinks_variance", "deterministic"),
)
def normal_update(mean: np.ndarray, precision: np.ndarray, observation: np.ndarray, noise_precision: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and precision of a normal belief after one observation with known noise precision."""
    post = precision + noise_precision
    return (precision * mean + noise_precision * observation) / post, post
