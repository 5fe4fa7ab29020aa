"""Chunks of replications: planning, the work a worker does on one, and chunk files on disk.

A chunk is a contiguous range of replication indices of one scenario variant. Chunks are
fixed by the chunk size alone (never by the number of workers), and every draw depends
only on (seed, replication, week, name), so a chunk's outcomes are the same whoever
computes them. A finished chunk is one Parquet file: its per-replication rows, with the
chunk's identity and its exact integer aggregates (`sim.analysis.aggregate.Aggregates`)
in the file's key-value metadata. The file is written to a hidden `.partial/` folder and
renamed into place, so a chunk file on disk is always complete, and writing the same chunk
twice (a task rerun after a worker died, a resumed sweep) writes the same bytes.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from sim.analysis.aggregate import AGREEMENT_TYPES, FIRST_ENDS, STATUSES, Aggregates
from sim.defaults import DEFAULT_CHUNK
from sim.experiment.store import atomic_write, parquet_options
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from sim.model.model import CeasefireModel

MEDIATORS = ("us", "turkey")

META_CHUNK = b"sim.chunk"
META_AGGREGATES = b"sim.aggregates"
PARTIAL = ".partial"

_AGG_ARRAYS = (
    "status_counts",
    "first_agreement_counts",
    "first_agreement_week_hist",
    "weekly_status_counts",
    "weekly_front_hist",
    "terms_hist",
)
_AGG_SCALARS = ("n", "with_agreement", "with_breakdown", "agreement_and_breakdown", "total_breakdowns")


@dataclass(frozen=True)
class Chunk:
    """Replications [start, stop) of one run."""

    index: int
    start: int
    stop: int

    @property
    def size(self) -> int:
        return self.stop - self.start


class ChunkPlan(Sequence[Chunk]):
    """Replications first .. first + runs - 1 cut into chunks of `chunk_size`: a lazy sequence (no list of chunks is built)."""

    def __init__(self, runs: int, chunk_size: int, first: int = 0) -> None:
        self.runs, self.chunk_size, self.first = int(runs), int(chunk_size), int(first)

    def __len__(self) -> int:
        return -(-self.runs // self.chunk_size)

    @overload
    def __getitem__(self, i: int) -> Chunk: ...

    @overload
    def __getitem__(self, i: slice) -> list[Chunk]: ...

    def __getitem__(self, i: int | slice) -> Chunk | list[Chunk]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        start = self.first + i * self.chunk_size
        return Chunk(i, start, min(start + self.chunk_size, self.first + self.runs))

    def __iter__(self) -> Iterator[Chunk]:
        return (self[i] for i in range(len(self)))


def plan_chunks(runs: int, chunk_size: int = DEFAULT_CHUNK, first: int = 0) -> ChunkPlan:
    """Cut replications first .. first + runs - 1 into chunks of `chunk_size` (the last may be shorter), lazily."""
    if runs < 1:
        raise ValueError("expected at least one replication")
    if chunk_size < 1:
        raise ValueError("expected a chunk size of at least one replication")
    return ChunkPlan(runs, chunk_size, first)


@dataclass(frozen=True)
class ChunkTask:
    """One chunk of one variant: what its file is named and says about itself.

    `variant` is None for a plain run (its rows then carry no variant column). `rules_base`
    is the folder that user rule modules named by relative path are found from. `scenario`
    may be None for a sweep's chunks: the `BatchTask` that computes them carries it.
    """

    variant: int | None
    chunk: Chunk
    scenario: Scenario | None = field(repr=False)
    seed: int
    scenario_hash: str
    rules_base: str | None = None

    @property
    def name(self) -> str:
        """File stem of the chunk, e.g. `v00003-c00002` (`c00002` for a plain run)."""
        stem = f"c{self.chunk.index:05d}"
        return stem if self.variant is None else f"v{self.variant:05d}-{stem}"

    def identity(self) -> dict[str, Any]:
        """What the chunk's file (or its piece of a batch file) says about itself: a resumed run checks it."""
        return {
            "name": self.name,
            "variant": self.variant,
            "chunk": self.chunk.index,
            "start": self.chunk.start,
            "stop": self.chunk.stop,
            "seed": self.seed,
            "scenario_hash": self.scenario_hash,
        }

    def describe(self) -> str:
        """The chunk in words, for messages."""
        where = f"chunk {self.chunk.index} (replications {self.chunk.start}-{self.chunk.stop - 1})"
        return where if self.variant is None else f"variant {self.variant}, {where}"


@dataclass(frozen=True)
class ChunkResult:
    """A finished chunk: its file's bytes, ready to be written as they are."""

    name: str
    data: bytes
    seconds: float


@dataclass(frozen=True)
class ChunkError:
    """A chunk whose computation raised: the error in one line (workers send this back instead of raising)."""

    name: str
    message: str


# ---------------------------------------------------------------------- the work
def simulate_chunk(scenario: Scenario, seed: int, start: int, stop: int) -> tuple[pa.RecordBatch, Aggregates]:
    """Run replications [start, stop): their rows for runs.parquet and their exact aggregates."""
    from sim.model.model import CeasefireModel  # imported here so worker processes import it once

    model = CeasefireModel(scenario, seed, np.arange(start, stop))
    model.run()
    outcome = model.outcome()
    batch = runs_batch(outcome.runs)
    agg = Aggregates.from_chunk(outcome)
    _forget_model(model)
    return batch, agg


def _forget_model(model: CeasefireModel) -> None:
    """Release a finished model: mesa 3.3 keeps every model as a key of `Agent._ids` (a leak when a
    process builds many models), so drop that key along with the model's agents."""
    import mesa

    for agent in list(model.agents):
        agent.remove()
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)
    # Mesa's Model keeps bound methods of itself (a reference cycle): without this, a worker's memory grows
    # chunk after chunk until the cyclic collector happens to run.
    model.__dict__.clear()  # not vars(model): with mesa untyped, mypy takes that for a class's read-only mapping


def runs_batch(runs: dict[str, npt.NDArray[Any]]) -> pa.RecordBatch:
    """Per-replication outcomes as an Arrow batch: codes as readable strings, 'none' as null.

    Types are explicit so that every chunk has the same schema, also one where no
    replication reached an agreement (an all-null column would otherwise be typed null).
    """
    cols: dict[str, pa.Array] = {}
    for name, values in runs.items():
        if name == "status":
            cols[name] = pa.array(np.asarray(STATUSES, dtype=object)[values], type=pa.string())
        elif name in ("first_agreement", "highest_agreement"):
            labels = np.asarray(AGREEMENT_TYPES, dtype=object)[values]
            cols[name] = pa.array(labels, mask=values == 0, type=pa.string())
        elif name == "first_end":
            labels = np.asarray(FIRST_ENDS, dtype=object)[values]
            cols[name] = pa.array(labels, mask=runs["first_agreement"] == 0, type=pa.string())
        elif name == "first_end_week" or name == "first_agreement_week":
            cols[name] = pa.array(values, mask=values < 0, type=pa.int32())
        elif name.startswith("terms_"):  # no agreement reached: null, as every other "none"
            cols[name] = pa.array(values, mask=np.isnan(values), type=pa.float64())
        elif name == "first_mediator":
            labels = np.asarray(MEDIATORS + ("",), dtype=object)[values]
            cols[name] = pa.array(labels, mask=values < 0, type=pa.string())
        else:
            cols[name] = pa.array(values)
    return pa.RecordBatch.from_pydict(cols)


def compute_chunk(task: ChunkTask) -> ChunkResult | ChunkError:
    """Simulate one chunk and encode its file; an exception becomes a ChunkError naming it.

    This is the function every executor sends to its workers. User rule modules named by
    the scenario are imported first (a fresh worker process has not seen them).
    """
    t0 = time.perf_counter()
    try:
        scenario = task.scenario
        if scenario is None:  # a sweep's chunk: its BatchTask carries the scenario and computes it
            raise ValueError(f"{task.describe()} carries no scenario to simulate")
        if scenario.rules:
            from sim.model.rulebook import import_rule_modules

            import_rule_modules(scenario.rules, Path(task.rules_base) if task.rules_base else None)
        batch, agg = simulate_chunk(scenario, task.seed, task.chunk.start, task.chunk.stop)
        data = encode_chunk(task, batch, agg)
    except Exception as exc:  # reported with the chunk's name; the other chunks go on
        text = str(exc).strip() or repr(exc)
        return ChunkError(task.name, f"{type(exc).__name__}: {' '.join(text.split())}")
    return ChunkResult(task.name, data, time.perf_counter() - t0)


# ---------------------------------------------------------------------- encoding
def aggregates_to_bytes(agg: Aggregates) -> bytes:
    """Aggregates as compressed .npz bytes (deterministic: zip entries carry a fixed date)."""
    buffer = io.BytesIO()
    arrays = {name: getattr(agg, name) for name in _AGG_ARRAYS}
    arrays.update({name: np.int64(getattr(agg, name)) for name in _AGG_SCALARS})
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def aggregates_from_bytes(data: bytes, issues: tuple[str, ...], horizon: int) -> Aggregates:
    """The inverse of `aggregates_to_bytes`."""
    with np.load(io.BytesIO(data)) as npz:
        values = {name: npz[name] for name in _AGG_ARRAYS}
        values.update({name: int(npz[name]) for name in _AGG_SCALARS})
    return Aggregates(issues=tuple(issues), horizon=int(horizon), **values)


def encode_chunk(task: ChunkTask, batch: pa.RecordBatch, agg: Aggregates) -> bytes:
    """The chunk file's bytes: rows (with a leading variant column in sweeps), identity and aggregates as metadata."""
    table = pa.Table.from_batches([batch])
    if task.variant is not None:
        table = table.add_column(0, "variant", pa.array(np.full(table.num_rows, task.variant, dtype=np.int32)))
    identity = {**task.identity(), "issues": list(agg.issues), "horizon": agg.horizon}
    meta = {
        META_CHUNK: json.dumps(identity, sort_keys=True).encode(),
        META_AGGREGATES: aggregates_to_bytes(agg),
    }
    table = table.replace_schema_metadata(meta)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **parquet_options(table.schema))
    data: bytes = sink.getvalue().to_pybytes()  # pyarrow is untyped here: its Buffer.to_pybytes gives bytes
    return data


@dataclass(frozen=True)
class ChunkFile:
    """What a chunk file says about itself (read from its footer alone)."""

    path: Path
    identity: dict[str, Any]
    aggregates: Aggregates
    schema: pa.Schema


def read_chunk_meta(path: Path) -> ChunkFile:
    """Identity, aggregates and schema of a chunk file, without reading its rows."""
    schema = pq.read_schema(path)
    meta = schema.metadata or {}
    identity = json.loads(meta[META_CHUNK])
    agg = aggregates_from_bytes(meta[META_AGGREGATES], tuple(identity["issues"]), identity["horizon"])
    return ChunkFile(Path(path), identity, agg, schema.remove_metadata())


def read_chunk_rows(path: Path) -> pa.Table:
    """A chunk file's rows, without its metadata.

    Read by `ParquetFile`, not `pq.read_table`: that goes through `pyarrow.dataset`, whose first import (with
    pandas) costs the main process of a run about half a second while the workers compute."""
    with pq.ParquetFile(path) as source:
        return source.read().replace_schema_metadata(None)


# ---------------------------------------------------------------------- the folder
class ChunkStore:
    """The `chunks/` folder of a run: one file per finished chunk, each written atomically."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.partial = self.folder / PARTIAL

    def create(self) -> ChunkStore:
        self.partial.mkdir(parents=True, exist_ok=True)
        return self

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.parquet"

    def write(self, result: ChunkResult) -> Path:
        """Write a finished chunk: to `.partial/`, flushed to disk, then renamed into place."""
        self.partial.mkdir(parents=True, exist_ok=True)
        final = self.path(result.name)

        def write(name: str) -> None:
            with open(name, "wb") as handle:
                handle.write(result.data)
                handle.flush()
                os.fsync(handle.fileno())

        return atomic_write(final, write, tmp_dir=self.partial)

    def finished(self) -> set[str]:
        """Names of the chunk files present (each is complete: they only appear by rename)."""
        if not self.folder.is_dir():
            return set()
        return {p.stem for p in self.folder.glob("*.parquet")}

    def clean_partial(self) -> None:
        """Remove what an interrupted write left in `.partial/`."""
        if self.partial.is_dir():
            for leftover in self.partial.iterdir():
                with contextlib.suppress(OSError):
                    leftover.unlink()

    def remove(self) -> None:
        """Delete the folder once the final files are assembled from it."""
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)


def unified_schema(schemas: list[pa.Schema]) -> pa.Schema:
    """The union of chunk schemas: columns in order of first appearance, a typed column winning over a null one."""
    fields: dict[str, pa.Field] = {}
    for schema in schemas:
        for f in schema:
            old = fields.get(f.name)
            if old is None or pa.types.is_null(old.type):
                fields[f.name] = f.with_nullable(True)
            elif not pa.types.is_null(f.type) and old.type != f.type:
                raise ValueError(f"column {f.name!r} has type {old.type} in one chunk and {f.type} in another")
    return pa.schema(list(fields.values()))


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` with `schema`'s columns in its order: missing ones as nulls, null-typed ones cast."""
    columns = []
    for f in schema:
        if f.name in table.column_names:
            column = table.column(f.name)
            columns.append(column if column.type == f.type else column.cast(f.type))
        else:
            columns.append(pa.nulls(table.num_rows, type=f.type))
    return pa.Table.from_arrays(columns, schema=schema)


#: Rows per row group of runs.parquet: fixed, so that the file's bytes depend on its rows alone, not on
#: the chunks or batches they were computed in (nor on the chunk size).
ROW_GROUP_ROWS = 65_536


class RowGroupWriter:
    """Writes tables, in order, as row groups of exactly ROW_GROUP_ROWS rows (the last one shorter).

    Each row group is made contiguous before it is written, so the bytes depend only on the rows
    and the schema, whatever pieces they arrived in. At most one row group is held in memory.
    """

    def __init__(self, writer: pq.ParquetWriter, schema: pa.Schema, rows: int = ROW_GROUP_ROWS) -> None:
        self.writer, self.schema, self.rows = writer, schema, rows
        self._pending: list[pa.Table] = []
        self._count = 0

    def write(self, table: pa.Table) -> None:
        while table.num_rows:
            take = min(table.num_rows, self.rows - self._count)
            self._pending.append(table.slice(0, take))
            self._count += take
            table = table.slice(take)
            if self._count == self.rows:
                self._flush()

    def _flush(self) -> None:
        if self._count:
            group = pa.concat_tables(self._pending).combine_chunks()
            self.writer.write_table(group, row_group_size=self.rows)
        self._pending, self._count = [], 0

    def close(self) -> None:
        self._flush()


def assemble_runs(paths: list[Path], out: Path) -> Path:
    """Stream chunk files, in the order given, into one Parquet file (one chunk and one row group in memory at a time)."""
    schema = unified_schema([pq.read_schema(p).remove_metadata() for p in paths])

    def write(name: str) -> None:
        with pq.ParquetWriter(name, schema, **parquet_options(schema)) as writer:
            groups = RowGroupWriter(writer, schema)
            for path in paths:
                groups.write(conform(read_chunk_rows(path), schema))
            groups.close()

    return atomic_write(out, write)


class StreamingAssembler:
    """Writes runs.parquet while chunks are still being computed: each chunk as soon as every chunk before it is on disk.

    The bytes are those of `assemble_runs` over the same chunks: the schema is the first chunk's
    (a plain run's chunks all have it); if a later chunk's schema differs, `finish` returns
    False and the caller assembles from the chunk files instead. Memory: one row group, and the
    chunk just arrived (earlier arrivals wait on disk).
    """

    def __init__(self, names: list[str], store: ChunkStore, out: Path) -> None:
        self.names, self.store, self.out = list(names), store, Path(out)
        self.partial = self.out.with_name(f".{self.out.name}.partial")
        self.next = 0
        self.ok = True
        self.schema: pa.Schema | None = None
        self._writer: pq.ParquetWriter | None = None
        self._groups: RowGroupWriter | None = None
        self._arrived: set[str] = set()

    def arrived(self, name: str, data: bytes | None = None) -> None:
        """Chunk `name` is on disk (its bytes in `data`, if at hand): write every chunk that is now next in order."""
        self._arrived.add(name)
        while self.ok and self.next < len(self.names) and self.names[self.next] in self._arrived:
            current = self.names[self.next]
            if current == name and data is not None:
                with pq.ParquetFile(pa.BufferReader(data)) as source:
                    table = source.read().replace_schema_metadata(None)
            else:
                table = read_chunk_rows(self.store.path(current))
            self._append(table)
            self.next += 1

    def _append(self, table: pa.Table) -> None:
        schema = unified_schema([table.schema])
        if self._groups is None:  # the first chunk: its schema is the file's
            self.schema = schema
            self._writer = pq.ParquetWriter(str(self.partial), schema, **parquet_options(schema))
            self._groups = RowGroupWriter(self._writer, schema)
        elif schema != self.schema:
            self.ok = False  # the chunks differ in columns: the caller assembles from the files
            return
        self._groups.write(conform(table, schema))

    def finish(self) -> bool:
        """Close the file and move it into place; False (and nothing written) unless every chunk went in."""
        if self._groups is not None and self.ok:
            self._groups.close()
        if self._writer is not None:
            self._writer.close()
        if not (self.ok and self.next == len(self.names)):
            self.partial.unlink(missing_ok=True)
            return False
        with open(self.partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(self.partial, self.out)
        return True

    def abort(self) -> None:
        """Give up: close and remove the partial file. The stream is over: a later `arrived` writes nothing (an
        interrupted sweep saves its manifest after aborting, and must not reopen a file it removed)."""
        self.ok = False
        if self._writer is not None:
            self._writer.close()
            self._writer = self._groups = None
        self.partial.unlink(missing_ok=True)


def iter_chunk_rows(paths: list[Path], columns: list[str] | None = None) -> Iterator[pa.Table]:
    """Rows of chunk files one at a time (for in-memory consumers)."""
    for path in paths:
        yield pq.read_table(path, columns=columns).replace_schema_metadata(None)
