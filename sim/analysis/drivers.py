"""What drives a scenario: its uncertain inputs, the Sobol design over them, and the ranked indices.

`sim drivers SCENARIO` asks which of a scenario's uncertain inputs move its main outcomes.
The uncertain inputs (`uncertain_inputs`) are:

- every numeric field given as a distribution (`sim.scenario.params.is_random`), e.g.
  `actors.russia.troops = {dist = "uniform", ...}`;
- every actor's position on every issue, which the derivation from statements gives as a
  normal with a spread (`sim.scenario.derive`), truncated to the actor's red lines; set
  through `actors.<actor>.overrides.<issue>.position`; and any salience or red line that an
  override gives as a distribution.

Each input is varied over its own range: the support of a bounded distribution (uniform,
triangular), the central 95% (2.5% to 97.5% quantiles) of the others (beta, normal,
truncated normal, after truncation to the field's bounds or the red lines); an input whose
range is a single point (a position pinned by its red lines) is left out. Within the
range, the design samples uniformly (Saltelli's scheme for Sobol indices): the indices
measure how much each input matters across its plausible range, not weighted by the shape
of its distribution.

Extension point: the lead's "alternative codings" of statements (a statement with several
readings and weights, drawn per replication) join by adding `UncertainInput`s of kind
`"coding"` in `uncertain_inputs`: any input whose `path` is a numeric field that `--set` can
fix (for a coding, say, a number in [0, 1] that picks the reading through the cumulative
weights) is sampled, run and analysed by the rest of this module and `sim drivers` unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from pydantic import BaseModel

from sim.scenario.derive import derive
from sim.scenario.params import Beta, Bounds, Normal, Triangular, Uniform, field_bounds, is_random, quantile
from sim.scenario.schema import ACTOR_IDS, Scenario

CENTRAL = (0.025, 0.975)
"""The quantiles that bound the range of an unbounded (or loosely bounded) distribution."""

MAIN_OUTCOMES = ("any_agreement", "ceasefire_or_settlement", "war")
"""The outcome shares `sim drivers` analyses: P(any agreement by the horizon), P(ceasefire or settlement in force), P(war at the horizon)."""

_UNIT = Bounds(0.0, 1.0, "issue scale (0-1)")


@dataclass(frozen=True)
class UncertainInput:
    """One uncertain input of a scenario: where `--set` fixes it, its range, what it is, where its uncertainty comes from."""

    path: str
    label: str
    kind: str  # "field", "position", "salience", "red_line_low", "red_line_high", "coding"
    low: float
    high: float
    distribution: str  # e.g. "uniform(600000, 1.13e+06)", "normal(0.5, 0.05) truncated to [0, 0.75]"
    range_rule: str  # "support" or "central 95%"
    integer: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe_distribution(value: Any) -> str:
    if isinstance(value, Uniform):
        return f"uniform({value.low:g}, {value.high:g})"
    if isinstance(value, Triangular):
        return f"triangular({value.low:g}, {value.mode:g}, {value.high:g})"
    if isinstance(value, Beta):
        return f"beta(mean {value.mean:g}, sd {value.sd:g})"
    if isinstance(value, Normal):
        return f"normal({value.mean:g}, {value.sd:g})"
    return f"{float(value):g}"


def input_range(value: Any, bounds: Bounds) -> tuple[float, float, str]:
    """(low, high, rule): the support of a uniform or triangular, else the central 95% of the distribution on `bounds`."""
    if isinstance(value, (Uniform, Triangular)):
        low, high, rule = max(value.low, bounds.lo), min(value.high, bounds.hi), "support"
    else:
        q = quantile(value, bounds, np.array(CENTRAL, dtype=float))
        low, high, rule = float(q[0]), float(q[1]), "central 95%"
    if bounds.integer:
        low, high = float(math.ceil(low)), float(math.floor(high))
    return float(low), float(high), rule


def _numeric_random_fields(model: BaseModel, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any, Bounds]]:
    """(path, value, bounds) of every numeric field holding a distribution (overrides are handled with the profiles)."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        bounds = field_bounds(type(model), name)
        if bounds is not None:
            if value is not None and is_random(value):
                yield path + (name,), value, bounds
        elif name == "overrides":
            continue
        elif isinstance(value, BaseModel):
            yield from _numeric_random_fields(value, path + (name,))
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, BaseModel):
                    yield from _numeric_random_fields(item, path + (name, key))


def _actor_label(scenario: Scenario, actor: str) -> str:
    model = getattr(scenario.actors, actor, None)
    return getattr(model, "label", None) or actor


def _field_label(scenario: Scenario, path: tuple[Any, ...]) -> str:
    if len(path) >= 3 and path[0] == "actors" and path[1] in ACTOR_IDS:
        return f"{_actor_label(scenario, path[1])}: {'.'.join(str(p) for p in path[2:]).replace('_', ' ')}"
    return ".".join(str(p) for p in path).replace("_", " ")


def uncertain_inputs(scenario: Scenario, positions: bool = True) -> list[UncertainInput]:
    """Every uncertain input of `scenario` with its range, in a stable order (fields, then actor profiles).

    The extension point for other kinds of uncertainty (alternative codings of statements):
    add their inputs here; see the module docstring.
    """
    out: list[UncertainInput] = []
    for path, value, bounds in _numeric_random_fields(scenario):
        low, high, rule = input_range(value, bounds)
        if high > low:
            out.append(
                UncertainInput(
                    ".".join(str(p) for p in path), _field_label(scenario, path), "field", low, high, describe_distribution(value), rule, bounds.integer
                )
            )
    if not positions:  # (--no-positions: nothing derived from the statements, readings included)
        return out
    # Codings: each statement's alternative readings enter through their weights, over their whole range (at
    # weight w a replication takes the reading when its own draw of `reading.<id>` falls in that reading's share).
    # Only the first reading of a statement varies (the others keep their weights, so the weights stay below 1).
    for sid, st in scenario.statements.items():
        for i, reading in enumerate(st.readings[:1]):
            others = sum(r.weight for j, r in enumerate(st.readings) if j != i)
            high = max(1.0 - others, 0.001)
            out.append(
                UncertainInput(
                    f"statements.{sid}.readings.{i}.weight",
                    f"reading of {sid}: {reading.label}",
                    "coding",
                    0.001,
                    high,
                    f"weight {reading.weight:g}",
                    "whole range",
                )
            )
    profiles = derive(scenario)
    for actor in ACTOR_IDS:
        who = _actor_label(scenario, actor)
        for issue in scenario.issues:
            profile = profiles[actor][issue]
            base = f"actors.{actor}.overrides.{issue}"
            issue_label = scenario.issues[issue].label
            # Red lines and saliences given as distributions (only overrides can do that).
            for name in ("red_line_low", "red_line_high", "salience"):
                value = getattr(profile, name).value
                if is_random(value):
                    low, high, rule = input_range(value, _UNIT)
                    if high > low:
                        out.append(
                            UncertainInput(
                                f"{base}.{name}", f"{who}: {name.replace('_', ' ')} on {issue_label}", name, low, high, describe_distribution(value), rule
                            )
                        )
            value = profile.position.value
            if not is_random(value):
                continue
            lo_line, hi_line = profile.red_line_low.value, profile.red_line_high.value
            if is_random(lo_line) or is_random(hi_line):  # truncation bounds themselves uncertain: use the whole scale
                bounds, note = _UNIT, ""
            else:
                bounds = Bounds(float(lo_line), float(hi_line), _UNIT.unit)
                note = f" truncated to [{float(lo_line):g}, {float(hi_line):g}]" if (lo_line, hi_line) != (0.0, 1.0) else ""
            if bounds.hi <= bounds.lo:
                continue  # pinned by its red lines
            if isinstance(value, (Uniform, Triangular)):
                low, high, rule = input_range(value, _UNIT)
                low, high = max(low, bounds.lo), min(high, bounds.hi)
            else:
                low, high, rule = input_range(value, bounds)
            if high - low > 1e-9:
                out.append(
                    UncertainInput(
                        f"{base}.position",
                        f"{who}: position on {issue_label}",
                        "position",
                        round(low, 6),
                        round(high, 6),
                        describe_distribution(value) + note,
                        rule,
                    )
                )
    return out


def sweep_document(
    scenario_file: str, name: str, inputs: list[UncertainInput], n: int, runs: int, seed: int, sets: Sequence[str] = (), title: str = ""
) -> dict[str, Any]:
    """A sweep file (as a TOML-ready dict) for a Sobol design over `inputs`, run by the ordinary sweep machinery."""
    return {
        "name": name,
        "title": title or f"What drives {name.removeprefix('drivers_')}: Sobol indices over its uncertain inputs",
        "base": scenario_file,
        "set": list(sets),
        "runs": int(runs),
        "seed": int(seed),
        "design": {"kind": "sobol", "samples": int(n), "outcome": "ceasefire_or_settlement"},
        "parameters": [{"path": i.path, "label": i.label, "range": [float(i.low), float(i.high)]} for i in inputs],
    }


def toml_text(doc: dict[str, Any]) -> str:
    """A small TOML writer for sweep documents (strings, numbers, booleans, lists, one level of tables and arrays of tables)."""
    import json

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return repr(v)
        if isinstance(v, str):  # JSON's escapes are TOML's, except that TOML also wants DEL escaped
            return json.dumps(v, ensure_ascii=False).replace("\x7f", "\\u007f")
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(value(x) for x in v) + "]"
        raise TypeError(f"cannot write {type(v).__name__} as TOML")

    lines = ["# Written by `sim drivers`: the Sobol sweep over the scenario's uncertain inputs (sim sweep can resume it)."]
    tables, arrays = [], []
    for key, v in doc.items():
        if isinstance(v, dict):
            tables.append((key, v))
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            arrays.append((key, v))
        else:
            lines.append(f"{key} = {value(v)}")
    for key, table in tables:
        lines += ["", f"[{key}]"] + [f"{k} = {value(x)}" for k, x in table.items()]
    for key, items in arrays:
        for item in items:
            lines += ["", f"[[{key}]]"] + [f"{k} = {value(x)}" for k, x in item.items()]
    return "\n".join(lines) + "\n"


def drivers_table(sensitivity: pa.Table, inputs: list[UncertainInput], outcomes: tuple[str, ...] = MAIN_OUTCOMES) -> pa.Table:
    """One row per (outcome, input) of the main outcomes: S1 and ST with their intervals, ranked by the input's largest ST.

    `rank` orders the inputs by their largest total index over `outcomes` (1 = the strongest driver).
    """
    by_path = {i.path: i for i in inputs}
    rows = [r for r in sensitivity.to_pylist() if r["outcome"] in outcomes and r["parameter"] in by_path]
    best: dict[str, float] = {}
    for r in rows:
        st = r["ST"] if r["ST"] is not None and r["ST"] == r["ST"] else -1.0
        best[r["parameter"]] = max(best.get(r["parameter"], -1.0), st)
    order = sorted(best, key=lambda p: (-best[p], p))
    rank = {p: i + 1 for i, p in enumerate(order)}
    rows.sort(key=lambda r: (rank[r["parameter"]], outcomes.index(r["outcome"])))
    cols: dict[str, list[Any]] = {"rank": [], "input": [], "label": [], "kind": [], "low": [], "high": [], "outcome": []}
    for key in ("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"):
        cols[key] = []
    for r in rows:
        info = by_path[r["parameter"]]
        cols["rank"].append(rank[r["parameter"]])
        cols["input"].append(info.path)
        cols["label"].append(info.label)
        cols["kind"].append(info.kind)
        cols["low"].append(info.low)
        cols["high"].append(info.high)
        cols["outcome"].append(r["outcome"])
        for key in ("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"):
            v = r[key]
            cols[key].append(float("nan") if v is None else float(v))
    types = {"rank": pa.int32(), "low": pa.float64(), "high": pa.float64()}
    return pa.table({k: pa.array(v, types.get(k, pa.float64() if k.startswith("S") else pa.string())) for k, v in cols.items()})


def is_power_of_two(n: int) -> bool:
    return n >= 2 and (n & (n - 1)) == 0
