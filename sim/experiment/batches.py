"""Batches: several chunks, of one variant or of many, computed by one ensemble model.

A sweep's variants often differ only in numbers (a Latin hypercube over three rates, say).
Every parameter of the model is already an array over replications
(`sim.model.parameters.DrawnParameters`), so such variants can share one model: their
chunks' replications are stacked into one batch, each replication takes its variant's
values, and the outcome is split back into one chunk file per (variant, chunk), the same
files as when every chunk runs alone.

What may differ inside a batch (`BatchTask.varied`): numeric fields of the scenario that
`draw_parameters` puts in `DrawnParameters.values` under their dotted path. Everything else
(issues, members, rule choices and their parameters, policies, yes/no and text fields, the
horizon, the derived positions, the seed) is the same for every chunk of a batch: the sweep
groups its variants by that (`sim.experiment.sweep.plan`). Three rules keep the results
independent of the batching, bit for bit:

1. Common random numbers. Every draw is a hash of (seed, replication, week, name); the
   batch's replication indices repeat once per chunk, so replication r of each variant meets
   exactly the draws it meets alone (`sim.rng.Streams` is a pure function of each index).
2. One representation. In a sweep, a varied numeric field is always an (R,) array in
   `DrawnParameters.values`, also in a batch of one chunk, so the model runs the same array
   code whatever the batch holds; elementwise numpy is the same for any array length (the
   property chunking already relies on).
3. No hidden reads. In a batch of several chunks, the scenario the model receives holds a
   sentinel at each varied path, which raises `VariesInBatch` when the model reads it (a
   varied number must be read from `DrawnParameters`, not from the scenario). Whenever a
   batch raises, for that reason or any other, each of its chunks is computed again alone,
   so a failing chunk is reported alone, under its own name, as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa
from pydantic import BaseModel

from sim.analysis.aggregate import Aggregates, ChunkOutcome

# The aggregates a batch file keeps per chunk: what a sweep's per-variant summary needs (the front-line and terms
# histograms, 600 KB a chunk, are what `sim run`'s weekly table and plots need, not a sweep's).
from sim.analysis.summary import SUMMARY_FIELDS
from sim.experiment.chunks import (
    Chunk,
    ChunkError,
    ChunkResult,
    ChunkTask,
    _forget_model,
    compute_chunk,
    encode_chunk,
    runs_batch,
)
from sim.experiment.store import parquet_options
from sim.rng import Streams
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from sim.model.parameters import DrawnParameters

K = TypeVar("K")

#: Replications a batch holds at most (unless one chunk alone is larger): about the size of the
#: default chunk, where the engine's arrays still fit the CPU caches well.
BATCH_REPLICATIONS = 10_000


class VariesInBatch(RuntimeError):
    """The model read, from the scenario, a number that differs between the variants of a batch."""


class Varies:
    """Stands in the batch's scenario for a varied number: any use of it raises VariesInBatch."""

    __slots__ = ("path",)
    __array_ufunc__ = None  # numpy operators defer to the reflected method below, which raises
    __hash__ = object.__hash__

    def __init__(self, path: str) -> None:
        object.__setattr__(self, "path", path)

    def _raise(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise VariesInBatch(
            f"{self.path} differs between the variants of a batch; the model must read it from DrawnParameters (params.values), not from the scenario"
        )

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("__"):
            raise AttributeError(name)
        self._raise()

    def __repr__(self) -> str:
        return f"<varies in batch: {self.path}>"

    def __deepcopy__(self, memo: dict[int, Any]) -> Varies:
        return self

    def __reduce__(self) -> tuple[type[Varies], tuple[str]]:
        return (Varies, (self.path,))

    __float__ = __int__ = __index__ = __bool__ = __array__ = __format__ = __len__ = __iter__ = _raise
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _raise
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _raise
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _raise
    __pow__ = __rpow__ = __neg__ = __pos__ = __abs__ = __round__ = __trunc__ = __floor__ = __ceil__ = _raise
    __getitem__ = __contains__ = _raise


def get_path(scenario: BaseModel, path: str) -> Any:
    """The value at a dotted path of a scenario (through sub-models and dicts)."""
    node: Any = scenario
    for part in path.split("."):
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    return node


def with_values(scenario: Scenario, paths: Sequence[str], values: Sequence[Any]) -> Scenario:
    """A deep copy of `scenario` with `values` at `paths`, set without validation (values from a validated scenario)."""
    out = scenario.model_copy(deep=True)
    for path, value in zip(paths, values):
        *parents, last = path.split(".")
        node: Any = out
        for part in parents:
            node = node[part] if isinstance(node, dict) else getattr(node, part)
        if isinstance(node, dict):
            node[last] = value
        else:
            node.__dict__[last] = value  # no validation, no copy: exactly the validated object
    return out


@dataclass(frozen=True)
class Piece:
    """One chunk of a batch: its variant, its replications, its scenario's hash and its values at the varied paths."""

    variant: int | None
    chunk: Chunk
    scenario_hash: str
    values: tuple[Any, ...] = ()


@dataclass(frozen=True)
class BatchTask:
    """The unit of work executors send: chunks that one model computes together.

    `scenario` is the scenario of the first piece's variant; the others differ from it only
    at `varied` (their values are in each piece). With `varied` empty and one piece, the
    batch is exactly one chunk, computed as `compute_chunk` always did.
    """

    scenario: Scenario = field(repr=False)
    seed: int
    pieces: tuple[Piece, ...]
    varied: tuple[str, ...] = ()
    rules_base: str | None = None

    @property
    def tasks(self) -> list[ChunkTask]:
        """One ChunkTask per piece (names, identity and messages of the chunk files)."""
        return [ChunkTask(p.variant, p.chunk, None, self.seed, p.scenario_hash, self.rules_base) for p in self.pieces]

    @property
    def name(self) -> str:
        """The first chunk's name (the batch's name in executors' ordering and Dask keys)."""
        first = self.pieces[0]
        return ChunkTask(first.variant, first.chunk, None, self.seed, first.scenario_hash, self.rules_base).name

    @property
    def size(self) -> int:
        return sum(p.chunk.size for p in self.pieces)

    def describe(self) -> str:
        first = self.tasks[0].describe()
        return first if len(self.pieces) == 1 else f"{first} and {len(self.pieces) - 1} more chunks"

    def piece_scenario(self, i: int) -> Scenario:
        """The scenario of piece i's variant."""
        if not self.varied or self.pieces[i].values == self.pieces[0].values:
            return self.scenario
        return with_values(self.scenario, self.varied, self.pieces[i].values)

    def alone(self, i: int) -> BatchTask:
        """Piece i as a batch of its own."""
        return BatchTask(self.piece_scenario(i), self.seed, (self.pieces[i],), self.varied, self.rules_base)


def single(task: ChunkTask) -> BatchTask:
    """A plain chunk (a run's, a comparison's) as a batch of one, computed exactly as before batches."""
    if task.scenario is None:
        raise ValueError(f"chunk {task.name} carries no scenario")
    return BatchTask(task.scenario, task.seed, (Piece(task.variant, task.chunk, task.scenario_hash),), (), task.rules_base)


def make_batches(pieces: Iterable[tuple[K, Piece]], make: Callable[[K, tuple[Piece, ...]], BatchTask], limit: int = BATCH_REPLICATIONS) -> Iterator[BatchTask]:
    """Group consecutive pieces with the same key into batches of at most `limit` replications.

    `pieces` yields (key, piece) in chunk order; `make(key, pieces)` builds the BatchTask of a
    group (a piece larger than `limit` is a batch of its own). Lazy: one batch in memory at a time.
    """
    key: K | None = None
    group: list[Piece] = []
    size = 0
    for k, piece in pieces:
        if group and (k != key or size + piece.chunk.size > limit):
            yield make(key, tuple(group))  # type: ignore[arg-type]  # key is set once group holds a piece
            group, size = [], 0
        key = k
        group.append(piece)
        size += piece.chunk.size
    if group:
        yield make(key, tuple(group))  # type: ignore[arg-type]


# ---------------------------------------------------------------------- the work
_UNBATCHABLE: set[tuple[str, ...]] = set()  # varied paths the model was seen reading from the scenario (per process)
#: Counts in this process: batches of several chunks computed together, and those computed again chunk by chunk.
STATS = {"batched": 0, "fallbacks": 0}
T = TypeVar("T")


def _together_or_alone(batch: BatchTask, together: Callable[[BatchTask], list[T]], alone: Callable[[BatchTask], list[T]]) -> list[T]:
    """`together(batch)` for a batch of several chunks; when it raises, `alone` on each chunk as a batch of its own
    (so that an error names the chunk that raised, and a model reading a varied number from the scenario still runs)."""
    if batch.varied not in _UNBATCHABLE:
        try:
            results = together(batch)
            STATS["batched"] += 1
            return results
        except VariesInBatch:
            _UNBATCHABLE.add(batch.varied)
        except Exception:
            pass  # computed again below, chunk by chunk, so that the error names its chunk
    STATS["fallbacks"] += 1
    return [result for i in range(len(batch.pieces)) for result in alone(batch.alone(i))]


def _error_text(exc: BaseException) -> str:
    """An exception as one line: its type and message."""
    text = str(exc).strip() or repr(exc)
    return f"{type(exc).__name__}: {' '.join(text.split())}"


def compute_batch(batch: BatchTask) -> list[ChunkResult | ChunkError]:
    """Compute every chunk of a batch; one result per piece, in order.

    This is the function every executor sends to its workers. A batch that raises is
    computed again chunk by chunk, so errors name the chunk that raised.
    """
    if not batch.varied and len(batch.pieces) == 1:
        return [compute_chunk(ChunkTask(**_task_fields(batch, 0), scenario=batch.scenario))]
    if len(batch.pieces) > 1:
        return _together_or_alone(batch, _simulate_batch, compute_batch)
    try:
        return _simulate_batch(batch)
    except Exception as exc:
        return [ChunkError(batch.name, _error_text(exc))]


def _task_fields(batch: BatchTask, i: int) -> dict[str, Any]:
    p = batch.pieces[i]
    return {"variant": p.variant, "chunk": p.chunk, "seed": batch.seed, "scenario_hash": p.scenario_hash, "rules_base": batch.rules_base}


def batch_parameters(batch: BatchTask, streams: Streams) -> DrawnParameters:
    """The drawn parameters of a batch: the scenario's draws, with each varied path an (R,) array of its pieces' values.

    The varied values go into `draw_parameters` itself (`given`), so anything it derives from
    them follows each replication. A varied field that holds a distribution is drawn from its
    own stream `param.<path>` with each piece's distribution, exactly as `draw_parameters`
    draws it for that piece alone.
    """
    from sim.model.parameters import draw_field, draw_parameters, field_bounds_by_key
    from sim.scenario.derive import derive
    from sim.scenario.params import is_random

    given = {}
    if batch.varied:
        bounds = field_bounds_by_key(batch.scenario)
        sizes = [p.chunk.size for p in batch.pieces]
        edges = np.cumsum([0, *sizes])
        for j, path in enumerate(batch.varied):
            if path not in bounds:
                raise VariesInBatch(f"{path} is not a numeric parameter of the model (DrawnParameters.values)")
            values = [piece.values[j] for piece in batch.pieces]
            if not any(is_random(v) for v in values):  # fixed numbers: what draw_field gives each piece, at once
                given[path] = np.repeat(np.array([float(v) for v in values], dtype=np.float64), sizes)
                continue
            column = np.empty(edges[-1])
            for i, piece in enumerate(batch.pieces):
                rows = slice(edges[i], edges[i + 1])
                column[rows] = draw_field(path, piece.values[j], bounds[path], Streams(batch.seed, streams.replications[rows]))
            given[path] = column
    return draw_parameters(batch.scenario, streams, derive(batch.scenario), given=given)


def _run_model(batch: BatchTask) -> ChunkOutcome:
    """One model over all the batch's replications, chunk after chunk (raises what the model raises)."""
    from sim.model.model import CeasefireModel

    if batch.scenario.rules:
        from sim.model.rulebook import import_rule_modules

        import_rule_modules(batch.scenario.rules, Path(batch.rules_base) if batch.rules_base else None)
    replications = np.concatenate([np.arange(p.chunk.start, p.chunk.stop) for p in batch.pieces])
    params = batch_parameters(batch, Streams(batch.seed, replications))
    scenario = batch.scenario
    if len(batch.pieces) > 1 and batch.varied:
        scenario = with_values(scenario, batch.varied, [Varies(p) for p in batch.varied])
    model = CeasefireModel(scenario, batch.seed, replications, params=params)
    model.run()
    outcome: ChunkOutcome = model.outcome()
    _forget_model(model)
    return outcome


def _simulate_parts(batch: BatchTask) -> list[tuple[ChunkTask, pa.RecordBatch, Aggregates]]:
    """One model over the batch; per piece its task, its rows and its aggregates (raises what the model raises)."""
    outcome = _run_model(batch)
    parts = []
    start = 0
    for i, piece in enumerate(batch.pieces):
        rows = slice(start, start + piece.chunk.size)
        start = rows.stop
        part = ChunkOutcome(
            {k: np.ascontiguousarray(v[rows]) for k, v in outcome.runs.items()},
            np.ascontiguousarray(outcome.weekly_status[:, rows]),
            np.ascontiguousarray(outcome.weekly_front[:, rows]),
            outcome.issues,
            outcome.horizon,
        )
        parts.append((ChunkTask(**_task_fields(batch, i), scenario=None), runs_batch(part.runs), Aggregates.from_chunk(part)))
    return parts


def _simulate_batch(batch: BatchTask) -> list[ChunkResult | ChunkError]:
    t0 = time.perf_counter()
    parts = _simulate_parts(batch)
    seconds = (time.perf_counter() - t0) / len(parts)
    return [ChunkResult(task.name, encode_chunk(task, rows, agg), seconds) for task, rows, agg in parts]


# ---------------------------------------------------------------------- batch files (sweeps)
META_BATCH = b"sim.batch"
META_BATCH_AGGREGATES = b"sim.batch.aggregates"


@dataclass(frozen=True)
class BatchFile:
    """A computed batch: one Parquet file holding the rows of its chunks that succeeded, and the errors of the others."""

    name: str
    data: bytes | None
    done: tuple[ChunkTask, ...]
    errors: tuple[tuple[ChunkTask, ChunkError], ...]
    seconds: float


def _simulate_table(batch: BatchTask) -> tuple[pa.Table, dict[str, np.ndarray]]:
    """One model over the batch: its rows (a variant column first) and each chunk's summary counts, one row per chunk.

    The counts are those `Aggregates.from_chunk` gives each chunk alone (the same definitions,
    vectorised over the chunks); the whole batch goes through `Aggregates.from_chunk` once,
    which checks the model's outcome against the data contract, and its totals must equal
    the chunks' sums.
    """
    import pyarrow as pa

    from sim.analysis.aggregate import AGREEMENT_TYPES, STATUSES

    sizes = np.array([p.chunk.size for p in batch.pieces], dtype=np.int64)
    outcome = _run_model(batch)
    whole = Aggregates.from_chunk(outcome)  # the contract check, and totals to check the per-chunk counts against
    count = len(batch.pieces)
    piece = np.repeat(np.arange(count), sizes)
    runs = outcome.runs
    status = np.asarray(runs["status"], dtype=np.int64)
    first = np.asarray(runs["first_agreement"], dtype=np.int64)
    week = np.asarray(runs["first_agreement_week"], dtype=np.int64)
    breakdowns = np.asarray(runs["breakdowns"], dtype=np.int64)
    agreements = np.asarray(runs["agreements"], dtype=np.int64)
    weeks = int(outcome.horizon) + 1
    has_first = first > 0

    def per_piece(mask: np.ndarray) -> np.ndarray:
        return np.bincount(piece[mask], minlength=count).astype(np.int64)

    summary = {
        "n": sizes,
        "status_counts": np.bincount(piece * len(STATUSES) + status, minlength=count * len(STATUSES)).reshape(count, -1),
        "first_agreement_counts": np.bincount(piece * len(AGREEMENT_TYPES) + first, minlength=count * len(AGREEMENT_TYPES)).reshape(count, -1),
        "first_agreement_week_hist": np.bincount(piece[has_first] * weeks + week[has_first], minlength=count * weeks).reshape(count, weeks),
        "with_agreement": per_piece(agreements > 0),
        "with_breakdown": per_piece(breakdowns > 0),
        "agreement_and_breakdown": per_piece((agreements > 0) & (breakdowns > 0)),
        "total_breakdowns": np.add.reduceat(breakdowns, np.concatenate([[0], np.cumsum(sizes)[:-1]])),
    }
    for name in SUMMARY_FIELDS:
        if not np.array_equal(np.asarray(summary[name]).sum(axis=0), np.asarray(getattr(whole, name), dtype=np.int64)):
            raise AssertionError(f"per-chunk counts of {name} do not add up to the batch's")
    table = pa.Table.from_batches([runs_batch(runs)])
    variants = np.repeat(np.array([p.variant for p in batch.pieces], dtype=np.int32), sizes)
    table = table.add_column(0, "variant", pa.array(variants, type=pa.int32()))
    return table, {k: np.asarray(v, dtype=np.int64) for k, v in summary.items()}


_TableOrError = tuple[tuple[Piece, ...], "pa.Table", dict[str, np.ndarray]] | tuple[ChunkTask, ChunkError]


def _table(batch: BatchTask) -> list[_TableOrError]:
    table, summary = _simulate_table(batch)
    return [(batch.pieces, table, summary)]


def _tables_or_errors(batch: BatchTask) -> list[_TableOrError]:
    """[(pieces, table, summary)] and [(task, ChunkError)]: the batch together, else each piece alone."""
    if len(batch.pieces) > 1:
        return _together_or_alone(batch, _table, _tables_or_errors)
    try:
        return _table(batch)
    except Exception as exc:
        task = batch.tasks[0]
        return [(task, ChunkError(task.name, _error_text(exc)))]


def compute_batch_file(batch: BatchTask) -> BatchFile:
    """Compute a batch and encode its chunks into one file (the function executors run for sweeps)."""
    import io
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    t0 = time.perf_counter()
    parts = _tables_or_errors(batch)
    good = [p for p in parts if len(p) == 3]
    errors = tuple(p for p in parts if len(p) == 2)
    if not good:
        return BatchFile(batch.name, None, (), errors, time.perf_counter() - t0)
    tasks = {t.name: t for t in batch.tasks}
    pieces, done, offset = [], [], 0
    for group, _, _ in good:
        for p in group:
            task = ChunkTask(p.variant, p.chunk, None, batch.seed, p.scenario_hash, batch.rules_base)
            done.append(tasks.get(task.name, task))
            pieces.append({**task.identity(), "offset": offset, "rows": p.chunk.size})
            offset += p.chunk.size
    stacked = {f: np.concatenate([summary[f] for _, _, summary in good]) for f in SUMMARY_FIELDS}
    buffer = io.BytesIO()
    arrays: dict[str, Any] = stacked
    np.savez(buffer, **arrays)
    identity = {"pieces": pieces}
    table = pa.concat_tables([t for _, t, _ in good]).replace_schema_metadata(
        {META_BATCH: json.dumps(identity, sort_keys=True).encode(), META_BATCH_AGGREGATES: buffer.getvalue()}
    )
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **parquet_options(table.schema))
    name = "b-" + done[0].name  # the first chunk it holds: never a chunk already on disk (those are not computed again)
    return BatchFile(name, sink.getvalue().to_pybytes(), tuple(done), errors, time.perf_counter() - t0)


@dataclass(frozen=True)
class StoredPiece:
    """Where a finished chunk's rows are: a file (a batch file or an old one-chunk file), their first row and count."""

    identity: dict[str, Any]
    path: Path
    offset: int
    rows: int
    index: int  # its position among the file's chunks (for the aggregates)


def read_file_pieces(path: Path) -> tuple[list[StoredPiece], pa.Schema]:
    """The chunks a file in a sweep's chunks/ folder holds, from its footer alone (batch files and one-chunk files)."""
    import json

    import pyarrow.parquet as pq

    from sim.experiment.chunks import META_CHUNK

    file = Path(path)
    schema = pq.read_schema(file)
    meta = schema.metadata or {}
    if META_BATCH in meta:
        identity = json.loads(meta[META_BATCH])
        pieces = [StoredPiece(p, file, p["offset"], p["rows"], i) for i, p in enumerate(identity["pieces"])]
    else:
        identity = json.loads(meta[META_CHUNK])
        pieces = [StoredPiece(identity, file, 0, identity["stop"] - identity["start"], 0)]
    return pieces, schema.remove_metadata()


def read_summary_aggregates(path: Path) -> dict[str, np.ndarray]:
    """A file's per-chunk summary aggregates, stacked (one row per chunk it holds)."""
    import io
    import json

    import pyarrow.parquet as pq

    from sim.experiment.chunks import META_AGGREGATES, META_CHUNK, aggregates_from_bytes

    meta = pq.read_schema(path).metadata or {}
    if META_BATCH in meta:
        with np.load(io.BytesIO(meta[META_BATCH_AGGREGATES])) as npz:
            return {f: npz[f] for f in SUMMARY_FIELDS}
    identity = json.loads(meta[META_CHUNK])
    agg = aggregates_from_bytes(meta[META_AGGREGATES], tuple(identity["issues"]), identity["horizon"])
    return {f: np.asarray(getattr(agg, f), dtype=np.int64)[None] for f in SUMMARY_FIELDS}
