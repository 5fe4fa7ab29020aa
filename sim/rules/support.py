"""Supporters' aid policies."""

from __future__ import annotations

import numpy as np

from sim.rules.registry import Values, rule


@rule(
    kind="aid_policy",
    source="US aid suspension of 3 Mar 2025 conditional on Ukraine's acceptance of US proposals (seed article)",
    traits=("bounded_unit", "deterministic"),
)
def conditional_aid(current: np.ndarray, accepted: np.ndarray, rejected: np.ndarray, restored: Values) -> np.ndarray:
    """Aid level after a week: restored when Ukraine accepted a US proposal, suspended when it rejected one."""
    return np.where(accepted, restored, np.where(rejected, 0.0, current))


@rule(
    kind="aid_policy",
    source="European aid ramp-up with industry moving to a war footing (ReArm Europe, 4 Mar 2025)",
    traits=("monotone_in_time", "deterministic"),
)
def ramped_aid(week: Values, start: Values, target: Values, ramp_weeks: Values) -> np.ndarray:
    """Aid after `week` weeks of an exponential ramp from `start` toward `target` with time constant `ramp_weeks`."""
    return target + (start - target) * np.exp(-np.asarray(week, dtype=float) / ramp_weeks)
