"""Sweep benchmark: 50 variants x 10,000 replications x 52 weeks, on local processes and on Dask.

    .venv/bin/python benchmarks/bench_sweep.py                  # the full benchmark (make bench-sweep)
    .venv/bin/python benchmarks/bench_sweep.py --runs 1000      # a quick look

The sweep is a grid over Turkey's mediation intensity (50 values from 0 to 0.49) on the
baseline scenario, 52 weeks, chunks of 10,000 replications, common random numbers. It runs
end to end with `sim.experiment.sweep.start_sweep`, writing every file a user gets (chunk
files, runs.parquet, summary.parquet, variants.parquet, plots, manifest):

1. local: `--workers` local worker processes (the default executor);
2. dask: a Dask LocalCluster of `--workers` single-threaded worker processes, started by the
   executor (its start-up is included in the time);

and checks that both wrote the same bytes. Each measurement runs in a fresh Python process.
Targets of the issue, on a 2-core machine: local under 60 s; Dask at most 1.3 x local.
It ends with a Markdown table (for the README) and one line of JSON (for machines).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sim.cli.plotting import SWEEP_PLOTS

ROOT = Path(__file__).resolve().parent.parent
# The memory sampler's thread only reads /proc files: it holds nothing a forked worker could need, so workers
# start by fork as they do from the command line (sim.experiment.executors.pool_context).
os.environ.setdefault("SIM_START_METHOD", "fork")
BASELINE = ROOT / "scenarios" / "baseline.toml"
RESULT_TAG = "BENCH-SWEEP-RESULT "
TARGET_LOCAL_SECONDS = 60.0
TARGET_DASK_RATIO = 1.3
FILES = ("runs.parquet", "summary.parquet", "variants.parquet")


def sweep_text(variants: int, runs: int, weeks: int) -> str:
    values = ", ".join(f"{i / 100:.2f}" for i in range(variants))
    return (
        f'base = {json.dumps(str(BASELINE))}\nname = "bench_sweep"\nruns = {runs}\nseed = 20250311\n'
        f'chunk_size = 10000\nset = ["horizon_weeks={weeks}"]\n\n[design]\nkind = "grid"\n\n'
        f'[[parameters]]\npath = "actors.turkey.mediation_intensity"\nvalues = [{values}]\n'
    )


def measure(executor: str, workers: int, variants: int, runs: int, weeks: int, out: Path) -> dict:
    """One sweep in this process; the figures of it."""
    from sim.experiment.executors import ExecutorSpec
    from sim.experiment.sweep import plan_sweep, start_sweep

    sweep = out / "bench_sweep.toml"
    sweep.write_text(sweep_text(variants, runs, weeks), encoding="utf-8")
    t0 = time.perf_counter()
    plan = plan_sweep(sweep)
    planned = time.perf_counter()
    result = start_sweep(plan, out / "results", ExecutorSpec(executor, workers), plots=SWEEP_PLOTS)
    seconds = time.perf_counter() - t0
    assert result.complete, result.failures
    digests = {name: hashlib.sha256((result.path / name).read_bytes()).hexdigest() for name in FILES}
    return {
        "executor": executor,
        "workers": workers,
        "variants": variants,
        "runs": runs,
        "weeks": weeks,
        "replications": variants * runs,
        "seconds": round(seconds, 2),
        "plan_seconds": round(planned - t0, 2),
        "replications_per_second": round(variants * runs / seconds),
        "peak_rss_main_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "runs_parquet_mib": round((result.path / "runs.parquet").stat().st_size / 2**20, 1),
        "sha256": digests,
    }


def run_phase(executor: str, args) -> dict:
    """A measurement in a fresh Python process (so imports and memory are its own)."""
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        cmd = [
            sys.executable,
            __file__,
            "--phase",
            executor,
            "--workers",
            str(args.workers),
            "--variants",
            str(args.variants),
            "--runs",
            str(args.runs),
            "--weeks",
            str(args.weeks),
            "--out",
            tmp,
        ]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{executor} phase failed:\n{done.stderr}")
        line = next(text for text in done.stdout.splitlines() if text.startswith(RESULT_TAG))
        return json.loads(line[len(RESULT_TAG) :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=50)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--phase", choices=("local", "dask"), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(RESULT_TAG + json.dumps(measure(args.phase, args.workers, args.variants, args.runs, args.weeks, Path(args.out))))
        return

    print(
        f"sweep benchmark: {args.variants} variants x {args.runs} replications x {args.weeks} weeks, "
        f"{args.workers} workers; {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average before {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    local = run_phase("local", args)
    print(f"  local: {local['seconds']:.1f} s", flush=True)
    dask = run_phase("dask", args)
    print(f"  dask:  {dask['seconds']:.1f} s", flush=True)
    identical = local["sha256"] == dask["sha256"]
    ratio = dask["seconds"] / local["seconds"]
    full = (args.variants, args.runs, args.weeks) == (50, 10_000, 52)
    print()
    print("| executor | variants x replications x weeks | seconds | replications/s | peak RSS of the main process | target |")
    print("|---|---|---|---|---|---|")
    print(
        f"| local, {args.workers} processes | {args.variants} x {args.runs:,} x {args.weeks} | {local['seconds']:.1f} | "
        f"{local['replications_per_second']:,} | {local['peak_rss_main_mib']:.0f} MiB | "
        f"< {TARGET_LOCAL_SECONDS:.0f} s: {'met' if local['seconds'] < TARGET_LOCAL_SECONDS else 'MISSED'}{'' if full else ' (not the full size)'} |"
    )
    print(
        f"| Dask LocalCluster, {args.workers} workers (start-up included) | {args.variants} x {args.runs:,} x {args.weeks} | "
        f"{dask['seconds']:.1f} | {dask['replications_per_second']:,} | {dask['peak_rss_main_mib']:.0f} MiB | "
        f"<= {TARGET_DASK_RATIO} x local: {ratio:.2f} x, {'met' if ratio <= TARGET_DASK_RATIO else 'MISSED'} |"
    )
    print()
    print(f"Same bytes (runs, summary, variants) on both executors: {'yes' if identical else 'NO'}")
    print(
        json.dumps(
            {"local": local, "dask": dask, "dask_over_local": round(ratio, 3), "identical": identical, "load_average_after": round(os.getloadavg()[0], 2)}
        )
    )
    if not identical:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
