"""Load a scenario for running: the file checks of `sim.scenario.load` plus the rule choices against the registry."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sim.errors import InputError, dotted
from sim.model.rulebook import check_rules
from sim.scenario.load import LoadedScenario, load_scenario
from sim.scenario.schema import ScenarioPathError


def load(path: str | Path, sets: Sequence[str] = ()) -> LoadedScenario:
    """A validated scenario whose rule choices (and user rule modules) are checked too; errors are one-line InputErrors."""
    loaded = load_scenario(path, sets)
    try:
        check_rules(loaded.scenario, Path(loaded.path).parent)
    except ScenarioPathError as exc:
        set_paths = [s.split("=", 1)[0].strip() for s in sets]
        where = dotted(exc.path)
        source = "--set" if any(where.startswith(p) or p.startswith(where) for p in set_paths) else str(path)
        raise InputError(source, where, exc.message) from None
    return loaded
