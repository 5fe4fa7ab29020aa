"""Differences of outcome shares between two experiments, paired when they share replications.

Two experiments run with the same seed on the same replication indices use the same random
numbers draw by draw (common random numbers, `sim.rng`), so replication i of the one and
replication i of the other are a matched pair. The difference of two shares is then
estimated from the 2 x 2 table of the pairs (both, only the second, only the first,
neither), with Newcombe's square-and-add interval for paired proportions:

    Newcombe, R. G. (1998). Improved confidence intervals for the difference between
    binomial proportions based on paired data. Statistics in Medicine 17(22), 2635-2650,
    method 10: the two Wilson score intervals combined with the estimated correlation phi
    of the pair (continuity-corrected when positive: max(AD - BC - n/2, 0) / sqrt(...)),
    as given by Fagerland, Lydersen & Laake (2014), Statistics in Medicine 33(16),
    2850-2875, who recommend it.

Outcomes of the same replication under two variants are strongly positively correlated,
so this interval is much narrower than the one for independent samples (Newcombe 1998,
method 10, `sim.analysis.intervals.newcombe_difference_interval`), which is used when the
replications are not shared (different seeds or replication indices, or a sweep run
without common random numbers).

Both `sim compare` and `sim whatif` use this module; it also defines the binary outcomes
they report, counted per replication (from runs.parquet rows) or from exact aggregates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sim.analysis.aggregate import AGREEMENT_TYPES, CEASEFIRE, PARTIAL_TRUCE, SETTLEMENT, STATUSES, WAR, Aggregates
from sim.analysis.intervals import newcombe_difference_interval, wilson_interval, z_value

CODE_COLUMNS = ("replication", "status", "first_agreement", "agreements", "breakdowns")
"""The runs.parquet columns the outcome codes are read from."""


@dataclass(frozen=True)
class Codes:
    """Per-replication outcome codes of an experiment: a few bytes per replication.

    `status` and `first` are codes into STATUSES and AGREEMENT_TYPES; `agreed` and `broke`
    say whether the replication reached at least one agreement and saw at least one
    breakdown.
    """

    replication: np.ndarray
    status: np.ndarray
    first: np.ndarray
    agreed: np.ndarray
    broke: np.ndarray

    @property
    def n(self) -> int:
        return int(self.replication.shape[0])

    @classmethod
    def from_table(cls, table: pa.Table) -> Codes:
        """Codes from runs.parquet rows (status and first agreement as labels, none as null)."""
        status = _label_codes(table.column("status"), STATUSES)
        first = _label_codes(table.column("first_agreement"), AGREEMENT_TYPES)
        return cls(
            replication=np.asarray(table.column("replication").to_numpy(), dtype=np.int64),
            status=status,
            first=first,
            agreed=np.asarray(table.column("agreements").to_numpy(), dtype=np.int64) > 0,
            broke=np.asarray(table.column("breakdowns").to_numpy(), dtype=np.int64) > 0,
        )

    @classmethod
    def concat(cls, parts: list[Codes]) -> Codes:
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty.astype(np.int8), empty.astype(np.int8), empty.astype(bool), empty.astype(bool))
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("replication", "status", "first", "agreed", "broke")))


def _label_codes(column: pa.ChunkedArray | pa.Array, labels: tuple[str, ...]) -> np.ndarray:
    """Index of each label in `labels`; null (no agreement) is code 0."""
    index = pc.index_in(column, value_set=pa.array(labels, type=pa.string()))
    return np.asarray(pc.fill_null(index, 0).to_numpy(zero_copy_only=False), dtype=np.int8)


@dataclass(frozen=True)
class Outcome:
    """A yes/no outcome of a replication, with its label and the words for sentences."""

    name: str
    label: str
    phrase: str  # "{h}" is the horizon in weeks
    indicator: Callable[[Codes], np.ndarray]
    count: Callable[[Aggregates], Any]
    """The number of replications with the outcome, from exact aggregates; from counts stacked along a leading axis
    (`sim.analysis.summary.SUMMARY_FIELDS`, one entry per experiment), one number per experiment."""


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("war", "War at the horizon", "Still being at war at week {h}", lambda c: c.status == WAR, lambda a: a.status_counts[..., WAR]),
    Outcome(
        "partial_truce",
        "Partial truce at the horizon",
        "A partial (air-and-sea) truce in force at week {h}",
        lambda c: c.status == PARTIAL_TRUCE,
        lambda a: a.status_counts[..., PARTIAL_TRUCE],
    ),
    Outcome(
        "ceasefire",
        "General ceasefire at the horizon",
        "A general ceasefire in force at week {h}",
        lambda c: c.status == CEASEFIRE,
        lambda a: a.status_counts[..., CEASEFIRE],
    ),
    Outcome(
        "settlement",
        "Settlement at the horizon",
        "A settlement in force at week {h}",
        lambda c: c.status == SETTLEMENT,
        lambda a: a.status_counts[..., SETTLEMENT],
    ),
    Outcome(
        "ceasefire_or_settlement",
        "Ceasefire or settlement at the horizon",
        "A general ceasefire or settlement in force at week {h}",
        lambda c: c.status >= CEASEFIRE,
        lambda a: a.status_counts[..., CEASEFIRE] + a.status_counts[..., SETTLEMENT],
    ),
    Outcome("any_agreement", "Any agreement within the horizon", "Any agreement within {h} weeks", lambda c: c.agreed, lambda a: a.with_agreement),
    Outcome(
        "agreement_broke_down",
        "An agreement that broke down",
        "An agreement that later broke down within {h} weeks",
        lambda c: c.agreed & c.broke,
        lambda a: a.agreement_and_breakdown,
    ),
)
"""The outcomes compared; shares are over all replications."""

OUTCOME_NAMES = tuple(o.name for o in OUTCOMES)


def outcome(name: str) -> Outcome:
    for o in OUTCOMES:
        if o.name == name:
            return o
    raise KeyError(f"expected an outcome among {', '.join(OUTCOME_NAMES)}, got {name!r}")


@dataclass(frozen=True)
class Difference:
    """A difference of two shares (second minus first) with its interval and how it was computed."""

    first: float
    second: float
    difference: float
    low: float
    high: float
    paired: bool
    n_first: int
    n_second: int

    @property
    def width(self) -> float:
        return self.high - self.low

    @property
    def method(self) -> str:
        return "paired (Newcombe 1998, method 10)" if self.paired else "independent (Newcombe 1998, method 10)"


def newcombe_paired_interval(both: int, only_second: int, only_first: int, neither: int, confidence: float = 0.95) -> tuple[float, float, float]:
    """Second share minus first share for paired yes/no data, with Newcombe's square-and-add interval.

    The arguments are the 2 x 2 table of pairs: yes in both, yes only in the second, yes
    only in the first, in neither. Returns (difference, lower, upper); NaN when n == 0.
    Newcombe (1998), Statistics in Medicine 17, 2635-2650, method 10, with the correlation
    phi continuity-corrected as there (Fagerland, Lydersen & Laake 2014, section 5).
    """
    a, b, c, d = (float(v) for v in (both, only_second, only_first, neither))
    n = a + b + c + d
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    x2, x1 = a + b, a + c  # yes in the second, yes in the first
    p2, p1 = x2 / n, x1 / n
    l2, u2 = (float(v) for v in wilson_interval(x2, n, confidence))
    l1, u1 = (float(v) for v in wilson_interval(x1, n, confidence))
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    if margins == 0:
        phi = 0.0
    else:
        cross = a * d - b * c
        if cross > n / 2:
            phi = (cross - n / 2) / np.sqrt(margins)
        elif cross >= 0:
            phi = 0.0
        else:
            phi = cross / np.sqrt(margins)
    estimate = p2 - p1
    lower = estimate - np.sqrt(max(0.0, (p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2))
    upper = estimate + np.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    return estimate, max(-1.0, lower), min(1.0, upper)


def pair_table(x: np.ndarray, y: np.ndarray) -> tuple[int, int, int, int]:
    """The 2 x 2 table of paired yes/no outcomes: (both, only y, only x, neither)."""
    x = np.asarray(x, dtype=bool)
    y = np.asarray(y, dtype=bool)
    if x.shape != y.shape:
        raise ValueError(f"paired outcomes need the same replications, got {x.shape} and {y.shape}")
    both = int(np.count_nonzero(x & y))
    only_y = int(np.count_nonzero(~x & y))
    only_x = int(np.count_nonzero(x & ~y))
    return both, only_y, only_x, int(x.size) - both - only_y - only_x


def paired_difference(x: np.ndarray, y: np.ndarray, confidence: float = 0.95) -> Difference:
    """Share of y minus share of x over the same replications, with the paired interval."""
    both, only_y, only_x, neither = pair_table(x, y)
    n = both + only_y + only_x + neither
    diff, low, high = newcombe_paired_interval(both, only_y, only_x, neither, confidence)
    return Difference((both + only_x) / n if n else float("nan"), (both + only_y) / n if n else float("nan"), diff, low, high, True, n, n)


def unpaired_difference(count_x: int, n_x: int, count_y: int, n_y: int, confidence: float = 0.95) -> Difference:
    """Share of y minus share of x for independent samples (Newcombe's hybrid score interval)."""
    diff, low, high = (float(v) for v in newcombe_difference_interval(count_y, n_y, count_x, n_x, confidence))
    return Difference(count_x / n_x if n_x else float("nan"), count_y / n_y if n_y else float("nan"), diff, low, high, False, int(n_x), int(n_y))


def normal_paired_interval(x: np.ndarray, y: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """A cross-check: the normal (Wald) interval on the per-replication differences y_i - x_i."""
    d = np.asarray(y, dtype=float) - np.asarray(x, dtype=float)
    mean = float(d.mean())
    half = z_value(confidence) * float(d.std(ddof=1)) / np.sqrt(d.size) if d.size > 1 else float("nan")
    return mean, mean - half, mean + half


def same_replications(a: Codes, b: Codes) -> bool:
    """Whether two experiments hold the same replication indices in the same order."""
    return a.n == b.n and bool(np.array_equal(a.replication, b.replication))


def compare_codes(first: Codes, second: Codes, paired: bool, confidence: float = 0.95) -> dict[str, Difference]:
    """Every outcome's difference (second minus first): paired when asked and the replications match."""
    paired = paired and same_replications(first, second)
    out = {}
    for o in OUTCOMES:
        x, y = o.indicator(first), o.indicator(second)
        if paired:
            out[o.name] = paired_difference(x, y, confidence)
        else:
            out[o.name] = unpaired_difference(int(np.count_nonzero(x)), first.n, int(np.count_nonzero(y)), second.n, confidence)
    return out


def share_with_interval(count: int, n: int, confidence: float = 0.95) -> tuple[float, float, float]:
    """Share and Wilson interval (NaN when n == 0)."""
    low, high = wilson_interval(count, n, confidence)
    return (count / n if n else float("nan")), float(low), float(high)
