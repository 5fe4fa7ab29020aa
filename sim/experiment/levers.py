"""What the levers do: paired runs of a scenario against one change at a time, and model-level properties.

A *lever* is one change to a scenario, written as `--set` assignments (`actors.us.aid_policy =
"cut"`), owned by the actor who could pull it. `lever_table` runs the scenario and each lever
on the same replications with the same seed (common random numbers: replication r of every
variant meets the same draws), so each difference is the lever's effect on the same simulated
worlds, with a paired 95% interval (Newcombe 1998, `sim.analysis.paired`).

A *relation* is a model-level property: a change whose effect has a known direction
("more war cost never lowers the chance of an agreement"). `check_relations` measures each
relation by paired runs and reports a violation when the effect's interval lies wholly on the
wrong side of zero, i.e. when the wrong direction is more than Monte Carlo error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.aggregate import CEASEFIRE, SETTLEMENT
from sim.analysis.columns import is_drawn
from sim.analysis.paired import Difference, normal_paired_interval, paired_difference
from sim.experiment.load import load
from sim.names import LEVER_ACTORS
from sim.scenario.load import LoadedScenario

# ---------------------------------------------------------------------------------------------- outcomes
OUTCOMES: dict[str, tuple[str, Callable[[dict[str, Any]], np.ndarray]]] = {
    "any_agreement": ("any agreement by the horizon", lambda r: r["first_agreement"] > 0),
    "ceasefire_or_settlement": ("a general ceasefire or settlement by the horizon", lambda r: r["highest_agreement"] >= CEASEFIRE),
    "settlement": ("a settlement by the horizon", lambda r: r["highest_agreement"] >= SETTLEMENT),
    "war_at_horizon": ("war at the horizon", lambda r: r["status"] == 0),
}
"""Binary outcomes per replication: name -> (description, function of the runs columns)."""

MEANS: dict[str, tuple[str, Callable[[dict[str, Any]], np.ndarray]]] = {
    "front_final": ("mean final front (0 pre-2014 borders ... 1 four oblasts ceded)", lambda r: r["front_final"]),
}


def simulate(loaded: LoadedScenario, runs: int, seed: int, chunk: int = 10_000) -> dict[str, np.ndarray]:
    """Replications 0 .. runs - 1 of a scenario, in-process, in chunks: the runs columns as arrays."""
    from sim.experiment.chunks import _forget_model
    from sim.model.model import CeasefireModel

    parts: list[dict[str, np.ndarray]] = []
    for start in range(0, runs, chunk):
        model = CeasefireModel(loaded.scenario, seed, np.arange(start, min(start + chunk, runs)))
        model.run()
        parts.append({k: v for k, v in model.outcome().runs.items() if not is_drawn(k)})
        _forget_model(model)
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


# ---------------------------------------------------------------------------------------------- levers
@dataclass(frozen=True)
class Lever:
    """One change to a scenario that an actor (or the war) controls."""

    actor: str  # one of sim.names.LEVER_ACTORS
    name: str
    sets: tuple[str, ...]
    description: str

    def __post_init__(self) -> None:
        if self.actor not in LEVER_ACTORS:
            raise ValueError(f"expected a lever's actor among {', '.join(LEVER_ACTORS)}, got {self.actor!r}")


def baseline_levers() -> list[Lever]:
    """The levers of the shipped scenarios, per actor; each is a few `--set` assignments."""
    L = Lever
    return [
        L("us", "aid cut", ("actors.us.aid_policy='cut'",), "US military aid cut for good"),
        L("us", "aid full", ("actors.us.aid_policy='full'",), "US military aid restored unconditionally"),
        L("us", "backstop", ("actors.us.backstop=true",), "a US backstop for a European force"),
        L("us", "mediation x2", ("actors.us.mediation_intensity=0.5",), "US proposals twice as frequent"),
        L("us", "no mediation", ("actors.us.mediation_intensity=0.0",), "the US stops mediating"),
        L(
            "us",
            "coercion of Russia",
            ("actors.us.sanctions_policy='conditional'",),
            "US sanctions and tariffs raised while Russia rejects US proposals (the US President's threat of 7 Mar 2025)",
        ),
        L("us", "settlement first", ("actors.us.overrides.sequencing.position=1.0",), "the US's sequencing position at settlement first"),
        L("us", "relief acceptable", ("actors.us.overrides.sanctions_relief.position=1.0",), "the US's position on sanctions relief at full relief"),
        L("us", "territory 0.25", ("actors.us.overrides.territory.position=0.25",), "the US's territorial position at the pre-2022 line"),
        L("russia", "war cost x2", ("actors.russia.weekly_cost={dist='beta', mean=0.006, sd=0.003}",), "Russia's weekly war cost doubled"),
        L(
            "russia",
            "red lines cheaper",
            ("actors.russia.overrides.territory.red_line_cost=0.0",),
            "no audience cost for Russia crossing its territorial red line",
        ),
        L("russia", "red lines as vetoes", ("actors.russia.rules.red_lines='veto'",), "Russia's red lines as absolute vetoes"),
        L("russia", "concession x2", ("actors.russia.concession_rate=0.04",), "Russia concedes twice as fast"),
        L("russia", "no war weariness", ("actors.russia.war_weariness=0.0",), "Russia feels no war weariness"),
        L("ukraine", "war cost x2", ("actors.ukraine.weekly_cost={dist='beta', mean=0.006, sd=0.003}",), "Ukraine's weekly war cost doubled"),
        L(
            "ukraine",
            "red lines cheaper",
            ("actors.ukraine.overrides.territory.red_line_cost=0.0",),
            "no audience cost for Ukraine crossing its territorial red line",
        ),
        L("ukraine", "red lines as vetoes", ("actors.ukraine.rules.red_lines='veto'",), "Ukraine's red lines as absolute vetoes"),
        L("ukraine", "troops halved", ("actors.ukraine.troops={dist='uniform', low=400000, high=440000}",), "Ukraine's troops halved"),
        L("ukraine", "concession x2", ("actors.ukraine.concession_rate=0.04",), "Ukraine concedes twice as fast"),
        L("europe", "no force", ("actors.europe.force_minimum=500000",), "no European reassurance force can form"),
        L("europe", "sanctions lifted", ("actors.europe.sanctions=0.0",), "European sanctions lifted"),
        L("europe", "aid x2", ("actors.europe.aid_target=2.0",), "European aid doubled by the end of its ramp"),
        L("europe", "relief acceptable", ("actors.europe.overrides.sanctions_relief.position=1.0",), "Europe's position on sanctions relief at full relief"),
        L(
            "europe",
            "refuses relief",
            ("actors.europe.overrides.sanctions_relief.red_line_high=0.0", "actors.europe.overrides.sanctions_relief.red_line_cost=2.0"),
            "Europe never delivers EU sanctions relief",
        ),
        L(
            "europe",
            "ceasefire monitored",
            ("breakdown.ceasefire_monitoring=1.0", "breakdown.monitoring_hazard_ratio=0.5"),
            "a general ceasefire fully monitored (hazard ratio 0.5)",
        ),
        L("turkey", "mediation x5", ("actors.turkey.mediation_intensity=0.25",), "Turkey tables proposals five times as often"),
        L("turkey", "no mediation", ("actors.turkey.mediation_intensity=0.0",), "Turkey stops mediating"),
        L("turkey", "bias 0.8", ("actors.turkey.bias=0.8",), "Turkey's proposals pulled hard toward its own positions"),
        L("turkey", "settlement first", ("actors.turkey.overrides.sequencing.position=1.0",), "Turkey's sequencing position at settlement first"),
        L("turkey", "territory 0.5", ("actors.turkey.overrides.territory.position=0.5",), "Turkey's territorial position at the frozen front"),
        L("battlefield", "drift 0", ("battlefield.drift_scale=0.0",), "no drift of the front"),
        L("battlefield", "drift x3", ("battlefield.drift_scale=0.03",), "the front drifts three times as fast"),
        L(
            "negotiation",
            "mediators' stakes x5",
            ("actors.us.stake=0.005", "actors.turkey.stake=0.005", "actors.europe.stake=0.005"),
            "the third parties lose five times as much while the war goes on",
        ),
        L(
            "negotiation",
            "exploitation cost x4",
            ("actors.russia.exploitation_cost=0.2", "actors.ukraine.exploitation_cost=0.2"),
            "being caught standing down when a truce breaks down costs four times as much",
        ),
        L(
            "negotiation",
            "BdM position dynamics",
            ("negotiation.position_dynamics='bdm'",),
            "all five actors' positions move by Bueno de Mesquita's challenges and offers",
        ),
        L(
            "negotiation",
            "first edition's type choice",
            ("actors.us.rules.proposal_type='sequencing'", "actors.turkey.rules.proposal_type='sequencing'"),
            "mediators table by their sequencing position alone",
        ),
        L("negotiation", "open-ended partial truces", ("negotiation.partial_truce_weeks=0",), "a partial truce needs no renewal"),
        L("negotiation", "no freeze risk", ("negotiation.partial_truce_freeze=0.0",), "a partial truce is never seen as a step to a freeze"),
        L("negotiation", "no snapback", ("negotiation.snapback=false",), "relieved sanctions do not return when a settlement breaks down"),
    ]


@dataclass
class LeverEffect:
    lever: Lever
    effects: dict[str, Difference]
    means: dict[str, tuple[float, float, float]]


@dataclass
class LeverTable:
    scenario: str
    runs: int
    seed: int
    base_shares: dict[str, float]
    base_means: dict[str, float]
    rows: list[LeverEffect] = field(default_factory=list)


def _load_variant(path: Path, sets: tuple[str, ...]) -> LoadedScenario:
    return load(path, list(sets))


def lever_table(path: Path, levers: list[Lever], runs: int, seed: int, progress: Callable[[str], None] | None = None) -> LeverTable:
    """Paired effects of each lever on the outcome shares and the mean final front."""
    base = simulate(_load_variant(path, ()), runs, seed)
    table = LeverTable(
        str(path),
        runs,
        seed,
        {k: float(f(base).mean()) for k, (_, f) in OUTCOMES.items()},
        {k: float(f(base).mean()) for k, (_, f) in MEANS.items()},
    )
    for lever in levers:
        if progress:
            progress(f"{lever.actor}: {lever.name}")
        other = simulate(_load_variant(path, lever.sets), runs, seed)
        effects = {k: paired_difference(f(base), f(other)) for k, (_, f) in OUTCOMES.items()}
        means = {k: normal_paired_interval(f(base), f(other)) for k, (_, f) in MEANS.items()}
        table.rows.append(LeverEffect(lever, effects, means))
    return table


# ---------------------------------------------------------------------------------------------- relations
@dataclass(frozen=True)
class Relation:
    """A model-level property: changing `sets` moves `outcome` in `direction` (+1 up, -1 down), or not against it."""

    name: str
    sets: tuple[str, ...]
    outcome: str
    direction: int
    base_sets: tuple[str, ...] = ()


RELATIONS: list[Relation] = [
    Relation("more war cost for Russia never lowers P(any agreement)", ("actors.russia.weekly_cost={dist='beta', mean=0.006, sd=0.003}",), "any_agreement", +1),
    Relation(
        "more war cost for Ukraine never lowers P(any agreement)", ("actors.ukraine.weekly_cost={dist='beta', mean=0.006, sd=0.003}",), "any_agreement", +1
    ),
    Relation(
        "more aid to Ukraine never moves the mean final front toward Russia",
        ("actors.us.aid_policy='full'",),
        "front_final",
        -1,
        ("actors.us.aid_policy='cut'",),
    ),
    Relation(
        "more aid to Ukraine never raises Ukraine's acceptance of a given general ceasefire",
        ("actors.us.aid_policy='full'",),
        "ukraine_accepts_ceasefire",
        -1,
        ("actors.us.aid_policy='cut'",),
    ),
    Relation("a US backstop never raises a general ceasefire's breakdown hazard", ("actors.us.backstop=true",), "ceasefire_hazard", -1),
    Relation("a US backstop never lowers Russia's or Ukraine's acceptance of a general ceasefire", ("actors.us.backstop=true",), "both_accept_ceasefire", +1),
    Relation(
        "a larger European force never lowers acceptance of a general ceasefire",
        ("actors.europe.members.germany.threshold=0.0", "actors.europe.members.germany.pledge=20000"),
        "both_accept_ceasefire",
        +1,
    ),
    Relation(
        "relaxing every red line (no audience costs) never lowers P(any agreement)",
        (
            "negotiation.audience_costs.leader=0.0",
            "negotiation.audience_costs.official=0.0",
            "negotiation.audience_costs.reported=0.0",
            "negotiation.audience_costs.law=0.0",
        ),
        "any_agreement",
        +1,
    ),
    Relation(
        "relaxing Russia's red lines on territory and sequencing never lowers P(any agreement)",
        ("actors.russia.overrides.territory.red_line_cost=0.0", "actors.russia.overrides.sequencing.red_line_cost=0.0"),
        "any_agreement",
        +1,
    ),
    Relation(
        "relaxing Ukraine's territorial red line never lowers P(any agreement)", ("actors.ukraine.overrides.territory.red_line_cost=0.0",), "any_agreement", +1
    ),
    Relation(
        "doubling both concession rates never lowers P(any agreement)",
        ("actors.russia.concession_rate=0.04", "actors.ukraine.concession_rate=0.04"),
        "any_agreement",
        +1,
    ),
    Relation(
        "Russia's position on military limits moved toward Ukraine's never lowers P(settlement)",
        ("actors.russia.overrides.military_limits.position=0.5",),
        "settlement",
        +1,
    ),
    Relation(
        "Ukraine's position on military limits moved toward Russia's never lowers P(settlement)",
        ("actors.ukraine.overrides.military_limits.position=0.6",),
        "settlement",
        +1,
    ),
    Relation(
        "the US's territorial position moved toward Russia's never lowers Russia's acceptance of its settlement proposals",
        ("actors.us.overrides.territory.position=0.75",),
        "russia_accepts_us_settlement",
        +1,
    ),
    Relation(
        "the US's territorial position moved toward Ukraine's never lowers Ukraine's acceptance of its settlement proposals",
        ("actors.us.overrides.territory.position=0.25",),
        "ukraine_accepts_us_settlement",
        +1,
    ),
    Relation(
        "Turkey's territorial position moved toward Russia's never lowers Russia's acceptance of its settlement proposals",
        ("actors.turkey.overrides.territory.position=0.75",),
        "russia_accepts_turkey_settlement",
        +1,
    ),
    Relation(
        "Europe refusing sanctions relief never raises P(settlement)",
        ("actors.europe.overrides.sanctions_relief.red_line_high=0.0", "actors.europe.overrides.sanctions_relief.red_line_cost=2.0"),
        "settlement",
        -1,
    ),
    Relation(
        "without snapback, Europe (its position on relief below the middle) never consents more often to the US's settlement terms",
        ("negotiation.snapback=false",),
        "europe_consents_us_settlement",
        -1,
        ("actors.us.overrides.sanctions_relief.position=1.0", "actors.europe.overrides.sanctions_relief.position=0.25"),
    ),
]

PROBE_WEEK = 12
"""Week at which the acceptance and hazard of a fixed general ceasefire are probed (after support, beliefs and costs have moved)."""


def probe_ceasefire(loaded: LoadedScenario, runs: int, seed: int, week: int = PROBE_WEEK) -> dict[str, np.ndarray]:
    """Each belligerent's acceptance probability of the same general ceasefire (the front frozen where it stands
    at `week`) and its breakdown risk, and of each mediator's settlement terms, per replication: the 'given
    proposal' of the acceptance relations."""
    from sim.analysis.aggregate import CEASEFIRE as CF
    from sim.experiment.chunks import _forget_model
    from sim.model.model import CeasefireModel

    model = CeasefireModel(loaded.scenario, seed, np.arange(runs), weeks=week)
    # Probe a world kept at war: no proposals, so both variants meet the same ceasefire on the same front.
    for mediator in model.mediators:
        mediator.intensity = 0.0
    model.run()
    idx = np.arange(runs)
    kind = np.full(runs, CF, dtype=np.int8)
    point = model.truce_point(kind, idx)
    fixed = model.fixed_issues(kind)
    lost, risk = model.breakdown_risk(kind, idx)
    out = {"ceasefire_hazard": risk}
    probs = []
    for side in (model.russia, model.ukraine):
        war_point = side.war_point(model, idx)
        gain = side.net_gain(model.agreement_value(side, kind, point, war_point, idx) - side.war_value(model, war_point, idx), lost, risk, point, fixed, idx)
        _, prob = side.decide(gain, np.zeros(runs), idx)
        out[f"{side.actor_id}_accepts_ceasefire"] = prob
        probs.append(prob)
    out["both_accept_ceasefire"] = probs[0] * probs[1]
    settle = np.full(runs, SETTLEMENT, dtype=np.int8)
    fixed = model.fixed_issues(settle)
    lost, risk = model.breakdown_risk(settle, idx)
    for mediator in model.mediators:
        terms, withheld = model.delivered_terms(model.settlement_terms(mediator, idx), idx)
        out[f"europe_consents_{mediator.actor_id}_settlement"] = ((withheld & 1) == 0).astype(float)
        for side in (model.russia, model.ukraine):
            war_point = side.war_point(model, idx)
            gain = side.net_gain(
                model.agreement_value(side, settle, terms, war_point, idx) - side.war_value(model, war_point, idx), lost, risk, terms, fixed, idx
            )
            out[f"{side.actor_id}_accepts_{mediator.actor_id}_settlement"] = side.acceptance(gain, idx)
    _forget_model(model)
    return out


@dataclass
class RelationResult:
    relation: Relation
    estimate: float
    low: float
    high: float
    kind: str  # "share" or "mean"

    @property
    def violated(self) -> bool:
        """The effect lies wholly on the wrong side of zero: more than Monte Carlo error."""
        return (self.high < 0.0) if self.relation.direction > 0 else (self.low > 0.0)

    @property
    def by(self) -> float:
        """How far the interval lies on the wrong side of zero (0 when the relation holds)."""
        if not self.violated:
            return 0.0
        return -self.high if self.relation.direction > 0 else self.low


PROBES = (
    "ukraine_accepts_ceasefire",
    "russia_accepts_ceasefire",
    "both_accept_ceasefire",
    "ceasefire_hazard",
    *(f"{side}_accepts_{m}_settlement" for side in ("russia", "ukraine") for m in ("us", "turkey")),
    *(f"europe_consents_{m}_settlement" for m in ("us", "turkey")),
)


def check_relations(
    path: Path, runs: int, seed: int, relations: list[Relation] | None = None, progress: Callable[[str], None] | None = None
) -> list[RelationResult]:
    """Measure each relation by paired runs; see `RelationResult.violated`."""
    results = []
    cache: dict[tuple[Any, ...], dict[str, Any]] = {}

    def outcomes(sets: tuple[str, ...], probe: bool) -> dict[str, Any]:
        key = (sets, probe)
        if key not in cache:
            loaded = _load_variant(path, sets)
            cache[key] = probe_ceasefire(loaded, runs, seed) if probe else simulate(loaded, runs, seed)
        return cache[key]

    for rel in relations or RELATIONS:
        if progress:
            progress(rel.name)
        probe = rel.outcome in PROBES
        a, b = outcomes(rel.base_sets, probe), outcomes(rel.base_sets + rel.sets, probe)
        if rel.outcome in OUTCOMES:
            f = OUTCOMES[rel.outcome][1]
            d = paired_difference(f(a), f(b))
            results.append(RelationResult(rel, d.difference, d.low, d.high, "share"))
        else:
            x = a[rel.outcome] if probe else MEANS[rel.outcome][1](a)
            y = b[rel.outcome] if probe else MEANS[rel.outcome][1](b)
            est, low, high = normal_paired_interval(x, y)
            results.append(RelationResult(rel, est, low, high, "mean"))
    return results
