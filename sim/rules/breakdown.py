"""Truce breakdown."""

from __future__ import annotations

import numpy as np

from sim.rules.registry import RuleParam, Values, rule


@rule(
    kind="breakdown_hazard",
    name="constant",
    source="Durability of ceasefires (Fortna 2003, 2004: peacekeeping hazard ratio ~0.32; "
    "Clayton & Sticher on ceasefire types); gain from resuming as in Werner 1999",
    traits=("bounded_probability", "decreasing_in_enforcement", "increasing_in_resume_gain", "deterministic"),
)
def weekly_breakdown_hazard(
    base: np.ndarray,
    type_factor: Values,
    enforcement: np.ndarray,
    hazard_ratio: Values,
    resume_gain: np.ndarray,
    gain_sensitivity: Values,
    truce_age: np.ndarray | None = None,
) -> np.ndarray:
    """Weekly probability that a truce breaks down.

    base x type factor x hazard_ratio ** enforcement x (1 + sensitivity x max(0, gain from resuming)),
    capped at one; enforcement in [0, 1] is the reassurance force (and backstop) relative to full strength.
    """
    out: np.ndarray = np.clip(_uncapped_hazard(base, type_factor, enforcement, hazard_ratio, resume_gain, gain_sensitivity), 0.0, 1.0)
    return out


def _uncapped_hazard(
    base: np.ndarray, type_factor: Values, enforcement: np.ndarray, hazard_ratio: Values, resume_gain: np.ndarray, gain_sensitivity: Values
) -> np.ndarray:
    """The constant rule's product before the cap at one (variants multiply it further, then cap once)."""
    out: np.ndarray = base * type_factor * np.power(hazard_ratio, enforcement) * (1.0 + gain_sensitivity * np.maximum(resume_gain, 0.0))
    return out


@rule(
    kind="breakdown_hazard",
    name="duration_dependent",
    source="Peace breeds peace: the hazard of renewed war falls with the time a ceasefire has held (Fortna 2004; Werner 1999)",
    traits=("bounded_probability", "decreasing_in_enforcement", "increasing_in_resume_gain", "decreasing_in_age", "deterministic"),
    params={
        "decay": RuleParam(0.5, 0.0, 5.0, "exponent", "How fast the hazard falls with the truce's age."),
        "scale_weeks": RuleParam(4.0, 0.1, 520.0, "weeks", "Age at which the hazard has fallen by a factor 2**decay."),
    },
)
def duration_dependent_hazard(
    base: np.ndarray,
    type_factor: Values,
    enforcement: np.ndarray,
    hazard_ratio: Values,
    resume_gain: np.ndarray,
    gain_sensitivity: Values,
    truce_age: np.ndarray | None = None,
    decay: Values = 0.5,
    scale_weeks: Values = 4.0,
) -> np.ndarray:
    """The constant hazard times (1 + age / scale) ** -decay: truces that survive grow sturdier.

    The product is capped at one once, after the age factor (so an old truce's hazard still falls with enforcement).
    """
    h = _uncapped_hazard(base, type_factor, enforcement, hazard_ratio, resume_gain, gain_sensitivity)
    age = np.zeros_like(h) if truce_age is None else np.asarray(truce_age, dtype=float)
    out: np.ndarray = np.clip(h * np.power(1.0 + age / scale_weeks, -decay), 0.0, 1.0)
    return out
