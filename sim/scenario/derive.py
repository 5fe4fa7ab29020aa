"""Turn statements into each actor's position, spread, salience and red lines per issue.

The derivation is deterministic and documented in docs/model.md ("From statements to
parameters"):

- position: the mean of the stances of the actor's statements on the issue, weighted by
  strength (preference 1, priority 2, red line 3);
- spread: the standard deviation that Monte Carlo draws the position from,
  sqrt(base^2 + weighted variance of the stances), where base is 0.05 for statements seen
  first-hand and 0.10 when any is only reported; conflicting stances so widen it;
- salience: by the strongest statement (none 0.2, preference 0.5, priority 0.75,
  red line 1.0), normalised over the issues per replication;
- red lines: a red-line statement that rejects values below (above) its stance sets the
  lowest (highest) acceptable value; several combine to the tightest;
- no statement: the actor is uninformed on the issue, position 0.5 with spread 0.25;
- red-line costs: each red line keeps the commitment of the statement that set it (law,
  leader, official, reported), which names the audience cost of crossing it
  (`negotiation.audience_costs`); `overrides.<issue>.red_line_cost` replaces it;
- readings: a statement with alternative codings (`readings`) is derived under the coding
  given in `readings` (statement id -> 0 for its own coding, i for its i-th reading).

Explicit numbers in `actors.<id>.overrides.<issue>` replace the derived ones. Every
derived number keeps the statement ids it came from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sim.scenario.params import Bounds, Normal, mean_of
from sim.scenario.schema import ACTOR_IDS, COMMITMENTS, Issue, IssueOverride, Scenario, ScenarioPathError, Statement, stance_value

STRENGTH_WEIGHT = {"preference": 1.0, "priority": 2.0, "red_line": 3.0}
SALIENCE_BY_STRENGTH = {None: 0.2, "preference": 0.5, "priority": 0.75, "red_line": 1.0}
SD_DIRECT = 0.05
SD_REPORTED = 0.10
UNINFORMED_POSITION = 0.5
UNINFORMED_SD = 0.25
_STRENGTH_ORDER = {None: 0, "preference": 1, "priority": 2, "red_line": 3}
_UNIT = Bounds(0.0, 1.0, "issue scale (0-1)")


@dataclass(frozen=True)
class Derived:
    """A number (or distribution) with how it was obtained and the statements behind it."""

    value: Any
    rule: str
    statements: tuple[str, ...] = ()

    @property
    def mean(self) -> float:
        return mean_of(self.value, _UNIT)


@dataclass(frozen=True)
class IssueProfile:
    """One actor on one issue: position (with spread), raw salience and red lines."""

    actor: str
    issue: str
    position: Derived
    spread: float
    salience: Derived
    red_line_low: Derived
    red_line_high: Derived
    red_line_low_kind: str | None = None  # commitment of the statement behind the low red line
    red_line_high_kind: str | None = None
    red_line_cost: Derived | None = None  # explicit audience cost (override) for both red lines


def readings_of(scenario: Scenario) -> dict[str, list[tuple[str, float]]]:
    """The statements with alternative codings: id -> [(label, weight)] with the own coding first."""
    return {sid: [("as coded", st.own_weight)] + [(r.label, r.weight) for r in st.readings] for sid, st in scenario.statements.items() if st.readings}


def derive(scenario: Scenario, readings: dict[str, int] | None = None) -> dict[str, dict[str, IssueProfile]]:
    """Profiles of every actor on every issue, from the statements (under `readings`) and explicit overrides."""
    readings = readings or {}
    coded = {sid: st.coded(readings.get(sid, 0)) for sid, st in scenario.statements.items()}
    out: dict[str, dict[str, IssueProfile]] = {}
    for actor in ACTOR_IDS:
        overrides = getattr(scenario.actors, actor).overrides
        out[actor] = {}
        for issue_id, issue in scenario.issues.items():
            stmts = [(sid, st) for sid, st in coded.items() if st.actor == actor and st.issue == issue_id]
            profile = _derive_one(actor, issue_id, issue, stmts)
            ov = overrides.get(issue_id)
            if ov is not None:
                profile = _apply_override(profile, ov)
            low, high = profile.red_line_low.mean, profile.red_line_high.mean
            if low > high:
                raise ScenarioPathError(
                    ("actors", actor, "overrides", issue_id) if ov is not None else ("statements", profile.red_line_low.statements[0]),
                    f"expected compatible red lines for {actor} on {issue_id}, got lowest acceptable {low:g} above highest acceptable {high:g}",
                )
            out[actor][issue_id] = profile
    return out


def _derive_one(actor: str, issue_id: str, issue: Issue, stmts: list[tuple[str, Statement]]) -> IssueProfile:
    ids = tuple(sid for sid, _ in stmts)
    if not stmts:
        position = Derived(Normal(dist="normal", mean=UNINFORMED_POSITION, sd=UNINFORMED_SD), "no statement: uninformed")
        spread = UNINFORMED_SD
        salience = Derived(SALIENCE_BY_STRENGTH[None], "no statement")
    else:
        values = [stance_value(issue, st.stance) for _, st in stmts]
        weights = [STRENGTH_WEIGHT[st.strength] for _, st in stmts]
        total = sum(weights)
        mean = sum(w * v for w, v in zip(weights, values)) / total
        var = sum(w * (v - mean) ** 2 for w, v in zip(weights, values)) / total
        base = SD_REPORTED if any(st.reported for _, st in stmts) else SD_DIRECT
        spread = math.sqrt(base**2 + var)
        rule = "stance" if len(stmts) == 1 else f"strength-weighted mean of {len(stmts)} stances"
        position = Derived(Normal(dist="normal", mean=round(mean, 6), sd=round(spread, 6)), rule, ids)
        strongest = max((st.strength for _, st in stmts), key=_STRENGTH_ORDER.__getitem__)
        salience = Derived(SALIENCE_BY_STRENGTH[strongest], f"strongest statement: {strongest}", ids)
    low, high = Derived(0.0, "no red line"), Derived(1.0, "no red line")
    low_kind = high_kind = None
    for sid, st in stmts:
        if st.strength != "red_line":
            continue
        value = stance_value(issue, st.stance)
        # The tightest line holds; of two at the same value, the more binding commitment.
        if st.rejects == "below" and (value > low.value or (value == low.value and _binds_more(st.commitment_kind, low_kind))):
            low, low_kind = Derived(value, f"red line ({st.commitment_kind}): rejects below", (sid,)), st.commitment_kind
        if st.rejects == "above" and (value < high.value or (value == high.value and _binds_more(st.commitment_kind, high_kind))):
            high, high_kind = Derived(value, f"red line ({st.commitment_kind}): rejects above", (sid,)), st.commitment_kind
    return IssueProfile(actor, issue_id, position, spread, salience, low, high, low_kind, high_kind)


def _binds_more(kind: str, than: str | None) -> bool:
    return than is None or COMMITMENTS.index(kind) < COMMITMENTS.index(than)


def _apply_override(profile: IssueProfile, ov: IssueOverride) -> IssueProfile:
    fields: dict[str, Any] = {}
    if ov.position is not None:
        fields["position"] = Derived(ov.position, "explicit")
        fields["spread"] = _sd_of(ov.position)
    if ov.salience is not None:
        fields["salience"] = Derived(ov.salience, "explicit")
    if ov.red_line_low is not None:
        fields["red_line_low"] = Derived(ov.red_line_low, "explicit")
    if ov.red_line_high is not None:
        fields["red_line_high"] = Derived(ov.red_line_high, "explicit")
    if ov.red_line_cost is not None:
        fields["red_line_cost"] = Derived(ov.red_line_cost, "explicit")
    return IssueProfile(**{**profile.__dict__, **fields})


def _sd_of(value: Any) -> float:
    if isinstance(value, float):
        return 0.0
    if hasattr(value, "sd"):
        return float(value.sd)
    if hasattr(value, "mode"):
        a, c, b = value.low, value.mode, value.high
        return math.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18)
    return float((value.high - value.low) / math.sqrt(12))


def normalised_saliences(profiles: dict[str, IssueProfile]) -> dict[str, float]:
    """Mean saliences of one actor normalised to sum to one (for display)."""
    raw = {k: p.salience.mean for k, p in profiles.items()}
    total = sum(raw.values()) or 1.0
    return {k: v / total for k, v in raw.items()}
