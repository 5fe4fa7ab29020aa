"""The front: strength from troops and materiel, weekly drift."""

from __future__ import annotations

import numpy as np

from sim.rules.registry import Values, rule


@rule(
    kind="battlefield",
    source="Force employment as troops times materiel (Lanchester-style strength; Biddle 2004 for its limits)",
    traits=("non_negative", "increasing_in_aid", "deterministic"),
)
def effective_strength(troops: Values, firepower: Values, domestic_materiel: Values, aid_index: Values) -> Values:
    """Fighting strength: troops x firepower x (domestic materiel share + foreign share x aid index).

    A number when all of its inputs are numbers (none drawn per replication)."""
    return troops * firepower * (domestic_materiel + (1.0 - domestic_materiel) * aid_index)


@rule(
    kind="battlefield",
    source="Drift proportional to the relative strength imbalance (contest success function, Hirshleifer 1989)",
    traits=("bounded_by_scale", "antisymmetric", "deterministic"),
)
def front_drift(strength_russia: np.ndarray, strength_ukraine: np.ndarray, drift_scale: Values) -> np.ndarray:
    """Expected weekly movement of the front toward Russia's claims (positive) or Ukraine's (negative)."""
    total = strength_russia + strength_ukraine
    # The imbalance lies in [-1, 1]; the clip guards against rounding with subnormal strengths.
    imbalance = np.clip((strength_russia - strength_ukraine) / np.where(total > 0, total, 1.0), -1.0, 1.0)
    out: np.ndarray = drift_scale * imbalance
    return out
