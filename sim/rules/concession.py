"""Movement of positions under pressure between proposals."""

from __future__ import annotations

import numpy as np

from sim.rules.registry import rule


@rule(
    kind="concession",
    source="Pressure-driven concession toward the last offer (Zeuthen 1930; Cross 1969), bounded by red lines",
    traits=("never_crosses_red_line", "moves_toward_target", "deterministic"),
)
def pressure_concession(
    position: np.ndarray,
    target: np.ndarray,
    rate: np.ndarray,
    pressure: np.ndarray,
    resolve: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
) -> np.ndarray:
    """New position: a step of rate * pressure * (1 - resolve) of the way to `target`, kept within [low, high].

    Shapes: position, target, low, high (R, K); rate, pressure, resolve (R,) or scalars.
    """
    step = np.clip(np.asarray(rate) * np.asarray(pressure) * (1.0 - np.asarray(resolve)), 0.0, 1.0)
    step = step[..., None] if np.ndim(step) else step
    return np.clip(position + step * (target - position), low, high)
