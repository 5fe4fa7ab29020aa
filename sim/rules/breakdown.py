"""Truce breakdown."""

from __future__ import annotations

import numpy as np

from sim.rules.registry import rule


@rule(
    kind="breakdown_hazard",
    source="Durability of ceasefires (Fortna 2003, 2004: peacekeeping hazard ratio ~0.32; "
    "Clayton & Sticher on ceasefire types); gain from resuming as in Werner 1999",
    traits=("bounded_probability", "decreasing_in_enforcement", "deterministic"),
)
def weekly_breakdown_hazard(base, type_factor, enforcement, hazard_ratio, resume_gain, gain_sensitivity) -> np.ndarray:
    """Weekly probability that a truce breaks down.

    base x type factor x hazard_ratio ** enforcement x (1 + sensitivity x max(0, gain from resuming)),
    capped at one; enforcement in [0, 1] is the reassurance force (and backstop) relative to full strength.
    """
    h = base * type_factor * np.power(hazard_ratio, enforcement) * (1.0 + gain_sensitivity * np.maximum(resume_gain, 0.0))
    return np.clip(h, 0.0, 1.0)
