"""Many-variant sweeps against one run of as many replications (issue 10, part 1 and part 5).

    .venv/bin/python benchmarks/bench_variants.py                 # V=1,000 x R=100 and V=10,000 x R=10
    .venv/bin/python benchmarks/bench_variants.py --sizes 200x100 # a quick look

For each size V x R it measures, each in a fresh Python process, on `--workers` local
worker processes and the baseline scenario (52 weeks):

1. run: `run_scenario` over V x R replications (what the sweep is compared with);
2. sweep: a Latin hypercube of V variants over three numeric parameters (Turkey's mediation
   intensity, Russia's rationality, the front's drift scale), R replications each, planned
   and run end to end with `plan_sweep` + `start_sweep` (every file a user gets).

The sweep's time includes planning (validating every variant); both times include writing
all files and plots. The target: sweep <= 1.3 x run. Peak memory is reported for the main
process and for the whole process tree (sampled). The load average is printed beside each
figure: other work on the machine skews all of them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sim.cli.plotting import RUN_PLOTS, SWEEP_PLOTS

ROOT = Path(__file__).resolve().parent.parent
# The memory sampler's thread only reads /proc files: it holds nothing a forked worker could need, so workers
# start by fork as they do from the command line (sim.experiment.executors.pool_context).
os.environ.setdefault("SIM_START_METHOD", "fork")
BASELINE = ROOT / "scenarios" / "baseline.toml"
RESULT_TAG = "BENCH-VARIANTS-RESULT "
TARGET_RATIO = 1.3

sys.path.insert(0, str(Path(__file__).resolve().parent))


def sweep_text(variants: int, runs: int) -> str:
    return (
        f'base = {json.dumps(str(BASELINE))}\nname = "bench_variants"\nruns = {runs}\nseed = 20250311\n\n'
        f'[design]\nkind = "latin_hypercube"\nsamples = {variants}\n\n'
        '[[parameters]]\npath = "actors.turkey.mediation_intensity"\nrange = [0.0, 0.5]\n\n'
        '[[parameters]]\npath = "actors.russia.rationality"\nrange = [1.0, 10.0]\n\n'
        '[[parameters]]\npath = "battlefield.drift_scale"\nrange = [0.001, 0.01]\n'
    )


def _peaks(sampler) -> dict:
    self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "peak_main_mib": round(self_kib / 1024, 1),
        "peak_largest_worker_mib": round(kids_kib / 1024, 1),
        "peak_tree_sampled_mib": round(sampler.peak / 2**20, 1) if sampler.available else None,
    }


def phase(kind: str, variants: int, runs: int, workers: int, out: Path) -> dict:
    from bench_engine import TreeSampler

    from sim.experiment.executors import ExecutorSpec

    load_before = round(os.getloadavg()[0], 2)
    with TreeSampler() as sampler:
        t0 = time.perf_counter()
        if kind == "run":
            from sim.experiment.run import run_scenario
            from sim.scenario.load import load_scenario

            loaded = load_scenario(BASELINE)
            run_scenario(loaded, variants * runs, 20250311, out, executor=ExecutorSpec("local", workers), command=["bench"], plots=RUN_PLOTS)
            plan_seconds = 0.0
        else:
            from sim.experiment.sweep import plan_sweep, start_sweep

            path = out / "bench_variants.toml"
            path.write_text(sweep_text(variants, runs), encoding="utf-8")
            plan = plan_sweep(path)
            plan_seconds = time.perf_counter() - t0
            result = start_sweep(plan, out / "results", ExecutorSpec("local", workers), command=["bench"], plots=SWEEP_PLOTS)
            assert result.complete, result.failures
        seconds = time.perf_counter() - t0
    return {
        "kind": kind,
        "variants": variants,
        "runs": runs,
        "workers": workers,
        "seconds": round(seconds, 2),
        "plan_seconds": round(plan_seconds, 2),
        "load_before": load_before,
        "load_after": round(os.getloadavg()[0], 2),
        **_peaks(sampler),
    }


def run_phase(kind: str, variants: int, runs: int, workers: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-variants-") as tmp:
        cmd = [sys.executable, __file__, "--phase", kind, "--sizes", f"{variants}x{runs}", "--workers", str(workers), "--out", tmp]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(f"{kind} phase failed:\n{done.stderr}")
        line = next(ln for ln in done.stdout.splitlines() if ln.startswith(RESULT_TAG))
        return json.loads(line[len(RESULT_TAG) :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000x100,10000x10", help="V x R pairs, comma-separated (default 1000x100,10000x10)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--phase", choices=("run", "sweep"), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [tuple(int(x) for x in s.split("x")) for s in args.sizes.split(",")]
    if args.phase:
        ((variants, runs),) = sizes
        print(RESULT_TAG + json.dumps(phase(args.phase, variants, runs, args.workers, Path(args.out))), flush=True)
        return
    print(
        f"many-variant sweeps vs one run: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{args.workers} workers; load average at start {os.getloadavg()}",
        flush=True,
    )
    rows = []
    for variants, runs in sizes:
        run = run_phase("run", variants, runs, args.workers)
        print(f"  run   {variants * runs:,} replications: {run['seconds']:.1f} s (load {run['load_before']} -> {run['load_after']})", flush=True)
        sweep = run_phase("sweep", variants, runs, args.workers)
        print(
            f"  sweep {variants:,} x {runs:,}: {sweep['seconds']:.1f} s, planning {sweep['plan_seconds']:.1f} s "
            f"(load {sweep['load_before']} -> {sweep['load_after']})",
            flush=True,
        )
        rows.append((variants, runs, run, sweep))
    print()
    print(
        "| sweep V x R (52 weeks, 2 workers) | one run of V x R | sweep (planning) | ratio | target <= 1.3 x | peak memory, sweep: main / tree | load average |"
    )
    print("|---|---|---|---|---|---|---|")
    for variants, runs, run, sweep in rows:
        ratio = sweep["seconds"] / run["seconds"]
        print(
            f"| {variants:,} x {runs:,} | {run['seconds']:.1f} s | {sweep['seconds']:.1f} s ({sweep['plan_seconds']:.1f} s) | "
            f"{ratio:.2f} x | {'met' if ratio <= TARGET_RATIO else 'MISSED'} | {sweep['peak_main_mib']:.0f} MiB / "
            f"{sweep['peak_tree_sampled_mib'] or 0:.0f} MiB | {run['load_before']}-{sweep['load_after']} |"
        )
    print(json.dumps([{"variants": v, "runs": r, "run": a, "sweep": b} for v, r, a, b in rows]))


if __name__ == "__main__":
    main()
