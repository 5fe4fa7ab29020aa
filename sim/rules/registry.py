"""The rule registry: every rule is registered once, where it is defined, with its metadata.

`@rule(kind=..., source=..., traits=..., params=...)` records a pure array function under
its name; the catalogue (`sim rules`), the documentation, the scenario validation of
variant choices and the property checks all read this one record.

Rules of a *selectable* kind (see `SELECTABLE`) share one calling convention per kind, so
that a scenario can swap one variant for another by name; their extra parameters are
declared in `params` with bounds and units, like every scenario number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class RuleParam:
    """A rule parameter declared once: default, bounds, unit, description."""

    default: float
    lo: float
    hi: float
    unit: str
    description: str


@dataclass(frozen=True)
class RuleInfo:
    """What is declared about a rule."""

    name: str
    kind: str
    func: Callable
    summary: str
    source: str
    traits: frozenset[str] = field(default_factory=frozenset)
    params: dict[str, RuleParam] = field(default_factory=dict)
    module: str = ""


# Kinds a scenario can choose a variant of, with the calling convention every variant follows
# (positional arguments first, then its declared parameters as keywords) and where the choice lives.
SELECTABLE = {
    "acceptance": ("(gain, rationality) -> probability of accepting", "actors.<belligerent>.rules.acceptance"),
    "concession": (
        "(position, target, rate, pressure, resolve, low, high, costly_weeks) -> new position",
        "actors.<belligerent>.rules.concession",
    ),
    "breakdown_hazard": (
        "(base, type_factor, enforcement, hazard_ratio, resume_gain, gain_sensitivity, truce_age) -> weekly hazard",
        "breakdown.rule",
    ),
}
DEFAULTS = {"acceptance": "logit", "concession": "pressure", "breakdown_hazard": "constant"}

REGISTRY: dict[str, RuleInfo] = {}


def rule(
    kind: str,
    source: str,
    traits: tuple[str, ...] = (),
    name: str | None = None,
    params: dict[str, RuleParam] | None = None,
):
    """Register the decorated function as a rule of `kind`, citing `source`, with declared `traits` and `params`."""

    def register(func: Callable) -> Callable:
        key = name or func.__name__
        if key in REGISTRY and (REGISTRY[key].func.__qualname__, REGISTRY[key].module) != (func.__qualname__, func.__module__):
            raise ValueError(f"rule {key!r} is registered twice ({REGISTRY[key].module} and {func.__module__})")
        summary = (func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else ""
        REGISTRY[key] = RuleInfo(key, kind, func, summary, source, frozenset(traits), dict(params or {}), func.__module__)
        func.rule_info = REGISTRY[key]
        return func

    return register


def rules_of_kind(kind: str) -> list[RuleInfo]:
    """Registered rules of one kind, by name."""
    return sorted((r for r in REGISTRY.values() if r.kind == kind), key=lambda r: r.name)


def rules_with_trait(trait: str) -> list[RuleInfo]:
    """Registered rules that declare `trait`, by name (collections are filters over traits)."""
    return sorted((r for r in REGISTRY.values() if trait in r.traits), key=lambda r: r.name)
