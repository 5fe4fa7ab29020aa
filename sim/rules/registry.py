"""The rule registry: every rule is registered once, where it is defined, with its metadata.

`@rule(kind=..., source=..., traits=...)` records a pure array function under its name; the
catalogue (`sim rules`), the documentation and the property tests read this one record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class RuleInfo:
    """What is declared about a rule."""

    name: str
    kind: str
    func: Callable
    summary: str
    source: str
    traits: frozenset[str] = field(default_factory=frozenset)


REGISTRY: dict[str, RuleInfo] = {}


def rule(kind: str, source: str, traits: tuple[str, ...] = (), name: str | None = None):
    """Register the decorated function as a rule of `kind`, citing `source`, with declared `traits`."""

    def register(func: Callable) -> Callable:
        key = name or func.__name__
        if key in REGISTRY and REGISTRY[key].func is not func:
            raise ValueError(f"rule {key!r} is registered twice")
        summary = (func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else ""
        REGISTRY[key] = RuleInfo(key, kind, func, summary, source, frozenset(traits))
        return func

    return register


def rules_of_kind(kind: str) -> list[RuleInfo]:
    """Registered rules of one kind, by name."""
    return sorted((r for r in REGISTRY.values() if r.kind == kind), key=lambda r: r.name)
