"""The conventional way to run the model: one Mesa model object per replication.

This is how a Mesa model is usually run in a Monte Carlo study, and what `mesa.batch_run`
does: build a model for one replication, step it to the horizon, collect its data with a
`mesa.DataCollector`, throw it away, build the next. To make the comparison with the
ensemble engine honest, `ConventionalModel` *is* `sim.model.model.CeasefireModel` (same
agents, same rules, same code path) given a single replication per model object; the only
additions are what `mesa.batch_run` requires of a model: keyword arguments it can pass,
a `datacollector` that records each week, and a `running` flag that stops at the horizon.

Because every random draw is a function of (seed, replication index, week, draw name),
replication `r` run alone here gives exactly the same trajectory as replication `r` inside
a batch of 100,000; `bench_engine.py` checks this.

Two drivers, both timed by `bench_engine.py`:

- `run_loop`: a plain loop (construct, run to the horizon, read the outcome);
- `run_batch_run`: `mesa.batch_run` itself. In mesa 3.3.1 `batch_run` does no seeding
  (a model gets whatever its constructor does with the keyword arguments), so the seed and
  the replication indices are passed explicitly as parameters; and its loop is
  `while model.running and model.steps <= max_steps`, which runs max_steps + 1 steps, so
  the model stops itself through `running` after `horizon` weeks (checked on the output:
  the last collected step is horizon - 1, i.e. `model.steps == horizon`).

Importing mesa.batchrunner forces the multiprocessing start method to "spawn": callers
must guard their entry point with `if __name__ == "__main__":`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import mesa
import numpy as np

from sim.model.model import CeasefireModel
from sim.scenario.schema import Scenario


class ConventionalModel(CeasefireModel):
    """`CeasefireModel` for ONE replication, with what `mesa.batch_run` expects of a model."""

    def __init__(self, scenario: Scenario, seed: int, replication: int, weeks: int | None = None):
        super().__init__(scenario, seed, [int(replication)], weeks)
        self.replication = int(replication)
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "status": lambda m: int(m.status[0]),
                "front": lambda m: float(m.front[0]),
                "first_agreement_week": lambda m: int(m.first_week[0]),
            }
        )

    def step(self) -> None:
        """One week, then record it; stop at the horizon."""
        super().step()
        self.datacollector.collect(self)
        if self.week >= self.horizon:
            self.running = False


@dataclass
class ConventionalResult:
    """Final state of each replication, and the time it took."""

    seconds: float
    replications: np.ndarray
    status: np.ndarray
    front: np.ndarray
    first_week: np.ndarray

    @property
    def per_replication(self) -> float:
        return self.seconds / len(self.replications)


def run_loop(scenario: Scenario, seed: int, replications) -> ConventionalResult:
    """One model per replication, in a plain Python loop (what a hand-written Monte Carlo does)."""
    reps = np.asarray(replications, dtype=np.int64)
    status, front, first = [], [], []
    t0 = time.perf_counter()
    for r in reps:
        model = ConventionalModel(scenario, seed, int(r))
        model.run()
        out = model.outcome()
        status.append(int(out.runs["status"][0]))
        front.append(float(out.runs["front_final"][0]))
        first.append(int(out.runs["first_agreement_week"][0]))
    seconds = time.perf_counter() - t0
    return ConventionalResult(seconds, reps, np.array(status), np.array(front), np.array(first))


def run_batch_run(scenario: Scenario, seed: int, replications, number_processes: int = 1) -> ConventionalResult:
    """The same replications through `mesa.batch_run` (seed and replication passed explicitly)."""
    from mesa.batchrunner import batch_run  # sets the start method to "spawn" on import

    reps = [int(r) for r in replications]
    horizon = int(scenario.horizon_weeks)
    t0 = time.perf_counter()
    rows = batch_run(
        ConventionalModel,
        # The scenario sits in a list: batch_run iterates any iterable parameter, and a
        # pydantic model is iterable (over its fields).
        parameters={"scenario": [scenario], "seed": [int(seed)], "replication": reps},
        number_processes=number_processes,
        iterations=1,
        data_collection_period=-1,  # the last step only, as a Monte Carlo study would
        max_steps=horizon,  # batch_run would run horizon + 1 steps; `running` stops at horizon
        display_progress=False,
    )
    seconds = time.perf_counter() - t0
    steps = {row["Step"] for row in rows}
    if steps != {horizon - 1}:
        raise RuntimeError(f"batch_run collected steps {sorted(steps)}, expected only {horizon - 1} ({horizon} weeks)")
    rows.sort(key=lambda row: row["replication"])
    return ConventionalResult(
        seconds,
        np.array([row["replication"] for row in rows]),
        np.array([row["status"] for row in rows]),
        np.array([row["front"] for row in rows]),
        np.array([row["first_agreement_week"] for row in rows]),
    )
