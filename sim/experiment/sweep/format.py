"""The sweep file format (TOML, validated like a scenario: one-line errors naming the file and the field), and
values written as `--set` text and for tables."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.analysis.paired import OUTCOME_NAMES
from sim.defaults import DEFAULT_CHUNK, DEFAULT_SEED
from sim.errors import InputError, did_you_mean, dotted
from sim.experiment.sweep.designs import DESIGNS, Design, DesignError, design_for
from sim.scenario.load import read_toml

DEFAULT_RUNS = 1000
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_PATH = r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_-]+)*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SweepParameter(_Strict):
    """One varied parameter: a dotted path into the scenario and the values or range it takes."""

    path: str = Field(pattern=_PATH, description="Dotted path of a scenario field, as for --set, e.g. actors.us.aid_restored.")
    values: list[Any] | None = Field(None, min_length=1, description="Grid designs: the values it takes (numbers, strings, booleans).")
    range: tuple[float, float] | None = Field(
        None, description="[low, high]: sampled by Latin hypercube, Sobol or Morris designs, or cut into `steps` grid values."
    )
    steps: int | None = Field(None, ge=2, le=1000, description="Grid designs with a range: number of equally spaced values, ends included.")
    label: str | None = Field(None, description="Name in tables and plots (default: the path).")


class SweepDesign(_Strict):
    """How variants are chosen."""

    kind: str = Field(description=f"The design: {', '.join(DESIGNS)} (sim.experiment.sweep.designs).")
    samples: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="latin_hypercube: number of variants; sobol: base sample N (variants N x (D + 2), a power of 2); "
        "morris: number of trajectories (variants N x (D + 1)).",
    )
    levels: int = Field(4, ge=2, le=100, description="morris: levels of the grid each parameter moves on.")
    second_order: bool = Field(False, description="sobol: also second-order indices (variants N x (2D + 2)).")
    outcome: str = Field("ceasefire_or_settlement", description=f"Outcome share analysed and plotted: one of {', '.join(OUTCOME_NAMES)}.")
    seed: int | None = Field(None, ge=0, le=2**32 - 1, description="Seed of the design's sampling (default: from the sweep's seed).")

    @field_validator("kind")
    @classmethod
    def _known_design(cls, kind: str) -> str:
        if kind not in DESIGNS:
            raise ValueError(f"expected one of {', '.join(DESIGNS)}, got {kind!r}" + did_you_mean(kind, DESIGNS, listing=None))
        return kind


class SweepSpec(_Strict):
    """A sweep file."""

    name: str | None = Field(None, pattern=_NAME, description="Short name for result folders (default: the file name).")
    title: str = ""
    description: str = ""
    base: str = Field(description="The base scenario file, relative to the sweep file.")
    set: list[str] = Field(default_factory=list, description="Overrides applied to every variant, as for --set: dotted.path=value.")
    runs: int = Field(DEFAULT_RUNS, ge=1, le=100_000_000, description="Replications per variant.")
    seed: int = Field(DEFAULT_SEED, ge=0, le=2**63 - 1)
    chunk_size: int = Field(DEFAULT_CHUNK, ge=1, le=1_000_000, description="Replications per chunk (results do not depend on it).")
    common_random_numbers: bool = Field(True, description="Replication r of every variant uses the same random streams.")
    design: SweepDesign
    parameters: list[SweepParameter] = Field(min_length=1)

    def make_design(self) -> Design:
        """The design this file asks for, over its parameters."""
        return design_for(self.design.kind, self.design, self.parameters)


# ---------------------------------------------------------------------- errors
def _validation_error(exc: ValidationError, file: str) -> InputError:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    if err["type"] == "extra_forbidden":
        choices = _fields_at(loc[:-1])
        message = f"unknown key {loc[-1]!r}" + did_you_mean(loc[-1], choices, listing="expected one of")
    elif err["type"] == "missing":
        message = "expected this field, which is missing"
    else:
        text = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        message = text if text.startswith("expected") else f"expected: {text[0].lower() + text[1:]}"
        if not isinstance(got, (dict, list)) and not text.startswith("expected"):
            message += f", got {got!r}"
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return InputError(file, dotted(loc) or None, message + more)


def _fields_at(loc: tuple[str | int, ...]) -> list[str]:
    model: type[BaseModel] = SweepSpec
    for part in loc:
        if isinstance(part, int):
            continue
        if part == "design":
            model = SweepDesign
        elif part == "parameters":
            model = SweepParameter
        else:
            return []
    return list(model.model_fields)


def read_sweep_file(path: Path) -> SweepSpec:
    """Read and validate a sweep file's format (not yet its scenario paths); one-line InputErrors."""
    path = Path(path)
    if path.is_dir():
        raise InputError(str(path), None, "expected a sweep file, got a folder")
    doc = read_toml(path, "sweep file")
    try:
        spec = SweepSpec.model_validate(doc)
    except ValidationError as exc:
        raise _validation_error(exc, str(path)) from None
    if spec.design.outcome not in OUTCOME_NAMES:
        raise InputError(
            str(path),
            "design.outcome",
            f"expected one of {', '.join(OUTCOME_NAMES)}, got {spec.design.outcome!r}" + did_you_mean(spec.design.outcome, OUTCOME_NAMES, listing=None),
        )
    seen: dict[str, int] = {}
    for i, p in enumerate(spec.parameters):
        where = f"parameters[{i}]"
        if p.path in seen:
            raise InputError(str(path), f"{where}.path", f"expected each path once, {p.path!r} is also parameters[{seen[p.path]}]")
        seen[p.path] = i
        if p.range is not None:
            lo, hi = p.range
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise InputError(str(path), f"{where}.range", f"expected [low, high] with low < high, got [{lo:g}, {hi:g}]")
    try:
        spec.make_design().check()
    except DesignError as exc:
        raise InputError(str(path), exc.where, exc.message) from None
    return spec


# ---------------------------------------------------------------------- values as --set text and in tables
def toml_literal(value: Any) -> str:
    """A value as the TOML text `--set` reads back to the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {value!r}")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    raise ValueError(f"cannot write {type(value).__name__} {value!r} as a TOML value")


def display_value(value: Any) -> str:
    """A value for tables and file names."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    if isinstance(value, dict):
        return toml_literal(value)
    return str(value)


__all__ = ["DEFAULT_RUNS", "SweepDesign", "SweepParameter", "SweepSpec", "display_value", "read_sweep_file", "toml_literal"]
