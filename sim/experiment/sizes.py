"""What a run or sweep will cost, estimated before any work, and a one-line refusal when the machine cannot do it.

A request like `--runs 1000000000000`, a grid of 1,000 x 1,000 x 1,000 values or Sobol with
N = 65,536 over ten parameters is checked here from its counts alone (nothing is built):
the results it would write against the free disk space, the plan it would hold against
the free memory, the chunk bookkeeping against a bound, and the time it would take. When
one of them is beyond the machine, the command stops with one line giving the estimate
(exit code 2); otherwise work starts at once, with bounded memory and a progress bar.

The constants are measured on the 2-core development machine (README, "Performance") and
are deliberately rough: they decide only between "start" and "cannot finish here".
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from sim.errors import InputError

#: Engine time per replication-week on one core (measured: about 1 µs; 2 µs leaves room for slower machines).
SECONDS_PER_REPLICATION_WEEK = 2e-6
#: runs.parquet bytes per replication (measured 300-800 B with the baseline's drawn parameters; chunk files double it while running).
BYTES_PER_REPLICATION = 800
#: Plan memory per sweep variant (measured: 1.6 KB for its values, overrides, hashes).
BYTES_PER_VARIANT = 4096
#: Planning time per sweep variant (validation, derivation, hashing; measured about 1 ms).
SECONDS_PER_VARIANT = 2e-3
#: Chunks a sweep or run may have (each is a name in the manifest and a piece of bookkeeping).
MAX_CHUNKS = 2_000_000
#: Work beyond this is refused: it would not finish on this machine in any useful time.
MAX_SECONDS = 30 * 24 * 3600


def available_memory() -> int:
    """Bytes of memory available to new work (Linux /proc/meminfo; else a physical-memory guess)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 8 * 1024**3


def free_disk(folder: Path) -> int | None:
    """Free bytes on the file system that will hold `folder` (its nearest existing parent); None when unknown."""
    folder = Path(folder).absolute()
    for candidate in (folder, *folder.parents):
        try:
            if candidate.exists():
                return shutil.disk_usage(candidate).free
        except OSError:
            return None
    return None


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if n < 1024 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} PB"


def human_seconds(s: float) -> str:
    if s < 120:
        return f"{s:,.0f} s"
    if s < 7200:
        return f"{s / 60:,.0f} minutes"
    if s < 3 * 86400:
        return f"{s / 3600:,.1f} hours"
    if s < 3 * 365 * 86400:
        return f"{s / 86400:,.0f} days"
    return f"{s / (365 * 86400):,.0f} years"


@dataclass(frozen=True)
class Estimate:
    """The cost of `replications` x `weeks` on `workers` processes, in `chunks` chunks (and `variants` for a sweep)."""

    replications: int
    weeks: int
    chunks: int
    workers: int
    variants: int = 1

    @property
    def seconds(self) -> float:
        compute = self.replications * self.weeks * SECONDS_PER_REPLICATION_WEEK / max(1, self.workers)
        return compute + (self.variants * SECONDS_PER_VARIANT if self.variants > 1 else 0.0)

    @property
    def disk_bytes(self) -> int:
        return 2 * self.replications * BYTES_PER_REPLICATION  # chunk files and runs.parquet, side by side at the end

    @property
    def plan_bytes(self) -> int:
        return self.variants * BYTES_PER_VARIANT

    def describe(self) -> str:
        what = f"{self.variants:,} variants x " if self.variants > 1 else ""
        per = self.replications // max(1, self.variants)
        return (
            f"{what}{per:,} replications x {self.weeks} weeks would take about {human_seconds(self.seconds)} on "
            f"{self.workers} worker{'s' if self.workers != 1 else ''} and write about {human_bytes(self.disk_bytes)}"
        )


def check(estimate: Estimate, flag: str, out: Path | None = None) -> None:
    """Raise a one-line InputError (with the estimate) when the request is beyond this machine."""
    problems = []
    if estimate.seconds > MAX_SECONDS:
        problems.append(f"more than {human_seconds(MAX_SECONDS)}")
    if estimate.chunks > MAX_CHUNKS:
        problems.append(f"{estimate.chunks:,} chunks, more than {MAX_CHUNKS:,} (a larger --chunk-size makes fewer)")
    if estimate.variants > 1 and estimate.plan_bytes > available_memory() // 2:
        problems.append(f"a plan of about {human_bytes(estimate.plan_bytes)}, more than half the {human_bytes(available_memory())} of memory available")
    if out is not None:
        free = free_disk(out)
        if free is not None and estimate.disk_bytes > free:
            problems.append(f"more than the {human_bytes(free)} free under {out}")
    if problems:
        raise InputError(flag, None, f"{estimate.describe()}: {'; '.join(problems)}; expected less")


def grid_size(axes: list[int]) -> int:
    """Variants of a full factorial grid (exact integer, however large)."""
    size = 1
    for n in axes:
        size *= max(1, int(n))
    return size
