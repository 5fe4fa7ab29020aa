"""Numeric parameters declared once: bounds, unit, description, and optional distributions.

Any numeric field of a scenario may be a plain number or a distribution table, drawn once
per replication: `{dist = "beta", mean = 0.3, sd = 0.1}`, `{dist = "uniform", low, high}`,
`{dist = "triangular", low, mode, high}` or `{dist = "normal", mean, sd}` (truncated to the
field's bounds). A field is declared with `Annotated[Number, num(lo, hi, unit)]` and a description
in `Field`; the bounds, unit and description then reach the validation, the JSON Schema, `sim inspect` and the
hypothesis strategies from that one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal, TypeGuard

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler, TypeAdapter, ValidationError
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema
from scipy import stats


class StrictModel(BaseModel):
    """Base of every scenario table: unknown keys are errors, values are validated on assignment, and
    every float is finite (TOML's `inf` and `nan` are refused wherever a number goes)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class Beta(StrictModel):
    """Beta distribution given by its mean and standard deviation, scaled to the field's bounds."""

    dist: Literal["beta"]
    mean: float
    sd: float = Field(gt=0)


class Uniform(StrictModel):
    """Uniform distribution on [low, high]."""

    dist: Literal["uniform"]
    low: float
    high: float


class Triangular(StrictModel):
    """Triangular distribution on [low, high] with its mode."""

    dist: Literal["triangular"]
    low: float
    mode: float
    high: float


class Normal(StrictModel):
    """Normal distribution truncated to the field's bounds."""

    dist: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)


Distribution = Annotated[Beta | Uniform | Triangular | Normal, Field(discriminator="dist")]
_DIST_KINDS: dict[str, type[StrictModel]] = {"beta": Beta, "uniform": Uniform, "triangular": Triangular, "normal": Normal}


Number = float | Beta | Uniform | Triangular | Normal
"""What a numeric field holds once validated: a fixed number, or a distribution drawn per replication."""


@dataclass(frozen=True)
class Bounds:
    """Bounds and unit of a numeric field, kept in the field's metadata: `Annotated[Number, num(lo, hi, unit)]`.

    As metadata it is also the field's pydantic schema: a number or a distribution table (`_parse_number`),
    within the bounds (`_check_bounds`); in the JSON Schema, a bounded number or a `Distribution`."""

    lo: float
    hi: float
    unit: str
    integer: bool = False

    def __get_pydantic_core_schema__(self, _source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        # The declared type (Number) is what validation returns; any input reaches _parse_number, which says
        # what it expected.
        parsed = core_schema.no_info_before_validator_function(_parse_number, handler(Any))
        return core_schema.no_info_after_validator_function(_check_bounds(self), parsed)

    def __get_pydantic_json_schema__(self, _schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # The handler registers the Distribution definition (a bare "$ref" to an unknown
        # definition makes pydantic's schema generation fail).
        number = {"type": "number", "minimum": self.lo, "maximum": self.hi}
        return {"x-unit": self.unit, "anyOf": [number, handler(_distribution_core_schema())]}


def _parse_number(value: Any) -> Any:
    """Accept a number or a distribution table; anything else is a type error."""
    if isinstance(value, bool):
        raise ValueError(f'expected a number or a distribution table like {{dist = "beta", mean = 0.5, sd = 0.1}}, got {value!r}')
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:
            raise ValueError("expected a number, got an integer too large for a float") from None
    if isinstance(value, dict):
        kind = value.get("dist")
        if not isinstance(kind, str) or kind not in _DIST_KINDS:
            raise ValueError(f"expected dist to be one of {', '.join(_DIST_KINDS)}, got {kind!r}")
        try:
            return _DIST_KINDS[kind].model_validate(value)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(x) for x in err["loc"])
            raise ValueError(f"expected a valid {kind} distribution: {where}: {err['msg'][0].lower() + err['msg'][1:]}") from None
    if isinstance(value, (Beta, Uniform, Triangular, Normal)):
        return value
    raise ValueError(f"expected a number or a distribution table, got {type(value).__name__} {value!r}")


def _check_bounds(bounds: Bounds) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        lo, hi = bounds.lo, bounds.hi
        span = f"[{lo:g}, {hi:g}] {bounds.unit}"
        if isinstance(value, float):
            if not np.isfinite(value) or value < lo or value > hi:
                raise ValueError(f"expected a value in {span}, got {value:g}")
            if bounds.integer and value != int(value):
                raise ValueError(f"expected a whole number in {span}, got {value:g}")
            return value
        if isinstance(value, Beta):
            m, s = value.mean, value.sd
            if not lo < m < hi:
                raise ValueError(f"expected a beta mean strictly inside {span}, got {m:g}")
            if s * s >= (m - lo) * (hi - m):
                raise ValueError(f"expected a beta sd below {np.sqrt((m - lo) * (hi - m)):.4g} for mean {m:g} on {span}, got {s:g}")
            a, b = beta_shape(value, bounds)
            if not (np.isfinite(a) and np.isfinite(b) and 0 < a < _MAX_SHAPE and 0 < b < _MAX_SHAPE):
                raise ValueError(
                    f"expected a beta sd of at least {_min_beta_sd(value, bounds):.3g} on {span} (a smaller one is a fixed number: write {m:g}), got {s:g}"
                )
        elif isinstance(value, (Uniform, Triangular)):
            mode = value.mode if isinstance(value, Triangular) else value.low
            if not lo <= value.low <= mode <= value.high <= hi or value.low == value.high:
                raise ValueError(f"expected low <= mode <= high inside {span} with low < high")
        elif isinstance(value, Normal):
            if not lo <= value.mean <= hi:
                raise ValueError(f"expected a normal mean inside {span}, got {value.mean:g}")
            width = hi - lo
            if np.isfinite(width) and not (width * 1e-9 <= value.sd <= width * 1e6):
                raise ValueError(
                    f"expected a normal sd in [{width * 1e-9:.3g}, {width * 1e6:.3g}] on {span} (smaller is a fixed number, larger a uniform), got {value.sd:g}"
                )
        return value

    return check


@cache
def _distribution_core_schema() -> core_schema.CoreSchema:
    """The Distribution union as a named definition, so JSON Schemas refer to it as `#/$defs/Distribution`."""
    union = TypeAdapter(Distribution).core_schema
    return core_schema.definitions_schema(core_schema.definition_reference_schema("Distribution"), [{**union, "ref": "Distribution"}])


def num(lo: float, hi: float, unit: str, integer: bool = False) -> Bounds:
    """The metadata of a numeric field: `Annotated[Number, num(lo, hi, unit)]`, its description in `Field`."""
    return Bounds(float(lo), float(hi), unit, integer)


def field_bounds(model: type[BaseModel], name: str) -> Bounds | None:
    """The Bounds declared for field `name` of `model`, or None for non-numeric fields."""
    for meta in model.model_fields[name].metadata:
        if isinstance(meta, Bounds):
            return meta
    return None


def is_random(value: object) -> TypeGuard[Beta | Uniform | Triangular | Normal]:
    """Whether a numeric field holds a distribution rather than a fixed number."""
    return isinstance(value, (Beta, Uniform, Triangular, Normal))


def mean_of(value: Any, bounds: Bounds) -> float:
    """The mean of a number or distribution (before truncation for normals), for display."""
    if isinstance(value, float):
        return value
    if isinstance(value, (Beta, Normal)):
        return value.mean
    if isinstance(value, Uniform):
        return (value.low + value.high) / 2
    return float((value.low + value.mode + value.high) / 3)


_MAX_SHAPE = 1e12  # beta shape parameters beyond this make scipy's inversion lose all precision


def beta_shape(value: Beta, bounds: Bounds) -> tuple[float, float]:
    """The (a, b) shape parameters of a beta distribution given by mean and sd on the field's bounds."""
    lo, hi = bounds.lo, bounds.hi
    with np.errstate(all="ignore"):
        m = (value.mean - lo) / (hi - lo)
        s = value.sd / (hi - lo)
        k = m * (1 - m) / (s * s) - 1 if s * s > 0 else np.inf
        return float(m * k), float((1 - m) * k)


def _min_beta_sd(value: Beta, bounds: Bounds) -> float:
    lo, hi = bounds.lo, bounds.hi
    m = (value.mean - lo) / (hi - lo)
    return float((hi - lo) * np.sqrt(m * (1 - m) * max(m, 1 - m) / _MAX_SHAPE)) * 1.01


def quantile(value: Any, bounds: Bounds, u: np.ndarray) -> np.ndarray:
    """Transform uniforms `u` into draws of `value` by inversion (a number gives a constant)."""
    lo, hi = bounds.lo, bounds.hi
    if isinstance(value, float):
        out = np.full(u.shape, value)
    elif isinstance(value, Beta):
        a, b = beta_shape(value, bounds)
        out = lo + (hi - lo) * stats.beta.ppf(u, a, b)
    elif isinstance(value, Uniform):
        out = value.low + (value.high - value.low) * u
    elif isinstance(value, Triangular):
        a, c, b = value.low, value.mode, value.high
        f = (c - a) / (b - a)
        out = np.where(
            u < f,
            a + np.sqrt(u * (b - a) * (c - a)),
            b - np.sqrt((1 - u) * (b - a) * (b - c)),
        )
    else:
        a = (lo - value.mean) / value.sd
        b = (hi - value.mean) / value.sd
        out = stats.truncnorm.ppf(u, a, b, loc=value.mean, scale=value.sd)
    clipped: np.ndarray = np.clip(out, lo, hi)
    return np.round(clipped) if bounds.integer else clipped


def validate_number(value: Any, bounds: Bounds) -> Any:
    """A number or distribution table checked against `bounds` (ValueError naming what was expected)."""
    return _check_bounds(bounds)(_parse_number(value))
