"""Running a sweep: chunks on an executor, written as they finish, resumable; then the assembled results.

Results go to `<out>/<sweep>/<run id>/`, written as the sweep goes: `variants.parquet` and
an incomplete `manifest.json` first, then one file per finished batch in `chunks/` (each
written atomically, listed in the manifest), and at the end `runs.parquet` (assembled from
the chunks in chunk order), `summary.parquet`, `sensitivity.parquet` (sensitivity designs),
plots, and the manifest marked complete. An interrupted sweep is resumed from its finished
chunks (`resume_sweep`), and the final files are the same bytes as an uninterrupted run's.
"""

from __future__ import annotations

import json
import platform
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import sim
from sim.analysis.columns import current_name
from sim.analysis.summary import SUMMARY_FIELDS
from sim.errors import InputError
from sim.experiment.batches import BATCH_REPLICATIONS, BatchFile, StoredPiece, read_file_pieces, read_summary_aggregates
from sim.experiment.chunks import (
    ChunkError,
    ChunkResult,
    ChunkStore,
    ChunkTask,
    RowGroupWriter,
    StreamingAssembler,
    conform,
    unified_schema,
)
from sim.experiment.execute import run_batch_files_into_store
from sim.experiment.executors import ExecutorSpec, ExecutorUnavailable, default_workers, make_executor
from sim.experiment.plots import Plots, Warmup
from sim.experiment.sizes import Estimate
from sim.experiment.sizes import check as check_size
from sim.experiment.store import atomic_write, make_run_id, nan_as_null, parquet_options, write_json_atomic, write_parquet_atomic
from sim.experiment.sweep.plan import SweepPlan, plan_sweep
from sim.experiment.sweep.tables import summary_table, variants_table
from sim.input_files import read_input_text
from sim.scenario.load import scenario_hash

MANIFEST = "manifest.json"
#: Called once a chunk is done: with its batch file, or the error that stopped it.
OnChunk = Callable[[ChunkTask, "ChunkResult | ChunkError | BatchFile"], None]
OnStart = Callable[[int, int], None]


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

    def __init__(self, plan: SweepPlan) -> None:
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
        """A chunk finished (or failed: its replications are not to be waited for either)."""
        self.replications_done += task.chunk.size
        variant = task.variant if task.variant is not None else -1
        count = self._partial.get(variant, 0) + 1
        if count >= self.per_variant:
            self._partial.pop(variant, None)
            self.variants_done += 1
        else:
            self._partial[variant] = count

    def variants_text(self) -> str:
        return f"{self.variants_done:,}/{self.variants:,}"


class SweepInterrupted(Exception):
    """The sweep was interrupted (Ctrl-C); finished chunks are on disk and the manifest says incomplete."""

    def __init__(self, path: Path, done: int, total: int) -> None:
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
    """`variant 3 (path = value, ...), chunk 0 (replications 0-999)`, for messages."""
    return f"{plan.describe_variant(task.variant or 0)}, chunk {task.chunk.index} (replications {task.chunk.start}-{task.chunk.stop - 1})"


class _Manifest:
    """The manifest of a sweep in progress, rewritten atomically whenever a chunk completes."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

    def save(self) -> None:
        write_json_atomic(self.path / MANIFEST, self.data)


def _manifest_data(plan: SweepPlan, run_dir: Path, spec: ExecutorSpec, command: list[str] | None) -> dict[str, Any]:
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
        "weeks": plan.horizon,
        "chunk_size": plan.chunk_size,
        "chunks": {"planned": len(plan.variants) * len(plan.chunks), "complete": []},
        "failed": [],
        "executor": spec.describe(),
        "package_version": sim.__version__,
        "python": platform.python_version(),
        "command": command if command is not None else sys.argv,
        "run_id": run_dir.name,
        "resume": f"sim sweep {plan.file} --resume {run_dir}",
        "times": {"started": datetime.now(UTC).isoformat(), "finished": None, "seconds": 0.0, "sessions": []},
    }


def start_sweep(
    plan: SweepPlan,
    out: Path,
    executor: ExecutorSpec | None = None,
    command: list[str] | None = None,
    on_chunk: OnChunk | None = None,
    on_start: OnStart | None = None,
    batch_replications: int | None = None,
    plots: Plots | None = None,
) -> SweepOutcome:
    """Run a sweep from scratch into a new `<out>/<sweep>/<run id>/`.

    `batch_replications` bounds the replications one model computes at once (default:
    `sim.experiment.batches.BATCH_REPLICATIONS`, or the chunk size when larger); the files do not depend on it.
    """
    spec = executor or ExecutorSpec()
    check_size(
        Estimate(len(plan.variants) * plan.runs, plan.horizon, len(plan.variants) * len(plan.chunks), spec.workers or default_workers(), len(plan.variants)),
        str(plan.file),
        Path(out),
    )
    created = [p for p in (Path(out) / plan.name, Path(out)) if not p.exists()]
    run_dir = new_sweep_dir(out, plan.name, plan.seed)
    manifest = _Manifest(run_dir, _manifest_data(plan, run_dir, spec, command))
    manifest.save()
    write_parquet_atomic(run_dir / "variants.parquet", variants_table(plan))
    try:
        return _execute(plan, manifest, spec, command, on_chunk, on_start, batch_replications, plots)
    except ExecutorUnavailable:
        # The executor never started (an unreachable or foreign scheduler): nothing was computed, leave nothing behind.
        shutil.rmtree(run_dir, ignore_errors=True)
        for folder in created:  # the folders this call made, when still empty
            try:
                folder.rmdir()
            except OSError:
                pass
        raise


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """A sweep result folder's manifest; InputError when the folder is not one."""
    run_dir = Path(run_dir)
    if not (run_dir / MANIFEST).exists():
        raise InputError("--resume", str(run_dir), "expected a sweep result folder holding manifest.json")
    try:
        data = json.loads(read_input_text(run_dir / MANIFEST, "manifest (JSON)"))
    except ValueError as exc:
        raise InputError("--resume", str(run_dir), f"expected a readable manifest.json: {exc}") from None
    if not isinstance(data, dict) or data.get("kind") != "sweep":
        raise InputError("--resume", str(run_dir), "expected a sweep result folder (its manifest is not a sweep's)")
    return data


def plan_for_resume(run_dir: Path, file: Path | None = None, **given: Any) -> tuple[SweepPlan, dict[str, Any]]:
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
    plan = plan_sweep(file, runs=options["runs"], seed=options["seed"], chunk_size=options["chunk_size"], crn=options["crn"], weeks=options["weeks"])
    if plan.hash != data["sweep_hash"]:
        raise InputError(
            str(file),
            None,
            f"expected the sweep that {run_dir} was started with: the sweep file or its base "
            "scenario has changed since (the variants differ); restore it, or start a new sweep",
        )
    return plan, data


def resume_sweep(
    run_dir: Path,
    file: Path | None = None,
    executor: ExecutorSpec | None = None,
    command: list[str] | None = None,
    on_chunk: OnChunk | None = None,
    on_start: OnStart | None = None,
    planned: tuple[SweepPlan, dict[str, Any]] | None = None,
    batch_replications: int | None = None,
    plots: Plots | None = None,
    **given: Any,
) -> SweepOutcome:
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
    return _execute(plan, manifest, spec, command, on_chunk, on_start, batch_replications, plots)


def _is(task: ChunkTask, identity: dict[str, Any]) -> bool:
    """Whether a stored chunk's identity (from its file's footer) is the chunk `task` asks for."""
    return (identity.get("seed"), identity.get("scenario_hash"), identity.get("start"), identity.get("stop")) == (
        task.seed,
        task.scenario_hash,
        task.chunk.start,
        task.chunk.stop,
    )


def _finished_chunks(store: ChunkStore, tasks: list[ChunkTask]) -> dict[str, StoredPiece]:
    """Chunks on disk that are what the plan asks for (identity checked from each file's footer): name -> where."""
    by_name = {t.name: t for t in tasks}
    done: dict[str, StoredPiece] = {}
    for name in sorted(store.finished()):
        try:
            pieces, schema = read_file_pieces(store.path(name))
        except Exception:  # unreadable: its chunks will be computed again and the file replaced
            continue
        if any(current_name(n) != n for n in schema.names):  # written before today's column names: computed again
            continue
        for piece in pieces:
            identity = piece.identity
            task = by_name.get(str(identity.get("name")))
            if task is not None and identity["name"] not in done and _is(task, identity):
                done[task.name] = piece
    return done


def _runs_row_runs(tasks: list[ChunkTask], where: dict[str, StoredPiece]) -> list[tuple[Path, int, int]]:
    """(file, first row, rows) of the chunks of `tasks` in order, consecutive chunks that follow each other in a file
    taken together."""
    runs: list[tuple[Path, int, int]] = []
    for task in tasks:
        piece = where[task.name]
        if runs and runs[-1][0] == piece.path and runs[-1][1] + runs[-1][2] == piece.offset:
            runs[-1] = (piece.path, runs[-1][1], runs[-1][2] + piece.rows)
        else:
            runs.append((piece.path, piece.offset, piece.rows))
    return runs


class _FileRows:
    """The rows of one chunk file at a time (conformed to `schema`), read when asked for another."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.path: Path | None = None
        self.table: pa.Table | None = None

    def slice(self, path: Path, offset: int, rows: int) -> pa.Table:
        if self.path != path or self.table is None:
            self.table = None  # the previous file's rows go before the next file's are read
            self.table = conform(pq.read_table(path).replace_schema_metadata(None), self.schema)
            self.path = path
        return self.table.slice(offset, rows)


class _StreamingRuns(StreamingAssembler):
    """Writes runs.parquet while a sweep runs: each chunk as soon as every chunk before it is on disk.

    The bytes are those `finish_sweep` assembles from the files: the schema is the first file's (the
    files of a sweep whose variants differ only in numbers all have it); if a later file's schema
    differs, or a chunk fails, `finish` returns False and `finish_sweep` assembles from the files.
    Memory: one row group and one file's rows. `finish` and `abort` are `sim run`'s (StreamingAssembler).
    """

    def __init__(self, tasks: list[ChunkTask], store: ChunkStore, out: Path) -> None:
        super().__init__([t.name for t in tasks], store, out)
        self.tasks = tasks
        self.by_name = {t.name: t for t in tasks}
        self.where: dict[str, StoredPiece] = {}
        self.file_schema: pa.Schema | None = None
        self._rows: _FileRows | None = None

    def arrived(self, name: str, data: bytes | None = None) -> None:
        """Batch file `name` is on disk: write every chunk that is now next in order (`data` is not needed)."""
        if not self.ok:
            return
        pieces, schema = read_file_pieces(self.store.path(name))
        if self.file_schema is None:  # the first file: its schema is runs.parquet's (set last, once all is ready)
            self.schema = unified_schema([schema])
            self._writer = pq.ParquetWriter(str(self.partial), self.schema, **parquet_options(self.schema))
            self._groups = RowGroupWriter(self._writer, self.schema)
            self._rows = _FileRows(self.schema)
            self.file_schema = schema
        elif schema != self.file_schema:
            self.ok = False  # the files differ in columns: finish_sweep assembles from the files
            return
        for piece in pieces:
            task = self.by_name.get(str(piece.identity.get("name")))
            if task is not None and _is(task, piece.identity):
                self.where[task.name] = piece
        ready = []
        while self.next < len(self.tasks) and self.tasks[self.next].name in self.where:
            ready.append(self.tasks[self.next])
            self.next += 1
        assert self._groups is not None and self._rows is not None
        for path, offset, rows in _runs_row_runs(ready, self.where):
            self._groups.write(self._rows.slice(path, offset, rows))
        for task in ready:
            del self.where[task.name]


def _execute(
    plan: SweepPlan,
    manifest: _Manifest,
    spec: ExecutorSpec,
    command: list[str] | None,
    on_chunk: OnChunk | None,
    on_start: OnStart | None,
    batch_replications: int | None = None,
    plots: Plots | None = None,
) -> SweepOutcome:
    run_dir = manifest.path
    data = manifest.data
    t0 = time.perf_counter()
    session = {"started": datetime.now(UTC).isoformat(), "command": command if command is not None else sys.argv, "executor": spec.describe()}
    data["times"]["sessions"].append(session)
    store = ChunkStore(run_dir / "chunks").create()
    store.clean_partial()
    tasks = plan.tasks()
    done = set(_finished_chunks(store, tasks))
    streaming = _StreamingRuns(tasks, store, run_dir / "runs.parquet")
    streaming.partial.unlink(missing_ok=True)  # a partial runs.parquet left by a killed session
    arrived: list[str] = []  # batch files on disk since the last save
    data["chunks"]["complete"] = sorted(done)
    data["failed"] = []
    manifest.save()
    warm = Warmup(plots)
    todo = {t.name for t in tasks if t.name not in done}
    if on_start is not None:
        on_start(len(tasks), len(done))

    def record(task: ChunkTask, result: ChunkResult | ChunkError | BatchFile) -> None:
        if isinstance(result, ChunkError):
            data["failed"].append({"chunk": task.name, "variant": task.variant, "chunk_index": task.chunk.index, "error": result.message})
            streaming.ok = False  # the sweep ends incomplete: no runs.parquet
        else:
            done.add(task.name)
            if isinstance(result, BatchFile) and result.data is not None and (not arrived or arrived[-1] != result.name):
                arrived.append(result.name)
        if on_chunk is not None:
            on_chunk(task, result)

    def save() -> None:  # once per batch: the chunk files of a batch are all on disk by now
        warm.start()  # the pool has forked its workers by now: import the plotting modules while they compute
        data["failed"].sort(key=lambda f: f["chunk"])  # chunk order, whatever order they failed in
        data["chunks"]["complete"] = sorted(done)
        manifest.save()
        if not done_before:  # from scratch, runs.parquet is written as the batches arrive
            for name in arrived:
                streaming.arrived(name)
        arrived.clear()

    done_before = bool(done)
    try:
        if todo:
            with make_executor(spec) as pool:
                if batch_replications is None and pool.workers > 1:
                    # At least two batches per worker when there is little to do, so that no worker waits for the last one.
                    per_worker = -(-len(todo) * plan.runs // len(plan.chunks) // (2 * pool.workers))
                    batch_replications = max(1, min(max(BATCH_REPLICATIONS, plan.chunk_size), per_worker))
                failures = run_batch_files_into_store(pool, plan.batches(todo, batch_replications), store, on_chunk=record, on_batch=save)
        else:
            failures = []
    except KeyboardInterrupt:
        streaming.abort()
        store.clean_partial()
        _close_session(data, session, t0, "interrupted")
        save()
        raise SweepInterrupted(run_dir, len(done), len(tasks)) from None
    except BaseException:
        streaming.abort()
        raise
    if failures:
        streaming.abort()
        _close_session(data, session, t0, "failed chunks")
        save()
        return SweepOutcome(run_dir, False, failures, len(done), len(tasks), time.perf_counter() - t0)
    summary, sensitivity = finish_sweep(plan, run_dir, store, tasks, runs_written=not done_before and streaming.finish(), plots=plots)
    _close_session(data, session, t0, "complete")
    data["status"] = "complete"
    data["times"]["finished"] = datetime.now(UTC).isoformat()
    data["chunks"]["complete"] = sorted(done)
    manifest.save()
    store.remove()
    return SweepOutcome(run_dir, True, [], len(done), len(tasks), time.perf_counter() - t0, summary, sensitivity)


def _assemble_runs(out: Path, tasks: list[ChunkTask], where: dict[str, StoredPiece]) -> None:
    """runs.parquet from the chunk files, in chunk order."""
    schemas: dict[Path, pa.Schema] = {}
    for task in tasks:
        path = where[task.name].path
        if path not in schemas:
            schemas[path] = read_file_pieces(path)[1]
    ordered: list[pa.Schema] = []
    for task in tasks:  # the sequence of schemas chunk by chunk, as per-chunk files would give it
        schema = schemas[where[task.name].path]
        if not ordered or ordered[-1] is not schema:
            ordered.append(schema)
    schema = unified_schema(ordered)
    rows = _FileRows(schema)

    def write(name: str) -> None:
        with pq.ParquetWriter(name, schema, **parquet_options(schema)) as writer:
            groups = RowGroupWriter(writer, schema)
            for path, offset, count in _runs_row_runs(tasks, where):
                groups.write(rows.slice(path, offset, count))
            groups.close()

    atomic_write(out, write)


def _close_session(data: dict[str, Any], session: dict[str, Any], t0: float, status: str) -> None:
    seconds = time.perf_counter() - t0
    session["finished"] = datetime.now(UTC).isoformat()
    session["seconds"] = round(seconds, 3)
    session["status"] = status
    data["times"]["seconds"] = round(sum(s.get("seconds", 0.0) for s in data["times"]["sessions"]), 3)


def finish_sweep(
    plan: SweepPlan, run_dir: Path, store: ChunkStore, tasks: list[ChunkTask], runs_written: bool = False, plots: Plots | None = None
) -> tuple[pa.Table, pa.Table | None]:
    """Assemble runs.parquet from the chunks in chunk order (unless `runs_written`), then summary, sensitivity and
    (with `plots`) the plots.

    The rows go in row groups of a fixed size (`RowGroupWriter`), whichever files (batches) hold
    them, so the file does not depend on the batching. One file's rows are in memory at a time.
    """
    where = _finished_chunks(store, tasks)
    missing = [t.name for t in tasks if t.name not in where]
    if missing:
        raise RuntimeError(f"{len(missing)} chunk(s) missing from {store.folder}: {', '.join(missing[:3])}")
    if not runs_written:
        _assemble_runs(run_dir / "runs.parquet", tasks, where)

    # Per-variant summaries from the chunks' summary aggregates, one file's aggregates in memory at a time.
    per_variant = len(plan.chunks)
    totals: dict[str, list[np.ndarray]] = {f: [] for f in SUMMARY_FIELDS}
    loaded: dict[str, Any] = {}
    for v in range(len(plan.variants)):
        sums: dict[str, np.ndarray] | None = None
        for task in tasks[v * per_variant : (v + 1) * per_variant]:
            piece = where[task.name]
            if loaded.get("path") != piece.path:
                loaded.clear()
                loaded.update(path=piece.path, arrays=read_summary_aggregates(piece.path))
            part = {f: loaded["arrays"][f][piece.index] for f in SUMMARY_FIELDS}
            sums = part if sums is None else {f: sums[f] + part[f] for f in SUMMARY_FIELDS}
        assert sums is not None  # a variant has at least one chunk
        for f in SUMMARY_FIELDS:
            totals[f].append(sums[f])
    summary = summary_table(plan, {f: np.stack(totals[f]) for f in SUMMARY_FIELDS})
    write_parquet_atomic(run_dir / "summary.parquet", summary)
    sensitivity = plan.design.analyse(plan.design_matrix, summary, plan.design_seed)
    if sensitivity is not None:
        write_parquet_atomic(run_dir / "sensitivity.parquet", nan_as_null(sensitivity))
    if plots is not None:
        (run_dir / "plots").mkdir(exist_ok=True)
        plots(plan, summary, sensitivity, run_dir / "plots")
    return summary, sensitivity
