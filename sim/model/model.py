"""The ensemble Mesa model: one model steps a whole batch of replications, week by week.

Phases of a week, in this fixed order (docs/model.md, "A week"):

1. support      the US sets aid (conditional on Ukraine's answers), Europe ramps aid up,
                coalition members commit troops by threshold;
2. battlefield  while no general ceasefire holds the front drifts by relative strength plus
                noise, and both sides pay the week's costs (a partial truce removes part);
3. beliefs      each belligerent updates its belief about the drift from the observed move;
4. negotiation  the US, then Turkey, may table a partial truce, a general ceasefire or a
                settlement; each belligerent values it against fighting on (net of its
                breakdown risk and of the audience costs of the red lines it crosses) and
                accepts with the acceptance rule's probability of that gain; both must accept;
5. concession   positions move toward the last proposal, on the issues it fixed, within red lines;
6. truce        a truce in force breaks down with a weekly hazard (lowered by enforcement and
                monitoring); one with a term lapses at its end unless both sides renew it.

The model tells an observer what happens at defined points of each phase (`sim.model.trace`): nothing
listens in a plain run; with `trace=True`, a `Trace` records the first replication's decisions for stories.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import numpy.typing as npt

from sim.analysis.aggregate import CEASEFIRE, END_BREAKDOWN, END_ESCALATED, END_LAPSE, PARTIAL_TRUCE, SETTLEMENT, WAR, ChunkOutcome
from sim.analysis.columns import drawn_column
from sim.model.agents import Actor, Belligerent, EuropeanCoalition, EuropeanMember, Mediator, Turkey, UnitedStates, rows
from sim.model.parameters import DrawnParameters, draw_parameters
from sim.model.rulebook import RuleError, bind_rules, guarded
from sim.model.trace import Observer, Trace
from sim.rng import Streams
from sim.rules.battlefield import effective_strength, front_drift
from sim.rules.proposal import compromise_terms
from sim.rules.registry import Values
from sim.rules.short_axis import cumsum_last, sum_last
from sim.rules.utility import costly_red_lines
from sim.scenario.derive import derive
from sim.scenario.schema import Event as DatedEvent
from sim.scenario.schema import Scenario

AGREEMENT_TYPES = (PARTIAL_TRUCE, CEASEFIRE, SETTLEMENT)

MEDIATOR_CODES = {"us": 0, "turkey": 1}


def by_type(kind: np.ndarray, partial_truce: Values, ceasefire: Values, otherwise: Values) -> np.ndarray:
    """Per entry of `kind`, the value of its agreement type: `partial_truce`, `ceasefire`, or `otherwise` (war or a
    settlement); each a number or an array that broadcasts against `kind`."""
    return np.where(kind == PARTIAL_TRUCE, partial_truce, np.where(kind == CEASEFIRE, ceasefire, otherwise))


class CeasefireModel(mesa.Model):
    """Five actors bargaining while the war goes on, over `n` replications at once.

    `CeasefireModel(scenario, seed, replications)` builds the agents from the scenario's
    drawn parameters; `step()` runs one week; `run()` runs to the horizon; `outcome()`
    returns the per-replication outcomes and weekly trajectories.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        replications: npt.ArrayLike,
        weeks: int | None = None,
        params: DrawnParameters | None = None,
        trace: bool = False,
        observer: Observer | None = None,
    ):
        super().__init__(seed=seed)
        # The observer is told what happens at defined points of each week (sim.model.trace): with trace=True a
        # `Trace` records every decision of the batch's first replication in `events` (for `sim story` and the
        # browser app); without, a no-op `Observer` costs one method call per point and week.
        self.trace = trace or isinstance(observer, Trace)
        self.observer: Observer = observer if observer is not None else Trace() if trace else Observer()
        self.events = self.observer.events
        self.scenario = scenario
        self.seed_value = int(seed)
        self.replications = np.asarray(replications, dtype=np.int64)
        self.n = len(self.replications)
        self.horizon = int(weeks if weeks is not None else scenario.horizon_weeks)
        self.streams = Streams(seed, self.replications)
        self.params = params if params is not None else draw_parameters(scenario, self.streams, derive(scenario))
        self.initial_values: dict[str, Values] = dict(self.params.values)
        p = self.params.values
        self.issue_ids = tuple(scenario.issues)
        roles = {v.role: i for i, v in enumerate(scenario.issues.values()) if v.role}
        self.i_territory = roles["territory"]
        self.i_sequencing = roles["sequencing"]
        self.i_guarantees = roles.get("guarantees")
        self.i_sanctions = roles.get("sanctions")
        self.status_quo = np.array([v.status_quo for v in scenario.issues.values()], dtype=float)
        # The status quo in every row (R, K): copying its first rows fills a point faster than broadcasting one row.
        self.status_quo_rows = np.tile(self.status_quo, (self.n, 1))
        self._fixed_by_type_rows: np.ndarray | None = None  # the issues each type fixes, per replication (_fixed_by_type)
        self.lookahead = p["battlefield.lookahead_weeks"]
        self.week = 0

        # War state, one entry per replication.
        self.front = np.full(self.n, self.status_quo[self.i_territory])
        self.status = np.zeros(self.n, dtype=np.int8)
        self.truce_age = np.zeros(self.n, dtype=np.int32)
        self.agreement_point = np.full((self.n, len(self.issue_ids)), np.nan)
        self.last_terms = np.full((self.n, len(self.issue_ids)), np.nan)  # last settlement terms tabled
        self.last_offer = np.full((self.n, len(self.issue_ids)), np.nan)  # last proposal tabled, of any type
        self.last_fixed = np.zeros((self.n, len(self.issue_ids)), dtype=bool)  # the issues it fixed
        self.term_left = np.zeros(self.n, dtype=np.int32)  # weeks left in a truce's term (0: open-ended)
        self.lapses = np.zeros(self.n, dtype=np.int32)
        self.renewals = np.zeros(self.n, dtype=np.int32)
        self.first_end_week = np.full(self.n, -1, dtype=np.int32)
        self.first_end = np.zeros(self.n, dtype=np.int8)
        self.highest = np.zeros(self.n, dtype=np.int8)  # the fullest agreement type reached
        self.sanctions_before = np.zeros((self.n, 2))  # EU and US sanctions before the settlement in force
        self.last_refusal = np.zeros(self.n, dtype=np.int8)  # who refused the last failed proposal: 1 Russia, 2 Ukraine (bits)
        self.last_consent = np.zeros(self.n, dtype=np.int8)  # who withheld a term of the last settlement tabled: 1 Europe, 2 US
        self.last_relief = np.zeros(self.n)  # sanctions relief of the last settlement tabled, as tabled
        self.first_type = np.zeros(self.n, dtype=np.int8)
        self.first_week = np.full(self.n, -1, dtype=np.int32)
        self.first_mediator = np.full(self.n, -1, dtype=np.int8)
        self.breakdowns = np.zeros(self.n, dtype=np.int32)
        self.agreements = np.zeros(self.n, dtype=np.int32)
        self.us_aid_weeks = np.zeros(self.n, dtype=np.int32)
        self.max_force = np.zeros(self.n)

        a = scenario.actors
        members = [EuropeanMember(self, mid, p, m.needs_us_backstop) for mid, m in a.europe.members.items()]
        self.rules = bind_rules(scenario, self.streams, self.params.random_columns)
        self.us = UnitedStates(self, self.params.actors["us"], p, a.us.aid_policy, a.us.backstop)
        self.europe = EuropeanCoalition(self, self.params.actors["europe"], p, members)
        self.true_drift_start = self._start_drift(p)
        self.dynamics_rule = guarded(self.rules[("negotiation", "position_dynamics")], "the position dynamics")
        self.capability = self._capabilities(scenario)
        self.breakdown_rule = guarded(self.rules[("breakdown", "rule")], "the breakdown hazard")
        self.russia = Belligerent(self, "russia", self.params.actors["russia"], p, +1.0, self.rules)
        self.ukraine = Belligerent(self, "ukraine", self.params.actors["ukraine"], p, -1.0, self.rules)
        self.turkey = Turkey(self, "turkey", self.params.actors["turkey"], p)
        self.mediators = (self.us, self.turkey)

        # Dated events: each fires in a replication with its probability (own stream), at the start of its week.
        self.dated_events = []
        for i, event in enumerate(scenario.events):
            u = self.streams.uniform(f"event.{i}")
            fires = u < event.probability
            self.params.random_columns[f"event.{i}"] = fires.astype(np.float64)
            self.dated_events.append((event, fires))

        self.weekly_status = np.zeros((self.horizon + 1, self.n), dtype=np.int8)
        self.weekly_front = np.zeros((self.horizon + 1, self.n))
        self.weekly_front[0] = self.front
        self.delta = np.zeros(self.n)
        self.aid_index = self._aid_index()
        # This week's answers, per mediator: {"tabled": mask, "russia": bool (R,), "ukraine": bool (R,)}
        # (read by the textbook checks in tests/test_textbook.py: who rejected a proposal).
        self.answers: dict[str, dict[str, np.ndarray]] = {}

    # ------------------------------------------------------------------ helpers
    def sanctions_index(self, idx: np.ndarray | None = None) -> np.ndarray:
        """The bite of sanctions on Russia: EU and US sanctions weighted by the EU's share (1 = the 2025 regime)."""
        w = rows(self.europe.sanctions_weight, idx)
        bite: np.ndarray = w * rows(self.europe.sanctions, idx) + (1.0 - w) * rows(self.us.sanctions, idx)
        return bite

    def sanctions_if_resumed(self, status: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """The bite of sanctions on Russia if the war resumed now in the replications `idx` (agreement types
        `status`): a broken settlement's relief snaps back where the scenario says so (`negotiation.snapback`),
        otherwise the sanctions stay where they are. Russia weighs this when it weighs breaking a settlement."""
        eu, us = self.europe.sanctions[idx], self.us.sanctions[idx]
        if self.scenario.negotiation.snapback:
            settled = status == SETTLEMENT
            eu = np.where(settled, np.maximum(eu, self.sanctions_before[idx, 0]), eu)
            us = np.where(settled, np.maximum(us, self.sanctions_before[idx, 1]), us)
        w = rows(self.europe.sanctions_weight, idx)
        bite: np.ndarray = w * eu + (1.0 - w) * us
        return bite

    def russia_pressure(self, sanctions_index: np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
        """Russia's pressure multiplier on its weekly war cost at the sanctions bite `sanctions_index`."""
        cost = rows(np.asarray(self.params.values["battlefield.sanctions_cost"]), idx)
        pressure: np.ndarray = 1.0 + rows(self.russia.pressure_sensitivity, idx) * cost * sanctions_index
        return pressure

    def _capabilities(self, scenario: Scenario) -> np.ndarray:
        """(R, A) capability shares of the five actors for the position dynamics (scenario `capability`, else equal)."""
        p = self.params.values
        cols = [np.zeros(self.n) + p.get(f"actors.{a}.capability", 1.0) for a in ("us", "russia", "ukraine", "europe", "turkey")]
        values = np.stack(cols, axis=1)
        total = values.sum(axis=1, keepdims=True)
        return np.where(total > 0, values / np.where(total > 0, total, 1.0), 0.2)

    def _aid_index(self) -> np.ndarray:
        """Foreign military aid relative to the 2022-24 flow, weighted by each supplier's share."""
        return self.us.aid_share * self.us.aid + self.europe.aid_share * self.europe.aid

    def _start_drift(self, p: dict[str, Any]) -> np.ndarray:
        """The drift of the front at the start (aid as it stands): the belligerents' prior beliefs centre on it."""
        aid = self._aid_index()
        s_ru = effective_strength(p["actors.russia.troops"], p["actors.russia.firepower"], p["actors.russia.domestic_materiel"], 1.0)
        s_ua = effective_strength(p["actors.ukraine.troops"], p["actors.ukraine.firepower"], p["actors.ukraine.domestic_materiel"], aid)
        # A strength is a number when none of its inputs is drawn: as an array (0-d then) for the drift's arguments.
        drift: np.ndarray = np.zeros(self.n) + front_drift(np.asarray(s_ru), np.asarray(s_ua), p["battlefield.drift_scale"])
        return drift

    def fighting(self) -> np.ndarray:
        """Replications where the ground war goes on (war or a partial truce)."""
        return self.status < CEASEFIRE

    # ------------------------------------------------------------------ phases
    def apply_event(self, i: int, event: DatedEvent, mask: np.ndarray) -> None:
        """Put a dated event into effect in the replications `mask`: its assignments change the drawn parameters
        (drawn from the same streams, so an unchanged number keeps its draw), the agents re-read them, and the
        states they set (sanctions levels, policies, a backstop, positions and red lines) change there."""
        from sim.scenario.load import event_scenario

        changed = event_scenario(self.scenario, event.set)
        new = draw_parameters(changed, self.streams)
        old = self.params.values
        for key, value in new.values.items():
            before = old.get(key)
            if before is None or np.any(np.asarray(value) != np.asarray(before)):
                old[key] = np.where(mask, value, before if before is not None else value)
        for actor_id, agent in (("us", self.us), ("russia", self.russia), ("ukraine", self.ukraine), ("europe", self.europe), ("turkey", self.turkey)):
            agent.bind(old)
            a, b = self.params.actors[actor_id], new.actors[actor_id]
            for field in ("salience", "low", "high", "cost_low", "cost_high"):
                if not np.array_equal(getattr(a, field), getattr(b, field)):
                    setattr(agent, field, np.where(mask[:, None], getattr(b, field), getattr(agent, field)))
            if not np.array_equal(a.position, b.position):
                agent.position = np.where(mask[:, None] & (a.position != b.position), b.position, agent.position)
        for m in self.europe.members:
            m.bind(old, self.n)
        self.europe.stack_members()
        if "actors.europe.sanctions" in new.values and np.any(new.values["actors.europe.sanctions"] != self.scenario_values("actors.europe.sanctions")):
            self.europe.sanctions = np.where(mask, new.values["actors.europe.sanctions"], self.europe.sanctions)
        if np.any(np.asarray(new.values["actors.us.sanctions"]) != self.scenario_values("actors.us.sanctions")):
            self.us.sanctions_agreed = np.where(mask, new.values["actors.us.sanctions"], self.us.sanctions_agreed)
        us_new, us_old = changed.actors.us, self.scenario.actors.us
        if us_new.aid_policy != us_old.aid_policy:
            self.us.policy_code = np.where(mask, self.us.AID_POLICIES.index(us_new.aid_policy), self.us.policy_code).astype(np.int8)
            self.us.start_policy(old, mask)
        if us_new.sanctions_policy != us_old.sanctions_policy:
            self.us.sanctions_conditional = np.where(mask, us_new.sanctions_policy == "conditional", self.us.sanctions_conditional)
        if us_new.backstop != us_old.backstop:
            self.us.backstop = np.where(mask, us_new.backstop, self.us.backstop)
        self.capability = self._capabilities(self.scenario)
        self.observer.event(self, i, event, mask)

    def scenario_values(self, key: str) -> Values:
        """A parameter as the scenario drew it at set-up (before any event)."""
        return self.initial_values[key]

    def phase_support(self) -> None:
        self.observer.support_started(self)
        self.us.set_support(self)
        self.europe.set_support(self)
        self.aid_index = self._aid_index()
        self.ukraine.pressure = np.maximum(1.0 + self.ukraine.pressure_sensitivity * (1.0 - self.aid_index), 0.0)
        self.russia.pressure = self.russia_pressure(self.sanctions_index())
        self.us_aid_weeks += (self.us.aid > 0).astype(np.int32)
        self.max_force = np.maximum(self.max_force, self.europe.force_size)
        self.observer.support(self)

    def phase_battlefield(self) -> None:
        p = self.params.values
        fighting = self.fighting()
        # This week's strengths, one per replication (also where troops and firepower are fixed numbers).
        self.strength_ru = np.zeros(self.n) + self.russia.strength(1.0)
        self.strength_ua = np.zeros(self.n) + self.ukraine.strength(self.aid_index)
        drift = front_drift(self.strength_ru, self.strength_ua, p["battlefield.drift_scale"])
        shock = p["battlefield.noise"] * self.streams.normal("battle.noise", self.week)
        new_front = np.clip(self.front + drift + shock, 0.0, 1.0)
        self.delta = np.where(fighting, new_front - self.front, 0.0)
        self.front = np.where(fighting, new_front, self.front)
        relief = np.where(self.status == PARTIAL_TRUCE, p["battlefield.partial_truce_relief"], 0.0)
        share = np.where(fighting, 1.0 - relief, 0.0)
        for side in (self.russia, self.ukraine):
            side.cost = side.cost + share * side.weekly_cost()
            side.costly_weeks = np.where(share > 0, side.costly_weeks + 1, 0)
        self.observer.battlefield(self, drift, fighting, share)

    def phase_beliefs(self) -> None:
        noise = self.params.values["battlefield.noise"]
        precision = 1.0 / np.square(np.maximum(noise, 1e-9))
        fighting = self.fighting()
        for side in (self.russia, self.ukraine):
            side.observe(self.delta, fighting, precision)
        self.observer.beliefs(self)

    def status_quo_points(self, m: int, out: np.ndarray | None = None) -> np.ndarray:
        """`m` points at the status quo (m, K), as `np.full((m, K), status_quo)` (into `out` when given)."""
        rows_ = self.status_quo_rows[:m] if m <= self.n else self.status_quo  # more points than replications: the one row, broadcast
        if out is None:
            out = np.empty((m, len(self.issue_ids)))
        out[...] = rows_
        return out

    def truce_point(self, kind: np.ndarray, idx: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The issue-space point of a truce of type `kind` for the replications `idx`: the status quo,
        the front frozen where it is, the sequencing of its type, and a reassurance force on the guarantees
        issue for a general ceasefire when the coalition's force exists; written into `out` (n, K) when given."""
        point = self.status_quo_points(len(idx), out=out)
        point[:, self.i_territory] = self.front[idx]
        point[:, self.i_sequencing] = np.where(kind == PARTIAL_TRUCE, 0.5, np.where(kind == CEASEFIRE, 0.0, 1.0))
        if self.i_guarantees is not None:
            level = self.scenario.negotiation.force_guarantee_level
            with_force = (kind == CEASEFIRE) & (self.europe.force_size[idx] > 0)
            point[:, self.i_guarantees] = np.where(with_force, level, point[:, self.i_guarantees])
        return point

    def _fixed_by_type(self) -> np.ndarray:
        """The issues each of the three types fixes, on every replication (T, R, K), read-only; made at first use."""
        fixed = self._fixed_by_type_rows
        if fixed is None:
            pattern = self.fixed_issues(np.array(AGREEMENT_TYPES, dtype=np.int8))
            fixed = np.repeat(pattern[:, None, :], self.n, axis=1)
            fixed.flags.writeable = False
            self._fixed_by_type_rows = fixed
        return fixed

    def _proposal_points(self, terms: np.ndarray, idx: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The points of the three types a mediator may table in the replications `idx` (T, n, K): a partial truce and a
        general ceasefire by `truce_point`, and the settlement `terms`; in `out` when given."""
        points = np.empty((len(AGREEMENT_TYPES),) + terms.shape) if out is None else out
        for t in (PARTIAL_TRUCE, CEASEFIRE):
            self.truce_point(np.full(idx.size, t, dtype=np.int8), idx, out=points[t - 1])
        points[SETTLEMENT - 1] = terms
        return points

    def fixed_issues(self, kind: np.ndarray) -> np.ndarray:
        """Which issues an agreement of type `kind` fixes (kind's shape + (K,)): a settlement all; a truce its
        sequencing, and a general ceasefire also the guarantees (its security arrangements)."""
        fixed = np.zeros(np.shape(kind) + (len(self.issue_ids),), dtype=bool)
        fixed[kind == SETTLEMENT] = True
        fixed[..., self.i_sequencing] |= kind > WAR
        if self.i_guarantees is not None:
            fixed[..., self.i_guarantees] |= kind == CEASEFIRE
        return fixed

    def agreement_value(self, side: Belligerent, kind: np.ndarray, point: np.ndarray, war_point: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Utility, for the replications `idx`, of living under an agreement of type `kind` with issue point `point`
        over the look-ahead, before its breakdown risk (docs/model.md, "Valuing an agreement").

        A general ceasefire or a settlement ends the fighting and its costs: its value is the utility of its point.
        A partial truce leaves the ground war on: the expected war outcome stands (with the truce's sequencing),
        the relieved share of costs is saved over its term, and with probability `partial_truce_freeze` it leads
        to a general ceasefire at the current line (a freeze), which a side expecting to gain on the ground fears."""
        freeze = side.utility(self.truce_point(np.full(idx.size, CEASEFIRE, dtype=np.int8), idx), idx)
        return self.agreement_value_from(side, kind, side.utility(point, idx), freeze, war_point, side.weekly_cost(idx), idx)

    def agreement_value_from(
        self,
        side: Belligerent,
        kind: np.ndarray,
        utility: np.ndarray,
        freeze: np.ndarray,
        war_point: np.ndarray,
        weekly_cost: np.ndarray,
        idx: np.ndarray,
        fight_utility: np.ndarray | None = None,
    ) -> np.ndarray:
        """`agreement_value` from the side's utility of the agreement's point (`utility`, kind's shape) and of a general
        ceasefire at the current line (`freeze`), its war point and the weekly cost of war it feels, for a caller that
        has them already (a proposal values three types at once; a truce in force is valued by both sides).
        `fight_utility`: the side's utility of the war point with a partial truce's sequencing, if at hand."""
        p = self.params.values
        cost = weekly_cost * rows(self.lookahead, idx)
        # A truce with a term is valued as renewed while it stays worth it (renewal is decided at the term's end).
        relieved = rows(p["battlefield.partial_truce_relief"], idx)
        if fight_utility is None:
            fight_utility = side.utility(self.partial_truce_war_point(war_point), idx)
        fight_on = fight_utility - (1.0 - relieved) * cost
        e = rows(p["negotiation.partial_truce_freeze"], idx)
        partial = (1.0 - e) * fight_on + e * freeze
        return np.where(kind == PARTIAL_TRUCE, partial, utility)

    def partial_truce_war_point(self, war_point: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The war point under a partial truce: the ground war's expected point with the truce's sequencing (0.5);
        written into `out` when given."""
        point = war_point.copy() if out is None else out
        if out is not None:
            point[...] = war_point
        point[:, self.i_sequencing] = 0.5
        return point

    def monitoring_factor(self, kind: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Hazard multiplier of a truce's monitoring: the monitoring hazard ratio to the power of its monitoring level."""
        b = self.params.values
        level = by_type(kind, rows(b["breakdown.partial_truce_monitoring"], idx), rows(b["breakdown.ceasefire_monitoring"], idx), 0.0)
        factor: np.ndarray = np.power(rows(b["breakdown.monitoring_hazard_ratio"], idx), level)
        return factor

    def type_factor(self, kind: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Hazard multiplier of a truce's type (the breakdown factors of a partial truce and a general ceasefire)."""
        b = self.params.values
        return by_type(kind, rows(b["breakdown.partial_truce_factor"], idx), rows(b["breakdown.ceasefire_factor"], idx), 1.0)

    def enforcement_of(self, kind: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Enforcement of an agreement of type `kind`: the reassurance force (and a US backstop) for a general
        ceasefire or a settlement, none for a partial truce."""
        b = self.params.values
        return np.where(kind >= CEASEFIRE, self.europe.enforcement(self.us.backstop, b["breakdown.backstop_bonus"], idx), 0.0)

    def term_of(self, kind: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Term in weeks of an agreement of type `kind` in the replications `idx` (0: open-ended)."""
        p = self.params.values
        return by_type(kind, rows(p["negotiation.partial_truce_weeks"], idx), rows(p["negotiation.ceasefire_weeks"], idx), 0).astype(np.int32)

    def breakdown_risk(self, kind: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """What a side can foresee of an agreement of type `kind` made now breaking down: (the expected share of
        the look-ahead lost to a breakdown, the probability of a breakdown within the look-ahead), at the weekly
        hazard the breakdown rule gives a new truce with today's enforcement and monitoring and no gain from
        resuming (a truce with a term is valued as renewed while worth it)."""
        b = self.params.values
        hazard_rule = self.breakdown_rule.take(idx)
        zeros = np.zeros(np.shape(kind))
        hazard = np.clip(
            hazard_rule(
                zeros + rows(b["breakdown.base_hazard"], idx) * self.monitoring_factor(kind, idx),
                self.type_factor(kind, idx),
                zeros + self.enforcement_of(kind, idx),
                zeros + rows(b["breakdown.peacekeeping_hazard_ratio"], idx),
                zeros,
                zeros + rows(b["breakdown.gain_sensitivity"], idx),
                zeros.astype(np.int32),
            ),
            0.0,
            1.0,
        )
        weeks = zeros + rows(self.lookahead, idx)
        survive = np.power(1.0 - hazard, weeks)
        # Expected weeks in force within the look-ahead, sum_{t<L} (1 - h)^t, as a share of L.
        kept = np.where(hazard > 1e-12, (1.0 - survive) / np.maximum(hazard, 1e-12) / weeks, 1.0)
        return np.clip(1.0 - kept, 0.0, 1.0), 1.0 - survive

    def no_deal_point(self, actor: Actor, idx: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """What a third party expects without an agreement: every issue at its status quo, the front where it is,
        its own sequencing (no agreement, no sequencing to weigh); written into `out` (n, K) when given."""
        point = self.status_quo_points(len(idx), out=out)
        point[:, self.i_territory] = self.front[idx]
        point[:, self.i_sequencing] = actor.position[:, self.i_sequencing].take(idx)
        return point

    def third_party_gain(
        self,
        actor: Mediator | EuropeanCoalition,
        kind: np.ndarray,
        point: np.ndarray,
        fixed: np.ndarray,
        idx: np.ndarray,
        stacked: np.ndarray | None = None,
    ) -> np.ndarray:
        """A mediator's or Europe's gain from an agreement of type `kind` at `point` over the war going on: its utility
        of the point against no deal, plus the share of the war it stops times its weekly stake over the look-ahead,
        net of the audience costs of its own red lines that the point crosses (on the issues the agreement fixes,
        `fixed`: `fixed_issues(kind)`). `stacked`: a buffer (1 + T, n, K) whose rows after the first already hold the
        points (T, n, K), if the caller has one (its first row is overwritten)."""
        p = self.params.values
        saved = np.where(kind == PARTIAL_TRUCE, rows(p["battlefield.partial_truce_relief"], idx), 1.0)
        # The utilities of no deal and of the point(s) in one call on them stacked (one gather of the actor's rows; each
        # entry is computed as alone). Then in place, operation by operation: utility - utility(no deal) + saved x stake x look-ahead.
        m, k = point.shape[-2:]
        if stacked is None:
            stacked = np.empty((1 + int(np.prod(point.shape[:-2], dtype=np.int64)), m, k))
            stacked[1:] = point.reshape(-1, m, k)
        self.no_deal_point(actor, idx, out=stacked[0])
        utilities = actor.utility(stacked, idx)
        gain = utilities[1:].reshape(point.shape[:-1])
        gain -= utilities[0]
        gain += saved * rows(actor.stake, idx) * rows(self.lookahead, idx)
        issue = actor.issue_rows
        return costly_red_lines(gain, point, issue("low", idx), issue("high", idx), fixed, issue("cost_low", idx), issue("cost_high", idx))

    def choose_type(
        self,
        mediator: Mediator,
        idx: np.ndarray,
        points: np.ndarray,
        fixed: np.ndarray,
        chance: np.ndarray,
        kind3: np.ndarray | None = None,
        stacked: np.ndarray | None = None,
    ) -> np.ndarray:
        """Type of proposal a mediator tables in the replications `idx`, by its proposal-type rule over the three
        types (`points` (T, n, K), the issues each fixes `fixed` (T, n, K), `chance` (n, T) that both sides accept),
        among the types fuller than the truce in force. `kind3`: the types along the leading axis (T, n), if at hand."""
        types = np.array(AGREEMENT_TYPES, dtype=np.int8)
        allowed = types[None, :] > self.status[idx, None]
        m = idx.size
        if kind3 is None:
            kind3 = np.repeat(types, m).reshape(3, m)
        gain = self.third_party_gain(mediator, kind3, points, fixed, idx, stacked).T
        rule = mediator.type_rule.take(idx)
        w = np.asarray(rule(gain, chance, allowed, mediator.position[:, self.i_sequencing].take(idx)), dtype=float)
        if w.shape != allowed.shape or not np.isfinite(w).all():
            raise RuleError(
                f"rule {rule.info.name!r} (proposal_type, for {mediator.actor_id}) returned unusable weights "
                f"(shape {w.shape}, expected {allowed.shape}, all finite)",
                rule.info.name,
                rule.info.file,
            )
        w = np.where(allowed, np.maximum(w, 0.0), 0.0)
        nxt = np.argmax(allowed, axis=1)
        w[np.arange(idx.size), nxt] += np.where(sum_last(w) > 0, 0.0, 1.0)
        cum = cumsum_last(w / sum_last(w)[:, None])
        u = self.streams.uniform(f"mediator.{mediator.actor_id}.type", self.week, idx)
        # The type is the number of cumulative weights below the draw (the last one is 1 up to rounding, hence the cap).
        choice = np.minimum(sum_last((u[:, None] > cum).astype(np.intp)), 2)
        kind: np.ndarray = types[choice]
        return kind

    def delivered_terms(self, terms: np.ndarray, idx: np.ndarray, lost: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Settlement terms as the third parties who control them will deliver them, and who withheld (bits: 1 Europe,
        2 US). EU sanctions relief needs Europe's consent, US relief the US's; guarantees above Western arms without
        troops rest on a European force, which needs enough members committed and Europe's consent. `lost`: a
        settlement's expected share of the look-ahead lost to a breakdown, if already computed."""
        kind = np.full(idx.size, SETTLEMENT, dtype=np.int8)
        if self.i_sanctions is not None and not self.scenario.negotiation.snapback and lost is None:
            lost, _ = self.breakdown_risk(kind, idx)
        fixed = self._fixed_by_type()[SETTLEMENT - 1, : idx.size]  # fixed_issues(kind): a settlement fixes every issue
        europe = self.europe.consents_to(self, kind, terms, fixed, idx, self.unsecured_relief(self.europe, terms, lost, idx))
        us = self.us.consents_to(self, kind, terms, fixed, idx, self.unsecured_relief(self.us, terms, lost, idx))
        out = terms.copy()
        i_sanctions = self.i_sanctions
        if i_sanctions is not None:
            w = rows(self.europe.sanctions_weight, idx)
            out[:, i_sanctions] = terms[:, i_sanctions] * (w * europe + (1.0 - w) * us)
        if self.i_guarantees is not None:
            cap = self.scenario.issues[self.issue_ids[self.i_guarantees]].anchors.get("western_arms_no_troops", 0.5)
            force = (self.europe.force_size[idx] > 0) & europe
            out[:, self.i_guarantees] = np.where(force, terms[:, self.i_guarantees], np.minimum(terms[:, self.i_guarantees], cap))
        withheld = (~europe).astype(np.int8) * 1 + (~us).astype(np.int8) * 2
        return out, withheld

    def unsecured_relief(self, actor: Actor, terms: np.ndarray, lost: np.ndarray | None, idx: np.ndarray) -> np.ndarray | float:
        """What granting the relief in `terms` costs `actor`, a party that controls sanctions, if the relief is for good:
        without snapback (`negotiation.snapback = false`) a settlement that breaks down leaves the war going on with the
        sanctions relieved, so the party weighs `lost` (the expected share of the look-ahead lost to a breakdown) times
        its utility of the war without relief less that of the war with it. With snapback (or no sanctions issue) the
        relief returns and costs nothing here."""
        i_sanctions = self.i_sanctions
        if i_sanctions is None or self.scenario.negotiation.snapback or lost is None:
            return 0.0
        war = self.no_deal_point(actor, idx)
        relieved = war.copy()
        relieved[:, i_sanctions] = terms[:, i_sanctions]
        cost: np.ndarray = lost * (actor.utility(war, idx) - actor.utility(relieved, idx))
        return cost

    @staticmethod
    def _gather_pair(first: np.ndarray, second: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """`np.stack([first[idx], second[idx]])` for two (R, K) arrays, gathered into the stack directly."""
        pair = np.empty((2, idx.size) + first.shape[1:], dtype=np.result_type(first, second))
        np.take(first, idx, axis=0, out=pair[0])
        np.take(second, idx, axis=0, out=pair[1])
        return pair

    def settlement_terms(self, mediator: Mediator, idx: np.ndarray) -> np.ndarray:
        """Settlement terms the mediator would table in the replications `idx`."""
        s_ru = self.strength_ru[idx]
        s_ua = self.strength_ua[idx]
        cap = np.stack([s_ru, s_ua]) / (s_ru + s_ua)
        r, u = self.russia, self.ukraine
        # The two sides' rows gathered straight into their stacks (the same numbers as stacking the gathered rows).
        positions = self._gather_pair(r.position, u.position, idx)
        weights = np.empty_like(positions)
        weights[0] = r.issue_rows("salience", idx)
        weights[1] = u.issue_rows("salience", idx)
        np.multiply(cap[:, :, None], weights, out=weights)
        joint_low = np.maximum(r.issue_rows("low", idx), u.issue_rows("low", idx))
        joint_high = np.minimum(r.issue_rows("high", idx), u.issue_rows("high", idx))
        terms = compromise_terms(
            positions,
            weights,
            rows(mediator.position, idx),
            rows(mediator.bias, idx),
            mediator.issue_rows("low", idx),
            mediator.issue_rows("high", idx),
            joint_low,
            joint_high,
        )
        terms[:, self.i_sequencing] = 1.0
        return terms

    def phase_negotiation(self) -> None:
        """Mediators table proposals; only the replications where one is tabled are computed. Each side values every
        type of proposal the mediator could table; the mediator picks one by its proposal-type rule, knowing the
        chance that both accept (Kydd 2003); each side then answers."""
        escalate_after = self.params.values["negotiation.escalate_after"]
        types = np.array(AGREEMENT_TYPES, dtype=np.int8)
        self.answers = {}
        for mediator in self.mediators:
            eligible = (self.status == WAR) | ((self.status < SETTLEMENT) & (self.truce_age >= escalate_after))
            eligible &= mediator.active
            tables = eligible & (self.streams.uniform(f"mediator.{mediator.actor_id}.table", self.week) < mediator.intensity)
            idx = np.flatnonzero(tables)
            if idx.size == 0:
                continue
            self._table(mediator, idx, tables, types)

    def _table(self, mediator: Mediator, idx: np.ndarray, tables: np.ndarray, types: np.ndarray) -> None:
        """One mediator's proposals in the replications `idx` this week: type, terms, answers, agreements."""
        # The three types along a leading axis (T, m): one vectorised pass values them all, the per-replication
        # parameters of `idx` broadcasting over the types.
        m = idx.size
        kind3 = np.repeat(types, m).reshape(3, m)
        lost3, risk3 = self.breakdown_risk(kind3, idx)
        tabled = self.settlement_terms(mediator, idx)
        terms, withheld = self.delivered_terms(tabled, idx, lost3[SETTLEMENT - 1])
        # Slots 0 and 1 take each side's war point and that point under a partial truce, so that one call values all five.
        stacked = np.empty((2 + len(AGREEMENT_TYPES),) + terms.shape)
        points = self._proposal_points(terms, idx, out=stacked[2:])
        # Each row of kind3 is one type, so the issues fixed are that type's, on every replication: the first rows of
        # the three types' patterns repeated (read-only; the same values as fixed_issues(kind3)).
        fixed = self._fixed_by_type()[:, :m]
        gains, probs, values, wars = {}, {}, {}, {}
        for side in (self.russia, self.ukraine):
            war_point = side.war_point(self, idx)
            weekly_cost = side.weekly_cost(idx)
            stacked[0] = war_point
            self.partial_truce_war_point(war_point, out=stacked[1])
            utility5 = side.utility(stacked, idx)
            war_value = side.war_value(self, war_point, idx, weekly_cost, utility=utility5[0])
            wars[side.actor_id] = war_value
            utility3 = utility5[2:]
            # A partial truce may lead to a freeze: the general ceasefire at the current line, points[CEASEFIRE - 1].
            value3 = self.agreement_value_from(side, kind3, utility3, utility3[CEASEFIRE - 1], war_point, weekly_cost, idx, utility5[1])
            net3 = side.net_gain(value3 - war_value, lost3, risk3, points, fixed, idx)
            gains[side.actor_id] = net3.T
            values[side.actor_id] = value3.T
            probs[side.actor_id] = side.acceptance(net3, idx).T
        # The mediator's utilities of no deal and of the three points: slot 1 of the stack is free now.
        kind = self.choose_type(mediator, idx, points, fixed, probs["russia"] * probs["ukraine"], kind3, stacked[1:])
        j = (kind - 1).astype(np.intp)
        rows_ = np.arange(idx.size)
        point = points[j, rows_]
        fixed_k = fixed[j, rows_]
        self.observer.proposal(self, mediator, idx, kind, point, withheld)
        accepted = np.ones(idx.size, dtype=bool)
        answers = {}
        refused = np.zeros(idx.size, dtype=np.int8)
        for bit, side in ((1, self.russia), (2, self.ukraine)):
            prob = probs[side.actor_id][rows_, j]
            u = self.streams.uniform(f"accept.{side.actor_id}.{mediator.actor_id}", self.week, idx)
            says_yes = u < prob
            answer = np.zeros(self.n, dtype=bool)
            answer[idx] = says_yes
            answers[side.actor_id] = answer
            accepted &= says_yes
            refused |= np.where(says_yes, 0, bit).astype(np.int8)
            self.observer.decision(
                self, side, mediator, idx, kind, j, values[side.actor_id], wars[side.actor_id], gains[side.actor_id], risk3, prob, point, fixed_k, says_yes
            )
        self.answers[mediator.actor_id] = {"tabled": tables, **answers}
        mediator.hear(tables, answers["russia"], answers["ukraine"])
        settle = kind == SETTLEMENT
        self.last_terms[idx[settle]] = point[settle]
        self.last_consent[idx[settle]] = withheld[settle]
        if self.i_sanctions is not None:
            self.last_relief[idx[settle]] = tabled[settle, self.i_sanctions]
        self.last_offer[idx] = point
        self.last_fixed[idx] = fixed_k
        self.last_refusal[idx[~accepted]] = refused[~accepted]
        self._agree(idx[accepted], kind[accepted], point[accepted], MEDIATOR_CODES[mediator.actor_id])
        self.observer.answered(self, mediator, idx, kind, accepted)

    def _agree(self, idx: np.ndarray, kind: np.ndarray, point: np.ndarray, mediator_code: int) -> None:
        """Put the agreements reached in the replications `idx` into force (in place)."""
        first = self.first_type[idx] == 0
        self.first_type[idx[first]] = kind[first]
        self.first_week[idx[first]] = self.week
        self.first_mediator[idx[first]] = mediator_code
        self._end_first(idx[(~first) & (self.status[idx] > WAR)], END_ESCALATED)
        settle = idx[kind == SETTLEMENT]
        if settle.size and self.i_sanctions is not None:
            # Relief as agreed, from each party that consented to deliver it (the last settlement tabled is this one).
            relief = self.last_relief[settle]
            eu_relief = np.where(self.last_consent[settle] & 1, 0.0, relief)
            us_relief = np.where(self.last_consent[settle] & 2, 0.0, relief)
            self.sanctions_before[settle, 0] = self.europe.sanctions[settle]
            self.sanctions_before[settle, 1] = self.us.sanctions_agreed[settle]
            self.europe.sanctions[settle] = self.europe.sanctions[settle] * (1.0 - np.clip(eu_relief, 0.0, 1.0))
            self.us.sanctions_agreed[settle] = self.us.sanctions_agreed[settle] * (1.0 - np.clip(us_relief, 0.0, 1.0))
        self.status[idx] = kind
        self.highest[idx] = np.maximum(self.highest[idx], kind)
        self.truce_age[idx] = 0
        self.term_left[idx] = self.term_of(kind, idx)
        self.agreements[idx] += 1
        self.agreement_point[idx] = point

    def _end_first(self, idx: np.ndarray, how: int) -> None:
        """Record how the first truce ended, in the replications `idx` where it is the one ending now."""
        if idx.size == 0:
            return
        idx = idx[(self.first_end_week[idx] < 0) & (self.first_week[idx] >= 0)]
        self.first_end_week[idx] = self.week
        self.first_end[idx] = how

    def phase_concession(self) -> None:
        """Each side moves toward the last proposal it was offered, on the issues that proposal fixed."""
        has_offer = ~np.isnan(self.last_offer[:, 0])
        active = has_offer & (self.status != SETTLEMENT)
        self.observer.concession_started(self)
        offered = has_offer[:, None] & self.last_fixed  # the issues the last proposal fixed, where there was one
        for side in (self.russia, self.ukraine):
            side.concede(np.where(offered, self.last_offer, side.position), active)
        self.observer.concession(self, active)
        self.position_dynamics(active | ((self.status != SETTLEMENT) & ~has_offer))

    def position_dynamics(self, active: np.ndarray) -> None:
        """Between proposals, all five actors' positions move by the scenario's position-dynamics rule (none, or
        Bueno de Mesquita's challenges and offers), each within its own red lines, where no settlement holds."""
        if self.dynamics_rule.info.name == "none" or not active.any():
            return
        actors = (self.us, self.russia, self.ukraine, self.europe, self.turkey)
        idx = np.flatnonzero(active)
        positions = np.stack([a.position[idx] for a in actors], axis=1)
        # The rule takes raw saliences in [0, 1]: each actor's normalised saliences rescaled so its top issue is 1.
        salience = np.stack([a.salience[idx] / np.max(a.salience[idx], axis=1, keepdims=True) for a in actors], axis=1)
        low = np.stack([a.low[idx] for a in actors], axis=1)
        high = np.stack([a.high[idx] for a in actors], axis=1)
        rule = self.dynamics_rule.take(idx)
        moved = rule(positions, salience, self.capability[idx], low, high)
        for j, a in enumerate(actors):
            a.position[idx] = moved[:, j]

    def phase_truce(self) -> None:
        """Truces in force break down with the weekly hazard (computed only where a truce is in force); a truce whose
        term ends lapses unless both sides renew it."""
        b = self.params.values
        idx = np.flatnonzero(self.status > WAR)
        if idx.size:
            status = self.status[idx]
            gain = np.full(idx.size, -np.inf)
            point = np.nan_to_num(self.agreement_point.take(idx, axis=0), copy=False, nan=0.0)
            stay_gain = {}
            # Russia weighs the sanctions that a breakdown would bring back (snapback deters breaking a settlement).
            resumed = {"russia": self.russia_pressure(self.sanctions_if_resumed(status, idx), idx), "ukraine": None}
            # Each side values four points in one call (one gather of its rows): the freeze (a general ceasefire at the
            # current line), the agreement in force, its war point, and that point under a partial truce.
            stacked = np.empty((4,) + point.shape)
            stacked[0] = self.truce_point(np.full(idx.size, CEASEFIRE, dtype=np.int8), idx)
            stacked[1] = point
            for side in (self.russia, self.ukraine):
                war_point = side.war_point(self, idx)
                weekly_cost = side.weekly_cost(idx)
                stacked[2] = war_point
                self.partial_truce_war_point(war_point, out=stacked[3])
                utility4 = side.utility(stacked, idx)
                stay = self.agreement_value_from(side, status, utility4[1], utility4[0], war_point, weekly_cost, idx, utility4[3])
                pressure = resumed[side.actor_id]
                felt = weekly_cost if pressure is None else side.weekly_cost(idx, pressure)
                resume = side.war_value(self, war_point, idx, felt, utility=utility4[2]) - stay
                stay_gain[side.actor_id] = -resume
                gain = np.maximum(gain, resume)
            enforcement = self.enforcement_of(status, idx)
            hazard_rule = self.breakdown_rule.take(idx)
            hazard = np.clip(
                hazard_rule(
                    np.zeros(idx.size) + rows(b["breakdown.base_hazard"], idx) * self.monitoring_factor(status, idx),
                    self.type_factor(status, idx),
                    enforcement,
                    rows(b["breakdown.peacekeeping_hazard_ratio"], idx),
                    gain,
                    rows(b["breakdown.gain_sensitivity"], idx),
                    self.truce_age[idx],
                ),
                0.0,
                1.0,
            )
            breaks = self.streams.uniform("truce.breakdown", self.week, idx) < hazard
            self.observer.truce(self, idx, status, breaks, hazard, enforcement, gain)
            broken = idx[breaks]
            if self.scenario.negotiation.snapback:
                snap = broken[self.status[broken] == SETTLEMENT]
                self.europe.sanctions[snap] = np.maximum(self.europe.sanctions[snap], self.sanctions_before[snap, 0])
                self.us.sanctions_agreed[snap] = np.maximum(self.us.sanctions_agreed[snap], self.sanctions_before[snap, 1])
            self._end_first(broken, END_BREAKDOWN)
            self.status[broken] = WAR
            self.breakdowns[broken] += 1
            self.truce_age[broken] = 0
            self.term_left[broken] = 0
            # Terms: a truce whose term ends now is renewed only if both sides accept it again.
            ending = ~breaks & (self.term_left[idx] == 1)
            if ending.any():
                sub = np.flatnonzero(ending)
                at = idx[sub]
                kind, fixed = status[sub], self.fixed_issues(status[sub])
                lost, risk = self.breakdown_risk(kind, at)
                renewed = np.ones(at.size, dtype=bool)
                for side in (self.russia, self.ukraine):
                    net = side.net_gain(stay_gain[side.actor_id][sub], lost, risk, point[sub], fixed, at)
                    says_yes, _ = side.decide(net, self.streams.uniform(f"renew.{side.actor_id}", self.week, at), at)
                    renewed &= says_yes
                self.observer.renewal(self, at, kind, renewed)
                lapsed = at[~renewed]
                self._end_first(lapsed, END_LAPSE)
                self.status[lapsed] = WAR
                self.lapses[lapsed] += 1
                self.truce_age[lapsed] = 0
                self.term_left[at[renewed]] = self.term_of(kind[renewed], at[renewed]) + 1
                self.renewals[at[renewed]] += 1
        self.term_left = np.where((self.status > WAR) & (self.term_left > 0), self.term_left - 1, self.term_left).astype(np.int32)
        self.truce_age = np.where(self.status > WAR, self.truce_age + 1, 0).astype(np.int32)

    # ------------------------------------------------------------------ Mesa
    def step(self) -> None:
        """One week: support, battlefield, beliefs, negotiation, concession, truce (in this order)."""
        self.week += 1
        for i, (event, fires) in enumerate(self.dated_events):
            if event.week == self.week and fires.any():
                self.apply_event(i, event, fires)
        self.phase_support()
        self.phase_battlefield()
        self.phase_beliefs()
        self.phase_negotiation()
        self.phase_concession()
        self.phase_truce()
        self.weekly_status[self.week] = self.status
        self.weekly_front[self.week] = self.front

    def run(self) -> CeasefireModel:
        """Step to the horizon."""
        while self.week < self.horizon:
            self.step()
        return self

    def outcome(self) -> ChunkOutcome:
        """Per-replication outcomes, drawn parameters and weekly trajectories of the batch."""
        runs: dict[str, np.ndarray] = {
            "replication": self.replications,
            "status": self.status,
            "first_agreement": self.first_type,
            "first_agreement_week": self.first_week,
            "first_mediator": self.first_mediator,
            "breakdowns": self.breakdowns,
            "agreements": self.agreements,
            "lapses": self.lapses,
            "renewals": self.renewals,
            "first_end_week": self.first_end_week,
            "first_end": self.first_end,
            "highest_agreement": self.highest,
        }
        for k, issue in enumerate(self.issue_ids):
            runs[f"terms_{issue}"] = self.agreement_point[:, k].copy()
        runs["front_final"] = self.front.copy()
        runs["cost_ukraine"] = self.ukraine.cost.copy()
        runs["cost_russia"] = self.russia.cost.copy()
        runs["force_size"] = self.max_force.copy()
        runs["sanctions_eu"] = (np.zeros(self.n) + self.europe.sanctions).copy()
        runs["sanctions_us"] = (np.zeros(self.n) + self.us.sanctions).copy()
        runs["last_refusal"] = self.last_refusal.copy()
        runs["last_consent_withheld"] = self.last_consent.copy()
        runs["us_aid_weeks"] = self.us_aid_weeks.copy()
        for key, values in self.params.random_columns.items():
            runs[drawn_column(key)] = np.asarray(values, dtype=np.float64)
        return ChunkOutcome(runs, self.weekly_status, self.weekly_front, self.issue_ids, self.horizon)
