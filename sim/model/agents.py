"""The actors as ensemble Mesa agents: each holds its state as arrays with one entry per replication."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, overload

import mesa
import numpy as np

from sim.model.parameters import ActorIssues
from sim.model.rulebook import BoundRule, RulePath, guarded
from sim.rules.battlefield import effective_strength
from sim.rules.beliefs import normal_update
from sim.rules.coalition import threshold_commitment
from sim.rules.proposal import conditional_sanctions, consents
from sim.rules.registry import Values
from sim.rules.support import conditional_aid, ramped_aid
from sim.rules.utility import VETO, expected_war_outcome, felt_weekly_cost, issue_utility, risk_adjusted_gain, value_of_war

if TYPE_CHECKING:
    from sim.model.model import CeasefireModel


def bind_parameters(agent: object, p: dict[str, Any], prefix: str, names: dict[str, str]) -> None:
    """Set the agent's attributes from the drawn parameters: attribute -> field name under `prefix` (again after an event)."""
    for attr, name in names.items():
        setattr(agent, attr, p[prefix + name])


@overload
def rows(value: np.ndarray, idx: np.ndarray | None) -> np.ndarray: ...
@overload
def rows(value: float, idx: np.ndarray | None) -> float: ...
@overload
def rows(value: Values, idx: np.ndarray | None) -> Values: ...
def rows(value: Values, idx: np.ndarray | None) -> Values:
    """The entries of a per-replication array at `idx` (None: all); fixed parameters (scalars) pass through.

    Gathered afresh at every call: keeping the gathered rows for reuse within a mediator's proposals (as the engine
    once did) made it slower, not faster, at 10,000 replications (about 6 % alone, 8 % with two workers side by
    side): holding them all at once costs fresh memory pages in every proposal round, more than gathering again."""
    if idx is None or not isinstance(value, np.ndarray) or value.ndim == 0:
        return value
    return value.take(idx, axis=0)


def same_rows(value: np.ndarray) -> bool:
    """Whether every row of a float (R, K) array holds the same bits as its first row (R >= 1)."""
    if not isinstance(value, np.ndarray) or value.ndim != 2 or value.shape[0] == 0 or value.dtype != np.float64:
        return False
    bits = value.view(np.uint64)
    # Rows that differ usually differ at once: look at the second row before comparing them all.
    if value.shape[0] > 1 and not np.array_equal(bits[0], bits[1]):
        return False
    return bool((bits == bits[:1]).all())


ColumnPlan = tuple[list[np.ndarray], list["int | np.float64"]]
"""How an (R, K) array's columns are made: its distinct varying columns (contiguous (R,) copies), and per column
either the index of its varying column or its one value (a column that holds the same bits in every row)."""


def column_plan(value: np.ndarray) -> ColumnPlan | None:
    """The columns of a float (R, K) array as a few distinct varying columns and constant ones, when that is fewer
    varying columns than K - 1 (gathering them alone reads less than gathering the rows); None otherwise."""
    if not isinstance(value, np.ndarray) or value.ndim != 2 or value.shape[0] == 0 or value.dtype != np.float64:
        return None
    varying: list[np.ndarray] = []  # contiguous copies
    varying_bits: list[np.ndarray] = []
    plan: list[int | np.float64] = []
    for k in range(value.shape[1]):
        bits = value[:, k].view(np.uint64)
        if (bits[:2] == bits[0]).all() and (bits == bits[0]).all():
            plan.append(value[0, k])
            continue
        same = [j for j, other in enumerate(varying_bits) if other[0] == bits[0] and np.array_equal(other, bits)]
        if same:
            plan.append(same[0])
            continue
        plan.append(len(varying))
        column = np.ascontiguousarray(value[:, k])
        varying.append(column)
        varying_bits.append(column.view(np.uint64))
        if len(varying) >= value.shape[1] - 1:
            return None
    return varying, plan


class IssueRows:
    """An actor's (R, K) issue array that changes only by being replaced (saliences, red lines and their costs; a
    dated event replaces them): on every assignment it notes whether all its rows are the same (a number the scenario
    does not draw), and else how its columns repeat (`column_plan`: the audience costs of an actor's red lines are
    often one drawn cost on every issue), so that `Actor.issue_rows` can give the rows without gathering them whole
    (the same numbers)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        try:
            return obj.__dict__["_issue_arrays"][self.name]
        except KeyError:
            raise AttributeError(self.name) from None

    def __set__(self, obj: object, value: np.ndarray) -> None:
        # Kept as a read-only view: a change in place would leave the note below stale, so it fails instead.
        if isinstance(value, np.ndarray) and value.flags.writeable:
            value = value.view()
            value.flags.writeable = False
        obj.__dict__.setdefault("_issue_arrays", {})[self.name] = value
        # How issue_rows gives its rows: "same" (the first rows), "one" (one varying column on every issue), "plan"
        # (column by column), or "take" (gather the rows).
        how: tuple[str, Any]
        if same_rows(value):
            how = ("same", None)
        else:
            plan = column_plan(value)
            if plan is None:
                how = ("take", None)
            elif len(plan[0]) == 1 and all(isinstance(c, int) for c in plan[1]):
                how = ("one", plan[0][0])
            else:
                how = ("plan", plan)
        obj.__dict__.setdefault("_issue_how", {})[self.name] = how


class Actor(mesa.Agent):
    """An actor with a profile on every issue (positions, saliences, red lines), arrays (R, K)."""

    PARAMETERS: ClassVar[dict[str, str]] = {}
    salience = IssueRows()
    low = IssueRows()
    high = IssueRows()
    cost_low = IssueRows()
    cost_high = IssueRows()

    def issue_rows(self, name: str, idx: np.ndarray | None) -> np.ndarray:
        """`rows(self.<name>, idx)` for an `IssueRows` array (the same numbers, contiguous like a gather): where all its
        rows are the same, a read-only view of its first rows (without reading the whole array); where its columns
        repeat, its few varying columns gathered and laid out as rows; else the gathered rows."""
        value: np.ndarray = self.__dict__["_issue_arrays"][name]
        if idx is None:
            return value
        how, data = self.__dict__["_issue_how"][name]
        if how == "take" or idx.size > value.shape[0]:
            return value.take(idx, axis=0)
        if how == "same":
            first = value[: idx.size]
            first.flags.writeable = False
            return first
        if how == "one":
            repeated: np.ndarray = np.repeat(data.take(idx), value.shape[1]).reshape(idx.size, value.shape[1])
            return repeated
        varying, columns = data
        gathered = [column.take(idx) for column in varying]
        out = np.empty((idx.size, len(columns)))
        for k, c in enumerate(columns):
            out[:, k] = gathered[c] if isinstance(c, int) else c
        return out

    def bind(self, p: dict[str, Any]) -> None:
        """(Re)read the agent's parameters from the drawn values (at set-up and after a dated event)."""
        bind_parameters(self, p, f"actors.{self.actor_id}.", self.PARAMETERS)

    def __init__(self, model: CeasefireModel, actor_id: str, issues: ActorIssues):
        super().__init__(model)
        self.actor_id = actor_id
        self.position = issues.position.copy()
        self.salience = issues.salience
        self.low = issues.low
        self.high = issues.high
        self.cost_low = issues.cost_low
        self.cost_high = issues.cost_high

    def utility(self, point: np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
        """Utility of issue-space points (R, K), or of the replications `idx` when given."""
        return issue_utility(point, rows(self.position, idx), self.issue_rows("salience", idx))

    def consents_to(
        self, model: CeasefireModel, kind: np.ndarray, point: np.ndarray, fixed: np.ndarray, idx: np.ndarray, cost: np.ndarray | float = 0.0
    ) -> np.ndarray:
        """Whether this actor, as the third party that controls some of its terms, consents to deliver an agreement of
        type `kind` at `point` (fixing the issues `fixed`) in the replications `idx` (bool): by the consent rule over its
        gain from it, less what delivering costs it beyond that gain (`cost`: e.g. sanctions relief that would outlive a breakdown)."""
        return consents(model.third_party_gain(self, kind, point, fixed, idx) - cost) > 0


class Belligerent(Actor):
    """Russia or Ukraine: fights, learns about the war's drift, accepts or rejects, concedes."""

    aims = IssueRows()  # war aims (R, K): the positions held at the start, fixed

    def __init__(self, model: CeasefireModel, actor_id: str, issues: ActorIssues, p: dict[str, Any], sign: float, rules: dict[RulePath, BoundRule]):
        super().__init__(model, actor_id, issues)
        # The scenario's chosen variants (sim.model.rulebook), checked for shape and NaN on every call.
        self.acceptance_rule = guarded(rules[("actors", actor_id, "rules", "acceptance")], f"{actor_id}'s acceptance")
        self.concession = guarded(rules[("actors", actor_id, "rules", "concession")], f"{actor_id}'s concession")
        self.red_line_rule = guarded(rules[("actors", actor_id, "rules", "red_lines")], f"{actor_id}'s red lines")
        self.costly_weeks = np.zeros(model.n)  # consecutive weeks in which it paid war costs
        pre = f"actors.{actor_id}."
        self.bind(p)
        # War aims: the positions held when the war is valued (fixed; positions move, aims do not).
        self.aims = issues.position.copy()
        # Belief about the weekly drift of the front: optimistic in its own favour (sign -1 for Ukraine).
        n = model.n
        self.belief_mean = np.full(n, 0.0) + model.true_drift_start + sign * p[pre + "optimism"]
        self.belief_precision = np.full(n, 1.0) / np.square(np.full(n, 0.0) + p[pre + "belief_sd"])
        self.pressure = np.ones(n)
        self.cost = np.zeros(n)  # cumulative cost paid

    PARAMETERS: ClassVar[dict[str, str]] = {
        "troops": "troops",
        "firepower": "firepower",
        "domestic_materiel": "domestic_materiel",
        "base_cost": "weekly_cost",
        "pressure_sensitivity": "pressure_sensitivity",
        "rationality": "rationality",
        "concession_rate": "concession_rate",
        "resolve": "resolve",
        "weariness": "war_weariness",
        "exploitation_cost": "exploitation_cost",
    }

    # Bound from the drawn parameters by `bind`: a number, or one value per replication where the scenario draws it.
    troops: Values
    firepower: Values
    domestic_materiel: Values
    base_cost: Values
    pressure_sensitivity: Values
    rationality: Values
    concession_rate: Values
    resolve: Values
    weariness: Values
    exploitation_cost: Values

    def strength(self, aid_index: Values) -> Values:
        """Fighting strength at the aid index `aid_index` (a number when none of its inputs is drawn)."""
        return effective_strength(self.troops, self.firepower, self.domestic_materiel, aid_index)

    def weekly_cost(self, idx: np.ndarray | None = None, pressure: np.ndarray | None = None) -> np.ndarray:
        """The weekly cost of war the side feels: its base cost under pressure (this week's, or `pressure` for the
        replications `idx`), grown by war weariness."""
        felt = rows(self.pressure, idx) if pressure is None else pressure
        return felt_weekly_cost(rows(self.base_cost, idx), felt, rows(self.cost, idx), rows(self.weariness, idx))

    def observe(self, delta: np.ndarray, fighting: np.ndarray, noise_precision: float) -> None:
        """Bayes update of the drift belief from this week's movement of the front, where there was fighting."""
        mean, precision = normal_update(self.belief_mean, self.belief_precision, delta, noise_precision)
        self.belief_mean = np.where(fighting, mean, self.belief_mean)
        self.belief_precision = np.where(fighting, precision, self.belief_precision)

    def war_point(self, model: CeasefireModel, idx: np.ndarray | None = None) -> np.ndarray:
        """The issue-space point this side expects the war to produce (its own sequencing preference kept),
        for all replications or those at `idx`."""
        point = expected_war_outcome(
            rows(model.front, idx),
            rows(self.belief_mean, idx),
            rows(model.lookahead, idx),
            model.ukraine.issue_rows("aims", idx),
            model.russia.issue_rows("aims", idx),
            model.i_territory,
        )
        point[:, model.i_sequencing] = rows(self.position[:, model.i_sequencing], idx)
        return point

    def war_value(
        self,
        model: CeasefireModel,
        war_point: np.ndarray,
        idx: np.ndarray | None = None,
        weekly_cost: np.ndarray | None = None,
        utility: np.ndarray | None = None,
    ) -> np.ndarray:
        """Value of fighting on over the look-ahead: the war's expected point less its felt costs (`weekly_cost`, by
        default under this week's pressure; under another, e.g. the sanctions that would return if a settlement broke down,
        `weekly_cost(idx, pressure)`). `utility`: this side's utility of `war_point`, when the caller has it already."""
        felt = self.weekly_cost(idx) if weekly_cost is None else weekly_cost
        at_war = self.utility(war_point, idx) if utility is None else utility
        return value_of_war(at_war, felt, rows(model.lookahead, idx))

    def net_gain(
        self, gain: np.ndarray, lost: np.ndarray, breakdown_risk: np.ndarray, point: np.ndarray, fixed: np.ndarray, idx: np.ndarray | None = None
    ) -> np.ndarray:
        """The gain of an agreement over fighting on, net of its breakdown risk (`lost`: the expected share of the
        look-ahead lost to a breakdown; `breakdown_risk`: its probability) and of the red lines it crosses."""
        gain = risk_adjusted_gain(gain, lost, breakdown_risk, rows(self.exploitation_cost, idx))
        rule = self.red_line_rule if idx is None else self.red_line_rule.take(idx)
        issue = self.issue_rows
        return rule(gain, point, issue("low", idx), issue("high", idx), fixed, issue("cost_low", idx), issue("cost_high", idx))

    def acceptance(self, gain: np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
        """The chosen acceptance rule's probability of accepting at the net `gain`; a vetoed proposal (gain -VETO)
        is refused whatever the rule; the arrays are those of the replications `idx` (None: all)."""
        accept = self.acceptance_rule if idx is None else self.acceptance_rule.take(idx)
        prob = np.clip(accept(gain, np.zeros_like(gain) + rows(self.rationality, idx)), 0.0, 1.0)
        return np.where(gain <= -VETO / 2, 0.0, prob)

    def decide(self, gain: np.ndarray, u: np.ndarray, idx: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Accept (bool array) when the uniform draw `u` is below the acceptance probability; also that probability."""
        prob = self.acceptance(gain, idx)
        return u < prob, prob

    def concede(self, target: np.ndarray, active: np.ndarray) -> None:
        """Move toward the last proposal where `active`, bounded by red lines."""
        moved = self.concession(self.position, target, self.concession_rate, self.pressure, self.resolve, self.low, self.high, self.costly_weeks)
        self.position = np.where(active[:, None], moved, self.position)


class Mediator(Actor):
    """An actor that tables proposals with a weekly probability, its terms pulled toward its own positions."""

    PARAMETERS: ClassVar[dict[str, str]] = {"intensity": "mediation_intensity", "bias": "bias", "stake": "stake"}
    # Bound from the drawn parameters by `bind`: a number, or one value per replication where the scenario draws it.
    intensity: Values
    bias: Values
    stake: Values

    def __init__(self, model: CeasefireModel, actor_id: str, issues: ActorIssues, p: dict[str, Any]):
        super().__init__(model, actor_id, issues)
        self.bind(p)
        self.active = np.ones(model.n, dtype=bool)
        self.type_rule = model.rules[("actors", actor_id, "rules", "proposal_type")]

    def hear(self, tabled: np.ndarray, russia: np.ndarray, ukraine: np.ndarray) -> None:
        """The belligerents' answers (bool (R,)) to this mediator's proposals tabled this week where `tabled`:
        a plain mediator acts on none of them."""


class UnitedStates(Mediator):
    """Mediator and supporter: aid conditional on Ukraine's answers to US proposals; patience may run out."""

    PARAMETERS: ClassVar[dict[str, str]] = {
        **Mediator.PARAMETERS,
        "restored": "aid_restored",
        "aid_share": "aid_share",
        "patience": "patience_weeks",
        "sanctions_pressure": "sanctions_pressure",
    }
    # Bound from the drawn parameters by `bind`: a number, or one value per replication where the scenario draws it.
    restored: Values
    aid_share: Values
    patience: Values
    sanctions_pressure: Values
    AID_POLICIES = ("conditional", "full", "cut")

    def __init__(self, model: CeasefireModel, issues: ActorIssues, p: dict[str, Any], policy: str, backstop: bool):
        super().__init__(model, "us", issues, p)
        # Policies per replication (a dated event can change them in some replications only).
        self.policy_code = np.full(model.n, self.AID_POLICIES.index(policy), dtype=np.int8)
        self.aid = np.zeros(model.n)
        self.start_policy(p, np.ones(model.n, dtype=bool))
        self.backstop = np.full(model.n, bool(backstop))
        self.ukraine_accepted = np.zeros(model.n, dtype=bool)
        self.ukraine_rejected = np.zeros(model.n, dtype=bool)
        self.russia_accepted = np.zeros(model.n, dtype=bool)
        self.russia_rejected = np.zeros(model.n, dtype=bool)
        self.weeks_without_agreement = np.zeros(model.n)
        # Sanctions on Russia: the agreed level (changed by settlements and their breakdown) and the level in force.
        self.sanctions_conditional = np.full(model.n, model.scenario.actors.us.sanctions_policy == "conditional")
        self.sanctions_agreed = np.zeros(model.n) + p["actors.us.sanctions"]
        self.sanctions = self.sanctions_agreed.copy()

    def hear(self, tabled: np.ndarray, russia: np.ndarray, ukraine: np.ndarray) -> None:
        """Remember who accepted and who rejected this week's US proposals: next week's aid follows Ukraine's answer
        and, under conditional sanctions, the sanctions Russia's (`set_support`)."""
        self.ukraine_accepted |= tabled & ukraine
        self.ukraine_rejected |= tabled & ~ukraine
        self.russia_accepted |= tabled & russia
        self.russia_rejected |= tabled & ~russia

    @property
    def policy(self) -> str:
        """The aid policy of the first replication (for stories)."""
        return self.AID_POLICIES[int(self.policy_code[0])]

    def start_policy(self, p: dict[str, Any], mask: np.ndarray) -> None:
        """Aid where `mask` as its policy starts: aid_start (conditional), aid_restored (full) or nothing (cut)."""
        start = np.select(
            [self.policy_code == 0, self.policy_code == 1], [np.zeros(len(mask)) + p["actors.us.aid_start"], np.zeros(len(mask)) + self.restored], 0.0
        )
        self.aid = np.where(mask, start, self.aid)

    def set_support(self, model: CeasefireModel) -> None:
        """Phase 1: aid follows Ukraine's answers to last week's US proposals, sanctions Russia's (under the
        conditional policies); patience runs down at war."""
        conditional = conditional_aid(self.aid, self.ukraine_accepted, self.ukraine_rejected, self.restored)
        # As np.select([policy 0, policy 1], [conditional, restored], 0.0) (which copies the choices into the default by
        # these masks): the same numbers, without its broadcasting and dtype set-up every week.
        self.aid = np.where(self.policy_code == 0, conditional, np.where(self.policy_code == 1, np.zeros(model.n) + self.restored, 0.0))
        pressed = conditional_sanctions(self.sanctions, self.russia_accepted, self.russia_rejected, self.sanctions_agreed, self.sanctions_pressure)
        self.sanctions = np.where(self.sanctions_conditional, pressed, self.sanctions_agreed)
        self.ukraine_accepted[:] = False
        self.ukraine_rejected[:] = False
        self.russia_accepted[:] = False
        self.russia_rejected[:] = False
        self.weeks_without_agreement = np.where(model.status == 0, self.weeks_without_agreement + 1, 0)
        self.active = self.weeks_without_agreement <= self.patience


class Turkey(Mediator):
    """Mediator with Black Sea access."""


class EuropeanMember(mesa.Agent):
    """A coalition member deciding whether to commit troops to a reassurance force."""

    def __init__(self, model: CeasefireModel, member_id: str, p: dict[str, Any], needs_backstop: bool):
        super().__init__(model)
        self.member_id = member_id
        self.bind(p, model.n)
        self.needs_backstop = needs_backstop
        self.committed = np.zeros(model.n, dtype=bool)

    def bind(self, p: dict[str, Any], n: int) -> None:
        pre = f"actors.europe.members.{self.member_id}."
        self.pledge = np.zeros(n) + p[pre + "pledge"]
        self.threshold = np.zeros(n) + p[pre + "threshold"]


class EuropeanCoalition(Actor):
    """Aid with a lag, sanctions kept, and a reassurance force built by its members' threshold decisions."""

    def __init__(self, model: CeasefireModel, issues: ActorIssues, p: dict[str, Any], members: list[EuropeanMember]):
        super().__init__(model, "europe", issues)
        self.bind(p)
        self.aid = np.zeros(model.n) + self.aid_start
        self.sanctions = np.zeros(model.n) + p["actors.europe.sanctions"]  # EU sanctions on Russia: a state
        self.members = members
        self.force_size = np.zeros(model.n)
        self.stack_members()

    PARAMETERS: ClassVar[dict[str, str]] = {
        "aid_share": "aid_share",
        "aid_start": "aid_start",
        "aid_target": "aid_target",
        "ramp": "aid_ramp_weeks",
        "sanctions_weight": "sanctions_weight",
        "stake": "stake",
        "force_minimum": "force_minimum",
        "force_reference": "force_reference",
    }

    # Bound from the drawn parameters by `bind`: a number, or one value per replication where the scenario draws it.
    aid_share: Values
    aid_start: Values
    aid_target: Values
    ramp: Values
    sanctions_weight: Values
    stake: Values
    force_minimum: Values
    force_reference: Values

    def stack_members(self) -> None:
        """Stack pledges, thresholds and backstop needs (they change only by a dated event). Once a round commits
        no one new, no later round can (its inputs are constant), so the cascade is then settled."""
        if self.members:
            self.pledges = np.stack([m.pledge for m in self.members])
            self.thresholds = np.stack([m.threshold for m in self.members])
            self.needs_backstop = np.array([m.needs_backstop for m in self.members])
        self.settled = not self.members

    def set_support(self, model: CeasefireModel) -> None:
        """Phase 1: aid ramps up; members commit by threshold; the force counts once it reaches its minimum."""
        self.aid = np.zeros(model.n) + ramped_aid(model.week, self.aid_start, self.aid_target, self.ramp)
        if self.settled:
            return
        before = np.stack([m.committed for m in self.members])
        committed = threshold_commitment(before, self.pledges, self.thresholds, self.needs_backstop, model.us.backstop)
        for m, row in zip(self.members, committed):
            m.committed = row
        troops = np.where(committed, self.pledges, 0.0).sum(axis=0)
        self.force_size = np.where(troops >= self.force_minimum, troops, 0.0)
        self.settled = bool(np.array_equal(before, committed))

    def enforcement(self, backstop: np.ndarray, backstop_bonus: Values, idx: np.ndarray | None = None) -> np.ndarray:
        """Enforcement in [0, 1]: the force relative to its reference size, plus a US backstop's share (in the
        replications `idx`; None: all)."""
        force = rows(self.force_size, idx)
        own = np.minimum(force / rows(self.force_reference, idx), 1.0)
        enforcement: np.ndarray = np.minimum(own + np.where(rows(backstop, idx) & (force > 0), rows(backstop_bonus, idx), 0.0), 1.0)
        return enforcement
