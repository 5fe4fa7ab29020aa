"""Planning a sweep: the file, its base scenario and its design become variants, each validated, hashed and grouped.

A variant is the base scenario with `--set`-style overrides (`sim.scenario.load.apply_sets`),
validated with the same one-line errors, so anything `--set` can change a sweep can vary.

Validation has two paths with the same outcome:

- full: the variant's document validated like a scenario (pydantic, the cross-references,
  the derived positions, the rules), about a millisecond a variant;
- fast, for variants that change only numeric model parameters (`batchable_paths`): each
  value is checked by its own field's validator (bounds, type, finiteness) on a copy of the
  validated base, and the variant's hash is the base's canonical JSON with the values put in.
  This is exact because a plan first proves, once, that no check above the field level
  reads those fields: the base with a sentinel at each of them (`sim.experiment.batches`'s
  `_Varies`, which raises when used) passes the cross-reference validators, the derivation of
  positions and the rule checks (`_fast_paths`). A value its field refuses, or a value that is
  not a plain number (a distribution table in a grid), goes the full path, which names the error.

Common random numbers by default: every variant runs with the sweep's seed on replications
0 .. runs - 1, so replication r of every variant uses the same random streams and
differences between variants are effects, not noise. Without them each variant gets its
own seed, derived from (seed, variant index).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from sim.analysis.columns import path_column
from sim.errors import InputError, dotted
from sim.experiment.batches import BATCH_REPLICATIONS, BatchTask, Piece, Varies, VariesInBatch, get_path, make_batches, with_values
from sim.experiment.chunks import ChunkPlan, ChunkTask, plan_chunks
from sim.experiment.executors import default_workers, pool_context, usable_cores
from sim.experiment.sizes import Estimate
from sim.experiment.sizes import check as check_size
from sim.experiment.sweep.designs import Design, sampling_seed
from sim.experiment.sweep.format import SweepParameter, SweepSpec, display_value, read_sweep_file, toml_literal
from sim.model.parameters import field_bounds_by_key
from sim.model.rulebook import check_rules
from sim.scenario.derive import derive
from sim.scenario.load import LoadedScenario, apply_sets, resolve_document, validate_document
from sim.scenario.params import Bounds, field_bounds
from sim.scenario.schema import Scenario, ScenarioPathError

Profiles = Any  # what sim.scenario.derive.derive returns (actor -> issue -> profile)


@dataclass(frozen=True)
class ParameterInfo:
    """A varied parameter as the results show it."""

    path: str
    label: str
    kind: str  # "number", "bool" or "string"
    unit: str = ""
    bounds: Bounds | None = None
    integer: bool = False

    @property
    def column(self) -> str:
        """Its column in variants.parquet and summary.parquet (`sim.analysis.columns.path_column`)."""
        return path_column(self.path)


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
    batched: tuple[Any, ...] = ()  # the validated values at the plan's batchable paths
    representative: Scenario | None = field(default=None, repr=False)
    batchable: tuple[str, ...] = ()

    @property
    def scenario(self) -> Scenario:
        rep = self.representative
        if rep is None:
            raise ValueError(f"variant {self.index} has no representative scenario")
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
    design: Design
    design_matrix: np.ndarray | None = None  # sensitivity designs: the sampled points, one row per variant
    batchable: tuple[str, ...] = ()  # varied numeric paths that variants of one batch may differ in

    @property
    def chunks(self) -> ChunkPlan:
        return plan_chunks(self.runs, self.chunk_size)

    @property
    def rules_base(self) -> str:
        return str(Path(self.base.path).resolve().parent)

    @property
    def design_seed(self) -> int:
        """The seed the design was sampled with (and its analysis bootstraps with)."""
        return sampling_seed(self.spec.design.seed, self.seed)

    @property
    def problem(self) -> dict[str, Any] | None:
        """SALib's problem definition (sensitivity designs), else None."""
        return self.design.problem()

    @property
    def horizon(self) -> int:
        return int(self.variants[0].scenario.horizon_weeks)

    def tasks(self) -> list[ChunkTask]:
        """Every chunk of every variant, in (variant, chunk) order (names and identities; the batches carry the scenarios)."""
        base = self.rules_base
        return [ChunkTask(v.index, c, None, v.seed, v.scenario_hash, base) for v in self.variants for c in self.chunks]

    def batches(self, todo: set[str] | None = None, limit: int | None = None) -> Iterator[BatchTask]:
        """The chunks to compute (all, or those named in `todo`) as batches, in chunk order, lazily.

        Consecutive chunks of variants of the same group share a batch of at most `limit`
        replications (default: `BATCH_REPLICATIONS`, or the chunk size when larger). The
        files do not depend on `limit` (sim.experiment.batches).
        """
        size = limit or max(BATCH_REPLICATIONS, self.chunk_size)
        chunks = self.chunks
        by_index = {v.index: v for v in self.variants}

        def pieces() -> Iterator[tuple[str, Piece]]:
            for v in self.variants:
                for c in chunks:
                    piece = Piece(v.index, c, v.scenario_hash, v.batched)
                    if todo is None or ChunkTask(v.index, c, None, v.seed, v.scenario_hash).name in todo:
                        yield v.group, piece

        def make(group: str, group_pieces: tuple[Piece, ...]) -> BatchTask:
            first = by_index[group_pieces[0].variant or 0]
            return BatchTask(first.scenario, first.seed, group_pieces, self.batchable, self.rules_base)

        return make_batches(pieces(), make, size)

    @property
    def options(self) -> dict[str, Any]:
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

    def describe_variant(self, index: int) -> str:
        """`variant 3 (path = value, ...)`, for messages."""
        values = ", ".join(f"{k} = {display_value(v)}" for k, v in self.variants[index].values.items())
        return f"variant {index} ({values})"


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


def _locate(error_path: str | None, spec: SweepSpec) -> int | None:
    """Which varied parameter an error's field path belongs to."""
    if not error_path:
        return None
    for i, p in enumerate(spec.parameters):
        if error_path == p.path or error_path.startswith(p.path + ".") or error_path.startswith(p.path + "[") or p.path.startswith(error_path + "."):
            return i
    return None


def _validate(doc: dict[str, Any], sets: list[str], source: str, rules_base: Path, profiles: list[Profiles] | None = None) -> Scenario:
    """A variant document with its overrides, validated like a scenario with `--set` (InputError on failure).

    The derived issue profiles are appended to `profiles` when it is given.
    """
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
    numeric = field_bounds_by_key(base)
    return tuple(p.path for p in spec.parameters if p.path in numeric and p.path != "horizon_weeks")


def _canonical(dump: dict[str, Any]) -> str:
    """The canonical JSON text a scenario's hash is taken of (`sim.scenario.load.scenario_hash`)."""
    return json.dumps(dump, sort_keys=True, separators=(",", ":"))


def _mask(dump: dict[str, Any], paths: Sequence[str], leaves: Sequence[Any]) -> dict[str, Any]:
    """`dump` with `leaves` put at the dotted `paths`, in place."""
    for path, leaf in zip(paths, leaves):
        *parents, last = path.split(".")
        node = dump
        for part in parents:
            node = node[part]
        node[last] = leaf
    return dump


def _group_digest(masked_text: str, profiles: str, seed: int) -> str:
    """A batch group's name: a digest of the scenario masked at the batchable paths, its profiles and its seed.

    The text is exactly `json.dumps({"scenario": masked, "seed": seed, "profiles": profiles}, sort_keys=True,
    separators=(",", ":"))`, put together from the masked scenario's text.
    """
    text = '{"profiles":' + json.dumps(profiles) + ',"scenario":' + masked_text + ',"seed":' + json.dumps(int(seed)) + "}"
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _group(
    scenario: Scenario, dump: dict[str, Any], batchable: tuple[str, ...], profiles: Profiles, base_profiles: Profiles, seed: int
) -> tuple[str, tuple[Any, ...]]:
    """A variant's batch group (a digest of everything but its values at the batchable paths) and those values."""
    values = tuple(get_path(scenario, p) for p in batchable)
    kinds = []
    for path in batchable:  # a number and a distribution table never share a batch
        *parents, last = path.split(".")
        node = dump
        for part in parents:
            node = node[part]
        kinds.append(type(node[last]).__name__)
    masked = _mask(dump, batchable, kinds)  # blanked in place: the caller is done with it
    return _group_digest(_canonical(masked), "base" if profiles == base_profiles else repr(profiles), seed), values


# ---------------------------------------------------------------------- the fast path
_SLOT = "\x00sweep-slot-{}\x00"
_SLOT_TEXT = re.compile(re.escape(json.dumps(_SLOT.format("@"))).replace("@", "([0-9]+)"))


def _reads_sentinels(check: Any, *args: Any) -> bool:
    """Whether `check(*args)` uses a value that is a sentinel (or fails in any other way: then no fast path either)."""
    try:
        check(*args)
    except VariesInBatch:
        return True
    except Exception:
        return True
    return False


def _fast_paths(base: Scenario, paths: tuple[str, ...], rules_base: Path) -> bool:
    """Whether variants that differ from `base` only at the numeric `paths` can be checked field by field.

    True when no check above the field level reads those fields: with a sentinel at each,
    the after-validators of every model on their way from the scenario, the derivation of
    positions and the rule checks all pass; and no model on the way has a validator that
    could read a sibling field (a before or wrap model validator, or a field validator
    taking the validation info).
    """
    if not paths:
        return False
    probe = with_values(base, paths, [Varies(p) for p in paths])
    models: dict[int, BaseModel] = {}
    for path in paths:
        node: Any = probe
        for part in path.split(".")[:-1]:
            if isinstance(node, BaseModel):
                models[id(node)] = node
            node = node[part] if isinstance(node, dict) else getattr(node, part)
        if not isinstance(node, BaseModel):
            return False
        models[id(node)] = node
    for model in models.values():
        decorators = type(model).__pydantic_decorators__
        for on_field in decorators.field_validators.values():
            if on_field.info.mode not in ("after", "before") or _takes_info(on_field.func, 2):
                return False
        for on_model in decorators.model_validators.values():
            if on_model.info.mode != "after":
                return False
            arguments = (model, None) if _takes_info(on_model.func, 1) else (model,)
            if _reads_sentinels(on_model.func, *arguments):
                return False
    return not (_reads_sentinels(derive, probe) or _reads_sentinels(check_rules, probe, rules_base))


def _takes_info(func: Any, plain: int) -> bool:
    """Whether a validator function takes more than its `plain` arguments (the validation info)."""
    try:
        return len(inspect.signature(func).parameters) > plain
    except (TypeError, ValueError):
        return True


class _FieldChecks:
    """Checks variants that change only numeric parameters, field by field (see the module's docstring)."""

    def __init__(self, base: Scenario, paths: tuple[str, ...], profiles: str = "base"):
        self.paths = paths
        self.scratch: list[tuple[BaseModel, str]] = []
        for path in paths:
            *parents, last = path.split(".")
            parent = get_path(base, ".".join(parents)) if parents else base
            self.scratch.append((parent.model_copy(), last))  # a shallow copy to assign to; the base is never touched
        dump = base.model_dump(mode="json")
        text = _canonical(_mask(dump, paths, [_SLOT.format(i) for i in range(len(paths))]))
        parts = _SLOT_TEXT.split(text)
        self.encoded = [segment.encode() for segment in parts[0::2]]  # the text between the slots
        self.order = [int(i) for i in parts[1::2]]  # which path's value goes in each slot
        if sorted(self.order) != list(range(len(paths))):
            raise ValueError("expected each batchable path once in the scenario's canonical JSON")
        self.masked = _canonical(_mask(dump, paths, ["float"] * len(paths)))
        self.profiles = profiles
        self._groups: dict[int, str] = {}

    def validated(self, values: Sequence[Any]) -> tuple[float, ...] | None:
        """The values as their fields validate them, or None when one is not a plain number its field accepts."""
        out = []
        for (parent, name), value in zip(self.scratch, values):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                return None
            try:
                setattr(parent, name, float(value) if isinstance(value, np.floating) else value)  # validate_assignment
            except (ValidationError, ValueError, TypeError):
                return None
            checked = parent.__dict__[name]
            if type(checked) is not float:
                return None
            out.append(checked)
        return tuple(out)

    def scenario_hash(self, validated: Sequence[float]) -> str:
        """`scenario_hash` of the base with `validated` at the paths, from the base's canonical text."""
        parts = [self.encoded[0]]
        for slot, segment in zip(self.order, self.encoded[1:]):
            parts.append(repr(validated[slot]).encode())  # json.dumps of a finite float is its repr
            parts.append(segment)
        return hashlib.sha256(b"".join(parts)).hexdigest()

    def group(self, seed: int) -> str:
        if seed not in self._groups:
            self._groups[seed] = _group_digest(self.masked, self.profiles, seed)
        return self._groups[seed]


# ---------------------------------------------------------------------- full validation, spread over the cores
@dataclass
class _PlanContext:
    """What validating one variant needs (sent once to each planning process)."""

    spec: SweepSpec
    params: list[ParameterInfo]
    base_doc: dict[str, Any]
    fixed: list[str]
    base_source: str
    rules_base: Path
    batchable: tuple[str, ...]
    base_profiles: Profiles
    seed: int
    crn: bool


@dataclass(frozen=True)
class _Planned:
    """A variant validated: its overrides, hash, seed, batch group, values at the batchable paths, maybe its scenario."""

    sets: list[str]
    digest: str
    seed: int
    group: str
    batched: tuple[Any, ...]
    scenario: Scenario | None


@dataclass(frozen=True)
class _Refused:
    """A variant that does not validate: the field path and the message."""

    path: str | None
    message: str


def _sets(context: _PlanContext, point: Sequence[Any]) -> list[str]:
    return [f"{info.path}={toml_literal(value)}" for info, value in zip(context.params, point)]


def _plan_one(context: _PlanContext, index: int, point: Sequence[Any], with_scenario: bool) -> _Planned | _Refused:
    """One variant validated in full."""
    sets = _sets(context, point)
    derived: list[Profiles] = []
    try:
        scenario = _validate(context.base_doc, context.fixed + sets, context.base_source, context.rules_base, derived)
    except InputError as exc:
        return _Refused(exc.path, exc.message)
    seed_v = context.seed if context.crn else variant_seed(context.seed, index)
    dump = scenario.model_dump(mode="json")
    digest = hashlib.sha256(_canonical(dump).encode()).hexdigest()  # = scenario_hash(scenario)
    group, batched = _group(scenario, dump, context.batchable, derived[0], context.base_profiles, seed_v)
    return _Planned(sets, digest, seed_v, group, batched, scenario if with_scenario else None)


_PLANNING: _PlanContext | None = None  # in a planning process: the context it validates variants in
#: Variants validated in full from which planning is spread over the cores (below, a pool costs more than it saves).
PARALLEL_PLANNING = 2000
_PLAN_SLICE = 250


def _plan_init(context: _PlanContext) -> None:
    global _PLANNING
    _PLANNING = context


def _plan_slice(job: tuple[int, list[tuple[int, list[Any]]]]) -> list[_Planned | _Refused]:
    """Validate a slice of variants in a planning process; each group's first one comes with its scenario."""
    _, items = job
    context = _PLANNING
    if context is None:
        raise RuntimeError("a planning process without its context")
    seen: set[str] = set()
    out: list[_Planned | _Refused] = []
    for index, point in items:
        planned = _plan_one(context, index, point, with_scenario=False)
        if isinstance(planned, _Planned) and planned.group not in seen:
            seen.add(planned.group)
            planned = _plan_one(context, index, point, with_scenario=True)
        out.append(planned)
        if isinstance(planned, _Refused):
            break  # the first error is the one reported
    return out


def _plan_full(context: _PlanContext, items: list[tuple[int, list[Any]]]) -> Iterator[tuple[int, _Planned | _Refused]]:
    """Validate (index, point) items in full, in order: in this process, or spread over the cores for many."""
    workers = min(usable_cores(), 8)
    if len(items) < PARALLEL_PLANNING or workers < 2:
        for index, point in items:  # in this process the scenario costs nothing to hand over
            yield index, _plan_one(context, index, point, with_scenario=True)
        return
    from concurrent.futures import ProcessPoolExecutor

    jobs = [(start, items[start : start + _PLAN_SLICE]) for start in range(0, len(items), _PLAN_SLICE)]
    with ProcessPoolExecutor(workers, mp_context=pool_context(), initializer=_plan_init, initargs=(context,)) as pool:
        for (_, chunk), results in zip(jobs, pool.map(_plan_slice, jobs)):
            for (index, _), planned in zip(chunk, results):
                yield index, planned
                if isinstance(planned, _Refused):
                    return


# ---------------------------------------------------------------------- the plan
def plan_sweep(
    file: Path,
    runs: int | None = None,
    seed: int | None = None,
    chunk_size: int | None = None,
    crn: bool | None = None,
    weeks: int | None = None,
    *,
    full_validation: bool = False,
) -> SweepPlan:
    """Read a sweep file and build its variants, validating each; options given here override the file's.

    Errors are one-line InputErrors naming the sweep file and the field (`parameters[1].values[2]`),
    or the base scenario file and its field. `full_validation` validates every variant in full
    (the reference the fast path is tested against; the plan is the same).
    """
    file = Path(file)
    spec = read_sweep_file(file)
    source = str(file)
    base_path = file.parent / spec.base
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
        checks = (
            [(f"values[{j}]", v) for j, v in enumerate(p.values)]
            if p.values is not None
            else [("range", p.range[0]), ("range", p.range[1])]
            if p.range is not None
            else []
        )
        for where, value in checks:
            try:
                _validate(base_doc, fixed + [f"{p.path}={toml_literal(value)}"], str(base_path), rules_base)
            except InputError as exc:
                raise InputError(
                    source,
                    f"parameters[{i}].{where}",
                    f"{p.path} = {display_value(value)}: " + (exc.message if exc.file == "--set" else f"{exc.path}: {exc.message}"),
                ) from None

    run_seed = spec.seed if seed is None else int(seed)
    use_crn = spec.common_random_numbers if crn is None else bool(crn)
    design = spec.make_design()
    # The size from the counts alone, before any variant is built (a grid of 1,000 x 1,000 x 1,000 is not).
    count = design.count()
    plan_runs = spec.runs if runs is None else int(runs)
    plan_chunk = spec.chunk_size if chunk_size is None else int(chunk_size)
    check_size(Estimate(count * plan_runs, base_scenario.horizon_weeks, count * len(plan_chunks(plan_runs, plan_chunk)), default_workers(), count), source)
    points = design.points([info.integer for info in params], sampling_seed(spec.design.seed, run_seed))

    batchable = batchable_paths(spec, base_scenario)
    base_profiles = derive(base_scenario)
    context = _PlanContext(spec, params, base_doc, fixed, str(base_path), rules_base, batchable, base_profiles, run_seed, use_crn)
    fast = None
    if not full_validation and len(batchable) == len(params) and _fast_paths(base_scenario, batchable, rules_base):
        fast = _FieldChecks(base_scenario, batchable)
    planned: list[_Planned | None] = [None] * len(points.rows)
    slow: list[tuple[int, list[Any]]] = []
    for index, point in enumerate(points.rows):
        checked = fast.validated(point) if fast is not None else None
        if fast is None or checked is None:
            slow.append((index, point))
            continue
        seed_v = run_seed if use_crn else variant_seed(run_seed, index)
        planned[index] = _Planned(_sets(context, point), fast.scenario_hash(checked), seed_v, fast.group(seed_v), checked, None)
    for index, outcome in _plan_full(context, slow):
        if isinstance(outcome, _Refused):
            at = _locate(outcome.path, spec)
            where = f"parameters[{at}]" if at is not None else "parameters"
            described = ", ".join(f"{info.path} = {display_value(v)}" for info, v in zip(params, points.rows[index]))
            raise InputError(source, where, f"variant {index} ({described}): {outcome.path}: {outcome.message}") from None
        planned[index] = outcome

    representatives: dict[str, Scenario] = {}
    variants = []
    for index, (point, done) in enumerate(zip(points.rows, planned)):
        assert done is not None  # every variant went one path or the other
        if done.scenario is not None:
            representatives.setdefault(done.group, done.scenario)
        elif done.group not in representatives:
            representatives[done.group] = base_scenario  # the fast path's group: the base, whose other values are the same
        values = {info.path: value for info, value in zip(params, point)}
        variants.append(Variant(index, values, done.sets, done.digest, done.seed, done.group, done.batched, representatives[done.group], batchable))
    return SweepPlan(
        spec=spec,
        file=file.resolve(),
        name=spec.name or file.stem,
        base=base,
        parameters=params,
        variants=variants,
        runs=plan_runs,
        seed=run_seed,
        chunk_size=plan_chunk,
        crn=use_crn,
        weeks=weeks,
        design=design,
        design_matrix=points.matrix,
        batchable=batchable,
    )


__all__ = ["PARALLEL_PLANNING", "ParameterInfo", "SweepPlan", "Variant", "batchable_paths", "plan_sweep", "variant_seed"]
