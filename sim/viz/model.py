"""The browser app's model: a thin Mesa adapter over the ensemble model, stepped live.

`CeasefireModel` knows nothing of visualisation; SolaraViz needs a Mesa model whose
keyword arguments are the app's controls. `EnsembleView(**controls)` turns the controls
into `--set`-style changes of the scenario, builds one ensemble `CeasefireModel` over
`replications` replications plus a traced one-replication model of the replication chosen
for the story pane (an exact replay of that member of the ensemble), steps both a week at
a time, and keeps what the charts need (weekly status counts, the front of every
replication, first agreements so far).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim.analysis.aggregate import AGREEMENT_TYPES, STATUSES
from sim.analysis.intervals import wilson_interval
from sim.defaults import DEFAULT_SEED
from sim.scenario.params import field_bounds, mean_of
from sim.scenario.schema import Belligerent, Scenario
from sim.scenario.shipped import SHIPPED

if TYPE_CHECKING:
    from sim.report.story import Story

DEFAULT_SCENARIO = SHIPPED / "baseline.toml"  # package data: there in a checkout and in an installed wheel
DEFAULT_REPLICATIONS = 2000
AID_POLICIES = ("conditional", "full", "cut")


def scale_number(value: Any, factor: float, lo: float, hi: float) -> Any:
    """A scenario number or distribution table (as dumped to JSON) multiplied by `factor`, kept within [lo, hi].

    Location and scale parameters scale together, so a distribution keeps its shape."""
    if isinstance(value, (int, float)):
        return float(min(max(value * factor, lo), hi))
    if isinstance(value, dict) and "dist" in value:
        out = dict(value)
        for key in ("low", "mode", "high", "mean"):
            if key in out:
                out[key] = float(min(max(out[key] * factor, lo), hi))
        if "sd" in out:
            out["sd"] = float(out["sd"] * factor)
        if out.get("dist") == "beta":
            # keep the beta feasible at the bounds: sd^2 < (mean - lo)(hi - mean)
            m = min(max(out["mean"], lo + 1e-9 * (hi - lo)), hi - 1e-9 * (hi - lo))
            out["mean"] = m
            out["sd"] = float(min(out["sd"], 0.99 * np.sqrt((m - lo) * (hi - m))))
        if out.get("dist") in ("uniform", "triangular") and out["low"] >= out["high"]:
            out["low"] = max(lo, out["high"] - 1e-9 * (hi - lo))
        return out
    return value


def controlled_scenario(
    base: Scenario,
    us_aid: str,
    reassurance_force: bool,
    us_backstop: bool,
    turkey_mediation: float,
    rationality: float,
    war_costs: float,
    horizon: int,
) -> Scenario:
    """The base scenario with the app's controls applied (validated like any scenario)."""
    doc = base.model_dump(mode="json")
    actors = doc["actors"]
    actors["us"]["aid_policy"] = us_aid
    actors["us"]["backstop"] = bool(us_backstop)
    if not reassurance_force:
        for member in actors["europe"]["members"].values():
            member["pledge"] = 0.0  # no member commits troops: the force never forms
    actors["turkey"]["mediation_intensity"] = float(turkey_mediation)
    r_bounds = field_bounds(Belligerent, "rationality")
    c_bounds = field_bounds(Belligerent, "weekly_cost")
    assert r_bounds is not None and c_bounds is not None  # both are declared with bounds in the schema
    for side in ("russia", "ukraine"):
        actors[side]["rationality"] = scale_number(actors[side]["rationality"], rationality, r_bounds.lo, r_bounds.hi)
        actors[side]["weekly_cost"] = scale_number(actors[side]["weekly_cost"], war_costs, c_bounds.lo, c_bounds.hi)
    doc["horizon_weeks"] = int(horizon)
    return Scenario.model_validate(doc)


def load_base(scenario_path: str | Path) -> Scenario:
    """The scenario file the app starts from (rule choices checked like `sim run` does)."""
    from sim.experiment.load import load

    return load(scenario_path).scenario


def scenario_mediation(scenario: Scenario) -> float:
    """Turkey's weekly probability of tabling a proposal in the scenario (the mean, if it is a distribution)."""
    value = scenario.actors.turkey.mediation_intensity
    if isinstance(value, float):
        return value
    bounds = field_bounds(type(scenario.actors.turkey), "mediation_intensity")
    assert bounds is not None  # a declared numeric field
    return float(mean_of(value, bounds))


def _release(model: mesa.Model) -> None:
    """Drop mesa 3.3's class-level reference to a model (`Agent._ids`), which would keep it alive forever.

    The key only numbers agents created later; these models create none after construction."""
    getattr(mesa.Agent, "_ids", {}).pop(model, None)


class EnsembleView(mesa.Model):  # type: ignore[misc]  # mesa ships no type information: its Model is Any
    """An ensemble of replications stepped week by week for the browser, with one replication traced for its story."""

    def __init__(
        self,
        scenario_path: str = str(DEFAULT_SCENARIO),
        replications: int = DEFAULT_REPLICATIONS,
        seed: int = DEFAULT_SEED,
        us_aid: str | None = None,
        reassurance_force: bool = True,
        us_backstop: bool | None = None,
        turkey_mediation: float | None = None,
        rationality: float = 1.0,
        war_costs: float = 1.0,
        horizon: int | None = None,
        story_replication: int = 0,
    ) -> None:
        super().__init__(seed=seed)
        from sim.model.model import CeasefireModel
        from sim.report.story import snapshot

        base = load_base(scenario_path)
        self.base = base
        self.controls: dict[str, Any] = {
            "us_aid": us_aid or base.actors.us.aid_policy,
            "reassurance_force": bool(reassurance_force),
            "us_backstop": base.actors.us.backstop if us_backstop is None else bool(us_backstop),
            "turkey_mediation": scenario_mediation(base) if turkey_mediation is None else float(turkey_mediation),
            "rationality": float(rationality),
            "war_costs": float(war_costs),
            "horizon": int(horizon or base.horizon_weeks),
        }
        self.scenario = controlled_scenario(base, **self.controls)
        self.seed_value = int(seed)
        self.replications = int(replications)
        self.story_replication = int(min(max(story_replication, 0), self.replications - 1))
        self.ensemble = CeasefireModel(self.scenario, seed, np.arange(self.replications))
        _release(self.ensemble)
        self.traced = CeasefireModel(self.scenario, seed, np.array([self.story_replication]), trace=True)
        _release(self.traced)
        self.story_start = snapshot(self.traced)
        self.horizon = self.ensemble.horizon
        self.week = 0
        self.running = True

    def step(self) -> None:
        """One week of every replication (and of the traced one)."""
        if self.week >= self.horizon:
            self.running = False
            return
        self.ensemble.step()
        self.traced.step()
        self.week = self.ensemble.week
        self.running = self.week < self.horizon

    # ------------------------------------------------------------------ what the charts read
    def status_shares(self) -> np.ndarray:
        """Share of replications in each status, weeks 0..week (shape (week + 1, 4))."""
        statuses = self.ensemble.weekly_status[: self.week + 1]
        counts = np.stack([(statuses == code).sum(axis=1) for code in range(len(STATUSES))], axis=1)
        return counts / self.replications

    def front_quantiles(self, levels: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)) -> np.ndarray:
        """Quantiles of the front line by week, weeks 0..week (shape (week + 1, len(levels)))."""
        out: np.ndarray = np.quantile(self.ensemble.weekly_front[: self.week + 1], levels, axis=1).T
        return out

    def outcome_shares(self, confidence: float = 0.95) -> dict[str, dict[str, tuple[float, float, float]]]:
        """Status now and first agreement so far: share with its Wilson interval, by name."""
        n = self.replications
        status = np.bincount(self.ensemble.status, minlength=len(STATUSES))
        first = np.bincount(self.ensemble.first_type, minlength=len(AGREEMENT_TYPES))
        out = {}
        for key, names, counts in (("status", STATUSES, status), ("first_agreement", AGREEMENT_TYPES, first)):
            low, high = wilson_interval(counts, n, confidence)
            out[key] = {name: (counts[i] / n, float(low[i]), float(high[i])) for i, name in enumerate(names)}
        return out

    def story(self) -> Story:
        """The traced replication's story up to this week."""
        from sim.report.story import story_so_far

        return story_so_far(self.traced, self.story_start)

    def describe_controls(self) -> str:
        """The controls in force, in one line (the app shows it; the browser test reads it)."""
        c = self.controls
        return (
            f"US aid {c['us_aid']} · reassurance force {'on' if c['reassurance_force'] else 'off'} · US backstop "
            f"{'on' if c['us_backstop'] else 'off'} · Turkish mediation {c['turkey_mediation']:.2f}/week · rationality "
            f"×{c['rationality']:.2f} · war costs ×{c['war_costs']:.2f} · horizon {c['horizon']} weeks · "
            f"{self.replications:,} replications · seed {self.seed_value}"
        )
