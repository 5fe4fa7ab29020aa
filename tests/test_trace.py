"""The model's observer (sim.model.trace): the points it is told of, in phase order, and a trace that does not
depend on the batch or change the run."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.model.model import CeasefireModel
from sim.model.trace import Observer, Trace
from sim.scenario.load import load_scenario
from sim.scenario.schema import Scenario

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"
SEED = 20250311
WEEKS = 30

# The points of a week in the order the phases run; within the negotiation, each proposal is followed by both
# sides' decisions and its result, and a renewal follows the truce it ends.
PHASE_ORDER = ("event", "support_started", "support", "battlefield", "beliefs", "proposal", "concession_started", "concession", "truce")
WITHIN = {"decision": "proposal", "answered": "proposal", "renewal": "truce"}


@lru_cache(maxsize=4)
def scenario(*sets: str) -> Scenario:
    return load_scenario(BASELINE, sets=list(sets)).scenario


class Recorder(Observer):
    """Records (week, point) for every point the model tells it of."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[int, str]] = []

    def __getattribute__(self, name: str) -> Any:
        attr = super().__getattribute__(name)
        if name in PHASE_ORDER or name in WITHIN:
            model_calls = super().__getattribute__("calls")

            def record(model: CeasefireModel, *args: Any) -> None:
                model_calls.append((model.week, name))
                attr(model, *args)

            return record
        return attr


def test_the_observer_is_told_of_each_phase_every_week_in_phase_order():
    sets = ('events=[{week = 5, set = ["actors.us.sanctions=1.5"], label = "more sanctions"}]',)
    recorder = Recorder()
    CeasefireModel(scenario(*sets), SEED, np.arange(500), weeks=WEEKS, observer=recorder).run()
    by_week: dict[int, list[str]] = {}
    for week, point in recorder.calls:
        by_week.setdefault(week, []).append(point)
    assert sorted(by_week) == list(range(1, WEEKS + 1))
    for week, points in by_week.items():
        for required in ("support_started", "support", "battlefield", "beliefs", "concession_started", "concession"):
            assert points.count(required) == 1, (week, required, points)
        phases = [PHASE_ORDER.index(WITHIN.get(p, p)) for p in points]
        assert phases == sorted(phases), (week, points)
        for point, parent in WITHIN.items():
            for i, p in enumerate(points):
                if p == point:
                    assert parent in points[:i], (week, point, points)
    assert ("event" in by_week[5]) and not any("event" in by_week[w] for w in by_week if w != 5)
    proposals = [p for _, p in recorder.calls if p == "proposal"]
    decisions = [p for _, p in recorder.calls if p == "decision"]
    assert proposals and len(decisions) == 2 * len(proposals)


def test_without_tracing_the_observer_records_nothing_and_the_run_is_the_same():
    plain = CeasefireModel(scenario(), SEED, np.arange(200), weeks=WEEKS).run()
    traced = CeasefireModel(scenario(), SEED, np.arange(200), weeks=WEEKS, trace=True).run()
    assert type(plain.observer) is Observer and plain.events == []
    assert isinstance(traced.observer, Trace) and traced.events is traced.observer.events and traced.events
    for name, values in plain.outcome().runs.items():
        np.testing.assert_array_equal(values, traced.outcome().runs[name], err_msg=name)


@pytest.mark.parametrize("others", [0, 1, 40])
def test_the_trace_of_a_replication_does_not_depend_on_the_batch_it_runs_in(others):
    """The trace follows the batch's first replication: the same events whether it runs alone or beside others."""
    row = 11
    alone = CeasefireModel(scenario(), SEED, np.array([row]), weeks=WEEKS, trace=True).run()
    batch = np.concatenate([[row], np.arange(1000, 1000 + others)])
    beside = CeasefireModel(scenario(), SEED, batch, weeks=WEEKS, trace=True).run()
    assert alone.events == beside.events
    assert {e["phase"] for e in alone.events} >= {"support", "battlefield", "beliefs", "negotiation"}
