"""The rule registry: every rule is registered once, where it is defined, with its metadata.

`@rule(kind=..., source=..., traits=..., params=...)` records a pure array function under
its name; the catalogue (`sim rules`), the documentation, the scenario validation of
variant choices and the property checks (`sim check`, `sim.testing`) all read this one
record. Registration checks the declaration: the kind is one of `KINDS`, the function's
arguments are the kind's, every trait is in the vocabulary (`sim.rules.traits`) and the
rule takes the arguments the trait needs, every declared parameter is a keyword of the
function with its default inside its bounds.

Rules of a *selectable* kind (`KindSpec.path` set) share one calling convention per kind,
so that a scenario can swap one variant for another by name: positional arguments in the
order of `KindSpec.arguments`, then the rule's declared parameters as keywords (a float,
or an array with one value per replication when the scenario draws it).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

import numpy as np

from sim.errors import did_you_mean
from sim.rules.traits import Trait, resolve_trait

Values = float | np.ndarray
"""An input or parameter given as one number for all replications or as an array with one value per replication ("R?")."""


@dataclass(frozen=True)
class RuleParam:
    """A rule parameter declared once: default, bounds, unit, description."""

    default: float
    lo: float
    hi: float
    unit: str
    description: str


@dataclass(frozen=True)
class KindSpec:
    """A kind of rule: what it computes, its arguments with their shapes, its output's shape.

    Shapes are written with R (replications), K (issues), A (bargaining sides), M (coalition
    members), T (the three proposal types); "R?" is one number for all replications or an array (R,); () a plain scalar.
    For a selectable kind, `arguments` is the calling convention in order and `path` the
    scenario field that picks a variant; other kinds list every argument their rules may take.
    """

    summary: str
    arguments: dict[str, tuple[str, ...]]
    output: tuple[Any, ...]  # dims, or a tuple of dims for a rule returning several arrays
    path: str | None = None
    default: str | None = None

    @property
    def selectable(self) -> bool:
        return self.path is not None

    @property
    def outputs(self) -> tuple[tuple[str, ...], ...]:
        """The output dims as a tuple of dims, one per returned array."""
        return self.output if self.output and isinstance(self.output[0], tuple) else (self.output,)

    def convention(self) -> str:
        """The calling convention as one line, e.g. `(gain (R,), rationality R?) -> (R,)`; "some of (...)" for a kind
        whose rules take the arguments they need."""
        args = ", ".join(f"{name} {_dims(d)}" for name, d in self.arguments.items())
        # A selectable kind's rules take every argument in this order; others take those they need, in any order.
        return f"{'' if self.selectable else 'some of '}({args}) -> {', '.join(_dims(d) for d in self.outputs)}"


def _dims(dims: tuple[str, ...]) -> str:
    if dims == ("R?",):
        return "R?"
    return "scalar" if not dims else f"({', '.join(dims)}{',' if len(dims) == 1 else ''})"


R, RK, RQ = ("R",), ("R", "K"), ("R?",)

KINDS: dict[str, KindSpec] = {
    "acceptance": KindSpec(
        "Probability that a belligerent accepts a proposal, from its utility gain over fighting on.",
        {"gain": R, "rationality": RQ},
        R,
        path="actors.<belligerent>.rules.acceptance",
        default="logit",
    ),
    "concession": KindSpec(
        "A belligerent's new position after a week, moving toward the last proposal under pressure.",
        {"position": RK, "target": RK, "rate": RQ, "pressure": R, "resolve": RQ, "low": RK, "high": RK, "costly_weeks": R},
        RK,
        path="actors.<belligerent>.rules.concession",
        default="pressure",
    ),
    "breakdown_hazard": KindSpec(
        "Weekly probability that a truce in force breaks down.",
        {"base": R, "type_factor": RQ, "enforcement": R, "hazard_ratio": RQ, "resume_gain": R, "gain_sensitivity": RQ, "truce_age": R},
        R,
        path="breakdown.rule",
        default="constant",
    ),
    "proposal": KindSpec(
        "Terms a mediator tables, per issue.",
        {
            "positions": ("A", "R", "K"),
            "weights": ("A", "R", "K"),
            "mediator_position": RK,
            "bias": RQ,
            "mediator_low": RK,
            "mediator_high": RK,
            "joint_low": RK,
            "joint_high": RK,
        },
        RK,
    ),
    "proposal_type": KindSpec(
        "Weights of the proposal types a mediator may table (partial truce, general ceasefire, settlement).",
        {"mediator_gain": ("R", "T"), "chance": ("R", "T"), "allowed": ("R", "T"), "sequencing": R},
        ("R", "T"),
        path="actors.<mediator>.rules.proposal_type",
        default="expected_utility",
    ),
    "consent": KindSpec(
        "Whether a third party delivers a term it controls (EU or US sanctions relief, a European force).",
        {"gain": R},
        R,
    ),
    "sanctions_policy": KindSpec(
        "A supporter's sanctions on Russia for the week.",
        {"current": R, "accepted": R, "rejected": R, "base": R, "pressure": RQ},
        R,
    ),
    "belief_update": KindSpec(
        "A belligerent's belief about the war's weekly drift after an observation: (mean, precision).",
        {"mean": R, "precision": R, "observation": R, "noise_precision": RQ},
        (R, R),
    ),
    "battlefield": KindSpec(
        "Fighting strength and the weekly drift of the front.",
        {"troops": R, "firepower": RQ, "domestic_materiel": RQ, "aid_index": R, "strength_russia": R, "strength_ukraine": R, "drift_scale": RQ},
        R,
    ),
    "aid_policy": KindSpec(
        "A supporter's aid level for the week.",
        {"current": R, "accepted": R, "rejected": R, "restored": RQ, "week": RQ, "start": R, "target": RQ, "ramp_weeks": RQ},
        R,
    ),
    "coalition": KindSpec(
        "Coalition commitment: which members are committed to a reassurance force after a round.",
        {"committed": ("M", "R"), "pledges": ("M", "R"), "thresholds": ("M", "R"), "needs_backstop": ("M",), "backstop": R},
        ("M", "R"),
    ),
    "utility": KindSpec("Utility of issue-space points.", {"point": RK, "position": RK, "salience": RK}, R),
    "red_line": KindSpec("Whether an agreement point breaks an actor's red lines.", {"point": RK, "low": RK, "high": RK, "fixed": RK}, R),
    "red_lines": KindSpec(
        "A belligerent's gain from a proposal after its red lines: net of audience costs, or a veto.",
        {"gain": R, "point": RK, "low": RK, "high": RK, "fixed": RK, "cost_low": RK, "cost_high": RK},
        R,
        path="actors.<belligerent>.rules.red_lines",
        default="costly",
    ),
    "agreement_value": KindSpec(
        "A side's gain from an agreement over fighting on, net of the agreement's risk of breaking down.",
        {"gain": R, "lost_share": R, "breakdown_risk": R, "exploitation_cost": RQ},
        R,
    ),
    "war_cost": KindSpec(
        "The weekly cost of war a side feels, after pressure and war weariness.",
        {"weekly_cost": RQ, "pressure": R, "cost_paid": R, "weariness": RQ},
        R,
    ),
    "war_outcome": KindSpec(
        "The issue-space point a side expects the war to produce.",
        {"front": R, "drift_belief": R, "lookahead": RQ, "aims_ukraine": RK, "aims_russia": RK, "territory": ()},
        RK,
    ),
    "war_value": KindSpec("Utility of fighting on.", {"outcome_utility": R, "weekly_cost": RQ, "lookahead": RQ}, R),
}

# Views kept for callers of the first version: selectable kinds with their convention and scenario path, and defaults.
SELECTABLE = {k: (v.convention(), v.path) for k, v in KINDS.items() if v.selectable}
DEFAULTS = {k: v.default for k, v in KINDS.items() if v.selectable}


@dataclass(frozen=True)
class RuleInfo:
    """What is declared about a rule."""

    name: str
    kind: str
    func: Callable[..., Any]
    summary: str
    source: str
    traits: frozenset[str] = field(default_factory=frozenset)
    params: dict[str, RuleParam] = field(default_factory=dict)
    module: str = ""
    arguments: tuple[str, ...] = ()  # positional arguments, in order (the kind's convention for selectable kinds)

    @property
    def spec(self) -> KindSpec:
        return KINDS[self.kind]

    def trait(self, name: str) -> Trait:
        """The declared trait `name`, resolved against this rule's arguments and parameters."""
        return resolve_trait(name, self.arguments + tuple(self.params))

    @property
    def file(self) -> str:
        """The file the rule is defined in (for messages)."""
        try:
            return inspect.getsourcefile(self.func) or self.module
        except TypeError:
            return self.module


REGISTRY: dict[str, RuleInfo] = {}

RuleFunc = TypeVar("RuleFunc", bound=Callable[..., Any])


class RuleDeclarationError(ValueError):
    """A rule's declaration does not hold together (unknown kind or trait, wrong arguments, bad parameter)."""


def rule(
    kind: str,
    source: str,
    traits: tuple[str, ...] = (),
    name: str | None = None,
    params: dict[str, RuleParam] | None = None,
) -> Callable[[RuleFunc], RuleFunc]:
    """Register the decorated function as a rule of `kind`, citing `source`, with declared `traits` and `params`.

    The first line of the function's docstring is the rule's one-line description.
    Raises RuleDeclarationError (naming the rule) when the declaration does not hold together.
    """

    def register(func: RuleFunc) -> RuleFunc:
        key = name or func.__name__
        params_ = dict(params or {})
        arguments = _check_declaration(key, kind, func, source, tuple(traits), params_)
        old = REGISTRY.get(key)
        if old is not None and (old.func.__qualname__, old.module) != (func.__qualname__, func.__module__):
            raise RuleDeclarationError(f"rule {key!r} is registered twice ({old.module} and {func.__module__})")
        summary = (func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else ""
        info = RuleInfo(key, kind, func, summary, source, frozenset(traits), params_, func.__module__, arguments)
        REGISTRY[key] = info
        setattr(func, "rule_info", info)  # noqa: B010 (an attribute a function does not declare)
        return func

    return register


def _check_declaration(key: str, kind: str, func: Callable[..., Any], source: str, traits: tuple[str, ...], params: dict[str, RuleParam]) -> tuple[str, ...]:
    """The rule's positional arguments, after checking the declaration against the kind and the trait vocabulary."""

    def fail(message: str) -> NoReturn:
        raise RuleDeclarationError(f"rule {key!r}: {message}")

    spec = KINDS.get(kind)
    if spec is None:
        fail(f"unknown kind {kind!r}" + did_you_mean(kind, KINDS))
    if not callable(func):
        fail("expected a function")
    if not isinstance(source, str) or not source.strip():
        fail("expected a literature source (source=...)")
    if not (func.__doc__ or "").strip():
        fail("expected a docstring whose first line describes the rule")
    sig = inspect.signature(func)
    names = [p.name for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    for pname, p in params.items():
        if not isinstance(p, RuleParam):
            fail(f"parameter {pname!r} must be declared with RuleParam(default, lo, hi, unit, description)")
        if pname not in sig.parameters:
            fail(f"declared parameter {pname!r} is not an argument of the function")
        if not p.lo <= p.default <= p.hi:
            fail(f"default {p.default:g} of parameter {pname!r} lies outside its bounds [{p.lo:g}, {p.hi:g}]")
    arguments = tuple(n for n in names if n not in params)
    expected = tuple(spec.arguments)
    if spec.selectable:
        if arguments != expected:
            fail(
                f"a {kind} rule takes the arguments ({', '.join(expected)}) in this order, then its declared parameters "
                f"as keywords; got ({', '.join(arguments)})"
                + (f" (undeclared: {', '.join(a for a in arguments if a not in expected)}; declare them in params=)" if set(arguments) - set(expected) else "")
            )
    else:
        unknown = [a for a in arguments if a not in spec.arguments]
        if unknown:
            fail(
                f"unknown argument(s) {', '.join(unknown)} for a {kind} rule (its arguments: {', '.join(expected)}); "
                "declare extra inputs as parameters (params=)"
            )
    for t in traits:
        try:
            trait = resolve_trait(t, arguments + tuple(params))
        except ValueError as exc:
            fail(str(exc))
        missing = [a for a in trait.needs if a not in arguments and a not in params]
        if missing:
            fail(f"trait {t!r} needs the argument(s) {', '.join(missing)}, which the rule does not take")
        if t == "invariant_to_relabelling" and not any(("A" in spec.arguments[a] or "M" in spec.arguments[a]) for a in arguments):
            fail("trait 'invariant_to_relabelling' needs an argument with one entry per actor (an A or M axis)")
        if t == "antisymmetric" and len(arguments) < 2:
            fail("trait 'antisymmetric' needs two arguments to swap")
    return arguments


def rules_of_kind(kind: str) -> list[RuleInfo]:
    """Registered rules of one kind, by name."""
    return sorted((r for r in REGISTRY.values() if r.kind == kind), key=lambda r: r.name)


def rules_with_trait(trait: str) -> list[RuleInfo]:
    """Registered rules that declare `trait`, by name (collections are filters over traits)."""
    return sorted((r for r in REGISTRY.values() if trait in r.traits), key=lambda r: r.name)


def rules_from_module(module: str) -> list[RuleInfo]:
    """Registered rules defined in the module named `module`, by name."""
    return sorted((r for r in REGISTRY.values() if r.module == module), key=lambda r: r.name)


def lookup(name: str, kind: str | None = None) -> RuleInfo:
    """The registered rule `name` (of `kind` if given); KeyError with a "did you mean" otherwise."""
    info = REGISTRY.get(name)
    if info is not None and (kind is None or info.kind == kind):
        return info
    pool = [r.name for r in (rules_of_kind(kind) if kind else REGISTRY.values())]
    what = f"a registered {kind} rule" if kind else "a registered rule"
    raise KeyError(f"expected {what}, got {name!r}{did_you_mean(name, sorted(pool))}")
