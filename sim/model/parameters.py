"""Draw a scenario's parameters for a batch of replications.

Every numeric field of the scenario is drawn once per replication from its own named
stream (`param.<dotted path>`), so that replication i gets the same values in any batch
and two variants of a scenario share the draws of every field they have in common.
Positions come from the derivation (`sim.scenario.derive`): a normal with the derived
mean and spread, truncated to the actor's red lines; saliences are normalised per
replication. A red line's audience cost comes from the commitment of the statement behind it
(`negotiation.audience_costs.<kind>`, itself drawn when uncertain) or an explicit override.
A statement with alternative codings (`readings`) has its reading drawn per replication from
its own stream (`reading.<statement id>`); the profiles are derived under each combination
of readings that occurs and every replication takes the one it drew.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from pydantic import BaseModel
from scipy.special import ndtr, ndtri

from sim.errors import dotted
from sim.rng import Streams
from sim.scenario.derive import IssueProfile, derive, readings_of
from sim.scenario.params import Bounds, Normal, field_bounds, is_random, quantile
from sim.scenario.schema import ACTOR_IDS, Scenario

UNIT = Bounds(0.0, 1.0, "issue scale (0-1)")
COST = Bounds(0.0, 2.0, "utility")


def numeric_fields(model: BaseModel, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any, Bounds]]:
    """Every declared numeric field below `model`: (path, value, bounds). Overrides are left to the derivation."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        bounds = field_bounds(type(model), name)
        if bounds is not None:
            if value is not None:
                yield path + (name,), value, bounds
        elif name == "overrides":
            continue
        elif isinstance(value, BaseModel):
            yield from numeric_fields(value, path + (name,))
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, BaseModel):
                    yield from numeric_fields(item, path + (name, key))


@dataclass
class ActorIssues:
    """One actor's drawn issue parameters, arrays of shape (R, K)."""

    position: np.ndarray
    salience: np.ndarray
    low: np.ndarray
    high: np.ndarray
    cost_low: np.ndarray  # audience cost of crossing the low red line (0 where there is none)
    cost_high: np.ndarray


@dataclass
class DrawnParameters:
    """All parameters of a batch: scalars where fixed, arrays (R,) where drawn."""

    values: dict[str, Any]  # dotted path -> float or (R,) array
    actors: dict[str, ActorIssues]  # actor id -> issue arrays (R, K)
    random_columns: dict[str, np.ndarray]  # the drawn (random) parameters, for runs.parquet

    def __getitem__(self, path: str) -> Any:
        return self.values[path]


def draw_parameters(
    scenario: Scenario, streams: Streams, profiles: dict[str, dict[str, IssueProfile]] | None = None, given: dict[str, np.ndarray] | None = None
) -> DrawnParameters:
    """Draw every parameter of `scenario` for the replications of `streams`.

    `given` (for batches of sweep variants, `sim.experiment.batches`): dotted key -> an (R,)
    array of per-replication values that replaces the field's own value or draw, before
    anything else is computed from it, so that whatever is derived from `values` below
    follows each replication's value.
    """
    n = len(streams.replications)
    values: dict[str, Any] = {}
    random_columns: dict[str, np.ndarray] = {}
    given = given or {}
    for path, value, bounds in numeric_fields(scenario):
        key = dotted(path)
        values[key] = given[key] if key in given else draw_field(key, value, bounds, streams)
        if is_random(value):
            random_columns[key] = values[key]
    alternatives = readings_of(scenario)
    if not alternatives:
        profiles = profiles if profiles is not None else derive(scenario)
        actors = _draw_actors(scenario, profiles, streams, n, values, random_columns)
        return DrawnParameters(values, actors, random_columns)
    # Readings: draw each ambiguous statement's reading, then derive and draw under every combination that occurs.
    drawn = {}
    for sid, options in alternatives.items():
        cum = np.cumsum([w for _, w in options])
        u = streams.uniform("reading." + sid)
        drawn[sid] = np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), len(options) - 1)
        random_columns["reading." + sid] = drawn[sid].astype(np.float64)
    unique, which = _unique_combinations(list(drawn.values()), [len(options) for options in alternatives.values()])
    # Each actor is drawn once per distinct profile its readings give it (most actors: once): under the first for all
    # replications (its random columns are kept for all), under each other for the replications whose readings give
    # it that profile (the same draws as for all of them at those replications: the streams are counter-based).
    text = scenario.model_dump_json()
    derived_signed = [_derive_under(scenario, text, tuple(drawn), tuple(int(i) for i in combo)) for combo in unique]
    derived = [profiles_c for profiles_c, _ in derived_signed]
    actors = {}
    for actor in ACTOR_IDS:
        signatures: dict[str, list[int]] = {}
        for c, (_, signed) in enumerate(derived_signed):
            signatures.setdefault(signed[actor], []).append(c)
        first, *others = signatures.values()
        result = _draw_actors(scenario, derived[first[0]], streams, n, values, random_columns, only=(actor,))[actor]
        for combos_of in others:
            mask = np.isin(which, combos_of)
            at = np.flatnonzero(mask)
            columns: dict[str, np.ndarray] = {}
            one = _draw_actors(scenario, derived[combos_of[0]], streams.subset(mask), at.size, _values_at(values, at), columns, only=(actor,))[actor]
            for field in ("position", "salience", "low", "high", "cost_low", "cost_high"):
                getattr(result, field)[mask] = getattr(one, field)
            for key, col in columns.items():
                if key not in random_columns:  # drawn only under this reading: the others have none
                    random_columns[key] = np.full(n, np.nan)
                random_columns[key][mask] = col
        actors[actor] = result
    return DrawnParameters(values, actors, random_columns)


def _values_at(values: dict[str, Any], at: np.ndarray) -> dict[str, Any]:
    """The drawn values of the replications at positions `at` (numbers stay numbers)."""
    return {key: value[at] if isinstance(value, np.ndarray) else value for key, value in values.items()}


def _unique_combinations(drawn: list[np.ndarray], sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of the readings drawn (one column per statement, reading j of statement s < sizes[s]), in
    lexicographic order, and each replication's row among them: `np.unique(axis=0, return_inverse=True)`, by one
    mixed-radix code per replication (a sort of integers instead of rows)."""
    code = np.zeros(len(drawn[0]), dtype=np.int64)
    for column, size in zip(drawn, sizes):
        code = code * size + column
    codes, which = np.unique(code, return_inverse=True)
    unique = np.empty((codes.size, len(drawn)), dtype=np.int64)
    rest = codes.copy()
    for s in range(len(drawn) - 1, -1, -1):
        rest, unique[:, s] = np.divmod(rest, sizes[s])
    return unique, which.reshape(-1)


Profiles = dict[str, dict[str, IssueProfile]]
#: (scenario as JSON, statement ids, readings) -> the profiles derived under those readings, with each actor's
#: profiles as text (what tells two readings' profiles apart). Every chunk of a run derives the same few
#: combinations again; the profiles are frozen dataclasses, never changed once derived.
_DERIVED: dict[tuple[str, tuple[str, ...], tuple[int, ...]], tuple[Profiles, dict[str, str]]] = {}
_DERIVED_MAX = 512


def _derive_under(scenario: Scenario, text: str, sids: tuple[str, ...], combo: tuple[int, ...]) -> tuple[Profiles, dict[str, str]]:
    """`derive(scenario)` under the readings `combo` of the statements `sids` (`text`: the scenario as JSON), and
    each actor's profiles as text; remembered across the chunks of a run."""
    key = (text, sids, combo)
    hit = _DERIVED.get(key)
    if hit is None:
        if len(_DERIVED) >= _DERIVED_MAX:
            _DERIVED.clear()
        profiles = derive(scenario, dict(zip(sids, combo)))
        hit = _DERIVED[key] = (profiles, {actor: repr(profiles[actor]) for actor in ACTOR_IDS})
    return hit


def _draw_actors(
    scenario: Scenario,
    profiles: Profiles,
    streams: Streams,
    n: int,
    values: dict[str, Any],
    random_columns: dict[str, np.ndarray],
    only: tuple[str, ...] = ACTOR_IDS,
) -> dict[str, ActorIssues]:
    actors = {}
    for actor in only:
        cols = [_draw_issue(actor, issue, profiles[actor][issue], streams, n, random_columns) for issue in scenario.issues]
        position, salience, low, high = (np.stack(c, axis=1) for c in zip(*cols))
        total = salience.sum(axis=1, keepdims=True)
        salience = np.where(total > 0, salience / np.where(total > 0, total, 1.0), 1.0 / salience.shape[1])
        cost_low = np.stack([_red_line_cost(p, p.red_line_low_kind, streams, n, values, random_columns, actor) for p in profiles[actor].values()], axis=1)
        cost_high = np.stack([_red_line_cost(p, p.red_line_high_kind, streams, n, values, random_columns, actor) for p in profiles[actor].values()], axis=1)
        actors[actor] = ActorIssues(position, salience, low, high, cost_low, cost_high)
    return actors


def draw_field(key: str, value: Any, bounds: Bounds, streams: Streams) -> Any:
    """One numeric field for the replications of `streams`: a float when fixed, an (R,) array of draws
    from its own stream `param.<key>` when it is a distribution (the rule every field follows)."""
    if is_random(value):
        return quantile(value, bounds, streams.uniform("param." + key))
    return float(value)


def field_bounds_by_key(scenario: Scenario) -> dict[str, Bounds]:
    """Dotted key -> declared bounds of every numeric field that `draw_parameters` puts in `values`."""
    return {dotted(path): bounds for path, _, bounds in numeric_fields(scenario)}


def take_parameters(params: DrawnParameters, rows: np.ndarray | slice) -> DrawnParameters:
    """The parameters of a subset of a batch's replications (scalars stay scalars)."""

    def pick(v: Any) -> Any:
        return v[rows] if isinstance(v, np.ndarray) else v

    return DrawnParameters(
        {k: pick(v) for k, v in params.values.items()},
        {a: ActorIssues(*(getattr(x, f.name)[rows] for f in fields(ActorIssues))) for a, x in params.actors.items()},
        {k: v[rows] for k, v in params.random_columns.items()},
    )


def stack_parameters(parts: list[DrawnParameters], sizes: list[int]) -> DrawnParameters:
    """Concatenate the parameters of several batches along the replication axis.

    `parts[i]` holds `sizes[i]` replications. A value that is the same scalar in every part
    stays a scalar; any other value becomes an (R,) array, each part's scalar repeated over its
    replications. Every part must have the same keys (the same scenario structure), with the
    same random columns in the same order; ValueError otherwise.
    """
    if len(parts) != len(sizes) or not parts:
        raise ValueError("expected one size per part, and at least one part")
    first = parts[0]
    for part in parts[1:]:
        if list(part.values) != list(first.values) or list(part.random_columns) != list(first.random_columns) or list(part.actors) != list(first.actors):
            raise ValueError("expected parameters of the same structure (same keys, same random columns) in every part")

    def column(items: list[Any]) -> Any:
        if all(not isinstance(v, np.ndarray) for v in items) and all(v == items[0] for v in items):
            return items[0]
        return np.concatenate([v if isinstance(v, np.ndarray) else np.full(n, float(v)) for v, n in zip(items, sizes)])

    values = {k: column([p.values[k] for p in parts]) for k in first.values}
    actors = {a: ActorIssues(*(np.concatenate([getattr(p.actors[a], f.name) for p in parts]) for f in fields(ActorIssues))) for a in first.actors}
    random_columns = {k: np.concatenate([p.random_columns[k] for p in parts]) for k in first.random_columns}
    return DrawnParameters(values, actors, random_columns)


def _red_line_cost(
    profile: IssueProfile, kind: str | None, streams: Streams, n: int, values: dict[str, Any], random_columns: dict[str, np.ndarray], actor: str
) -> np.ndarray:
    """Audience cost of crossing one red line: the explicit override, else the cost of its statement's commitment."""
    if profile.red_line_cost is not None:
        return _draw_one(profile.red_line_cost.value, f"param.actors.{actor}.{profile.issue}.red_line_cost", streams, n, random_columns, COST)
    if kind is None:
        kind = "official"  # an explicit red line without a statement
    cost: np.ndarray = np.zeros(n) + values[f"negotiation.audience_costs.{kind}"]
    return cost


def _draw_value(value: Any, name: str, streams: Streams, random_columns: dict[str, np.ndarray], bounds: Bounds = UNIT) -> float | np.ndarray:
    """A fixed number as it is, or its draws (R,) from the stream `name` (kept among the random columns)."""
    if is_random(value):
        draw: np.ndarray = quantile(value, bounds, streams.uniform(name))
        random_columns[name.removeprefix("param.")] = draw
        return draw
    return float(value)


def _column(value: float | np.ndarray, n: int) -> np.ndarray:
    """A column over the replications (R,): an array as it is, a number repeated."""
    return value if isinstance(value, np.ndarray) else np.full(n, value)


def _draw_one(value: Any, name: str, streams: Streams, n: int, random_columns: dict[str, np.ndarray], bounds: Bounds = UNIT) -> np.ndarray:
    """`_draw_value` as a column (R,)."""
    return _column(_draw_value(value, name, streams, random_columns, bounds), n)


def _draw_issue(
    actor: str, issue: str, profile: IssueProfile, streams: Streams, n: int, random_columns: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One actor's position, salience and red lines (low, high) on one issue, each (R,)."""
    base = f"param.actors.{actor}.{issue}"
    # Red lines fixed by the scenario stay numbers until the end: the truncated normal's bounds are then computed once.
    low = _draw_value(profile.red_line_low.value, base + ".red_line_low", streams, random_columns)
    high = np.maximum(_draw_value(profile.red_line_high.value, base + ".red_line_high", streams, random_columns), low)
    value = profile.position.value
    u = streams.uniform(base + ".position")
    if isinstance(value, Normal):
        position = _truncated_normal(value.mean, value.sd, low, high, u)
    elif is_random(value):
        position = np.clip(quantile(value, UNIT, u), low, high)
    else:
        position = np.clip(np.full(n, float(value)), low, high)
    if is_random(value):
        random_columns[f"actors.{actor}.{issue}.position"] = position
    salience = _draw_one(profile.salience.value, base + ".salience", streams, n, random_columns)
    return position, salience, _column(low, n), _column(high, n)


def _truncated_normal(mean: float, sd: float, low: float | np.ndarray, high: float | np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw of a normal truncated to [low, high] (numbers, or elementwise bounds)."""
    a, b = ndtr((low - mean) / sd), ndtr((high - mean) / sd)
    x = mean + sd * ndtri(np.clip(a + u * (b - a), 1e-300, 1 - 1e-16))
    return np.clip(np.where(b - a > 1e-12, x, np.where(mean < low, low, np.where(mean > high, high, mean))), low, high)
