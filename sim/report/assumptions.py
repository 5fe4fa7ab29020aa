"""The assumptions of a scenario as rows: derived positions with their statements, capabilities, rule parameters.

Shared by `sim inspect` (terminal) and the reports, so the chain from quote to number is
told the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from sim.scenario.derive import derive, normalised_saliences
from sim.scenario.params import field_bounds, is_random
from sim.scenario.schema import ACTOR_IDS, Scenario


@dataclass(frozen=True)
class PositionRow:
    actor: str
    issue: str
    position: float
    spread: float
    salience: float
    red_line_low: float
    red_line_high: float
    rule: str
    statements: tuple[str, ...]


@dataclass(frozen=True)
class ParameterRow:
    path: str
    value: str
    unit: str
    description: str
    source: str


def position_rows(scenario: Scenario) -> list[PositionRow]:
    """Actor x issue: position +/- spread, normalised salience, red lines, and the statements behind them."""
    profiles = derive(scenario)
    rows = []
    for actor in ACTOR_IDS:
        saliences = normalised_saliences(profiles[actor])
        for issue, p in profiles[actor].items():
            ids = tuple(dict.fromkeys(p.position.statements + p.salience.statements + p.red_line_low.statements + p.red_line_high.statements))
            rule = p.position.rule
            kinds = [k for k in (p.red_line_low_kind, p.red_line_high_kind) if k]
            if kinds:
                rule += f"; red line from statement ({', '.join(dict.fromkeys(kinds))})"
            if p.red_line_cost is not None:
                rule += "; explicit red-line cost"
            if "explicit" in (p.salience.rule, p.red_line_low.rule, p.red_line_high.rule):
                rule += "; explicit override"
            rows.append(PositionRow(actor, issue, p.position.mean, p.spread, saliences[issue], p.red_line_low.mean, p.red_line_high.mean, rule, ids))
    return rows


def format_value(value: object) -> str:
    """A number, or a distribution written as the scenario file would."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if is_random(value):
        parts = ", ".join(f"{k}={v:g}" for k, v in value.model_dump().items() if k != "dist")
        return f"{value.dist}({parts})"
    return str(value)


def parameter_rows(model: BaseModel, prefix: str, sources: dict[str, str] | None = None) -> list[ParameterRow]:
    """The declared fields of one scenario table with value, unit, description and citation."""
    rows = []
    sources = sources if sources is not None else getattr(model, "sources", {}) or {}
    for name, info in type(model).model_fields.items():
        if name in ("label", "overrides", "sources", "members", "description"):
            continue
        value = getattr(model, name)
        if isinstance(value, (BaseModel, dict)) and not is_random(value):
            continue
        bounds = field_bounds(type(model), name)
        unit = bounds.unit if bounds else ""
        rows.append(ParameterRow(f"{prefix}.{name}", format_value(value), unit, info.description or "", sources.get(name, "")))
    return rows


def capability_rows(scenario: Scenario) -> list[ParameterRow]:
    """Every actor's (and coalition member's) declared parameters."""
    rows = []
    for actor in ACTOR_IDS:
        model = getattr(scenario.actors, actor)
        rows += parameter_rows(model, f"actors.{actor}")
    for mid, member in scenario.actors.europe.members.items():
        rows += parameter_rows(member, f"actors.europe.members.{mid}", member.sources)
    return rows


def rule_parameter_rows(scenario: Scenario) -> list[ParameterRow]:
    """The battlefield, negotiation and breakdown parameters."""
    rows = []
    for section in ("battlefield", "negotiation", "breakdown"):
        rows += parameter_rows(getattr(scenario, section), section, {})
    return rows
