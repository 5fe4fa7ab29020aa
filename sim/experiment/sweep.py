"""Scenario sweeps: a base scenario, parameters varied by dotted path, a design, replications per variant.

A sweep file (TOML) is validated like a scenario: one-line errors naming the file, the
field and what was expected. A variant is the base scenario with `--set`-style overrides
(`sim.scenario.load.apply_sets`), validated with the same errors, so anything `--set` can
change a sweep can vary, categorical fields (a rule variant, a yes/no) included.

Designs: a full factorial grid over value lists or ranges; a Latin hypercube over ranges
(scipy.stats.qmc); Sobol and Morris designs from SALib, analysed after the runs
(`sim.analysis.sensitivity`).

Common random numbers by default: every variant runs with the sweep's seed on replications
0 .. runs - 1, so replication r of every variant uses the same random streams and
differences between variants are effects, not noise. Without them each variant gets its
own seed, derived from (seed, variant index).

Results go to `<out>/<sweep>/<run id>/`, written as the sweep goes: `variants.parquet` and
an incomplete `manifest.json` first, then one file per finished chunk in `chunks/` (each
written atomically, listed in the manifest), and at the end `runs.parquet` (assembled from
the chunks in chunk order), `summary.parquet`, `sensitivity.parquet` (SALib designs),
plots, and the manifest marked complete. An interrupted sweep is resumed from its finished
chunks (`resume_sweep`), and the final files are the same bytes as an uninterrupted run's.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import platform
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from sim.experiment.batches import StoredPiece
from pydantic import BaseModel, ConfigDict, Field, ValidationError

import sim
from sim.analysis.aggregate import Aggregates
from sim.analysis.paired import OUTCOME_NAMES, OUTCOMES
from sim.analysis.intervals import wilson_interval
from sim.analysis.survival import week_quantiles
from sim.errors import InputError, dotted
from sim.experiment.chunks import DEFAULT_CHUNK, ChunkError, ChunkStore, ChunkTask, assemble_runs, plan_chunks, read_chunk_meta
from sim.experiment.batches import BATCH_REPLICATIONS
from sim.experiment.execute import run_batch_files_into_store
from sim.experiment.executors import ExecutorSpec, ExecutorUnavailable, default_workers, make_executor
from sim.experiment.sizes import Estimate
from sim.experiment.sizes import check as check_size
from sim.experiment.store import make_run_id, write_json_atomic, write_parquet_atomic
from sim.scenario.load import LoadedScenario, apply_sets, read_toml, resolve_document, scenario_hash, validate_document
from sim.scenario.params import Bounds, field_bounds
from sim.scenario.schema import Scenario, ScenarioPathError

DESIGNS = ("grid", "latin_hypercube", "sobol", "morris")
SALIB_DESIGNS = ("sobol", "morris")
DEFAULT_SEED = 20250311
DEFAULT_RUNS = 1000
MANIFEST = "manifest.json"
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_PATH = r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_-]+)*$"


# ---------------------------------------------------------------------- the file format
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SweepParameter(_Strict):
    """One varied parameter: a dotted path into the scenario and the values or range it takes."""

    path: str = Field(pattern=_PATH, description="Dotted path of a scenario field, as for --set, e.g. actors.us.aid_restored.")
    values: list[Any] | None = Field(None, min_length=1, description="Grid designs: the values it takes (numbers, strings, booleans).")
    range: tuple[float, float] | None = Field(None, description="[low, high]: sampled by Latin hypercube, Sobol or Morris designs, or cut into `steps` grid values.")
    steps: int | None = Field(None, ge=2, le=1000, description="Grid designs with a range: number of equally spaced values, ends included.")
    label: str | None = Field(None, description="Name in tables and plots (default: the path).")


class SweepDesign(_Strict):
    """How variants are chosen."""

    kind: Literal["grid", "latin_hypercube", "sobol", "morris"] = Field(description="grid, latin_hypercube, sobol or morris.")
    samples: int | None = Field(
        None, ge=1, le=100_000,
        description="latin_hypercube: number of variants; sobol: base sample N (variants N x (D + 2), a power of 2); "
        "morris: number of trajectories (variants N x (D + 1)).",
    )
    levels: int = Field(4, ge=2, le=100, description="morris: levels of the grid each parameter moves on.")
    second_order: bool = Field(False, description="sobol: also second-order indices (variants N x (2D + 2)).")
    outcome: str = Field("ceasefire_or_settlement", description=f"Outcome share analysed and plotted: one of {', '.join(OUTCOME_NAMES)}.")
    seed: int | None = Field(None, ge=0, le=2**32 - 1, description="Seed of the design's sampling (default: from the sweep's seed).")


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


# ---------------------------------------------------------------------- errors
def _validation_error(exc: ValidationError, file: str) -> InputError:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    if err["type"] == "extra_forbid" or err["type"] == "extra_forbidden":
        choices = _fields_at(loc[:-1])
        hint = get_close_matches(str(loc[-1]), choices, n=1)
        message = f"unknown key {loc[-1]!r}" + (f" (did you mean {hint[0]!r}?)" if hint else f" (expected one of: {', '.join(choices)})")
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


def _fields_at(loc: tuple) -> list[str]:
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
    kind = spec.design.kind
    if spec.design.outcome not in OUTCOME_NAMES:
        hint = get_close_matches(spec.design.outcome, OUTCOME_NAMES, n=1)
        raise InputError(str(path), "design.outcome", f"expected one of {', '.join(OUTCOME_NAMES)}, got {spec.design.outcome!r}"
                         + (f" (did you mean {hint[0]!r}?)" if hint else ""))
    if kind != "grid" and spec.design.samples is None:
        raise InputError(str(path), "design.samples", f"expected the number of samples of the {kind} design, which is missing")
    n = spec.design.samples
    if kind == "sobol" and n is not None and (n < 1 or n & (n - 1)):
        below = 1 << max(0, n.bit_length() - 1)
        raise InputError(str(path), "design.samples", f"expected a power of 2 for a sobol design (Saltelli sampling), got {n} "
                         f"(nearest: {below} or {below * 2})")
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
        if kind == "grid":
            if (p.values is None) == (p.range is None):
                raise InputError(str(path), where, "expected either values = [...] or range = [low, high] with steps in a grid design")
            if p.range is not None and p.steps is None:
                raise InputError(str(path), f"{where}.steps", "expected the number of grid values on the range, which is missing")
            if p.values is not None:
                for j, value in enumerate(p.values):
                    if isinstance(value, (list, dict)) and not (isinstance(value, dict) and "dist" in value):
                        raise InputError(str(path), f"{where}.values[{j}]", f"expected a number, string, boolean or distribution table, got {value!r}")
                    if isinstance(value, float) and not math.isfinite(value):
                        raise InputError(str(path), f"{where}.values[{j}]", f"expected a finite number, got {value!r}")
        else:
            if p.values is not None or p.range is None:
                raise InputError(str(path), where, f"expected range = [low, high] in a {kind} design (categorical values work in grid designs)")
            if p.steps is not None:
                raise InputError(str(path), f"{where}.steps", f"expected no steps in a {kind} design (steps cut a range into grid values)")
    if kind in SALIB_DESIGNS and len(spec.parameters) < 2:
        raise InputError(str(path), "parameters", f"expected at least two parameters for a {kind} sensitivity analysis")
    return spec


# ---------------------------------------------------------------------- values as --set text
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


# ---------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class ParameterInfo:
    """A varied parameter as the results show it."""

    path: str
    label: str
    kind: str  # "number", "bool" or "string"
    unit: str = ""
    bounds: Bounds | None = None
    integer: bool = False


@dataclass
class Variant:
    """One variant: its index, the values of the varied parameters, its seed, and what batches it.

    Its validated scenario is not kept (a sweep of 10,000 variants would hold 10,000
    scenarios): `scenario` rebuilds it from its batch group's representative, which differs
    from it only at the batchable paths (`SweepPlan.batchable`), whose values are in `batched`.
    """

    index: int
    values: dict[str, Any]
    sets: list[str]
    scenario_hash: str
    seed: int
    group: str = ""  # variants of the same group may share a batch (same structure and seed)
    batched: tuple = ()  # the validated values at the plan's batchable paths
    representative: Scenario | None = field(default=None, repr=False)
    batchable: tuple[str, ...] = ()

    @property
    def scenario(self) -> Scenario:
        from sim.experiment.batches import get_path, with_values

        rep = self.representative
        if not self.batchable or all(get_path(rep, p) is v for p, v in zip(self.batchable, self.batched)):
            return rep
        return with_values(rep, self.batchable, self.batched)


@dataclass
class SweepPlan:
    """Everything needed to run (or resume) a sweep, derived deterministically from the file and the options."""

    spec: SweepSpec
    file: Path
    name: str
    base: LoadedScenario
    parameters: list[ParameterInfo]
    variants: list[Variant]
    runs: int
    seed: int
    chunk_size: int
    crn: bool
    weeks: int | None
    design_matrix: np.ndarray | None = None  # SALib designs: the sampled points, one row per variant
    problem: dict | None = None  # SALib problem definition
    batchable: tuple[str, ...] = ()  # varied numeric paths that variants of one batch may differ in

    @property
    def chunks(self) -> list:
        return plan_chunks(self.runs, self.chunk_size)

    @property
    def rules_base(self) -> str:
        return str(Path(self.base.path).resolve().parent)

    def tasks(self) -> list[ChunkTask]:
        """Every chunk of every variant, in (variant, chunk) order (names and identities; the batches carry the scenarios)."""
        base = self.rules_base
        return [ChunkTask(v.index, c, None, v.seed, v.scenario_hash, base) for v in self.variants for c in self.chunks]

    def batches(self, todo: set[str] | None = None, limit: int | None = None):
        """The chunks to compute (all, or those named in `todo`) as batches, in chunk order, lazily.

        Consecutive chunks of variants of the same group share a batch of at most `limit`
        replications (default: `BATCH_REPLICATIONS`, or the chunk size when larger). The
        files do not depend on `limit` (sim.experiment.batches).
        """
        from sim.experiment.batches import BATCH_REPLICATIONS, BatchTask, Piece, make_batches

        limit = limit or max(BATCH_REPLICATIONS, self.chunk_size)
        chunks = self.chunks
        by_index = {v.index: v for v in self.variants}

        def pieces():
            for v in self.variants:
                for c in chunks:
                    piece = Piece(v.index, c, v.scenario_hash, v.batched)
                    if todo is None or ChunkTask(v.index, c, None, v.seed, v.scenario_hash).name in todo:
                        yield v.group, piece

        def make(group, group_pieces):
            first = by_index[group_pieces[0].variant]
            return BatchTask(first.scenario, first.seed, group_pieces, self.batchable, self.rules_base)

        return make_batches(pieces(), make, limit)

    @property
    def options(self) -> dict:
        """The options a resume must repeat."""
        return {"runs": self.runs, "seed": self.seed, "chunk_size": self.chunk_size, "crn": self.crn, "weeks": self.weeks}

    @property
    def hash(self) -> str:
        """SHA-256 of what determines the results: variants' scenarios and seeds, replications, chunking."""
        text = json.dumps(
            {
                "options": self.options,
                "variants": [[v.scenario_hash, v.seed] for v in self.variants],
                "parameters": [p.path for p in self.parameters],
                "values": [[_jsonable(v.values[p.path]) for p in self.parameters] for v in self.variants],
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(text.encode()).hexdigest()

def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.floating, float)):
        return float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    return value


def variant_seed(seed: int, variant: int) -> int:
    """A variant's own seed when common random numbers are off: a hash of (seed, variant index)."""
    digest = hashlib.blake2b(f"sweep-variant:{int(seed)}:{int(variant)}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1  # within 0 .. 2**63 - 1


def design_seed(spec: SweepSpec, seed: int) -> int:
    """The seed of the design's sampling: the design's own, else derived from the sweep's seed."""
    if spec.design.seed is not None:
        return spec.design.seed
    digest = hashlib.blake2b(f"sweep-design:{int(seed)}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "little")


def _field_bounds(scenario: Scenario, path: str) -> Bounds | None:
    """The declared bounds of the numeric field at a dotted path (None when it has none)."""
    node: Any = scenario
    parts = path.split(".")
    for part in parts[:-1]:
        if isinstance(node, BaseModel):
            node = getattr(node, part, None)
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    if isinstance(node, BaseModel) and parts[-1] in type(node).model_fields:
        return field_bounds(type(node), parts[-1])
    return None


def _parameter_info(p: SweepParameter, scenario: Scenario) -> ParameterInfo:
    bounds = _field_bounds(scenario, p.path)
    if p.values is not None:
        if all(isinstance(v, bool) for v in p.values):
            kind = "bool"
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in p.values):
            kind = "number"
        else:
            kind = "string"
    else:
        kind = "number"
    return ParameterInfo(p.path, p.label or p.path, kind, bounds.unit if bounds else "", bounds, bool(bounds and bounds.integer))


def _column_value(info: ParameterInfo, value: Any) -> Any:
    if info.kind == "number":
        return float(value)
    if info.kind == "bool":
        return bool(value)
    return value if isinstance(value, str) else toml_literal(value)


def _design_points(spec: SweepSpec, params: list[ParameterInfo], seed: int) -> tuple[list[list[Any]], np.ndarray | None, dict | None]:
    """The variants' parameter values, and for SALib designs the sample matrix and problem."""
    kind = spec.design.kind
    if kind == "grid":
        axes = []
        for p, info in zip(spec.parameters, params):
            if p.values is not None:
                axes.append(list(p.values))
            else:
                points = np.linspace(p.range[0], p.range[1], p.steps)
                axes.append([_round(info, x) for x in points])
        return [list(point) for point in itertools.product(*axes)], None, None
    ranges = np.array([p.range for p in spec.parameters], dtype=float)
    dseed = design_seed(spec, seed)
    if kind == "latin_hypercube":
        from scipy.stats import qmc

        try:
            sampler = qmc.LatinHypercube(d=len(params), rng=np.random.default_rng(dseed))
        except TypeError:  # scipy < 1.15 names it `seed`
            sampler = qmc.LatinHypercube(d=len(params), seed=np.random.default_rng(dseed))
        unit = sampler.random(spec.design.samples)
        matrix = qmc.scale(unit, ranges[:, 0], ranges[:, 1])
        problem = None
    else:
        from sim.analysis.sensitivity import salib_problem, salib_sample

        problem = salib_problem([i.path for i in params], ranges)
        matrix = salib_sample(kind, problem, spec.design.samples, seed=dseed, levels=spec.design.levels,
                              second_order=spec.design.second_order)
    points = [[_round(info, x) for info, x in zip(params, row)] for row in matrix]
    return points, (matrix if kind in SALIB_DESIGNS else None), problem


def _design_count(spec: SweepSpec) -> int:
    """How many variants a design has, from its counts alone."""
    from sim.analysis.sensitivity import design_size
    from sim.experiment.sizes import grid_size

    if spec.design.kind == "grid":
        return grid_size([len(p.values) if p.values is not None else p.steps for p in spec.parameters])
    return design_size(spec.design.kind, spec.design.samples, len(spec.parameters), spec.design.second_order)


def _round(info: ParameterInfo, x: float) -> float:
    return float(round(float(x))) if info.integer else float(x)


def _locate(error_path: str | None, spec: SweepSpec) -> int | None:
    """Which varied parameter an error's field path belongs to."""
    if not error_path:
        return None
    for i, p in enumerate(spec.parameters):
        if error_path == p.path or error_path.startswith(p.path + ".") or error_path.startswith(p.path + "[") or p.path.startswith(error_path + "."):
            return i
    return None


def _validate(doc: dict, sets: list[str], source: str, rules_base: Path, profiles: list | None = None) -> Scenario:
    """A variant document with its overrides, validated like a scenario with `--set` (InputError on failure).

    The derived issue profiles are appended to `profiles` when it is given.
    """
    from sim.model.rulebook import check_rules
    from sim.scenario.derive import derive

    doc, set_paths = apply_sets(doc, sets)
    scenario = validate_document(doc, source, set_paths)
    try:
        derived = derive(scenario)
        check_rules(scenario, rules_base)
    except ScenarioPathError as exc:
        raise InputError("--set", dotted(exc.path), exc.message) from None
    if profiles is not None:
        profiles.append(derived)
    return scenario


def batchable_paths(spec: SweepSpec, base: Scenario) -> tuple[str, ...]:
    """The varied paths variants of one batch may differ in: numeric model parameters (keys of DrawnParameters.values).

    The horizon is not one (it sets the length of every array); rule parameters, statements,
    overrides and categorical fields are not numeric parameters and split batches instead.
    """
    from sim.model.parameters import field_bounds_by_key

    numeric = field_bounds_by_key(base)
    return tuple(p.path for p in spec.parameters if p.path in numeric and p.path != "horizon_weeks")


def _group(scenario: Scenario, dump: dict, batchable: tuple[str, ...], profiles, base_profiles, seed: int) -> tuple[str, tuple]:
    """A variant's batch group (a digest of everything but its values at the batchable paths) and those values."""
    from sim.experiment.batches import get_path

    values = tuple(get_path(scenario, p) for p in batchable)
    masked = dump  # blanked in place: the caller is done with it
    for path in batchable:
        *parents, last = path.split(".")
        node = masked
        for part in parents:
            node = node[part]
        node[last] = type(node[last]).__name__  # a number and a distribution table never share a batch
    text = json.dumps({"scenario": masked, "seed": seed, "profiles": "base" if profiles == base_profiles else repr(profiles)},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest(), values


@dataclass
class _PlanContext:
    """What validating one variant needs (sent once to each planning process)."""

    spec: SweepSpec
    params: list[ParameterInfo]
    base_doc: dict
    fixed: list[str]
    base_source: str
    rules_base: Path
    batchable: tuple[str, ...]
    base_profiles: Any
    seed: int
    crn: bool


def _plan_one(context: _PlanContext, index: int, point: list, with_scenario: bool):
    """One variant validated: (sets, scenario hash, seed, group, batched values, scenario or None), or ("error", path, message)."""
    values = {info.path: value for info, value in zip(context.params, point)}
    sets = [f"{path}={toml_literal(value)}" for path, value in values.items()]
    derived: list = []
    try:
        scenario = _validate(context.base_doc, context.fixed + sets, context.base_source, context.rules_base, derived)
    except InputError as exc:
        return ("error", exc.path, exc.message)
    seed_v = context.seed if context.crn else variant_seed(context.seed, index)
    dump = scenario.model_dump(mode="json")
    digest = hashlib.sha256(json.dumps(dump, sort_keys=True, separators=(",", ":")).encode()).hexdigest()  # = scenario_hash
    group, batched = _group(scenario, dump, context.batchable, derived[0], context.base_profiles, seed_v)
    return sets, digest, seed_v, group, batched, (scenario if with_scenario else None)


_PLANNING: _PlanContext | None = None  # in a planning process: the context it validates variants in
#: Variants from which planning is spread over the cores (below, a pool costs more than it saves).
PARALLEL_PLANNING = 2000
_PLAN_SLICE = 250


def _plan_init(context: _PlanContext) -> None:
    global _PLANNING
    _PLANNING = context


def _plan_slice(job: tuple[int, list]) -> list:
    """Validate a slice of consecutive variants in a planning process; each group's first one comes with its scenario."""
    start, points = job
    seen: set[str] = set()
    out = []
    for offset, point in enumerate(points):
        planned = _plan_one(_PLANNING, start + offset, point, with_scenario=False)
        if not (planned and planned[0] == "error") and planned[3] not in seen:
            seen.add(planned[3])
            planned = _plan_one(_PLANNING, start + offset, point, with_scenario=True)
        out.append(planned)
        if planned and planned[0] == "error":
            break  # the first error is the one reported
    return out


def _plan_points(context: _PlanContext, points: list):
    """Yield (index, point, planned) in index order: in this process, or spread over the cores for large designs."""
    from sim.experiment.executors import pool_context, usable_cores

    workers = min(usable_cores(), 8)
    if len(points) < PARALLEL_PLANNING or workers < 2:
        for index, point in enumerate(points):  # in this process the scenario costs nothing to hand over
            yield index, point, _plan_one(context, index, point, with_scenario=True)
        return
    from concurrent.futures import ProcessPoolExecutor

    jobs = [(start, points[start:start + _PLAN_SLICE]) for start in range(0, len(points), _PLAN_SLICE)]
    with ProcessPoolExecutor(workers, mp_context=pool_context(), initializer=_plan_init, initargs=(context,)) as pool:
        for (start, chunk), results in zip(jobs, pool.map(_plan_slice, jobs)):
            for offset, planned in enumerate(results):
                yield start + offset, chunk[offset], planned
                if planned and planned[0] == "error":
                    return


def plan_sweep(
    file: Path,
    runs: int | None = None,
    seed: int | None = None,
    chunk_size: int | None = None,
    crn: bool | None = None,
    weeks: int | None = None,
) -> SweepPlan:
    """Read a sweep file and build its variants, validating each; options given here override the file's.

    Errors are one-line InputErrors naming the sweep file and the field (`parameters[1].values[2]`),
    or the base scenario file and its field.
    """
    file = Path(file)
    spec = read_sweep_file(file)
    source = str(file)
    base_path = (file.parent / spec.base)
    try:
        found = base_path.is_file()
    except (OSError, ValueError):
        found = False
    if not found:
        raise InputError(source, "base", f"expected an existing scenario file, {spec.base!r} not found (relative to the sweep file)")
    base_doc, chain = resolve_document(base_path)
    if "name" not in base_doc:
        base_doc["name"] = base_path.stem
    fixed = list(spec.set) + ([f"horizon_weeks={int(weeks)}"] if weeks is not None else [])
    rules_base = base_path.parent
    # The base with the fixed overrides: its own errors name the base file, the overrides' name `set`.
    try:
        base_scenario = _validate(base_doc, fixed, str(base_path), rules_base)
    except InputError as exc:
        if exc.file == "--set":
            where = "--weeks" if exc.path == "horizon_weeks" and weeks is not None else "set"
            raise InputError(source if where == "set" else where, f"{where}: {exc.path}" if where == "set" else None, exc.message) from None
        raise
    base = LoadedScenario(base_scenario, base_path, base_doc, chain)
    params = [_parameter_info(p, base_scenario) for p in spec.parameters]

    # Check each parameter alone at each of its values (or range ends), so an error names the entry.
    for i, p in enumerate(spec.parameters):
        checks = [(f"values[{j}]", v) for j, v in enumerate(p.values)] if p.values is not None else [("range", p.range[0]), ("range", p.range[1])]
        for where, value in checks:
            try:
                _validate(base_doc, fixed + [f"{p.path}={toml_literal(value)}"], str(base_path), rules_base)
            except InputError as exc:
                raise InputError(source, f"parameters[{i}].{where}", f"{p.path} = {display_value(value)}: "
                                 + (exc.message if exc.file == "--set" else f"{exc.path}: {exc.message}")) from None

    run_seed = spec.seed if seed is None else int(seed)
    use_crn = spec.common_random_numbers if crn is None else bool(crn)
    # The size from the counts alone, before any variant is built (a grid of 1,000 x 1,000 x 1,000 is not).
    count = _design_count(spec)
    plan_runs = spec.runs if runs is None else int(runs)
    plan_chunk = spec.chunk_size if chunk_size is None else int(chunk_size)
    check_size(Estimate(count * plan_runs, base_scenario.horizon_weeks, count * len(plan_chunks(plan_runs, plan_chunk)),
                        default_workers(), count), source)
    points, matrix, problem = _design_points(spec, params, run_seed)
    from sim.scenario.derive import derive

    batchable = batchable_paths(spec, base_scenario)
    base_profiles = derive(base_scenario)
    context = _PlanContext(spec, params, base_doc, fixed, str(base_path), rules_base, batchable, base_profiles,
                           run_seed, use_crn)
    representatives: dict[str, Scenario] = {}
    variants = []
    for index, point, planned in _plan_points(context, points):
        values = {info.path: value for info, value in zip(params, point)}
        if isinstance(planned, tuple) and planned and planned[0] == "error":
            _, path, message = planned
            i = _locate(path, spec)
            where = f"parameters[{i}]" if i is not None else "parameters"
            described = ", ".join(f"{k} = {display_value(v)}" for k, v in values.items())
            raise InputError(source, where, f"variant {index} ({described}): {path}: {message}") from None
        sets, digest, seed_v, group, batched, scenario = planned
        representative = representatives.setdefault(group, scenario) if scenario is not None else representatives[group]
        variants.append(Variant(index, values, sets, digest, seed_v, group, batched, representative, batchable))
    return SweepPlan(
        spec=spec,
        file=file.resolve(),
        name=spec.name or file.stem,
        base=base,
        parameters=params,
        variants=variants,
        runs=spec.runs if runs is None else int(runs),
        seed=run_seed,
        chunk_size=spec.chunk_size if chunk_size is None else int(chunk_size),
        crn=use_crn,
        weeks=weeks,
        design_matrix=matrix,
        problem=problem,
        batchable=batchable,
    )


# ---------------------------------------------------------------------- tables
def variants_table(plan: SweepPlan) -> pa.Table:
    """One row per variant: its index, seed, scenario hash and parameter values (typed), and its --set lines."""
    columns: dict[str, pa.Array] = {
        "variant": pa.array([v.index for v in plan.variants], type=pa.int32()),
        "seed": pa.array([v.seed for v in plan.variants], type=pa.int64()),
    }
    for info in plan.parameters:
        columns[info.path] = _parameter_column(info, [v.values[info.path] for v in plan.variants])
    columns["scenario_hash"] = pa.array([v.scenario_hash for v in plan.variants], type=pa.string())
    columns["overrides"] = pa.array(["; ".join(v.sets) for v in plan.variants], type=pa.string())
    return pa.table(columns)


def _parameter_column(info: ParameterInfo, values: list[Any]) -> pa.Array:
    kind = {"number": pa.float64(), "bool": pa.bool_(), "string": pa.string()}[info.kind]
    return pa.array([_column_value(info, v) for v in values], type=kind)


SHARE_OUTCOMES = OUTCOME_NAMES
SUMMARY_FIELDS = ("n", "status_counts", "first_agreement_counts", "first_agreement_week_hist",
                  "with_agreement", "with_breakdown", "agreement_and_breakdown", "total_breakdowns")


def summary_rows(totals: dict[str, np.ndarray], confidence: float = 0.95) -> list[dict[str, Any]]:
    """`summary_row` for every variant at once, from their summary aggregates stacked (one row per variant).

    The same numbers as `summary_row` bit for bit (the same elementwise formulas, vectorised over variants).
    """
    from types import SimpleNamespace

    count = len(totals["n"])
    aggs = [SimpleNamespace(**{f: totals[f][i] for f in SUMMARY_FIELDS}) for i in range(count)]
    n = np.array([int(a.n) for a in aggs], dtype=np.int64)
    rows: list[dict[str, Any]] = [{"n": int(x)} for x in n]
    for o in OUTCOMES:
        counts = np.array([o.count(a) for a in aggs], dtype=np.int64)
        low, high = wilson_interval(counts, n, confidence)
        for i, row in enumerate(rows):
            row[f"{o.name}_share"] = int(counts[i]) / int(n[i]) if n[i] else float("nan")
            row[f"{o.name}_low"] = float(low[i])
            row[f"{o.name}_high"] = float(high[i])
    agreed = np.array([int(a.with_agreement) for a in aggs], dtype=np.int64)
    broke = np.array([int(a.agreement_and_breakdown) for a in aggs], dtype=np.int64)
    low, high = wilson_interval(broke, agreed, confidence)
    for i, (row, a) in enumerate(zip(rows, aggs)):
        q25, median, q75 = week_quantiles(a.first_agreement_week_hist, (0.25, 0.5, 0.75))
        row["weeks_reached"] = int(a.first_agreement_week_hist.sum())
        row["weeks_median"] = median
        row["weeks_q25"] = q25
        row["weeks_q75"] = q75
        row["breakdown_share"] = int(broke[i]) / int(agreed[i]) if agreed[i] else float("nan")
        row["breakdown_low"] = float(low[i])
        row["breakdown_high"] = float(high[i])
        row["mean_breakdowns"] = int(a.total_breakdowns) / int(n[i]) if n[i] else float("nan")
    return rows


def summary_row(agg: Aggregates, confidence: float = 0.95) -> dict[str, Any]:
    """A variant's outcome shares with Wilson intervals, weeks to first agreement and breakdown share."""
    row: dict[str, Any] = {"n": agg.n}
    for o in OUTCOMES:
        count = o.count(agg)
        low, high = wilson_interval(count, agg.n, confidence)
        row[f"{o.name}_share"] = count / agg.n if agg.n else float("nan")
        row[f"{o.name}_low"] = float(low)
        row[f"{o.name}_high"] = float(high)
    q25, median, q75 = week_quantiles(agg.first_agreement_week_hist, (0.25, 0.5, 0.75))
    row["weeks_reached"] = int(agg.first_agreement_week_hist.sum())
    row["weeks_median"] = median
    row["weeks_q25"] = q25
    row["weeks_q75"] = q75
    low, high = wilson_interval(agg.agreement_and_breakdown, agg.with_agreement, confidence)
    row["breakdown_share"] = agg.agreement_and_breakdown / agg.with_agreement if agg.with_agreement else float("nan")
    row["breakdown_low"] = float(low)
    row["breakdown_high"] = float(high)
    row["mean_breakdowns"] = agg.total_breakdowns / agg.n if agg.n else float("nan")
    return row


def summary_table(plan: SweepPlan, rows: list[dict[str, Any]]) -> pa.Table:
    """summary.parquet: one row per variant, its parameter values then its outcomes."""
    columns: dict[str, pa.Array] = {"variant": pa.array([v.index for v in plan.variants], type=pa.int32())}
    for info in plan.parameters:
        columns[info.path] = _parameter_column(info, [v.values[info.path] for v in plan.variants])
    keys = list(rows[0])
    for key in keys:
        values = [r[key] for r in rows]
        if key in ("n", "weeks_reached"):
            columns[key] = pa.array(values, type=pa.int64())
        elif key.startswith("weeks_"):
            columns[key] = pa.array(values, type=pa.int32())  # None (no agreement) is null
        else:
            columns[key] = pa.array(values, type=pa.float64())
    return pa.table(columns)


# ---------------------------------------------------------------------- running
@dataclass
class SweepOutcome:
    """What a sweep (or a resumed one) ended with."""

    path: Path
    complete: bool
    failures: list[tuple[ChunkTask, ChunkError]] = field(default_factory=list)
    chunks_done: int = 0
    chunks_total: int = 0
    seconds: float = 0.0
    summary: pa.Table | None = None
    sensitivity: pa.Table | None = None


class SweepProgress:
    """What a sweep's progress bar shows: variants and replications done (a variant is done when all its chunks are).

    Memory: one small counter per variant with chunks still running.
    """

    def __init__(self, plan: SweepPlan):
        self.variants = len(plan.variants)
        self.per_variant = len(plan.chunks)
        self.runs = plan.runs
        self.total_replications = self.variants * plan.runs
        self.replications_done = 0
        self.variants_done = 0
        self._partial: dict[int, int] = {}

    def start(self, chunks_done: int) -> None:
        """Chunks already on disk (a resume): counted as done, in replications roughly, variants by whole ones."""
        self.variants_done = chunks_done // self.per_variant if self.per_variant else 0
        self.replications_done = min(self.total_replications, chunks_done * self.runs // max(1, self.per_variant))

    def chunk(self, task: ChunkTask) -> None:
        self.replications_done += task.chunk.size
        count = self._partial.get(task.variant, 0) + 1
        if count >= self.per_variant:
            self._partial.pop(task.variant, None)
            self.variants_done += 1
        else:
            self._partial[task.variant] = count

    def variants_text(self) -> str:
        return f"{self.variants_done:,}/{self.variants:,}"


class SweepInterrupted(Exception):
    """The sweep was interrupted (Ctrl-C); finished chunks are on disk and the manifest says incomplete."""

    def __init__(self, path: Path, done: int, total: int):
        self.path, self.done, self.total = path, done, total
        super().__init__(f"interrupted: {done} of {total} chunks complete in {path}")


def new_sweep_dir(out: Path, name: str, seed: int) -> Path:
    """Create `<out>/<name>/<run id>/` (suffixed -2, -3, ... when taken); results are written into it as they come."""
    parent = Path(out) / name
    parent.mkdir(parents=True, exist_ok=True)
    stem = make_run_id(seed)
    suffix = 1
    while True:
        path = parent / (stem if suffix == 1 else f"{stem}-{suffix}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            suffix += 1


def describe_task(plan: SweepPlan, task: ChunkTask) -> str:
    values = ", ".join(f"{k} = {display_value(v)}" for k, v in plan.variants[task.variant].values.items())
    return f"variant {task.variant} ({values}), chunk {task.chunk.index} (replications {task.chunk.start}-{task.chunk.stop - 1})"


class _Manifest:
    """The manifest of a sweep in progress, rewritten atomically whenever a chunk completes."""

    def __init__(self, path: Path, data: dict):
        self.path = path
        self.data = data

    def save(self) -> None:
        write_json_atomic(self.path / MANIFEST, self.data)


def _manifest_data(plan: SweepPlan, run_dir: Path, spec: ExecutorSpec, command: list[str] | None) -> dict:
    return {
        "kind": "sweep",
        "status": "incomplete",
        "sweep": plan.name,
        "title": plan.spec.title,
        "sweep_file": str(plan.file),
        "sweep_hash": plan.hash,
        "sweep_spec": plan.spec.model_dump(mode="json"),
        "base_scenario": {
            "file": str(Path(plan.base.path).resolve()),
            "name": plan.base.scenario.name,
            "hash": scenario_hash(plan.base.scenario),
        },
        "design": plan.spec.design.kind,
        "parameters": [p.path for p in plan.parameters],
        "variants": len(plan.variants),
        "options": plan.options,
        "runs": plan.runs,
        "seed": plan.seed,
        "common_random_numbers": plan.crn,
        "weeks": plan.variants[0].scenario.horizon_weeks,
        "chunk_size": plan.chunk_size,
        "chunks": {"planned": len(plan.variants) * len(plan.chunks), "complete": []},
        "failed": [],
        "executor": spec.describe(),
        "package_version": sim.__version__,
        "python": platform.python_version(),
        "command": command if command is not None else sys.argv,
        "run_id": run_dir.name,
        "resume": f"sim sweep {plan.file} --resume {run_dir}",
        "times": {"started": datetime.now(timezone.utc).isoformat(), "finished": None, "seconds": 0.0, "sessions": []},
    }


def start_sweep(plan: SweepPlan, out: Path, executor: ExecutorSpec | None = None, command: list[str] | None = None,
                on_chunk: Callable | None = None, on_start: Callable | None = None,
                batch_replications: int | None = None) -> SweepOutcome:
    """Run a sweep from scratch into a new `<out>/<sweep>/<run id>/`.

    `batch_replications` bounds the replications one model computes at once (default:
    `sim.experiment.batches.BATCH_REPLICATIONS`, or the chunk size when larger); the files do not depend on it.
    """
    spec = executor or ExecutorSpec()
    check_size(Estimate(len(plan.variants) * plan.runs, plan.variants[0].scenario.horizon_weeks,
                        len(plan.variants) * len(plan.chunks), spec.workers or default_workers(), len(plan.variants)),
               str(plan.file), Path(out))
    created = [p for p in (Path(out) / plan.name, Path(out)) if not p.exists()]
    run_dir = new_sweep_dir(out, plan.name, plan.seed)
    manifest = _Manifest(run_dir, _manifest_data(plan, run_dir, spec, command))
    manifest.save()
    write_parquet_atomic(run_dir / "variants.parquet", variants_table(plan))
    try:
        return _execute(plan, manifest, spec, command, on_chunk, on_start, batch_replications)
    except ExecutorUnavailable:
        # The executor never started (an unreachable or foreign scheduler): nothing was computed, leave nothing behind.
        import shutil

        shutil.rmtree(run_dir, ignore_errors=True)
        for folder in created:  # the folders this call made, when still empty
            try:
                folder.rmdir()
            except OSError:
                pass
        raise


def read_manifest(run_dir: Path) -> dict:
    """A sweep result folder's manifest; InputError when the folder is not one."""
    run_dir = Path(run_dir)
    from sim.input_files import read_input_text

    if not (run_dir / MANIFEST).exists():
        raise InputError("--resume", str(run_dir), "expected a sweep result folder holding manifest.json")
    try:
        data = json.loads(read_input_text(run_dir / MANIFEST, "manifest (JSON)"))
    except ValueError as exc:
        raise InputError("--resume", str(run_dir), f"expected a readable manifest.json: {exc}") from None
    if not isinstance(data, dict) or data.get("kind") != "sweep":
        raise InputError("--resume", str(run_dir), "expected a sweep result folder (its manifest is not a sweep's)")
    return data


def plan_for_resume(run_dir: Path, file: Path | None = None, **given) -> tuple[SweepPlan, dict]:
    """Rebuild the plan of an interrupted sweep from its manifest's options (and check the sweep file is unchanged).

    Options in `given` that are not None must equal the ones the sweep was started with.
    """
    data = read_manifest(run_dir)
    options = dict(data["options"])
    for key, value in given.items():
        if value is not None and value != options.get(key):
            flag = {"crn": "--crn/--no-crn", "chunk_size": "--chunk-size"}.get(key, f"--{key}")
            raise InputError(flag, None, f"expected {options.get(key)!r} as when the sweep started (or leave it out to resume), got {value!r}")
    file = Path(file) if file is not None else Path(data["sweep_file"])
    plan = plan_sweep(file, runs=options["runs"], seed=options["seed"], chunk_size=options["chunk_size"],
                      crn=options["crn"], weeks=options["weeks"])
    if plan.hash != data["sweep_hash"]:
        raise InputError(str(file), None, f"expected the sweep that {run_dir} was started with: the sweep file or its base "
                         "scenario has changed since (the variants differ); restore it, or start a new sweep")
    return plan, data


def resume_sweep(run_dir: Path, file: Path | None = None, executor: ExecutorSpec | None = None, command: list[str] | None = None,
                 on_chunk: Callable | None = None, on_start: Callable | None = None,
                 planned: tuple[SweepPlan, dict] | None = None, batch_replications: int | None = None, **given) -> SweepOutcome:
    """Finish an interrupted (or partly failed) sweep in `run_dir`: only the chunks not on disk are computed.

    `planned` is what `plan_for_resume` returned, when the caller already has it.
    """
    run_dir = Path(run_dir)
    plan, data = planned if planned is not None else plan_for_resume(run_dir, file, **given)
    spec = executor or ExecutorSpec()
    manifest = _Manifest(run_dir, data)
    if data.get("status") == "complete":
        return SweepOutcome(run_dir, True, chunks_done=data["chunks"]["planned"], chunks_total=data["chunks"]["planned"])
    data["executor"] = spec.describe()
    if not (run_dir / "variants.parquet").exists():
        write_parquet_atomic(run_dir / "variants.parquet", variants_table(plan))
    return _execute(plan, manifest, spec, command, on_chunk, on_start, batch_replications)


def _finished_chunks(store: ChunkStore, tasks: list[ChunkTask]) -> dict[str, StoredPiece]:
    """Chunks on disk that are what the plan asks for (identity checked from each file's footer): name -> where."""
    from sim.experiment.batches import read_file_pieces

    by_name = {t.name: t for t in tasks}
    done = {}
    for name in sorted(store.finished()):
        try:
            pieces, _ = read_file_pieces(store.path(name))
        except Exception:  # unreadable: its chunks will be computed again and the file replaced
            continue
        for piece in pieces:
            identity = piece.identity
            task = by_name.get(identity.get("name"))
            if task is None or identity["name"] in done:
                continue
            if (identity.get("seed"), identity.get("scenario_hash"), identity.get("start"), identity.get("stop")) == (
                task.seed, task.scenario_hash, task.chunk.start, task.chunk.stop
            ):
                done[task.name] = piece
    return done


def _execute(plan: SweepPlan, manifest: _Manifest, spec: ExecutorSpec, command, on_chunk, on_start,
             batch_replications: int | None = None) -> SweepOutcome:
    run_dir = manifest.path
    data = manifest.data
    t0 = time.perf_counter()
    session = {"started": datetime.now(timezone.utc).isoformat(), "command": command if command is not None else sys.argv,
               "executor": spec.describe()}
    data["times"]["sessions"].append(session)
    store = ChunkStore(run_dir / "chunks").create()
    store.clean_partial()
    tasks = plan.tasks()
    done = set(_finished_chunks(store, tasks))
    data["chunks"]["complete"] = sorted(done)
    data["failed"] = []
    manifest.save()
    from sim.experiment.run import _Warmup

    warm = _Warmup("sim.report.sweep_plots")
    todo = {t.name for t in tasks if t.name not in done}
    if on_start is not None:
        on_start(len(tasks), len(done))

    def record(task: ChunkTask, result) -> None:
        if isinstance(result, ChunkError):
            data["failed"].append({"chunk": task.name, "variant": task.variant, "chunk_index": task.chunk.index,
                                   "error": result.message})
        else:
            done.add(task.name)
        if on_chunk is not None:
            on_chunk(task, result)

    def save() -> None:  # once per batch: the chunk files of a batch are all on disk by now
        warm.start()  # the pool has forked its workers by now: import the plotting modules while they compute
        data["failed"].sort(key=lambda f: f["chunk"])  # chunk order, whatever order they failed in
        data["chunks"]["complete"] = sorted(done)
        manifest.save()

    try:
        if todo:
            with make_executor(spec) as pool:
                if batch_replications is None and pool.workers > 1:
                    # At least two batches per worker when there is little to do, so that no worker waits for the last one.
                    per_worker = -(-len(todo) * plan.runs // len(plan.chunks) // (2 * pool.workers))
                    batch_replications = max(1, min(max(BATCH_REPLICATIONS, plan.chunk_size), per_worker))
                failures = run_batch_files_into_store(pool, plan.batches(todo, batch_replications), store,
                                                      on_chunk=record, on_batch=save)
        else:
            failures = []
    except KeyboardInterrupt:
        store.clean_partial()
        _close_session(data, session, t0, "interrupted")
        save()
        raise SweepInterrupted(run_dir, len(done), len(tasks)) from None
    if failures:
        _close_session(data, session, t0, "failed chunks")
        save()
        return SweepOutcome(run_dir, False, failures, len(done), len(tasks), time.perf_counter() - t0)
    summary, sensitivity = finish_sweep(plan, run_dir, store, tasks)
    _close_session(data, session, t0, "complete")
    data["status"] = "complete"
    data["times"]["finished"] = datetime.now(timezone.utc).isoformat()
    data["chunks"]["complete"] = sorted(done)
    manifest.save()
    store.remove()
    return SweepOutcome(run_dir, True, [], len(done), len(tasks), time.perf_counter() - t0, summary, sensitivity)


def _close_session(data: dict, session: dict, t0: float, status: str) -> None:
    seconds = time.perf_counter() - t0
    session["finished"] = datetime.now(timezone.utc).isoformat()
    session["seconds"] = round(seconds, 3)
    session["status"] = status
    data["times"]["seconds"] = round(sum(s.get("seconds", 0.0) for s in data["times"]["sessions"]), 3)


def finish_sweep(plan: SweepPlan, run_dir: Path, store: ChunkStore, tasks: list[ChunkTask]) -> tuple[pa.Table, pa.Table | None]:
    """Assemble runs.parquet from the chunks in chunk order, then summary, sensitivity and plots.

    Each chunk's rows are written as one row group, whichever file (batch) holds them, so the
    file does not depend on the batching. One file's rows are in memory at a time.
    """
    from sim.experiment.batches import read_file_pieces, read_summary_aggregates
    from sim.experiment.chunks import RowGroupWriter, conform, unified_schema

    where = _finished_chunks(store, tasks)
    missing = [t.name for t in tasks if t.name not in where]
    if missing:
        raise RuntimeError(f"{len(missing)} chunk(s) missing from {store.folder}: {', '.join(missing[:3])}")
    schemas: dict[Path, pa.Schema] = {}
    for task in tasks:
        path = where[task.name].path
        if path not in schemas:
            schemas[path] = read_file_pieces(path)[1]
    ordered = []
    for task in tasks:  # the sequence of schemas chunk by chunk, as per-chunk files would give it
        schema = schemas[where[task.name].path]
        if not ordered or ordered[-1] is not schema:
            ordered.append(schema)
    schema = unified_schema(ordered)
    cache: dict[str, Any] = {}

    def file_rows(path: Path) -> pa.Table:
        if cache.get("path") != path:
            cache.clear()
            cache.update(path=path, table=conform(pq.read_table(path).replace_schema_metadata(None), schema))
        return cache["table"]

    def write(name: str) -> None:
        with pq.ParquetWriter(name, schema) as writer:
            groups = RowGroupWriter(writer, schema)
            for task in tasks:
                piece = where[task.name]
                groups.write(file_rows(piece.path).slice(piece.offset, piece.rows))
            groups.close()

    from sim.experiment.store import atomic_write

    atomic_write(run_dir / "runs.parquet", write)
    cache.clear()

    # Per-variant summaries from the chunks' summary aggregates, one file's aggregates in memory at a time.
    per_variant = len(plan.chunks)
    totals: dict[str, list] = {f: [] for f in SUMMARY_FIELDS}
    loaded: dict[str, Any] = {}
    for v in range(len(plan.variants)):
        sums = None
        for task in tasks[v * per_variant:(v + 1) * per_variant]:
            piece = where[task.name]
            if loaded.get("path") != piece.path:
                loaded.clear()
                loaded.update(path=piece.path, arrays=read_summary_aggregates(piece.path))
            part = {f: loaded["arrays"][f][piece.index] for f in SUMMARY_FIELDS}
            sums = part if sums is None else {f: sums[f] + part[f] for f in SUMMARY_FIELDS}
        for f in SUMMARY_FIELDS:
            totals[f].append(sums[f])
    rows = summary_rows({f: np.stack(totals[f]) for f in SUMMARY_FIELDS})
    summary = summary_table(plan, rows)
    write_parquet_atomic(run_dir / "summary.parquet", summary)
    sensitivity = None
    if plan.spec.design.kind in SALIB_DESIGNS:
        from sim.analysis.sensitivity import analyse

        sensitivity = analyse(plan.spec.design.kind, plan.problem, plan.design_matrix, summary,
                              seed=design_seed(plan.spec, plan.seed), levels=plan.spec.design.levels,
                              second_order=plan.spec.design.second_order)
        write_parquet_atomic(run_dir / "sensitivity.parquet", sensitivity)
    from sim.report.sweep_plots import write_sweep_plots

    plots = run_dir / "plots"
    plots.mkdir(exist_ok=True)
    write_sweep_plots(plan, summary, sensitivity, plots)
    return summary, sensitivity
