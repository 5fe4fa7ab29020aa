"""The scenario format: pydantic models of every table of a scenario file.

Every numeric field is declared once: `Annotated[Number, num(lo, hi, unit)]` (or an alias of one,
`Share`, `Weeks`, ...) with its description in `Field`; unknown keys
are errors (`extra="forbid"`). Cross-references (a statement's actor and issue, a stance on
the issue's scale, a `sources` entry naming a field) are checked in the model validators
so that errors carry the path of the offending field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, field_validator, model_validator
from pydantic_core import PydanticCustomError

from sim.errors import did_you_mean
from sim.identifiers import path_column
from sim.scenario.params import Number, StrictModel, num

ACTOR_IDS = ("us", "russia", "ukraine", "europe", "turkey")
BELLIGERENTS = ("russia", "ukraine")
MEDIATORS = ("us", "turkey")

# The numeric kinds that recur; a field of its own kind writes `Annotated[Number, num(lo, hi, unit)]` in place.
Probability = Annotated[Number, num(0, 1, "probability")]
Unit = Annotated[Number, num(0, 1, "issue scale (0-1)")]
Share = Annotated[Number, num(0, 1, "share")]
Stake = Annotated[Number, num(0, 0.05, "utility per week")]
AudienceCost = Annotated[Number, num(0, 2, "utility")]
SanctionsLevel = Annotated[Number, num(0, 2, "level")]
HazardRatio = Annotated[Number, num(0.01, 1, "ratio")]
Weeks = Annotated[Number, num(1, 520, "weeks", integer=True)]
Term = Annotated[Number, num(0, 520, "weeks", integer=True)]


class Issue(StrictModel):
    """A negotiation dimension: a 0-1 scale with named anchor points."""

    label: str
    description: str = ""
    anchors: dict[str, Annotated[float, Strict()]] = Field(description="Named points of the scale, e.g. {front_frozen = 0.5}; stances may name them.")
    # Structural, not uncertain: a plain number (no distribution).
    status_quo: float = Field(0.5, ge=0, le=1, description="Where the issue stands while no agreement settles it. Unit: issue scale (0-1).")
    role: Literal["territory", "guarantees", "sequencing", "sanctions"] | None = Field(
        None,
        description="What the model does with the issue: the front line lives on the territory issue, a "
        "reassurance force on the guarantees issue, a proposal's type on the sequencing issue, and the relief "
        "that lowers EU and US sanctions (with their consent) on the sanctions issue.",
    )

    @field_validator("anchors")
    @classmethod
    def _anchors_on_scale(cls, anchors: dict[str, float]) -> dict[str, float]:
        if not anchors:
            raise ValueError("expected at least one named anchor point")
        for name, value in anchors.items():
            if not 0.0 <= value <= 1.0:
                raise PydanticCustomError("anchor", "expected anchor {name} in [0, 1], got {value}", {"name": name, "value": value})
        return anchors


def _stance_type(value: object) -> object:
    """A stance is an anchor name or a number (not a boolean, table or array)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected an anchor name of the issue or a number in [0, 1], got {value!r}")
    return value


COMMITMENTS = ("law", "leader", "official", "reported")
"""How binding a public red line is, from the most to the least costly to cross (docs/model.md, "Red lines")."""


def stance_value(issue: Issue, stance: float | str, path: tuple[Any, ...] = ()) -> float:
    """The value of `stance`: an anchor name of `issue` or a number in [0, 1]."""
    if isinstance(stance, str):
        if stance in issue.anchors:
            return float(issue.anchors[stance])
        tail = did_you_mean(stance, issue.anchors, listing="anchors")
        raise ScenarioPathError(path, f"expected an anchor of issue {issue.label!r} or a number in [0, 1], got {stance!r}{tail}")
    if not 0.0 <= float(stance) <= 1.0:
        raise ScenarioPathError(path, f"expected a stance on the issue's 0-1 scale, got {stance:g}")
    return float(stance)


class Reading(StrictModel):
    """An alternative coding of an ambiguous or paraphrased statement, drawn per replication with its weight.

    Fields left out keep the statement's own coding."""

    label: str = Field(min_length=1, description="What this reading takes the quote to mean.")
    weight: float = Field(gt=0, le=1, description="Probability of this reading; the statement's own coding has 1 minus the sum of its readings' weights.")
    stance: Annotated[float | str, BeforeValidator(_stance_type)] | None = Field(None, description="The stance under this reading.")
    strength: Literal["preference", "priority", "red_line"] | None = None
    rejects: Literal["below", "above"] | None = None
    commitment: Literal["law", "leader", "official", "reported"] | None = None


class Statement(StrictModel):
    """A public statement that places an actor on an issue, with its source."""

    actor: str = Field(description="Actor id: us, russia, ukraine, europe or turkey.")
    speaker: str
    date: dt.date
    source: str = Field(min_length=1)
    quote: str = Field(min_length=1, description="The statement or a close paraphrase of it.")
    issue: str
    stance: Annotated[float | str, BeforeValidator(_stance_type)] = Field(description="An anchor name of the issue or a value in [0, 1].")
    strength: Literal["preference", "priority", "red_line"]
    rejects: Literal["below", "above"] | None = Field(None, description="For a red line: which side of the stance the actor will not accept.")
    reported: bool = Field(False, description="Known only second-hand (the original was not seen): widens the spread.")
    paraphrase: bool = Field(False, description="The quote is a paraphrase, not the speaker's words.")
    commitment: Literal["law", "leader", "official", "reported"] | None = Field(
        None,
        description="For a red line: how binding the commitment is (law: a constitutional or statutory bar; leader: "
        "the head of state or government on the record; official: a minister, spokesperson or delegation; reported: "
        "known second-hand). Sets the audience cost of crossing it. Default: reported if reported, else official.",
    )
    readings: list[Reading] = Field(
        default_factory=list,
        description="Alternative codings of an ambiguous or paraphrased quote, each drawn per replication with its weight.",
    )

    @model_validator(mode="after")
    def _red_line_has_side(self) -> Statement:
        for where, coding in [((), self), *((("readings", i), self.coded(i + 1)) for i in range(len(self.readings)))]:
            if coding.strength == "red_line" and coding.rejects is None:
                raise _relative_error(where + ("rejects",), 'expected rejects = "below" or "above" for a red line')
            if coding.strength != "red_line" and coding.rejects is not None:
                raise _relative_error(where + ("rejects",), 'rejects is only meaningful with strength = "red_line"')
            if coding.strength != "red_line" and coding.commitment is not None:
                raise _relative_error(where + ("commitment",), 'commitment is only meaningful with strength = "red_line"')
        total = sum(r.weight for r in self.readings)
        if total > 1.0 + 1e-9:
            raise _relative_error(("readings",), f"expected the readings' weights to sum to at most 1, got {total:g}")
        return self

    @property
    def own_weight(self) -> float:
        """Probability of the statement's own coding (1 minus its readings' weights)."""
        return max(0.0, 1.0 - sum(r.weight for r in self.readings))

    def coded(self, reading: int) -> Statement:
        """The statement under reading `reading` (0: its own coding; i: its i-th alternative reading)."""
        if reading == 0:
            return self
        r = self.readings[reading - 1]
        changes = {k: getattr(r, k) for k in ("stance", "strength", "rejects", "commitment") if getattr(r, k) is not None}
        if "strength" in changes and changes["strength"] != "red_line":
            changes.setdefault("rejects", None)
            changes.setdefault("commitment", None)
        return self.model_copy(update={**changes, "readings": []})

    @property
    def commitment_kind(self) -> str:
        """The commitment of a red line, with the default for statements that do not say."""
        return self.commitment or ("reported" if self.reported else "official")


class IssueOverride(StrictModel):
    """Explicit numbers that override what the statements give for one actor on one issue."""

    position: Unit | None = Field(None, description="The actor's ideal point on the issue.")
    salience: Annotated[Number, num(0, 1, "weight")] | None = Field(None, description="How much the issue weighs for the actor before normalising.")
    red_line_low: Unit | None = Field(None, description="Lowest acceptable value.")
    red_line_high: Unit | None = Field(None, description="Highest acceptable value.")
    red_line_cost: AudienceCost | None = Field(
        None, description="Audience cost of crossing the actor's red lines on this issue (replaces the cost derived from the statement's commitment)."
    )


class Actor(StrictModel):
    """What every actor has: a label, explicit overrides per issue, and citations for its numbers."""

    label: str
    capability: Share | None = Field(None, description="Share of the five actors' military capability (for Bueno de Mesquita's model).")
    overrides: dict[str, IssueOverride] = Field(default_factory=dict)
    sources: dict[str, str] = Field(
        default_factory=dict,
        description="Where a number of this table comes from: field name -> citation or statement id.",
    )

    @field_validator("sources")
    @classmethod
    def _sources_name_fields(cls, sources: dict[str, str]) -> dict[str, str]:
        fields = list(cls.model_fields)
        for key in sources:
            if key not in fields:
                raise PydanticCustomError(  # templates take plain {names}: the repr is made here
                    "source_key",
                    "expected each key of sources to name a field of this actor, got {key}{hint}",
                    {"key": repr(key), "hint": did_you_mean(key, fields, listing=None)},
                )
        return sources


class RuleChoice(BaseModel):
    """A rule variant chosen by name, with values for the parameters it declares (checked against the registry)."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(description="Name of a registered rule of the right kind (see `sim rules`).")


def _rule_choice(value: object) -> object:
    return {"name": value} if isinstance(value, str) else value


RuleName = Annotated[RuleChoice, BeforeValidator(_rule_choice)]


class BelligerentRules(StrictModel):
    """Which rule variants a belligerent follows."""

    acceptance: RuleName = Field(default_factory=lambda: RuleChoice(name="logit"), description="Acceptance rule.")
    concession: RuleName = Field(default_factory=lambda: RuleChoice(name="pressure"), description="Concession rule.")
    red_lines: RuleName = Field(
        default_factory=lambda: RuleChoice(name="costly"),
        description="Red-line rule: costly (crossing a red line costs its audience cost) or veto (never crossed).",
    )


class Belligerent(Actor):
    """Russia or Ukraine: fights, learns about the war, accepts or rejects proposals, concedes."""

    troops: Annotated[Number, num(1_000, 5_000_000, "persons")] = Field(description="Troops committed to the war.")
    firepower: Annotated[Number, num(0.1, 10, "multiplier")] = Field(1.0, description="Combat effectiveness per soldier relative to the other side.")
    domestic_materiel: Share = Field(1.0, description="Share of materiel produced at home (the rest comes as foreign aid).")
    weekly_cost: Annotated[Number, num(0, 0.05, "issue-scale utility per week")] = Field(
        description="Cost of a week of war, as a share of the whole prize (Fearon 1995)."
    )
    pressure_sensitivity: Annotated[Number, num(0, 5, "multiplier")] = Field(
        0.0, description="How much supporters' pressure (aid cut, sanctions) raises the weekly cost."
    )
    optimism: Annotated[Number, num(-0.02, 0.02, "front units per week")] = Field(
        description="Bias of the prior belief about the weekly drift of the front, in its own favour."
    )
    belief_sd: Annotated[Number, num(0.0001, 0.05, "front units per week")] = Field(
        description="Prior standard deviation of the belief about the weekly drift."
    )
    rationality: Annotated[Number, num(0, 1000, "1/utility")] = Field(description="Logit (quantal response) precision lambda of acceptance.")
    concession_rate: Annotated[Number, num(0, 1, "share per week")] = Field(
        description="Share of the distance to the last proposal conceded per week at pressure 1."
    )
    resolve: Share = Field(description="Resistance to pressure: 1 means it never concedes.")
    war_weariness: Annotated[Number, num(0, 5, "multiplier")] = Field(
        1.0, description="Rise of the felt weekly cost per unit of log(1 + years of war costs paid) (Mueller 1973; Gartner & Segura 1998)."
    )
    exploitation_cost: Annotated[Number, num(0, 1, "utility")] = Field(
        0.05, description="Loss from having stood down when a truce breaks down (Walter 1997): weighed against an agreement's breakdown risk."
    )
    rules: BelligerentRules = Field(default_factory=BelligerentRules)


class MediatorRules(StrictModel):
    """Which rule variants a mediator follows."""

    proposal_type: RuleName = Field(
        default_factory=lambda: RuleChoice(name="expected_utility"),
        description="How the mediator picks the type of its proposal: expected_utility (its own gain times the chance "
        "both sides accept) or sequencing (the first edition: closeness of its sequencing position to each type).",
    )


class Mediator(Actor):
    """An actor that tables proposals."""

    mediation_intensity: Probability = Field(0.0, description="Weekly probability of tabling a proposal.")
    bias: Share = Field(0.0, description="Pull of the mediator's proposals toward its own positions.")
    stake: Stake = Field(0.001, description="What the war going on costs the mediator each week (its interest in an agreement, Beardsley 2011).")
    rules: MediatorRules = Field(default_factory=MediatorRules)


class UnitedStates(Mediator):
    """The United States: mediator and Ukraine's largest single supplier of aid."""

    aid_policy: Literal["conditional", "full", "cut"] = Field(
        "conditional",
        description="conditional: suspended while Ukraine rejects US proposals, restored when it accepts; full: always at aid_restored; cut: always zero.",
    )
    aid_start: Annotated[Number, num(0, 1, "share of the 2022-24 flow")] = Field(0.0, description="US military aid at the start.")
    aid_restored: Annotated[Number, num(0, 1, "share of the 2022-24 flow")] = Field(1.0, description="US military aid when restored.")
    aid_share: Share = Field(description="US share of Ukraine's foreign military aid in 2022-24.")
    patience_weeks: Weeks = Field(520, description="Weeks of failed mediation after which the US stops tabling proposals.")
    backstop: bool = Field(False, description="Whether the US backs a European reassurance force.")
    sanctions: SanctionsLevel = Field(1.0, description="US sanctions on Russia at the start (1 = the 2025 regime).")
    sanctions_policy: Literal["fixed", "conditional"] = Field(
        "fixed",
        description="fixed: US sanctions change only by agreement; conditional: raised to sanctions_pressure while Russia "
        "rejects US proposals, back to their level when it accepts one (coercion of Russia, like aid_policy for Ukraine).",
    )
    sanctions_pressure: SanctionsLevel = Field(
        1.5, description="US sanctions (and tariffs) on Russia while it rejects US proposals, under the conditional policy."
    )


class Turkey(Mediator):
    """Turkey: mediator with Black Sea access."""


class Member(StrictModel):
    """A member of the European coalition deciding whether to commit troops to a reassurance force."""

    label: str
    pledge: Annotated[Number, num(0, 200_000, "troops")] = Field(description="Troops the member would commit to the reassurance force.")
    threshold: Share = Field(description="Share of the other members' pledged troops already committed before it joins (Granovetter 1978).")
    needs_us_backstop: bool = False
    sources: dict[str, str] = Field(default_factory=dict)


class Europe(Actor):
    """The European coalition: aid with a lag, sanctions, and a reassurance force built by its members."""

    aid_share: Share = Field(description="European share of Ukraine's foreign military aid in 2022-24.")
    aid_start: Annotated[Number, num(0, 3, "share of the 2022-24 flow")] = Field(1.0, description="European military aid at the start.")
    aid_target: Annotated[Number, num(0, 3, "share of the 2022-24 flow")] = Field(1.0, description="European military aid once industry is on a war footing.")
    aid_ramp_weeks: Annotated[Number, num(1, 520, "weeks")] = Field(52, description="Time constant of the ramp from aid_start to aid_target.")
    sanctions: SanctionsLevel = Field(1.0, description="EU sanctions on Russia at the start, kept while no settlement lifts them (1 = the 2025 regime).")
    sanctions_weight: Share = Field(0.5, description="Share of the sanctions' bite on Russia that is the EU's (the rest is the US's).")
    stake: Stake = Field(
        0.001, description="What the war going on costs the coalition each week (weighed when it decides whether to deliver the terms it controls)."
    )
    force_minimum: Annotated[Number, num(0, 500_000, "troops")] = Field(description="Committed troops at which a reassurance force exists.")
    force_reference: Annotated[Number, num(1, 500_000, "troops")] = Field(description="Force size that gives full enforcement (hazard ratio of peacekeeping).")
    members: dict[str, Member] = Field(default_factory=dict)


class Actors(StrictModel):
    us: UnitedStates
    russia: Belligerent
    ukraine: Belligerent
    europe: Europe
    turkey: Turkey


class Battlefield(StrictModel):
    """How the front moves and what the war costs."""

    drift_scale: Annotated[Number, num(0, 0.05, "front units per week")] = Field(description="Weekly drift of the front at full strength imbalance.")
    noise: Annotated[Number, num(0, 0.05, "front units per week")] = Field(description="Standard deviation of the weekly movement of the front.")
    partial_truce_relief: Share = Field(description="Share of weekly war costs removed by an air-sea-energy truce.")
    lookahead_weeks: Weeks = Field(52, description="Weeks ahead over which a side projects the war when valuing it.")
    sanctions_cost: Annotated[Number, num(0, 5, "multiplier")] = Field(
        1.0, description="Rise of Russia's weekly cost per unit of sanctions, scaled by its pressure sensitivity."
    )


class AudienceCosts(StrictModel):
    """Utility cost of crossing a stated red line, by how binding the commitment is (Fearon 1994; Tomz 2007).

    Utilities lie in [-1, 0] (the whole prize is 1); a week of war costs about 0.003."""

    law: AudienceCost = Field(0.4, description="Crossing a constitutional or statutory bar.")
    leader: AudienceCost = Field(0.15, description="Crossing a red line the head of state or government stated on the record.")
    official: AudienceCost = Field(0.08, description="Crossing a red line a minister, spokesperson or delegation stated.")
    reported: AudienceCost = Field(0.04, description="Crossing a red line known only second-hand.")


class Negotiation(StrictModel):
    """How proposals are made and how positions move."""

    escalate_after: Weeks = Field(4, description="Weeks a truce must hold before mediators table the next, fuller agreement.")
    force_guarantee_level: float = Field(
        0.75, ge=0, le=1, description="Value on the guarantees issue of a truce backed by a reassurance force. Unit: issue scale (0-1)."
    )
    audience_costs: AudienceCosts = Field(default_factory=AudienceCosts)
    partial_truce_freeze: Probability = Field(
        0.3, description="Chance a side sees of a partial truce leading to a general ceasefire at the current line within its look-ahead."
    )
    partial_truce_weeks: Term = Field(0, description="Term of a partial truce; it lapses unless both sides renew it (0: open-ended).")
    ceasefire_weeks: Term = Field(0, description="Term of a general ceasefire; it lapses unless both sides renew it (0: open-ended).")
    snapback: bool = Field(True, description="Whether sanctions relieved by a settlement return when it breaks down.")
    position_dynamics: RuleName = Field(
        default_factory=lambda: RuleChoice(name="none"),
        description="How all five actors' positions move between proposals: none, or bdm (Bueno de Mesquita's challenges and offers).",
    )


class Breakdown(StrictModel):
    """Weekly hazard that a truce in force breaks down."""

    base_hazard: Annotated[Number, num(0, 1, "probability per week")] = Field(description="Weekly hazard of a settlement breaking down without enforcement.")
    partial_truce_factor: Annotated[Number, num(1, 1000, "multiplier")] = Field(description="Hazard multiplier of a partial truce relative to a settlement.")
    ceasefire_factor: Annotated[Number, num(1, 1000, "multiplier")] = Field(description="Hazard multiplier of a general ceasefire relative to a settlement.")
    peacekeeping_hazard_ratio: HazardRatio = Field(description="Hazard ratio with a full reassurance force (Fortna 2004).")
    backstop_bonus: Share = Field(0.0, description="Extra enforcement from a US backstop, as a share of full enforcement.")
    gain_sensitivity: Annotated[Number, num(0, 100, "multiplier")] = Field(
        description="Rise of the hazard per unit of a side's expected gain from resuming the war."
    )
    partial_truce_monitoring: Share = Field(0.0, description="Monitoring of a partial truce, from none (0) to full third-party verification (1).")
    ceasefire_monitoring: Share = Field(0.0, description="Monitoring of a general ceasefire, from none (0) to full third-party verification (1).")
    monitoring_hazard_ratio: HazardRatio = Field(1.0, description="Hazard ratio of a fully monitored truce against an unmonitored one (Fortna 2004).")
    rule: RuleName = Field(default_factory=lambda: RuleChoice(name="constant"), description="Breakdown hazard rule.")


class Event(StrictModel):
    """A dated change to the scenario: at the start of `week`, with `probability`, the assignments of `set` take effect."""

    week: int = Field(ge=1, le=520, strict=True, description="Week at whose start the change takes effect. Unit: weeks.")
    set: list[str] = Field(min_length=1, description="Assignments in the form of --set: dotted.path=value (TOML value).")
    probability: float = Field(1.0, ge=0, le=1, description="Chance the event happens in a replication (drawn per replication).")
    label: str = Field("", description="What happens, in words (for stories and tables).")


class Scenario(StrictModel):
    """A whole scenario: issues, actors, statements and the model's parameters."""

    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Short name, used for result folders: letters, digits, '_', '.' or '-', starting with a letter or digit.",
    )
    title: str
    description: str = ""
    extends: str | None = Field(None, description="A scenario file this one overrides (deep merge).")
    rules: list[str] = Field(
        default_factory=list,
        description="Modules with user rules to register before the scenario is checked: importable names or .py paths (relative to the file).",
    )
    start_date: dt.date
    horizon_weeks: int = Field(ge=1, le=520, strict=True, description="Weeks simulated. Unit: weeks.")
    issues: dict[str, Issue]
    actors: Actors
    statements: dict[str, Statement] = Field(default_factory=dict)
    battlefield: Battlefield
    negotiation: Negotiation = Field(default_factory=Negotiation)
    breakdown: Breakdown
    events: list[Event] = Field(default_factory=list, description="Dated changes: [[events]] with week, set, probability, label.")

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:

        issues = list(self.issues)
        for role in ("territory", "sequencing", "guarantees", "sanctions"):
            holders = [k for k, v in self.issues.items() if v.role == role]
            if len(holders) > 1:
                raise _path_error(("issues", holders[1], "role"), f"expected one issue with role {role!r}, got {', '.join(holders)}")
            if not holders and role in ("territory", "sequencing"):
                raise _path_error(("issues",), f"expected an issue with role = {role!r}")
        for sid, st in self.statements.items():
            if st.actor not in ACTOR_IDS:
                raise _ref_error(("statements", sid, "actor"), "an actor id", ACTOR_IDS, st.actor)
            if st.issue not in self.issues:
                raise _ref_error(("statements", sid, "issue"), "an issue", issues, st.issue)
            stance_value(self.issues[st.issue], st.stance, ("statements", sid, "stance"))
            for i, reading in enumerate(st.readings):
                if reading.stance is not None:
                    stance_value(self.issues[st.issue], reading.stance, ("statements", sid, "readings", i, "stance"))
            if st.date > self.start_date:
                raise _path_error(
                    ("statements", sid, "date"),
                    f"expected a date on or before the scenario's start_date {self.start_date}, got {st.date}",
                )
        for where, ids in ((("issues",), self.issues), (("statements",), self.statements), (("actors", "europe", "members"), self.actors.europe.members)):
            _distinct_columns(where, ids)
        for aid in ACTOR_IDS:
            actor = getattr(self.actors, aid)
            for issue in actor.overrides:
                if issue not in self.issues:
                    raise _ref_error(("actors", aid, "overrides", issue), "an issue", issues, issue)
            for key, cite in actor.sources.items():
                if cite in self.statements or "." in cite or " " in cite or "/" in cite:
                    continue
                raise _ref_error(("actors", aid, "sources", key), "a statement id or a citation", list(self.statements), cite)
        return self


def _distinct_columns(where: tuple[str, ...], ids: Iterable[str]) -> None:
    """Ids of one table must give distinct result column names (`sim.identifiers.path_column`): `ru-no-freeze` and
    `ru_no_freeze` would write their parameters into one column, and one of them would be lost."""
    seen: dict[str, str] = {}
    for key in ids:
        column = path_column(key)
        if column in seen:
            raise _path_error(
                (*where, key),
                f"expected an id that differs from {seen[column]!r} in more than '-', '.' or other signs: both name the result column {column!r}",
            )
        seen[column] = key


class ScenarioPathError(ValueError):
    """A cross-reference error carrying the path of the offending field."""

    def __init__(self, path: tuple[Any, ...], message: str, relative: bool = False) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.relative = relative  # the path continues the location of the table whose validator raised it


def _path_error(path: tuple[Any, ...], message: str) -> ScenarioPathError:
    return ScenarioPathError(path, message)


def _relative_error(path: tuple[Any, ...], message: str) -> ScenarioPathError:
    return ScenarioPathError(path, message, relative=True)


def _ref_error(path: tuple[Any, ...], what: str, choices: Iterable[object], got: str) -> ScenarioPathError:
    return ScenarioPathError(path, f"expected {what}, got {got!r}{did_you_mean(got, choices)}")
