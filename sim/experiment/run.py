"""Run a scenario's replications in fixed chunks on an executor, and write the results.

The model knows nothing of this layer: a chunk is a `CeasefireModel` over a contiguous
range of replication indices (`sim.experiment.chunks`). Chunks are fixed by the chunk size
alone (not by the number of workers or the executor), each finished chunk is written to
the run's `chunks/` folder as it arrives, and runs.parquet is assembled from the chunk
files in chunk order, so the files are identical for any executor and number of workers.

`run_in_memory` runs several scenarios on the same replications for comparisons (`sim
compare`, `sim whatif`) and keeps only outcome codes and exact aggregates.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sim
from sim.analysis.aggregate import Aggregates
from sim.analysis.summary import summarise, summary_table, weekly_table
from sim.defaults import DEFAULT_CHUNK
from sim.experiment.chunks import (
    ChunkError,
    ChunkResult,
    ChunkStore,
    ChunkTask,
    StreamingAssembler,
    assemble_runs,
    plan_chunks,
    read_chunk_meta,
)
from sim.experiment.execute import ChunksFailed, InMemoryResult, run_into_memory, run_into_store
from sim.experiment.executors import ExecutorSpec, default_workers, make_executor
from sim.experiment.plots import Drawing, Plots, Warmup, draw
from sim.experiment.provenance import provenance
from sim.experiment.sizes import Estimate
from sim.experiment.sizes import check as check_size
from sim.experiment.store import discard_run_dir, nan_as_null, new_run_dir, publish_run_dir, write_json_atomic, write_parquet_atomic
from sim.scenario.load import LoadedScenario, scenario_hash

PLOT_PROCESSES = 2
"""Child processes that draw a run's plots, a share each (the run's four plots take about 0.45 s one after another)."""


def rules_base(loaded: LoadedScenario) -> str:
    """The folder user rule modules of a scenario are found from (absolute, for worker processes)."""
    return str(Path(loaded.path).resolve().parent)


def scenario_tasks(loaded: LoadedScenario, runs: int, seed: int, chunk_size: int, variant: int | None = None) -> list[ChunkTask]:
    """The chunk tasks of `runs` replications of one scenario."""
    scenario = loaded.scenario
    digest = scenario_hash(scenario)
    base = rules_base(loaded)
    return [ChunkTask(variant, c, scenario, int(seed), digest, base) for c in plan_chunks(runs, chunk_size)]


@dataclass
class RunResult:
    """What a finished run produced."""

    path: Path
    summary: dict[str, Any]
    aggregates: Aggregates
    seconds: float


def run_scenario(
    loaded: LoadedScenario,
    runs: int,
    seed: int,
    out: Path,
    workers: int | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    command: list[str] | None = None,
    progress: Callable[[int], None] | None = None,
    executor: ExecutorSpec | None = None,
    plots: Plots | None = None,
) -> RunResult:
    """Run `runs` replications of a scenario and write `out/<scenario>/<run id>/` atomically.

    `executor` says where chunks run (default: local worker processes, `workers` of them,
    all cores when None). Raises ChunksFailed, naming the chunks and their errors, when a
    chunk raised; no result folder is left then. `plots` draws `plots/` (the command line passes the
    report layer's; none from a library caller that does not ask).
    """
    scenario = loaded.scenario
    spec = executor or ExecutorSpec("local", workers)
    check_size(Estimate(runs, scenario.horizon_weeks, len(plan_chunks(runs, chunk_size)), spec.workers or default_workers()), "--runs", Path(out))
    tasks = scenario_tasks(loaded, runs, seed, chunk_size)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    final, tmp = new_run_dir(Path(out), scenario.name, seed=seed)
    assembler = None
    drawing: Drawing | None = None
    try:
        store = ChunkStore(tmp / "chunks")
        # runs.parquet is written while later chunks still compute, and the plotting library is imported
        # meanwhile: with worker processes, the main process would otherwise idle, then do both at the end.
        assembler = StreamingAssembler([t.name for t in tasks], store, tmp / "runs.parquet")
        warm = Warmup(plots)

        def on_chunk(task: ChunkTask, result: ChunkResult | ChunkError) -> None:
            if not isinstance(result, ChunkError):
                assembler.arrived(task.name, result.data)
            warm.start()  # the workers exist by now (a pool forks them before any thread starts here)
            if progress:
                progress(task.chunk.size)

        with make_executor(spec) as pool:
            used_workers = pool.workers
            failures = run_into_store(pool, tasks, store, on_chunk=on_chunk)
        if failures:
            raise ChunksFailed(failures)
        paths = [store.path(t.name) for t in tasks]
        agg = Aggregates.empty(tuple(scenario.issues), scenario.horizon_weeks)
        for path in paths:
            agg = agg + read_chunk_meta(path).aggregates
        summary = summarise(agg)
        summary["scenario"] = scenario.name
        summary["seed"] = seed
        weekly = weekly_table(agg)
        if plots is not None:  # drawn by a child process, while this one writes the other files
            warm.join()
            (tmp / "plots").mkdir()
            drawing = draw(plots, summary, weekly, agg, tmp / "plots", parts=PLOT_PROCESSES)
        if not assembler.finish():
            assemble_runs(paths, tmp / "runs.parquet")
        store.remove()
        write_parquet_atomic(tmp / "weekly.parquet", nan_as_null(weekly))
        write_json_atomic(tmp / "summary.json", summary)
        write_parquet_atomic(tmp / "summary.parquet", summary_table(agg, scenario.name, seed))
        if drawing is not None:
            drawing.join()
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
            "chunks": len(tasks),
            "workers": used_workers,
            "executor": spec.kind,
            "package_version": sim.__version__,
            "python": platform.python_version(),
            **provenance(),
            "command": command if command is not None else sys.argv,
            "run_id": final.name,
            "times": {
                "started": started.isoformat(),
                "finished": datetime.now(UTC).isoformat(),
                "seconds": round(seconds, 3),
            },
        }
        # Unsorted: the resolved scenario keeps the order of its issues (the model's issue index).
        write_json_atomic(tmp / "manifest.json", manifest, sort_keys=False)
    except BaseException:
        if drawing is not None:
            drawing.cancel()
        if assembler is not None:
            assembler.abort()
        discard_run_dir(tmp)  # removes the folder and releases its lock
        raise
    publish_run_dir(tmp, final)
    return RunResult(final, summary, agg, seconds)


def run_in_memory(
    scenarios: list[LoadedScenario],
    runs: int,
    seed: int,
    chunk_size: int = DEFAULT_CHUNK,
    executor: ExecutorSpec | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[InMemoryResult]:
    """Run every scenario on replications 0 .. runs - 1 with the same seed (common random numbers).

    Returns, per scenario, outcome codes in replication order and exact aggregates; nothing
    is written. Raises ChunksFailed when a chunk raised.
    """
    tasks = [t for i, loaded in enumerate(scenarios) for t in scenario_tasks(loaded, runs, seed, chunk_size, variant=i)]
    with make_executor(executor or ExecutorSpec()) as pool:
        results = run_into_memory(pool, tasks, on_chunk=(lambda t, r: progress(t.chunk.size)) if progress else None)
    return [results[i] for i in range(len(scenarios))]
