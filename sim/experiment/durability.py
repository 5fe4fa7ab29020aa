"""Check the model's truce durations against the reference class of truces between Russia and Ukraine.

The reference class (`data/truces.csv`, fitted by `scripts/fit_truces.py` into
`data/truce_hazards.json`, docs/truces.md) holds truces with no enforcing force. So the
scenario is run without a European force (`actors.europe.force_minimum` above any pledge)
and each replication's *first* truce is followed from the week it was agreed: a breakdown is
an event; a lapse at the end of its term, an escalation to a fuller agreement and a truce
still in force at the horizon are censored. The simulated Kaplan-Meier curve of each type
must overlap the fitted Weibull's 95% band at the checkpoints within the horizon
(`sim.analysis.reference_class.durations_within_fit`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.aggregate import CEASEFIRE, END_BREAKDOWN, PARTIAL_TRUCE
from sim.experiment.levers import simulate
from sim.experiment.load import load

NO_FORCE = ("actors.europe.force_minimum=500000",)
TYPES = {"partial": PARTIAL_TRUCE, "ceasefire": CEASEFIRE}


def first_truce_durations(runs: dict[str, np.ndarray], horizon: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per type: (days in force, censored) of each replication's first truce of that type."""
    out = {}
    started = runs["first_agreement_week"]
    for name, code in TYPES.items():
        sel = (runs["first_agreement"] == code) & (started >= 0)
        end = np.where(runs["first_end_week"][sel] >= 0, runs["first_end_week"][sel], horizon)
        weeks = np.maximum(end - started[sel], 0) + 1  # a truce that breaks down the week it is agreed held one week
        broke = runs["first_end"][sel] == END_BREAKDOWN
        out[name] = (weeks * 7.0, ~broke)
    return out


def check_durations(path: Path, runs: int, seed: int, fit: dict[str, Any] | None = None) -> dict[str, Any]:
    """Per truce type: the `DurationCheck` of the simulated first truces against the fitted reference class."""
    from sim.analysis.reference_class import durations_within_fit, load_hazards

    fit = fit if fit is not None else load_hazards()
    loaded = load(path, list(NO_FORCE))
    sim_runs = simulate(loaded, runs, seed)
    durations = first_truce_durations(sim_runs, loaded.scenario.horizon_weeks)
    return {name: durations_within_fit(days, censored, name, fit) for name, (days, censored) in durations.items() if days.size}
