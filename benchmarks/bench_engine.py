"""Performance benchmark of the ensemble engine (see benchmarks/README.md).

    .venv/bin/python benchmarks/bench_engine.py                 # the full benchmark
    .venv/bin/python benchmarks/bench_engine.py --big-runs 0    # skip the 1,000,000 run

Each measurement runs in a fresh Python process, so that its peak memory (the high-water
mark that `getrusage` reports for a process's whole life) belongs to that measurement
alone:

1. end to end: `sim.experiment.run.run_scenario` on scenarios/baseline.toml, `--runs`
   replications x 52 weeks on `--workers` worker processes, writing every file a user
   gets (runs.parquet, weekly.parquet, summary, plots, manifest);
2. engine only: one in-process `CeasefireModel` over `--runs` replications, no I/O;
3. where the time goes: `run_scenario` in-process (1 worker) with timers around the
   engine, the Arrow conversion, `Aggregates.from_chunk`, Parquet writing, summary and
   plots; plus the start-up of a pool of worker processes;
4. big run: `--big-runs` replications end to end, for its peak memory;
5. the conventional way: one Mesa model per replication (benchmarks/conventional.py),
   a plain loop and `mesa.batch_run`, on `--conventional` replications; its results are
   checked to be identical to the ensemble's for the same replications.

It ends with a Markdown table (for the README) and one line of JSON (for machines).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sim.cli.plotting import RUN_PLOTS

ROOT = Path(__file__).resolve().parent.parent
# The memory sampler's thread only reads /proc files: it holds nothing a forked worker could need, so workers
# start by fork as they do from the command line (sim.experiment.executors.pool_context).
os.environ.setdefault("SIM_START_METHOD", "fork")
BASELINE = ROOT / "scenarios" / "baseline.toml"
RESULT_TAG = "BENCH-PHASE-RESULT "

# Targets of the issue, on a 2-core machine.
TARGET_SECONDS_100K = 10.0
TARGET_SPEEDUP = 100.0
TARGET_PEAK_BYTES_1M = 2 * 1024**3
TARGET_WORKERS_RATIO = 0.6  # issue 10, part 4: 2 workers end to end <= 0.6 x in-process
TARGET_SECONDS_WORKERS = 4.0


# ---------------------------------------------------------------------- memory
def _maxrss_bytes(who: int) -> int:
    """`getrusage(who).ru_maxrss` in bytes (Linux reports kilobytes, macOS bytes)."""
    value = resource.getrusage(who).ru_maxrss
    return value if sys.platform == "darwin" else value * 1024


class TreeSampler:
    """Samples the summed resident memory of this process and all its descendants (Linux /proc).

    A cross-check of the `getrusage` figures: it sees the processes *at the same moment*
    (getrusage only gives each process's own peak), but it can miss a peak shorter than the
    sampling interval. Resident memory counts shared pages (Python, numpy, pyarrow
    libraries) once per process, so the sum overstates what the tree really occupies.
    """

    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self.peak = 0
        self.available = os.path.isdir("/proc/self") and os.path.exists("/proc/self/statm")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._page = os.sysconf("SC_PAGE_SIZE") if self.available else 0

    def __enter__(self) -> TreeSampler:
        if self.available:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.available:
            self._stop.set()
            self._thread.join()
            self._sample()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            ppid = int(stat[stat.rfind(b")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        pids, stack = [os.getpid()], [os.getpid()]
        while stack:
            for child in children.get(stack.pop(), ()):
                pids.append(child)
                stack.append(child)
        return pids

    def _sample(self) -> None:
        total = 0
        for pid in self._tree():
            try:
                with open(f"/proc/{pid}/statm", "rb") as f:
                    total += int(f.read().split()[1]) * self._page
            except (OSError, IndexError, ValueError):
                continue
        self.peak = max(self.peak, total)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()


def cpu_seconds(who: int | None = None) -> float:
    """CPU time (user + system) of this process and of its finished, reaped children so far (`who`: one of them)."""
    if who is not None:
        usage = resource.getrusage(who)
        return usage.ru_utime + usage.ru_stime
    return cpu_seconds(resource.RUSAGE_SELF) + cpu_seconds(resource.RUSAGE_CHILDREN)


def memory_report(workers: int, sampler: TreeSampler) -> dict:
    """Peak memory of this process and of its (finished, reaped) worker processes."""
    main = _maxrss_bytes(resource.RUSAGE_SELF)
    child = _maxrss_bytes(resource.RUSAGE_CHILDREN)
    return {
        "main_peak_bytes": main,
        "largest_child_peak_bytes": child,
        # Workers run side by side: at worst all peak at once, and with the main process.
        "tree_peak_bound_bytes": main + (workers if child else 0) * child,
        "tree_sampled_peak_bytes": sampler.peak if sampler.available else None,
    }


# ---------------------------------------------------------------------- phases (child processes)
def phase_e2e(args) -> dict:
    """run_scenario end to end: what `sim run` does, files and all."""
    t_import = time.perf_counter()
    from sim.experiment.run import run_scenario
    from sim.scenario.load import load_scenario

    loaded = load_scenario(BASELINE)
    t_import = time.perf_counter() - t_import
    weeks = loaded.scenario.horizon_weeks
    with TreeSampler() as sampler:
        main0, kids0 = cpu_seconds(resource.RUSAGE_SELF), cpu_seconds(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        result = run_scenario(loaded, args.runs, args.seed, Path(args.out), workers=args.workers, command=["bench_engine.py"], plots=RUN_PLOTS)
        seconds = time.perf_counter() - t0
        main_cpu = cpu_seconds(resource.RUSAGE_SELF) - main0
        workers_cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - kids0
    files = {p.name: p.stat().st_size for p in sorted(result.path.rglob("*")) if p.is_file()}
    return {
        "runs": args.runs,
        "weeks": weeks,
        "workers": args.workers,
        "seconds": seconds,
        "import_and_load_seconds": t_import,
        "cpu_seconds": main_cpu + workers_cpu,
        # CPU time is less distorted than wall time by other work on the machine: compare these across branches.
        "main_cpu_seconds": main_cpu,
        "workers_cpu_seconds": workers_cpu,
        "replication_weeks_per_second": args.runs * weeks / seconds,
        "path": str(result.path),
        "runs_parquet_bytes": files.get("runs.parquet"),
        "files": len(files),
        **memory_report(args.workers, sampler),
    }


def phase_engine(args) -> dict:
    """One in-process CeasefireModel over all replications: no chunks, no workers, no I/O."""
    import numpy as np

    from sim.model.model import CeasefireModel
    from sim.scenario.load import load_scenario

    scenario = load_scenario(BASELINE).scenario
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    model = CeasefireModel(scenario, args.seed, np.arange(args.runs))
    t1 = time.perf_counter()
    model.run()
    t2 = time.perf_counter()
    model.outcome()
    t3 = time.perf_counter()
    cpu = time.process_time() - cpu0
    return {
        "runs": args.runs,
        "weeks": model.horizon,
        "build_seconds": t1 - t0,
        "step_seconds": t2 - t1,
        "outcome_seconds": t3 - t2,
        "seconds": t3 - t0,
        "cpu_seconds": cpu,
        "per_replication_seconds": (t3 - t0) / args.runs,
        "replication_weeks_per_second": args.runs * model.horizon / (t3 - t0),
        "main_peak_bytes": _maxrss_bytes(resource.RUSAGE_SELF),
    }


def _pool_startup(workers: int, method: str | None = None) -> float:
    """Seconds to start `workers` processes that import the engine, and shut them down.

    `method` None: the start method the executors use here (`sim.experiment.executors.pool_context`).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from sim.experiment.executors import pool_context

    context = pool_context() if method is None else multiprocessing.get_context(method)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        list(pool.map(_import_engine, range(workers)))
    return time.perf_counter() - t0 - HOLD


HOLD = 0.2  # seconds each start-up task holds its worker, so that every task lands on its own process


def _import_engine(_: int) -> int:
    import sim.experiment.chunks
    import sim.model.model  # noqa: F401

    time.sleep(HOLD)
    return os.getpid()


# What the time split times: (module, attribute, label). The experiment layer may move a
# function between modules; every place a name is looked up is listed, and a name that is
# not there is skipped (the rest of the time shows as "other").
TIMED_PARTS = [
    ("sim.model.model", "CeasefireModel.__init__", "engine: build model, draw parameters"),
    ("sim.model.model", "CeasefireModel.run", "engine: 52 weeks"),
    ("sim.model.model", "CeasefireModel.outcome", "engine: outcome()"),
    ("sim.experiment.chunks", "_forget_model", "engine: release model"),
    ("sim.experiment.run", "_forget_model", "engine: release model"),
    ("sim.experiment.chunks", "runs_batch", "Arrow batch of a chunk's rows (runs_batch)"),
    ("sim.experiment.run", "runs_batch", "Arrow batch of a chunk's rows (runs_batch)"),
    ("sim.analysis.aggregate", "Aggregates.from_chunk", "Aggregates.from_chunk"),
    ("sim.experiment.chunks", "encode_chunk", "Parquet: encode chunk file (worker side)"),
    ("sim.experiment.chunks", "ChunkStore.write", "chunk file: write + fsync (main side)"),
    ("sim.experiment.run", "assemble_runs", "Parquet: assemble runs.parquet from chunk files"),
    ("sim.experiment.run", "read_chunk_meta", "aggregates: read from chunk files, merge"),
    ("sim.analysis.aggregate", "Aggregates.merge", "aggregates: read from chunk files, merge"),
    ("pyarrow.parquet", "ParquetWriter.write_batch", "Parquet: runs.parquet"),
    ("pyarrow.parquet", "ParquetWriter.close", "Parquet: runs.parquet"),
    ("sim.experiment.run", "summarise", "summary (summarise, weekly_table)"),
    ("sim.experiment.run", "weekly_table", "summary (summarise, weekly_table)"),
    ("sim.experiment.run", "write_parquet_atomic", "Parquet: weekly.parquet"),
    ("sim.report.plots", "write_plots", "plots (PNG)"),
]


def phase_breakdown(args) -> dict:
    """run_scenario with one worker (in-process) and a timer around each part of it."""
    import importlib
    import inspect

    import sim.experiment.run as run_mod
    from sim.scenario.load import load_scenario

    timers: dict[str, float] = {}
    active: list[str] = []  # a timed call inside another counts toward the outer one only

    def timed(label, func):
        def wrapper(*a, **kw):
            if active:
                return func(*a, **kw)
            active.append(label)
            t0 = time.perf_counter()
            try:
                return func(*a, **kw)
            finally:
                timers[label] = timers.get(label, 0.0) + time.perf_counter() - t0
                active.pop()

        return wrapper

    patched = []
    for module_name, dotted, label in TIMED_PARTS:
        try:
            owner = importlib.import_module(module_name)
        except ImportError:
            continue
        *path, name = dotted.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        if owner is None or not hasattr(owner, name):
            continue
        static = inspect.getattr_static(owner, name)
        if isinstance(static, classmethod):
            setattr(owner, name, classmethod(timed(label, static.__func__)))
        else:
            setattr(owner, name, timed(label, getattr(owner, name)))
        patched.append(f"{module_name}.{dotted}")

    loaded = load_scenario(BASELINE)
    t0 = time.perf_counter()
    run_mod.run_scenario(loaded, args.runs, args.seed, Path(args.out), workers=1, command=["bench_engine.py"], plots=RUN_PLOTS)
    total = time.perf_counter() - t0
    parts = dict(timers)
    parts["other (run folder, manifest, JSON)"] = total - sum(timers.values())
    return {
        "runs": args.runs,
        "seconds": total,
        "parts": parts,
        "timed": patched,
        "pool_startup_seconds": _pool_startup(args.workers),
        "pool_start_method": __import__("sim.experiment.executors", fromlist=["pool_context"]).pool_context().get_start_method(),
        "pool_startup_spawn_seconds": _pool_startup(args.workers, "spawn"),
        "pool_workers": args.workers,
    }


def phase_conventional(args) -> dict:
    """One Mesa model per replication, by a loop and by mesa.batch_run; checked against the ensemble."""
    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from conventional import run_batch_run, run_loop

    from sim.model.model import CeasefireModel
    from sim.scenario.load import load_scenario

    scenario = load_scenario(BASELINE).scenario
    reps = np.arange(args.conventional)
    run_loop(scenario, args.seed, reps[:3])  # warm up (first-call imports and caches)
    loop = run_loop(scenario, args.seed, reps)
    batch = run_batch_run(scenario, args.seed, reps)
    ensemble = CeasefireModel(scenario, args.seed, reps).run()

    def same(result) -> bool:
        return bool(
            np.array_equal(result.replications, reps)
            and np.array_equal(result.status, ensemble.status)
            and np.array_equal(result.first_week, ensemble.first_week)
            and np.array_equal(result.front, ensemble.front)
        )

    return {
        "runs": int(args.conventional),
        "loop_seconds": loop.seconds,
        "loop_per_replication_seconds": loop.per_replication,
        "batch_run_seconds": batch.seconds,
        "batch_run_per_replication_seconds": batch.per_replication,
        "identical_to_ensemble": same(loop) and same(batch),
    }


def phase_profile(args) -> dict:
    """Where the engine's time goes: each phase of the week timed (no profiler), then cProfile."""
    import cProfile
    import pstats

    import numpy as np

    from sim.model.model import CeasefireModel
    from sim.scenario.load import load_scenario

    scenario = load_scenario(BASELINE).scenario
    phases = [name for name in dir(CeasefireModel) if name.startswith("phase_")]
    timers = dict.fromkeys(phases, 0.0)

    class Timed(CeasefireModel):
        pass

    def timed(name):
        func = getattr(CeasefireModel, name)

        def wrapper(self, *a, **kw):
            t0 = time.perf_counter()
            try:
                return func(self, *a, **kw)
            finally:
                timers[name] += time.perf_counter() - t0

        return wrapper

    for name in phases:
        setattr(Timed, name, timed(name))
    t0 = time.perf_counter()
    model = Timed(scenario, args.seed, np.arange(args.runs))
    t1 = time.perf_counter()
    model.run()
    t2 = time.perf_counter()
    weeks = {"build (__init__)": t1 - t0, **timers, "step() outside the phases": (t2 - t1) - sum(timers.values())}

    profiler = cProfile.Profile()
    profiler.enable()
    CeasefireModel(scenario, args.seed, np.arange(args.runs)).run().outcome()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = max(stats.total_tt, 1e-12)
    rows = []
    for (file, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():
        where = f"{Path(file).name}:{line}({func})" if file != "~" else func
        rows.append({"function": where, "calls": nc, "own_share": tt / total, "cumulative_share": ct / total})
    return {
        "runs": args.runs,
        "seconds": t2 - t0,
        "phases": weeks,
        "profile_seconds": total,
        "by_cumulative": sorted(rows, key=lambda r: -r["cumulative_share"])[:30],
        "by_own": sorted(rows, key=lambda r: -r["own_share"])[:20],
    }


def print_profile(res: dict) -> None:
    print(f"engine profile: one CeasefireModel over {res['runs']:,} replications, in-process\n")
    print(f"phases of the week (timed without the profiler, {res['seconds']:.2f} s in all):")
    for name, sec in sorted(res["phases"].items(), key=lambda kv: -kv[1]):
        print(f"  {name:<30} {sec:6.2f} s  {100 * sec / res['seconds']:5.1f} %")
    print(f"\ncProfile ({res['profile_seconds']:.2f} s under the profiler), by cumulative share:")
    for r in res["by_cumulative"]:
        print(f"  {100 * r['cumulative_share']:5.1f} %  {r['calls']:>7}  {r['function']}")
    print("\nby own (exclusive) share:")
    for r in res["by_own"]:
        print(f"  {100 * r['own_share']:5.1f} %  {r['calls']:>7}  {r['function']}")


PHASES = {
    "profile": phase_profile,
    "e2e": phase_e2e,
    "engine": phase_engine,
    "breakdown": phase_breakdown,
    "conventional": phase_conventional,
}


def run_phase(name: str, args, **override) -> dict:
    """Run one phase in a fresh Python process; return its result and the process's wall time."""
    opts = {**vars(args), **override}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", name]
    for key in ("runs", "workers", "seed", "conventional", "out"):
        cmd += [f"--{key}", str(opts[key])]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout)
        raise SystemExit(f"benchmark phase {name!r} failed (exit code {proc.returncode})")
    line = next(ln for ln in reversed(proc.stdout.splitlines()) if ln.startswith(RESULT_TAG))
    result = json.loads(line[len(RESULT_TAG) :])
    result["process_seconds"] = wall
    return result


def _load() -> list[float] | None:
    """1, 5 and 15 minute load averages: other work on the machine skews every figure."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def run_repeated(name: str, args, repeat: int, **override) -> dict:
    """Run a phase `repeat` times, each in a fresh process; keep the median run (by seconds), with
    every run's time, and the largest memory figures of all runs."""
    results = sorted((run_phase(name, args, **override) for _ in range(max(1, repeat))), key=lambda r: r["seconds"])
    median = dict(results[(len(results) - 1) // 2])
    median["all_seconds"] = [r["seconds"] for r in results]
    for key in median:
        if key.endswith("_bytes") and all(r.get(key) is not None for r in results):
            median[key] = max(r[key] for r in results)
    return median


def spread(res: dict) -> str:
    times = res.get("all_seconds", [])
    return "" if len(times) < 2 else f" (median of {len(times)}: {', '.join(f'{t:.2f}' for t in times)})"


# ---------------------------------------------------------------------- formatting
def mb(n) -> str:
    return "n/a" if n is None else f"{n / 1024**2:,.0f} MB"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs" if seconds < 1e-3 else f"{seconds * 1e3:,.1f} ms"


def yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def print_memory(res: dict) -> None:
    w = res["workers"]
    print(f"  peak memory, main process (RUSAGE_SELF)             {mb(res['main_peak_bytes'])}")
    print(f"  peak memory, largest worker (RUSAGE_CHILDREN)       {mb(res['largest_child_peak_bytes'])}")
    print(f"  peak memory, process tree bound (main + {w} x worker) {mb(res['tree_peak_bound_bytes'])}")
    print(f"  peak memory, process tree sampled (sum of RSS)      {mb(res['tree_sampled_peak_bytes'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000, help="replications of the end-to-end and engine runs (default 100000)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes (default: all cores)")
    parser.add_argument("--big-runs", type=int, default=1_000_000, help="replications of the memory run (default 1000000; 0 skips it)")
    parser.add_argument("--conventional", type=int, default=300, help="replications run the conventional way (default 300; 0 skips it)")
    parser.add_argument("--seed", type=int, default=20250311, help="seed of every run (default 20250311)")
    parser.add_argument("--out", default=None, help="results folder (default: a temporary folder, removed at the end)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the end-to-end and engine measurements; the median is reported (default 3)")
    parser.add_argument("--profile", action="store_true", help="only profile the engine on --runs replications, in-process, and print the hot spots")
    parser.add_argument("--check", action="store_true", help="exit with code 1 if a target is missed")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.phase:  # a child process: one measurement, one JSON line
        print(RESULT_TAG + json.dumps(PHASES[args.phase](args)), flush=True)
        return 0

    if args.profile:
        print_profile(run_phase("profile", args, out="-"))
        return 0

    temporary = args.out is None
    args.out = args.out or tempfile.mkdtemp(prefix="sim-bench-")
    import mesa
    import numpy

    machine = {
        "cores": os.cpu_count(),
        "workers": args.workers,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "mesa": mesa.__version__,
        "platform": platform.platform(),
        "load_average_at_start": _load(),
    }
    print(f"machine: {machine['cores']} cores, {machine['platform']}, Python {machine['python']}, numpy {machine['numpy']}, mesa {machine['mesa']}")
    print(f"load average at start: {machine['load_average_at_start']} (1, 5, 15 min; a busy machine skews every figure)")
    print(f"results under {args.out}{' (temporary)' if temporary else ''}\n")
    report: dict = {"machine": machine}
    try:
        e2e = report["end_to_end"] = run_repeated("e2e", args, args.repeat)
        print(f"[1] end to end: run_scenario(baseline, {e2e['runs']:,} runs x {e2e['weeks']} weeks, {e2e['workers']} workers)")
        print(f"  wall time of run_scenario                           {e2e['seconds']:.2f} s{spread(e2e)}")
        print(f"  replication-weeks per second                        {e2e['replication_weeks_per_second']:,.0f}")
        print(
            f"  CPU time of main process + workers during the run   {e2e['cpu_seconds']:.2f} s "
            f"(main {e2e['main_cpu_seconds']:.2f} s, workers {e2e['workers_cpu_seconds']:.2f} s)"
        )
        print(f"  whole command (Python start, imports, run)          {e2e['process_seconds']:.2f} s")
        print(f"  runs.parquet                                        {mb(e2e['runs_parquet_bytes'])}")
        print_memory(e2e)

        eng = report["engine"] = run_repeated("engine", args, args.repeat)
        print(f"\n[2] engine only: one CeasefireModel over {eng['runs']:,} replications, in-process, no I/O")
        print(f"  build (agents, parameter draws)                     {eng['build_seconds']:.2f} s")
        print(f"  {eng['weeks']} weeks of step()                                {eng['step_seconds']:.2f} s")
        print(f"  outcome()                                           {eng['outcome_seconds']:.2f} s")
        print(
            f"  total                                               {eng['seconds']:.2f} s = {us(eng['per_replication_seconds'])} per replication{spread(eng)}"
        )
        print(f"  CPU time                                            {eng['cpu_seconds']:.2f} s")
        print(f"  replication-weeks per second (1 core)               {eng['replication_weeks_per_second']:,.0f}")
        print(f"  peak memory of the process                          {mb(eng['main_peak_bytes'])}")

        brk = report["breakdown"] = run_phase("breakdown", args)
        print(f"\n[3] where the time goes: run_scenario({brk['runs']:,} runs) in-process (1 worker), timed parts")
        for label, sec in sorted(brk["parts"].items(), key=lambda kv: -kv[1]):
            print(f"  {label:<50}  {sec:6.2f} s  {100 * sec / brk['seconds']:5.1f} %")
        print(f"  {'total':<50}  {brk['seconds']:6.2f} s")
        print(
            f"  start-up of a pool of {brk['pool_workers']} workers importing the engine (not in the total above): "
            f"{brk['pool_startup_seconds']:.2f} s by {brk['pool_start_method']} (the executors' way here), "
            f"{brk['pool_startup_spawn_seconds']:.2f} s by spawn"
        )

        one = report["end_to_end_inprocess"] = run_repeated("e2e", args, args.repeat, workers=1)
        ratio = e2e["seconds"] / one["seconds"]
        report["two_workers_over_inprocess"] = ratio
        print(
            f"\n[3b] end to end in-process (1 worker): {one['seconds']:.2f} s{spread(one)} (CPU {one['cpu_seconds']:.2f} s); "
            f"{e2e['workers']} workers / in-process = {ratio:.2f} (load {_load()})"
        )

        if args.big_runs > 0:
            big = report["big"] = run_phase("e2e", args, runs=args.big_runs)
            print(f"\n[4] big run: run_scenario(baseline, {big['runs']:,} runs x {big['weeks']} weeks, {big['workers']} workers)")
            print(f"  wall time of run_scenario                           {big['seconds']:.2f} s")
            print(f"  replication-weeks per second                        {big['replication_weeks_per_second']:,.0f}")
            print(f"  runs.parquet                                        {mb(big['runs_parquet_bytes'])}")
            print_memory(big)

        if args.conventional > 0:
            conv = report["conventional"] = run_phase("conventional", args)
            ens = eng["per_replication_seconds"]
            conv["speedup_loop"] = conv["loop_per_replication_seconds"] / ens
            conv["speedup_batch_run"] = conv["batch_run_per_replication_seconds"] / ens
            print(f"\n[5] conventional: one Mesa model per replication, {conv['runs']} replications, 1 process")
            print(f"  plain loop                                          {us(conv['loop_per_replication_seconds'])} per replication")
            print(f"  mesa.batch_run                                      {us(conv['batch_run_per_replication_seconds'])} per replication")
            print(f"  ensemble (engine only, 1 core)                      {us(ens)} per replication")
            print(f"  ratio, loop / ensemble                              {conv['speedup_loop']:,.0f} x")
            print(f"  ratio, batch_run / ensemble                         {conv['speedup_batch_run']:,.0f} x")
            print(f"  same outcomes as the ensemble, replication by replication: {yes(conv['identical_to_ensemble'])}")
    finally:
        if temporary:
            shutil.rmtree(args.out, ignore_errors=True)

    # ------------------------------------------------------------------ summary
    targets = {"seconds_100k": e2e["seconds"] <= TARGET_SECONDS_100K} if args.runs == 100_000 else {}
    rows = [
        ("Machine", f"{machine['cores']} cores, Python {machine['python']}, numpy {machine['numpy']}, mesa {machine['mesa']}", "", ""),
        (
            f"{e2e['runs']:,} replications x {e2e['weeks']} weeks, end to end ({e2e['workers']} workers, files written)",
            f"{e2e['seconds']:.1f} s",
            f"<= {TARGET_SECONDS_100K:.0f} s" if args.runs == 100_000 else "",
            yes(targets["seconds_100k"]) if targets else "",
        ),
        ("Replication-weeks per second, end to end", f"{e2e['replication_weeks_per_second']:,.0f}", "", ""),
        (
            f"Peak memory of the {e2e['runs']:,} run (process tree, bound / sampled)",
            f"{mb(e2e['tree_peak_bound_bytes'])} / {mb(e2e['tree_sampled_peak_bytes'])}",
            "",
            "",
        ),
        (
            f"Engine only, one model of {eng['runs']:,} replications, 1 core",
            f"{eng['seconds']:.1f} s ({us(eng['per_replication_seconds'])} per replication)",
            "",
            "",
        ),
    ]
    if "big" in report:
        big = report["big"]
        is_1m = args.big_runs == 1_000_000
        if is_1m:
            targets["peak_1m"] = big["tree_peak_bound_bytes"] <= TARGET_PEAK_BYTES_1M
        rows += [
            (f"{big['runs']:,} replications end to end", f"{big['seconds']:.1f} s", "", ""),
            (
                f"Peak memory of the {big['runs']:,} run (process tree, bound / sampled)",
                f"{mb(big['tree_peak_bound_bytes'])} / {mb(big['tree_sampled_peak_bytes'])}",
                "<= 2 GB" if is_1m else "",
                yes(targets["peak_1m"]) if is_1m else "",
            ),
        ]
    if "conventional" in report:
        conv = report["conventional"]
        targets["speedup"] = conv["speedup_loop"] >= TARGET_SPEEDUP and conv["speedup_batch_run"] >= TARGET_SPEEDUP
        rows += [
            (
                "Conventional, one Mesa model per replication (loop / mesa.batch_run)",
                f"{us(conv['loop_per_replication_seconds'])} / {us(conv['batch_run_per_replication_seconds'])} per replication",
                "",
                "",
            ),
            (
                "Speed-up per replication, ensemble vs conventional (loop / batch_run)",
                f"{conv['speedup_loop']:,.0f} x / {conv['speedup_batch_run']:,.0f} x",
                f">= {TARGET_SPEEDUP:.0f} x",
                yes(targets["speedup"]),
            ),
        ]
    machine["load_average_at_end"] = _load()
    rows.insert(4, ("Same run with 1 worker, in-process (timed parts)", f"{brk['seconds']:.1f} s", "", ""))
    if args.runs == 100_000:
        one = report["end_to_end_inprocess"]
        ratio = report["two_workers_over_inprocess"]
        targets["workers_vs_inprocess"] = ratio <= TARGET_WORKERS_RATIO and e2e["seconds"] <= TARGET_SECONDS_WORKERS
        rows.insert(
            2,
            (
                f"Same run in-process (1 worker) / on {e2e['workers']} workers",
                f"{one['seconds']:.1f} s / {e2e['seconds']:.1f} s = {ratio:.2f} x",
                f"<= {TARGET_WORKERS_RATIO} x and <= {TARGET_SECONDS_WORKERS:.0f} s",
                yes(targets["workers_vs_inprocess"]),
            ),
        )
    report["targets_met"] = targets
    print(f"\nload average at end: {machine['load_average_at_end']}")
    print("\n| Measure | Result | Target | Met |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(json.dumps(report, separators=(",", ":")))
    return 1 if args.check and not all(targets.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
