"""Start-up time of the command line: `sim --help` (target: under 0.5 s), and what it imports.

Each measurement is a fresh process running the `sim` console script of this venv (falling back to
`python -m sim`), so it pays exactly what a user pays. The median of `--repeat` runs is reported with every run's
time; `--check` exits with code 1 when the median misses the target. `--imports` lists the slowest imports of one
start-up (`python -X importtime`), to find what to make lazy.

    .venv/bin/python benchmarks/bench_help.py
    .venv/bin/python benchmarks/bench_help.py --command "run --help" --imports
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_SECONDS = 0.5


def sim_command() -> list[str]:
    script = Path(sys.executable).parent / "sim"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "sim"]


def once(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([*sim_command(), *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def slowest_imports(args: list[str], count: int) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) of the slowest imports of one start-up."""
    code = "import sys; from sim.cli.main import app; sys.argv = ['sim', *sys.argv[1:]]; app(prog_name='sim')"
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code, *args], capture_output=True, text=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = [p.strip() for p in line[len("import time:") :].split("|")]
        if parts[1].isdigit():
            rows.append((int(parts[1]), parts[2]))
    return sorted(rows, reverse=True)[:count]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--command", default="--help", help="arguments of sim to time (default: --help)")
    parser.add_argument("--repeat", type=int, default=10, help="fresh processes to time (default 10)")
    parser.add_argument("--imports", action="store_true", help="also list the 15 slowest imports of one start-up")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when the median is {TARGET_SECONDS} s or more")
    options = parser.parse_args()
    args = shlex.split(options.command)
    once(args)  # warm the file cache and the bytecode
    times = [once(args) for _ in range(options.repeat)]
    median = statistics.median(times)
    print(
        f"sim {options.command}: median {median:.3f} s over {len(times)} runs (min {min(times):.3f}, "
        f"max {max(times):.3f}); target < {TARGET_SECONDS} s: {'met' if median < TARGET_SECONDS else 'MISSED'}"
    )
    print("runs: " + ", ".join(f"{t:.3f}" for t in times))
    if options.imports:
        print("slowest imports (cumulative):")
        for micros, module in slowest_imports(args, 15):
            print(f"  {micros / 1e6:7.3f} s  {module}")
    return 1 if options.check and median >= TARGET_SECONDS else 0


if __name__ == "__main__":
    sys.exit(main())
