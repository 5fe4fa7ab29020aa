"""Print every table and field of the scenario format from the pydantic models (for docs/scenarios.md)."""

import typing

from pydantic import BaseModel

import sim.rules  # noqa: F401  (registers the built-in rules)
from sim.rules.registry import SELECTABLE, rules_of_kind
from sim.scenario import schema as S
from sim.scenario.params import field_bounds


def ann_name(a):
    o = typing.get_origin(a)
    if o is typing.Literal:
        return "one of " + ", ".join(repr(x).replace("'", '"') for x in typing.get_args(a))
    if o in (typing.Union, __import__("types").UnionType):
        return (
            " or ".join(ann_name(x) for x in typing.get_args(a) if x is not type(None)) + " (optional)"
            if type(None) in typing.get_args(a)
            else " or ".join(ann_name(x) for x in typing.get_args(a))
        )
    if o is dict:
        k, v = typing.get_args(a)
        if isinstance(v, type) and issubclass(v, BaseModel):
            return "tables keyed by id (below)"
        return {"float": "table of numbers", "str": "table of strings"}.get(getattr(v, "__name__", ""), f"table of {ann_name(v)}")
    if o is typing.Annotated:
        return ann_name(typing.get_args(a)[0])
    if o is list:
        (v,) = typing.get_args(a)
        return "array of tables (below)" if isinstance(v, type) and issubclass(v, BaseModel) else f"list of {ann_name(v)}s"
    name = getattr(a, "__name__", str(a))
    return {
        "RuleChoice": "rule name, or table `{name = ..., <parameter> = ...}`",
        "BelligerentRules": "table (below)",
        "list": "list of strings",
        "str": "string",
        "int": "integer",
        "float": "number",
        "bool": "boolean",
        "date": "date (TOML local date)",
        "Actors": "table (below)",
        "Battlefield": "table (below)",
        "Negotiation": "table (below)",
        "Breakdown": "table (below)",
        "AudienceCosts": "table (below)",
        "MediatorRules": "table (below)",
    }.get(name, name)


def fmt_default(info):
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        d = info.default_factory()
        if hasattr(d, "name"):
            return f'"{d.name}"'
        if isinstance(d, BaseModel):
            return "defaults below"
        return "empty"
    d = info.default
    if d is None:
        return "none"
    if isinstance(d, bool):
        return str(d).lower()
    if isinstance(d, str):
        return f'"{d}"'
    return f"{d:g}" if isinstance(d, float) else str(d)


def table(model, title):
    print(f"\n#### `{title}`\n")
    print((model.__doc__ or "").strip().splitlines()[0])
    print()
    print("| field | type | range, unit | default | description |")
    print("|---|---|---|---|---|")
    for name, info in model.model_fields.items():
        if model is not S.Actor and issubclass(model, S.Actor) and name in S.Actor.model_fields:
            continue
        b = field_bounds(model, name)
        optional = False
        inner_desc = None
        if b is None:
            for arg in typing.get_args(info.annotation):
                for m in getattr(arg, "__metadata__", ()):
                    if m.__class__.__name__ == "Bounds":
                        b, optional = m, True
                    if m.__class__.__name__ == "FieldInfo" and not info.description:
                        inner_desc = m.description
        if b is not None:
            typ = "integer or distribution" if b.integer else "number or distribution"
            if optional:
                typ += " (optional)"
            rng = f"[{b.lo:g}, {b.hi:g}] {b.unit}"
        else:
            typ = ann_name(info.annotation)
            rng = ""
            for m in info.metadata:
                if hasattr(m, "ge"):
                    rng += f">= {m.ge} "
                if hasattr(m, "le"):
                    rng += f"<= {m.le} "
                if hasattr(m, "min_length"):
                    rng += "non-empty "
                if hasattr(m, "pattern"):
                    rng += f"pattern `{m.pattern}` "
        desc = (info.description or inner_desc or "").replace("|", "\\|")
        print(f"| `{name}` | {typ} | {rng.strip()} | {fmt_default(info)} | {desc} |")


for model, title in [
    (S.Scenario, "(top level)"),
    (S.Issue, "issues.<id>"),
    (S.Actor, "actors.<id> (all actors)"),
    (S.UnitedStates, "actors.us"),
    (S.Belligerent, "actors.russia, actors.ukraine"),
    (S.Europe, "actors.europe"),
    (S.Member, "actors.europe.members.<id>"),
    (S.Turkey, "actors.turkey"),
    (S.BelligerentRules, "actors.russia.rules, actors.ukraine.rules"),
    (S.MediatorRules, "actors.us.rules, actors.turkey.rules"),
    (S.IssueOverride, "actors.<id>.overrides.<issue>"),
    (S.Statement, "statements.<id>"),
    (S.Reading, "[[statements.<id>.readings]]"),
    (S.Battlefield, "battlefield"),
    (S.Negotiation, "negotiation"),
    (S.AudienceCosts, "negotiation.audience_costs"),
    (S.Breakdown, "breakdown"),
    (S.Event, "[[events]]"),
]:
    table(model, title)

print("\n#### Rule variants (from the registry)\n")
print("| kind | chosen at | name | parameters (default, range, unit) | summary |")
print("|---|---|---|---|---|")
for kind, (_convention, where) in SELECTABLE.items():
    for r in rules_of_kind(kind):
        ps = "; ".join(f"`{k}` = {p.default:g}, [{p.lo:g}, {p.hi:g}] {p.unit}: {p.description}" for k, p in r.params.items()) or "none"
        print(f"| {kind} | `{where}` | `{r.name}` | {ps} | {r.summary.replace('|', '/')} |")
