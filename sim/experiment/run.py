"""Run a scenario's replications in fixed chunks, in-process or on local worker processes, and write the results.

The model knows nothing of this layer: a chunk is a `CeasefireModel` over a contiguous
range of replication indices. Chunks are fixed by the chunk size alone (not by the number
of workers), results are consumed in chunk order, and every draw depends only on (seed,
replication, week, name), so the files are identical for any number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import sys
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import sim
from sim.analysis.aggregate import AGREEMENT_TYPES, STATUSES, Aggregates
from sim.analysis.summary import summarise, weekly_table
from sim.experiment.store import new_run_dir, publish_run_dir, write_json_atomic, write_parquet_atomic
from sim.scenario.load import LoadedScenario, scenario_hash
from sim.scenario.schema import Scenario

DEFAULT_CHUNK = 10_000
MEDIATORS = ("us", "turkey")


@dataclass(frozen=True)
class Chunk:
    """Replications [start, stop) of one run."""

    index: int
    start: int
    stop: int


def plan_chunks(runs: int, chunk_size: int = DEFAULT_CHUNK, first: int = 0) -> list[Chunk]:
    """Cut replications first .. first + runs - 1 into chunks of `chunk_size` (the last may be shorter)."""
    if runs < 1:
        raise ValueError("expected at least one replication")
    bounds = range(first, first + runs, chunk_size)
    return [Chunk(i, s, min(s + chunk_size, first + runs)) for i, s in enumerate(bounds)]


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


def _forget_model(model) -> None:
    """Release a finished model: mesa 3.3 keeps every model as a key of `Agent._ids` (a leak when a
    process builds many models), so drop that key along with the model's agents."""
    import mesa

    for agent in list(model.agents):
        agent.remove()
    mesa.Agent._ids.pop(model, None)


def runs_batch(runs: dict[str, np.ndarray]) -> pa.RecordBatch:
    """Per-replication outcomes as an Arrow batch: codes as readable strings, 'none' as null."""
    cols: dict[str, pa.Array] = {}
    for name, values in runs.items():
        if name == "status":
            cols[name] = pa.array(np.asarray(STATUSES, dtype=object)[values])
        elif name == "first_agreement":
            labels = np.asarray(AGREEMENT_TYPES, dtype=object)[values]
            cols[name] = pa.array(labels, mask=values == 0)
        elif name == "first_agreement_week":
            cols[name] = pa.array(values, mask=values < 0, type=pa.int32())
        elif name == "first_mediator":
            labels = np.asarray(MEDIATORS + ("",), dtype=object)[values]
            cols[name] = pa.array(labels, mask=values < 0)
        else:
            cols[name] = pa.array(values)
    return pa.RecordBatch.from_pydict(cols)


def _iter_chunks(
    scenario: Scenario, seed: int, chunks: list[Chunk], workers: int
) -> Iterator[tuple[Chunk, pa.RecordBatch, Aggregates]]:
    """Results chunk by chunk, in chunk order; at most 2 x workers chunks in flight (bounded memory)."""
    if workers <= 1 or len(chunks) == 1:
        for c in chunks:
            yield (c, *simulate_chunk(scenario, seed, c.start, c.stop))
        return
    context = multiprocessing.get_context("spawn")  # mesa sets spawn anyway; say so explicitly
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[tuple[Chunk, Future]] = deque()
        todo = iter(chunks)
        for c in todo:
            pending.append((c, pool.submit(simulate_chunk, scenario, seed, c.start, c.stop)))
            if len(pending) >= 2 * workers:
                break
        while pending:
            c, future = pending.popleft()
            batch, agg = future.result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append((nxt, pool.submit(simulate_chunk, scenario, seed, nxt.start, nxt.stop)))
            yield c, batch, agg


@dataclass
class RunResult:
    """What a finished run produced."""

    path: Path
    summary: dict
    aggregates: Aggregates
    seconds: float


def default_workers() -> int:
    """All cores."""
    return os.cpu_count() or 1


def run_scenario(
    loaded: LoadedScenario,
    runs: int,
    seed: int,
    out: Path,
    workers: int | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    command: list[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Run `runs` replications of a scenario and write `out/<scenario>/<run id>/` atomically."""
    scenario = loaded.scenario
    workers = workers or default_workers()
    chunks = plan_chunks(runs, chunk_size)
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    final, tmp = new_run_dir(Path(out), scenario.name, seed=seed)
    try:
        agg = Aggregates.empty(tuple(scenario.issues), scenario.horizon_weeks)
        writer = None
        runs_tmp = tmp / "runs.parquet"
        for chunk, batch, part in _iter_chunks(scenario, seed, chunks, workers):
            if writer is None:
                writer = pq.ParquetWriter(runs_tmp, batch.schema)
            writer.write_batch(batch)
            agg = agg.merge(part)
            if progress:
                progress(chunk.stop - chunk.start)
        writer.close()
        summary = summarise(agg)
        summary["scenario"] = scenario.name
        summary["seed"] = seed
        weekly = weekly_table(agg)
        write_parquet_atomic(tmp / "weekly.parquet", weekly)
        write_json_atomic(tmp / "summary.json", summary)
        from sim.report.plots import write_plots

        (tmp / "plots").mkdir()
        write_plots(summary, weekly, agg, tmp / "plots")
        seconds = time.perf_counter() - t0
        manifest = {
            "scenario": scenario.name,
            "title": scenario.title,
            "scenario_file": str(loaded.path),
            "extends_chain": [str(p) for p in loaded.chain],
            "scenario_hash": scenario_hash(scenario),
            "resolved_scenario": scenario.model_dump(mode="json"),
            "seed": seed,
            "runs": runs,
            "weeks": scenario.horizon_weeks,
            "chunk_size": chunk_size,
            "chunks": len(chunks),
            "workers": workers,
            "package_version": sim.__version__,
            "python": platform.python_version(),
            "command": command if command is not None else sys.argv,
            "run_id": final.name,
            "times": {
                "started": started.isoformat(),
                "finished": datetime.now(timezone.utc).isoformat(),
                "seconds": round(seconds, 3),
            },
        }
        write_json_atomic(tmp / "manifest.json", manifest)
    except BaseException:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        raise
    publish_run_dir(tmp, final)
    return RunResult(final, summary, agg, seconds)
