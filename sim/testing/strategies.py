"""Hypothesis strategies derived from the declarations: scenario fields (their `num()` Bounds), rule
parameters (their `RuleParam` bounds) and rule arguments (the kinds' shapes in `sim.rules.registry.KINDS`).

Scenario-level strategies:

- `numbers(bounds)`, `distributions(bounds)`: a value, or a distribution table, valid for a field;
- `field_values(Model)`: every numeric field of a pydantic model of the scenario format;
- `actor_parameters(Model)`: an actor's parameter set (e.g. `actor_parameters(Belligerent)`);
- `issue_profiles(issues)`: positions, saliences and red lines per issue (override tables),
  `profile_arrays(r, k)`: the same as arrays (R, K) as rules see them;
- `scenarios()`: whole valid scenarios (`sim.scenario.schema.Scenario`).

Rule-level strategies:

- `rule_cases(info, replications=...)`: arguments and declared parameters for a registered rule,
  for any replication count, each argument drawn within the domain `argument_domain` gives it
  (a scenario field's bounds where the argument is one, else a documented range), with the
  relations valid input keeps (low <= position <= high, saliences summing to one, ...).
"""

from __future__ import annotations

import copy
import datetime as dt
import typing
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from annotated_types import Ge, Le
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pydantic import BaseModel

from sim.rules.registry import KINDS, REGISTRY, RuleInfo, RuleParam, rules_of_kind
from sim.scenario.params import Bounds, field_bounds
from sim.scenario.schema import (
    Battlefield,
    Belligerent,
    Breakdown,
    Europe,
    IssueOverride,
    Mediator,
    Member,
    Negotiation,
    Scenario,
    Turkey,
    UnitedStates,
)

# ---------------------------------------------------------------- scenario fields


def bounds_of(model: type[BaseModel], name: str) -> Bounds:
    """The Bounds declared for a numeric field (`num()`), or from ge/le constraints of a plain int/float field."""
    b = field_bounds(model, name)
    if b is not None:
        return b
    for arg in typing.get_args(model.model_fields[name].annotation):  # an optional field: `Annotated[Number, num(...)] | None`
        for meta in getattr(arg, "__metadata__", ()):
            if isinstance(meta, Bounds):
                return meta
    lo = hi = None
    for meta in model.model_fields[name].metadata:
        if isinstance(meta, Ge):
            lo = float(cast(float, meta.ge))
        elif isinstance(meta, Le):
            hi = float(cast(float, meta.le))
    if lo is None or hi is None:
        raise KeyError(f"{model.__name__}.{name} declares no bounds")
    return Bounds(lo, hi, "", model.model_fields[name].annotation is int)


def numbers(bounds: Bounds) -> st.SearchStrategy[float]:
    """A fixed value valid for a field with `bounds` (a whole number where the field is integer)."""
    if bounds.integer:
        return st.integers(int(np.ceil(bounds.lo)), int(np.floor(bounds.hi))).map(float)
    return st.floats(bounds.lo, bounds.hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


@st.composite
def distributions(draw: st.DrawFn, bounds: Bounds) -> dict[str, Any]:
    """A distribution table valid for a field with `bounds`: beta, uniform, triangular or normal."""
    lo, hi = bounds.lo, bounds.hi
    width = hi - lo
    kind = draw(st.sampled_from(["beta", "uniform", "triangular", "normal"]))
    if kind == "beta":
        mean = lo + width * draw(st.floats(0.05, 0.95))
        sd = draw(st.floats(0.05, 0.9)) * np.sqrt((mean - lo) * (hi - mean))
        return {"dist": "beta", "mean": float(mean), "sd": float(sd)}
    a, b = sorted(lo + width * x for x in draw(st.tuples(st.floats(0, 1), st.floats(0, 1))))
    if b - a < 1e-6 * max(width, 1.0):
        a, b = lo, hi
    if kind == "uniform":
        return {"dist": "uniform", "low": float(a), "high": float(b)}
    if kind == "triangular":
        return {"dist": "triangular", "low": float(a), "mode": float(a + (b - a) * draw(st.floats(0, 1))), "high": float(b)}
    return {"dist": "normal", "mean": float((a + b) / 2), "sd": float(max(b - a, 1e-6 * max(width, 1.0)))}


def value_or_distribution(bounds: Bounds, random: bool) -> st.SearchStrategy:
    """A fixed value, or (when `random`) sometimes a distribution table."""
    return st.one_of(numbers(bounds), distributions(bounds)) if random else numbers(bounds)


def numeric_fields(model: type[BaseModel]) -> dict[str, Bounds]:
    """The numeric fields a pydantic model declares with `num()`, with their Bounds."""
    return {name: b for name in model.model_fields if (b := field_bounds(model, name)) is not None}


def field_values(model: type[BaseModel], random: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """Every numeric field of `model` drawn within its declared bounds (distributions too when `random`)."""
    return st.fixed_dictionaries({name: value_or_distribution(b, random) for name, b in numeric_fields(model).items()})


def actor_parameters(model: type[BaseModel] = Belligerent, random: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """An actor's parameter set: its numeric fields, e.g. `actor_parameters(Belligerent)`."""
    return field_values(model, random)


UNIT = bounds_of(IssueOverride, "position")
WEIGHT = bounds_of(IssueOverride, "salience")


@st.composite
def issue_profiles(draw: st.DrawFn, issues: list[str]) -> dict[str, dict[str, float]]:
    """Override tables {issue: {position, salience, red_line_low, red_line_high}} with low <= position <= high."""
    out = {}
    for issue in issues:
        a, b, c = sorted(draw(st.tuples(numbers(UNIT), numbers(UNIT), numbers(UNIT))))
        out[issue] = {"red_line_low": a, "position": b, "red_line_high": c, "salience": draw(numbers(WEIGHT))}
    return out


@st.composite
def profile_arrays(draw: st.DrawFn, replications: int, issues: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(position, salience, low, high) arrays (R, K) as the model hands them to rules: saliences sum to one."""
    shape = (replications, issues)
    cube = draw(hnp.arrays(np.float64, (3,) + shape, elements=numbers(UNIT)))
    low, position, high = np.sort(cube, axis=0)
    raw = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.01, 1.0)))
    return position, raw / raw.sum(axis=1, keepdims=True), low, high


def _rule_names(kind: str) -> st.SearchStrategy[str]:
    return st.sampled_from([r.name for r in rules_of_kind(kind)])


@st.composite
def scenarios(draw: st.DrawFn, max_extra_issues: int = 2, random: bool = False, horizon: st.SearchStrategy[int] = st.integers(1, 8)) -> Scenario:
    """A whole valid scenario: issues with the required roles, the five actors with every field drawn
    within its declared bounds, consistent red lines, a few statements, registered rule variants."""
    extra = [f"issue_{i}" for i in range(draw(st.integers(0, max_extra_issues)))]
    with_guarantees = draw(st.booleans())
    roles = {"territory": "territory", "sequencing": "sequencing"} | ({"guarantees": "guarantees"} if with_guarantees else {})
    issue_ids = list(roles) + extra
    issues = {
        i: {"label": i.title(), "anchors": {"low_end": 0.0, "high_end": 1.0}, "status_quo": draw(numbers(UNIT)), **({"role": roles[i]} if i in roles else {})}
        for i in issue_ids
    }
    start = dt.date(2025, 3, 11)

    def actor(model: type[BaseModel], label: str, **more: Any) -> dict[str, Any]:
        doc = {"label": label, **draw(field_values(model, random)), **more}
        doc["overrides"] = draw(issue_profiles(draw(st.lists(st.sampled_from(issue_ids), unique=True))))
        return doc

    def belligerent(label: str) -> dict[str, Any]:
        return actor(Belligerent, label, rules={"acceptance": draw(_rule_names("acceptance")), "concession": draw(_rule_names("concession"))})

    members = {
        f"m{i}": {"label": f"Member {i}", **draw(field_values(Member, random)), "needs_us_backstop": draw(st.booleans())}
        for i in range(draw(st.integers(0, 3)))
    }
    doc = {
        "name": "generated",
        "title": "A generated scenario",
        "start_date": start,
        "horizon_weeks": draw(horizon),
        "issues": issues,
        "actors": {
            "us": actor(UnitedStates, "US", aid_policy=draw(st.sampled_from(["conditional", "full", "cut"])), backstop=draw(st.booleans())),
            "russia": belligerent("Russia"),
            "ukraine": belligerent("Ukraine"),
            "europe": actor(Europe, "Europe", members=members),
            "turkey": actor(Turkey, "Turkey"),
        },
        "statements": {
            f"s{i}": {
                "actor": draw(st.sampled_from(["us", "russia", "ukraine", "europe", "turkey"])),
                "speaker": "someone",
                "date": start - dt.timedelta(days=draw(st.integers(0, 3000))),
                "source": "generated",
                "quote": "generated",
                "issue": draw(st.sampled_from(issue_ids)),
                "stance": draw(numbers(UNIT)),
                "strength": draw(st.sampled_from(["preference", "priority"])),
            }
            for i in range(draw(st.integers(0, 3)))
        },
        "battlefield": draw(field_values(Battlefield, random)),
        "negotiation": draw(field_values(Negotiation, random)),
        "breakdown": {**draw(field_values(Breakdown, random)), "rule": draw(_rule_names("breakdown_hazard"))},
    }
    return Scenario.model_validate(doc)


# ---------------------------------------------------------------- rule arguments


@dataclass(frozen=True)
class Domain:
    """Where an argument's values lie for valid input: a range (floats or whole numbers) or booleans, and why."""

    lo: float = 0.0
    hi: float = 1.0
    dtype: str = "float"  # float, int or bool
    why: str = ""


def _field(model: type[BaseModel], name: str) -> Domain:
    b = bounds_of(model, name)
    return Domain(b.lo, b.hi, "int" if b.integer else "float", f"{model.__name__}.{name} [{b.lo:g}, {b.hi:g}] {b.unit}")


def _hi(model: type[BaseModel], name: str) -> float:
    return bounds_of(model, name).hi


_unit = _field(IssueOverride, "position")
_flag = Domain(dtype="bool", why="a flag per entry")
_weeks = Domain(0, bounds_of(Scenario, "horizon_weeks").hi, "int", "weeks within the longest horizon (Scenario.horizon_weeks)")
# Utility gains: utilities lie in [-1, 0]; war adds costs, so differences stay within a few units.
_gain = Domain(-2.0, 2.0, why="difference of utilities in [-1, 0] net of war costs")
# Beliefs about the weekly drift: the drift at most drift_scale, biased by at most the optimism bound.
_drift = _hi(Battlefield, "drift_scale") + _hi(Belligerent, "optimism")
_aid_max = _hi(UnitedStates, "aid_share") * _hi(UnitedStates, "aid_restored") + _hi(Europe, "aid_share") * max(
    _hi(Europe, "aid_start"), _hi(Europe, "aid_target")
)

DOMAINS: dict[str, dict[str, Domain]] = {
    "acceptance": {"gain": _gain, "rationality": _field(Belligerent, "rationality")},
    "concession": {
        "position": _unit,
        "target": _unit,
        "low": _unit,
        "high": _unit,
        "rate": _field(Belligerent, "concession_rate"),
        "pressure": Domain(
            0.0,
            1.0 + _hi(Belligerent, "pressure_sensitivity") * _hi(Battlefield, "sanctions_cost") * _hi(Europe, "sanctions"),
            why="1 + pressure_sensitivity x sanctions_cost x sanctions, at most",
        ),
        "resolve": _field(Belligerent, "resolve"),
        "costly_weeks": _weeks,
    },
    "breakdown_hazard": {
        "base": _field(Breakdown, "base_hazard"),
        "type_factor": Domain(1.0, max(_hi(Breakdown, "partial_truce_factor"), _hi(Breakdown, "ceasefire_factor")), why="Breakdown.*_factor"),
        "enforcement": Domain(0.0, 1.0, why="force relative to full strength, capped at one"),
        "hazard_ratio": _field(Breakdown, "peacekeeping_hazard_ratio"),
        "resume_gain": _gain,
        "gain_sensitivity": _field(Breakdown, "gain_sensitivity"),
        "truce_age": _weeks,
    },
    "proposal": {
        "positions": _unit,
        "weights": Domain(0.0, 1.0, why="capability share x salience"),
        "mediator_position": _unit,
        "bias": _field(Mediator, "bias"),
        "mediator_low": _unit,
        "mediator_high": _unit,
        "joint_low": _unit,
        "joint_high": _unit,
    },
    "belief_update": {
        "mean": Domain(-_drift, _drift, why="drift_scale + optimism bounds"),
        "precision": Domain(
            1.0 / _hi(Belligerent, "belief_sd") ** 2, 1.0 / bounds_of(Belligerent, "belief_sd").lo ** 2, why="1 / belief_sd^2 over Belligerent.belief_sd"
        ),
        "observation": Domain(-(_drift + 4 * _hi(Battlefield, "noise")), _drift + 4 * _hi(Battlefield, "noise"), why="a week's move of the front"),
        "noise_precision": Domain(1.0 / _hi(Battlefield, "noise") ** 2, 1e12, why="1 / noise^2, noise from Battlefield.noise down to 1e-6"),
    },
    "battlefield": {
        "troops": _field(Belligerent, "troops"),
        "firepower": _field(Belligerent, "firepower"),
        "domestic_materiel": _field(Belligerent, "domestic_materiel"),
        "aid_index": Domain(0.0, _aid_max, why="US and European aid shares x aid levels"),
        "strength_russia": Domain(0.0, _hi(Belligerent, "troops") * _hi(Belligerent, "firepower"), why="troops x firepower"),
        "strength_ukraine": Domain(0.0, _hi(Belligerent, "troops") * _hi(Belligerent, "firepower"), why="troops x firepower"),
        "drift_scale": _field(Battlefield, "drift_scale"),
    },
    "aid_policy": {
        "current": _field(UnitedStates, "aid_restored"),
        "accepted": _flag,
        "rejected": _flag,
        "restored": _field(UnitedStates, "aid_restored"),
        "week": _weeks,
        "start": _field(Europe, "aid_start"),
        "target": _field(Europe, "aid_target"),
        "ramp_weeks": _field(Europe, "aid_ramp_weeks"),
    },
    "coalition": {
        "committed": _flag,
        "pledges": _field(Member, "pledge"),
        "thresholds": _field(Member, "threshold"),
        "needs_backstop": _flag,
        "backstop": _flag,
    },
    "utility": {"point": _unit, "position": _unit, "salience": Domain(0.01, 1.0, why="IssueOverride.salience, normalised per replication")},
    "red_line": {"point": _unit, "low": _unit, "high": _unit, "fixed": _flag},
    "red_lines": {
        "gain": _gain,
        "point": _unit,
        "low": _unit,
        "high": _unit,
        "fixed": _flag,
        "cost_low": _field(IssueOverride, "red_line_cost"),
        "cost_high": _field(IssueOverride, "red_line_cost"),
    },
    "proposal_type": {
        "mediator_gain": _gain,
        "chance": Domain(0.0, 1.0, why="probability that both sides accept"),
        "allowed": _flag,
        "sequencing": _unit,
    },
    "consent": {"gain": _gain},
    "sanctions_policy": {
        "current": _field(UnitedStates, "sanctions_pressure"),
        "accepted": _flag,
        "rejected": _flag,
        "base": _field(UnitedStates, "sanctions"),
        "pressure": _field(UnitedStates, "sanctions_pressure"),
    },
    "agreement_value": {
        "gain": _gain,
        "lost_share": Domain(0.0, 1.0, why="expected share of the look-ahead lost to a breakdown"),
        "breakdown_risk": Domain(0.0, 1.0, why="probability of breaking down within the look-ahead"),
        "exploitation_cost": _field(Belligerent, "exploitation_cost"),
    },
    "war_cost": {
        "weekly_cost": _field(Belligerent, "weekly_cost"),
        "pressure": Domain(
            0.0,
            1.0 + _hi(Belligerent, "pressure_sensitivity") * _hi(Battlefield, "sanctions_cost") * _hi(Europe, "sanctions"),
            why="1 + pressure_sensitivity x sanctions_cost x sanctions, at most",
        ),
        "cost_paid": Domain(0.0, 30.0, why="cumulative cost over up to ten years at the highest weekly cost"),
        "weariness": _field(Belligerent, "war_weariness"),
    },
    "war_outcome": {
        "front": _unit,
        "drift_belief": Domain(-_drift, _drift, why="drift_scale + optimism bounds"),
        "lookahead": _field(Battlefield, "lookahead_weeks"),
        "aims_ukraine": _unit,
        "aims_russia": _unit,
        "territory": Domain(0, 0, "int", why="index of the territory issue: 0..K-1"),
    },
    "war_value": {
        "outcome_utility": Domain(-1.0, 0.0, why="utilities lie in [-1, 0]"),
        "weekly_cost": _field(Belligerent, "weekly_cost"),
        "lookahead": _field(Battlefield, "lookahead_weeks"),
    },
}

# Pairs kept ordered (low <= high) in valid input, and arguments that lie between such a pair.
ORDERED_PAIRS = (("low", "high"), ("mediator_low", "mediator_high"))
WITHIN = {"position": ("low", "high")}


def argument_domain(kind: str, name: str) -> Domain:
    """The domain of argument `name` of a rule of `kind` (KeyError if none is declared)."""
    return DOMAINS[kind][name]


def param_domain(p: RuleParam) -> Domain:
    return Domain(p.lo, p.hi, "float", f"declared [{p.lo:g}, {p.hi:g}] {p.unit}")


def elements(domain: Domain) -> st.SearchStrategy:
    if domain.dtype == "bool":
        return st.booleans()
    if domain.dtype == "int":
        return st.integers(int(domain.lo), int(domain.hi))
    return st.floats(domain.lo, domain.hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def _values(domain: Domain, shape: tuple[int, ...], name: str) -> st.SearchStrategy:
    dtype = {"bool": bool, "int": np.int64, "float": np.float64}[domain.dtype]
    elems = elements(domain)
    if name == "pledges":  # members without a pledge are common (Italy, Poland in the baseline)
        elems = st.one_of(st.just(0.0), elems)
    if not shape:
        return elems
    return hnp.arrays(dtype, shape, elements=elems)


def shape_of(dims: tuple[str, ...], sizes: dict[str, int]) -> tuple[int, ...]:
    return tuple(sizes[d] for d in dims)


def _argument(domain: Domain, dims: tuple[str, ...], sizes: dict[str, int], name: str) -> st.SearchStrategy:
    if dims == ("R?",):  # one number for all replications, or one per replication
        return st.one_of(_values(domain, (), name), _values(domain, (sizes["R"],), name))
    return _values(domain, shape_of(dims, sizes), name)


@dataclass
class RuleCase:
    """One call of a rule: its positional arguments (by name, in order) and declared parameters."""

    info: RuleInfo
    sizes: dict[str, int]
    args: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)

    def call(self, **changes: Any) -> Any:
        """Call the rule, with some arguments or parameters replaced by `changes` (inputs deep-copied)."""
        args = {k: changes.get(k, v) for k, v in self.args.items()}
        params = {k: changes.get(k, v) for k, v in self.params.items()}
        args, params = copy.deepcopy(args), copy.deepcopy(params)
        return self.info.func(*args.values(), **params)

    def value(self, name: str) -> Any:
        return self.args[name] if name in self.args else self.params[name]

    def dims(self, name: str) -> tuple[str, ...]:
        """The dims of an argument or parameter (parameters are "R?": a float or one value per replication)."""
        return self.info.spec.arguments[name] if name in self.args else ("R?",)

    def domain(self, name: str) -> Domain:
        return argument_domain(self.info.kind, name) if name in self.args else param_domain(self.info.params[name])

    def output_shapes(self) -> list[tuple[int, ...]]:
        return [shape_of(d, self.sizes) for d in self.info.spec.outputs]

    def single(self, i: int) -> RuleCase:
        """The same call for replication i alone (every per-replication array cut to its entry i, kept as length one)."""

        def cut(name: str, value: Any) -> Any:
            dims = self.dims(name)
            if np.ndim(value) == 0:
                return value
            axis = dims.index("R") if "R" in dims else (0 if dims == ("R?",) else None)
            if axis is None:
                return value
            return np.take(value, [i], axis=axis)

        return RuleCase(
            self.info,
            dict(self.sizes, R=1),
            {k: cut(k, v) for k, v in self.args.items()},
            {k: cut(k, v) for k, v in self.params.items()},
        )

    def describe(self) -> str:
        """The inputs, compactly: `name=value` per argument, then parameters."""
        parts = [f"{k}={fmt(v)}" for k, v in self.args.items()] + [f"{k}={fmt(v)}" for k, v in self.params.items()]
        return ", ".join(parts)


def fmt(value: Any) -> str:
    """A compact, readable form of a number, an array or a tuple of arrays."""
    if isinstance(value, tuple):
        return "(" + ", ".join(fmt(v) for v in value) + ")"
    if value is None:
        return "None"
    arr = np.asarray(value)
    if arr.ndim == 0:
        x = arr.item()
        return repr(x) if isinstance(x, bool) else (f"{x:.6g}" if isinstance(x, float) else str(x))
    return np.array2string(arr, precision=6, separator=", ", max_line_width=10_000, threshold=200).replace("\n", "")


@st.composite
def rule_cases(
    draw: st.DrawFn,
    info: RuleInfo | str,
    replications: st.SearchStrategy[int] = st.integers(1, 6),
    issues: st.SearchStrategy[int] = st.integers(1, 4),
    members: st.SearchStrategy[int] = st.integers(1, 4),
) -> RuleCase:
    """Valid arguments and parameters for a registered rule (a RuleInfo or its name), any replication count."""
    if isinstance(info, str):
        info = REGISTRY[info]
    spec = info.spec
    used = {d for a in info.arguments for d in spec.arguments[a]} | {"R"}
    sizes = {"R": draw(replications, label="replications"), "A": 2}
    if "K" in used:
        sizes["K"] = draw(issues, label="issues")
    if "M" in used:
        sizes["M"] = draw(members, label="members")
    if "T" in used:
        sizes["T"] = 3
    args: dict[str, Any] = {}
    for name in info.arguments:
        domain = argument_domain(info.kind, name)
        if name == "territory":
            args[name] = draw(st.integers(0, sizes["K"] - 1), label=name)
            continue
        args[name] = draw(_argument(domain, spec.arguments[name], sizes, name), label=name)
    for lo, hi in ORDERED_PAIRS:
        if lo in args and hi in args:
            args[lo], args[hi] = np.minimum(args[lo], args[hi]), np.maximum(args[lo], args[hi])
    for name, (lo, hi) in WITHIN.items():
        if name in args and lo in args and hi in args:
            args[name] = np.clip(args[lo] + args[name] * (args[hi] - args[lo]), args[lo], args[hi])
    if info.kind == "utility" and "salience" in args:
        args["salience"] = args["salience"] / args["salience"].sum(axis=-1, keepdims=True)
    params = {name: draw(_argument(param_domain(p), ("R?",), sizes, name), label=name) for name, p in info.params.items()}
    return RuleCase(info, sizes, args, params)


def kinds_without_domains() -> list[str]:
    """(kind, argument) pairs the registry declares but no strategy covers (empty when the toolkit is complete)."""
    return [f"{k}.{a}" for k, spec in KINDS.items() for a in spec.arguments if a not in DOMAINS.get(k, {})]


__all__ = [
    "DOMAINS",
    "Domain",
    "RuleCase",
    "actor_parameters",
    "argument_domain",
    "bounds_of",
    "distributions",
    "field_values",
    "fmt",
    "issue_profiles",
    "numbers",
    "profile_arrays",
    "rule_cases",
    "scenarios",
    "value_or_distribution",
]
