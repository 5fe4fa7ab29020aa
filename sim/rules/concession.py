"""Movement of positions under pressure between proposals."""

from __future__ import annotations

import numpy as np

from sim.rules.in_place import fits
from sim.rules.registry import RuleParam, Values, rule


@rule(
    kind="concession",
    name="pressure",
    source="Pressure-driven concession toward the last offer (Zeuthen 1930; Cross 1969), bounded by red lines",
    traits=("never_crosses_red_line", "moves_toward_target", "deterministic"),
)
def pressure_concession(
    position: np.ndarray,
    target: np.ndarray,
    rate: Values,
    pressure: np.ndarray,
    resolve: Values,
    low: np.ndarray,
    high: np.ndarray,
    costly_weeks: np.ndarray | None = None,
) -> np.ndarray:
    """New position: a step of rate * pressure * (1 - resolve) of the way to `target`, kept within [low, high].

    Shapes: position, target, low, high (R, K); rate, pressure, resolve (R,) or scalars.
    """
    step = np.clip(np.asarray(rate) * np.asarray(pressure) * (1.0 - np.asarray(resolve)), 0.0, 1.0)
    step = step[..., None] if np.ndim(step) else step
    # position + step * (target - position), clipped to [low, high]: each step into the one temporary when it fits (the same numbers).
    moved = np.subtract(target, position)
    moved = np.multiply(step, moved, out=moved) if fits(moved, step) else step * moved
    moved = np.add(position, moved, out=moved) if fits(moved, position) else position + moved
    out: np.ndarray = np.clip(moved, low, high, out=moved) if fits(moved, low) and fits(moved, high) else np.clip(moved, low, high)
    return out


@rule(
    kind="concession",
    name="stubborn",
    source="War of attrition: concede only after costs accumulate (Fearon 1995; Slantchev 2003), bounded by red lines",
    traits=("never_crosses_red_line", "moves_toward_target", "deterministic"),
    params={"patience_weeks": RuleParam(8.0, 0.0, 520.0, "weeks", "Consecutive costly weeks before the side moves at all.")},
)
def stubborn_concession(
    position: np.ndarray,
    target: np.ndarray,
    rate: Values,
    pressure: np.ndarray,
    resolve: Values,
    low: np.ndarray,
    high: np.ndarray,
    costly_weeks: np.ndarray | None = None,
    patience_weeks: Values = 8.0,
) -> np.ndarray:
    """Like pressure concession, but only where the side has paid war costs `patience_weeks` weeks in a row."""
    moved = pressure_concession(position, target, rate, pressure, resolve, low, high)
    if costly_weeks is None:
        out: np.ndarray = np.clip(position, low, high)
        return out
    ready = np.asarray(costly_weeks) >= patience_weeks
    ready = ready[..., None] if np.ndim(ready) else ready
    return np.where(ready, moved, np.clip(position, low, high))
