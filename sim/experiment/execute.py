"""Run chunk tasks on an executor: into a chunk folder on disk, or into memory for comparisons.

Both `sim run` and `sim sweep` go through `run_into_store` (each finished chunk written
atomically as it arrives, so memory stays bounded and an interruption loses at most the
chunks in flight); `sim compare` and `sim whatif` use `run_into_memory`, which keeps only a
few bytes of outcome codes per replication and the exact aggregates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.analysis.aggregate import Aggregates
from sim.analysis.paired import CODE_COLUMNS, Codes
from sim.experiment.batches import BatchFile, BatchTask, compute_batch, compute_batch_file, single
from sim.experiment.chunks import (
    META_AGGREGATES,
    META_CHUNK,
    ChunkError,
    ChunkResult,
    ChunkStore,
    ChunkTask,
    aggregates_from_bytes,
)
from sim.experiment.executors import Executor

OnChunk = Callable[[ChunkTask, "ChunkResult | ChunkError"], None]
OnBatchChunk = Callable[[ChunkTask, "BatchFile | ChunkError"], None]


class ChunksFailed(RuntimeError):
    """Some chunks raised; the others finished. The message names each failed chunk and its error."""

    def __init__(self, failures: list[tuple[ChunkTask, ChunkError]], describe: Callable[[ChunkTask], str] | None = None) -> None:
        self.failures = failures
        describe = describe or (lambda t: t.describe())
        lines = [f"{describe(task)}: {error.message}" for task, error in failures]
        more = f" (and {len(lines) - 3} more chunks)" if len(lines) > 3 else ""
        super().__init__(f"{len(failures)} chunk(s) failed: " + "; ".join(lines[:3]) + more)


def as_batches(tasks: Iterable[ChunkTask | BatchTask]) -> Iterable[BatchTask]:
    """Plain chunk tasks as batches of one (batches pass through)."""
    return (t if isinstance(t, BatchTask) else single(t) for t in tasks)


def run_batches(executor: Executor, tasks: Iterable[ChunkTask | BatchTask]) -> Iterator[tuple[ChunkTask, ChunkResult | ChunkError]]:
    """Compute batches on `executor`; yield (chunk task, result) for every chunk, as batches finish.

    A batch the executor gave up on (its worker died again and again) yields that error for each of its chunks.
    """
    for batch, results in executor.run(compute_batch, as_batches(tasks)):
        if isinstance(results, ChunkError):
            results = [ChunkError(t.name, results.message) for t in batch.tasks]
        yield from zip(batch.tasks, results)


def run_into_store(
    executor: Executor,
    tasks: Iterable[ChunkTask | BatchTask],
    store: ChunkStore,
    on_chunk: OnChunk | None = None,
    on_batch: Callable[[], None] | None = None,
) -> list[tuple[ChunkTask, ChunkError]]:
    """Compute every chunk (given as chunk tasks or batches), writing each finished one to `store` as it arrives.

    Returns the failures. `on_chunk` is called for every chunk, `on_batch` once after each batch's chunks.
    """
    failures: list[tuple[ChunkTask, ChunkError]] = []
    store.create()
    for batch, results in executor.run(compute_batch, as_batches(tasks)):
        if isinstance(results, ChunkError):
            results = [ChunkError(t.name, results.message) for t in batch.tasks]
        for task, result in zip(batch.tasks, results):
            if isinstance(result, ChunkError):
                failures.append((task, result))
            else:
                store.write(result)
            if on_chunk is not None:
                on_chunk(task, result)
        if on_batch is not None:
            on_batch()
    failures.sort(key=lambda f: f[0].name)
    return failures


def run_batch_files_into_store(
    executor: Executor,
    batches: Iterable[BatchTask],
    store: ChunkStore,
    on_chunk: OnBatchChunk | None = None,
    on_batch: Callable[[], None] | None = None,
) -> list[tuple[ChunkTask, ChunkError]]:
    """Compute batches, writing one file per batch (its chunks that succeeded) to `store` as it arrives.

    What sweeps use: a sweep of 10,000 small variants writes a few dozen files, not 10,000.
    Returns the failed chunks; `on_chunk` is called for every chunk (with its error, or its batch's file), `on_batch`
    after each batch.
    """
    failures: list[tuple[ChunkTask, ChunkError]] = []
    store.create()
    for batch, result in executor.run(compute_batch_file, batches):
        if isinstance(result, ChunkError):  # the executor gave up on it (its worker died again and again)
            result = BatchFile(batch.name, None, (), tuple((t, ChunkError(t.name, result.message)) for t in batch.tasks), 0.0)
        if result.data is not None:
            store.write(ChunkResult(result.name, result.data, result.seconds))
        failures += result.errors
        if on_chunk is not None:
            errors = {t.name: e for t, e in result.errors}
            for task in batch.tasks:
                on_chunk(task, errors.get(task.name, result))
        if on_batch is not None:
            on_batch()
    failures.sort(key=lambda f: f[0].name)
    return failures


@dataclass
class InMemoryResult:
    """Outcome codes (in replication order) and exact aggregates of one scenario's replications."""

    codes: Codes
    aggregates: Aggregates


def decode_result(data: bytes) -> tuple[dict[str, Any], Codes, Aggregates]:
    """Identity, outcome codes and aggregates of a chunk file held in memory."""
    import json

    reader = pa.BufferReader(data)
    table = pq.read_table(reader, columns=list(CODE_COLUMNS))
    meta = pq.read_schema(pa.BufferReader(data)).metadata
    identity = json.loads(meta[META_CHUNK])
    agg = aggregates_from_bytes(meta[META_AGGREGATES], tuple(identity["issues"]), identity["horizon"])
    return identity, Codes.from_table(table), agg


def run_into_memory(executor: Executor, tasks: list[ChunkTask], on_chunk: OnChunk | None = None) -> dict[int, InMemoryResult]:
    """Compute every task (variant = index of a scenario) and keep codes and aggregates per variant.

    Raises ChunksFailed when any chunk raised (a comparison with missing chunks would be wrong).
    """
    codes: dict[str, Codes] = {}
    totals: dict[int, Aggregates] = {}  # merged as chunks arrive: exact integer sums, in any order
    failures: list[tuple[ChunkTask, ChunkError]] = []
    for task, result in run_batches(executor, tasks):
        if isinstance(result, ChunkError):
            failures.append((task, result))
        else:
            _, codes[task.name], agg = decode_result(result.data)
            variant = _variant(task)
            totals[variant] = totals[variant] + agg if variant in totals else agg
        if on_chunk is not None:
            on_chunk(task, result)
    if failures:
        raise ChunksFailed(sorted(failures, key=lambda f: f[0].name))
    out: dict[int, InMemoryResult] = {}
    for variant in sorted({_variant(t) for t in tasks}):
        mine = sorted((t for t in tasks if t.variant == variant), key=lambda t: t.chunk.index)
        out[variant] = InMemoryResult(Codes.concat([codes.pop(t.name) for t in mine]), totals[variant])
    return out


def _variant(task: ChunkTask) -> int:
    """The scenario index of a task run into memory."""
    if task.variant is None:
        raise ValueError(f"expected a task with a variant (the index of its scenario), got {task.name}")
    return task.variant
