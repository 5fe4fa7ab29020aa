"""Exact integer aggregates of replication outcomes that merge by addition.

Every field of `Aggregates` is an integer count, so merging chunk aggregates is exact and
the summary derived from them is bit-identical however the replications were chunked, in
whatever order the chunks finished, and on however many workers they ran.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

STATUSES: tuple[str, ...] = ("war", "partial_truce", "ceasefire", "settlement")
"""Status names; a status code is the index into this tuple."""

WAR, PARTIAL_TRUCE, CEASEFIRE, SETTLEMENT = range(4)

AGREEMENT_TYPES: tuple[str, ...] = ("none", "partial_truce", "ceasefire", "settlement")
FIRST_ENDS: tuple[str, ...] = ("in_force", "breakdown", "lapse", "escalated")
"""How a replication's first truce ended (runs.parquet `first_end`), indexed by the codes below."""
END_IN_FORCE, END_BREAKDOWN, END_LAPSE, END_ESCALATED = range(len(FIRST_ENDS))
"""First-agreement names; code 0 means no agreement, codes 1..3 match the status codes."""

FRONT_BINS = 1000
"""Number of equal-width bins on [0, 1] for the weekly front-line histograms."""

TERM_BINS = 1000
"""Number of equal-width bins on [0, 1] for the histograms of agreed terms."""

REQUIRED_RUN_COLUMNS: tuple[str, ...] = (
    "replication",
    "status",
    "first_agreement",
    "first_agreement_week",
    "breakdowns",
    "agreements",
)


@dataclass(frozen=True)
class ChunkOutcome:
    """Outcomes of one chunk of replications, as produced by the engine.

    `runs` holds one array per column with one entry per replication (see the data
    contract in the module docs of the engine); `weekly_status` (int8) and `weekly_front`
    (float64) have shape (horizon + 1, n), row 0 being the start.
    """

    runs: dict[str, np.ndarray]
    weekly_status: np.ndarray
    weekly_front: np.ndarray
    issues: tuple[str, ...]
    horizon: int

    @property
    def n(self) -> int:
        """Number of replications in the chunk."""
        return int(np.asarray(self.runs["replication"]).shape[0])


def bin_index(values: np.ndarray, bins: int) -> np.ndarray:
    """Index of the equal-width bin on [0, 1] holding each value; 1.0 goes in the last bin."""
    index = np.floor(np.asarray(values, dtype=np.float64) * bins).astype(np.int64)
    return np.minimum(index, bins - 1)


def bin_centres(bins: int) -> np.ndarray:
    """Centres of `bins` equal-width bins on [0, 1]."""
    return (np.arange(bins, dtype=np.float64) + 0.5) / bins


def _check_unit_interval(name: str, values: np.ndarray) -> None:
    """Raise ValueError unless every value is finite and within [0, 1]."""
    bad = ~((values >= 0.0) & (values <= 1.0))
    if bad.any():
        first = values[bad].flat[0]
        raise ValueError(f"{name}: {int(bad.sum())} value(s) outside [0, 1] (first: {first!r}); expected values on the 0-1 issue scale")


def histogram_quantile(counts: np.ndarray, q: float | Sequence[float] | np.ndarray, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """Quantile(s) `q` of binned data, as the centre of the bin that holds them.

    For each histogram along the last axis of `counts` (equal-width bins on [lo, hi]), the
    q-quantile is the centre of the first bin whose cumulative count reaches
    max(1, ceil(q * total)): the inverse empirical distribution function evaluated on bins,
    so it is exact and deterministic for integer counts. Empty histograms give NaN. The
    result has shape counts.shape[:-1] + np.shape(q).
    """
    counts = np.asarray(counts)
    q_arr = np.asarray(q, dtype=np.float64)
    if np.any((q_arr < 0.0) | (q_arr > 1.0)):
        raise ValueError(f"quantile levels must be within [0, 1], got {q!r}")
    bins = counts.shape[-1]
    cumulative = np.cumsum(counts, axis=-1)
    total = cumulative[..., -1]
    flat_q = q_arr.reshape(-1)
    # Integer rank of the wanted order statistic (1-based); exact for integer totals.
    ranks = np.maximum(1, np.ceil(flat_q[None, :] * total.reshape(-1, 1)))
    flat_cum = cumulative.reshape(-1, bins)
    index = np.empty(ranks.shape, dtype=np.int64)
    for row in range(flat_cum.shape[0]):
        index[row] = np.searchsorted(flat_cum[row], ranks[row], side="left")
    index = np.minimum(index, bins - 1)
    width = (hi - lo) / bins
    values = lo + (index + 0.5) * width
    values[total.reshape(-1) == 0, :] = np.nan
    out: np.ndarray = values.reshape(counts.shape[:-1] + q_arr.shape)
    return out


def _zeros(shape: int | tuple[int, ...]) -> np.ndarray:
    return np.zeros(shape, dtype=np.int64)


@dataclass(frozen=True)
class Aggregates:
    """Integer-count aggregates over replications; `a + b` pools two sets exactly.

    Fields:
    - `n`: replications; `status_counts` (4,): status at the horizon;
    - `first_agreement_counts` (4,): type of the first agreement (index 0 = none);
    - `first_agreement_week_hist` (horizon + 1,): index w counts first agreements in week w;
    - `with_agreement`, `with_breakdown`: replications with >= 1 agreement, >= 1 breakdown;
      `agreement_and_breakdown`: both; `total_breakdowns`: sum of breakdowns;
    - `weekly_status_counts` (horizon + 1, 4): status at the end of each week;
    - `weekly_front_hist` (horizon + 1, FRONT_BINS): front line at the end of each week;
    - `terms_hist` (4, len(issues), TERM_BINS): terms of the last agreement reached on each
      issue, indexed by the status at the horizon, over replications with terms.
    """

    issues: tuple[str, ...]
    horizon: int
    n: int = 0
    status_counts: np.ndarray = field(default=None)  # type: ignore[arg-type]  # filled by __post_init__
    first_agreement_counts: np.ndarray = field(default=None)  # type: ignore[arg-type]  # filled by __post_init__
    first_agreement_week_hist: np.ndarray = field(default=None)  # type: ignore[arg-type]  # filled by __post_init__
    with_agreement: int = 0
    with_breakdown: int = 0
    agreement_and_breakdown: int = 0
    total_breakdowns: int = 0
    weekly_status_counts: np.ndarray = field(default=None)  # type: ignore[arg-type]  # filled by __post_init__
    weekly_front_hist: np.ndarray = field(default=None)  # type: ignore[arg-type]  # filled by __post_init__
    terms_hist: np.ndarray = field(default=None)  # type: ignore[arg-type]  # filled by __post_init__

    def __post_init__(self) -> None:
        shapes = {
            "status_counts": (len(STATUSES),),
            "first_agreement_counts": (len(AGREEMENT_TYPES),),
            "first_agreement_week_hist": (self.horizon + 1,),
            "weekly_status_counts": (self.horizon + 1, len(STATUSES)),
            "weekly_front_hist": (self.horizon + 1, FRONT_BINS),
            "terms_hist": (len(STATUSES), len(self.issues), TERM_BINS),
        }
        object.__setattr__(self, "issues", tuple(self.issues))
        for name, shape in shapes.items():
            value = getattr(self, name)
            value = _zeros(shape) if value is None else np.asarray(value, dtype=np.int64)
            if value.shape != shape:
                raise ValueError(f"Aggregates.{name}: shape {value.shape}, expected {shape}")
            object.__setattr__(self, name, value)

    @classmethod
    def empty(cls, issues: tuple[str, ...], horizon: int) -> Aggregates:
        """Aggregates of zero replications: the identity of `merge`."""
        if horizon < 1:
            raise ValueError(f"horizon must be >= 1 week, got {horizon}")
        return cls(issues=tuple(issues), horizon=int(horizon))

    @classmethod
    def from_chunk(cls, chunk: ChunkOutcome) -> Aggregates:
        """Count the outcomes of one chunk; raises ValueError if the chunk breaks the contract."""
        runs = chunk.runs
        missing = [c for c in REQUIRED_RUN_COLUMNS if c not in runs]
        missing += [f"terms_{issue}" for issue in chunk.issues if f"terms_{issue}" not in runs]
        if missing:
            raise ValueError(f"chunk is missing column(s): {', '.join(missing)}")
        n = chunk.n
        horizon = int(chunk.horizon)
        for name in runs:
            if np.asarray(runs[name]).shape != (n,):
                raise ValueError(f"column {name!r}: shape {np.shape(runs[name])}, expected ({n},)")
        for name in ("weekly_status", "weekly_front"):
            if np.shape(getattr(chunk, name)) != (horizon + 1, n):
                raise ValueError(f"{name}: shape {np.shape(getattr(chunk, name))}, expected ({horizon + 1}, {n})")

        status = np.asarray(runs["status"], dtype=np.int64)
        first = np.asarray(runs["first_agreement"], dtype=np.int64)
        week = np.asarray(runs["first_agreement_week"], dtype=np.int64)
        breakdowns = np.asarray(runs["breakdowns"], dtype=np.int64)
        agreements = np.asarray(runs["agreements"], dtype=np.int64)
        weekly_status = np.asarray(chunk.weekly_status, dtype=np.int64)
        weekly_front = np.asarray(chunk.weekly_front, dtype=np.float64)

        _check_codes("status", status, len(STATUSES))
        _check_codes("first_agreement", first, len(AGREEMENT_TYPES))
        _check_codes("weekly_status", weekly_status, len(STATUSES))
        has_first = first > 0
        if np.any(week[has_first] < 1) or np.any(week[has_first] > horizon):
            raise ValueError(f"first_agreement_week: weeks must be within 1..{horizon}")
        if np.any(week[~has_first] != -1):
            raise ValueError("first_agreement_week: must be -1 when there is no agreement")
        if np.any(breakdowns < 0) or np.any(agreements < 0):
            raise ValueError("breakdowns and agreements must be >= 0")
        _check_unit_interval("weekly_front", weekly_front)

        rows = np.arange(horizon + 1, dtype=np.int64)[:, None]
        weekly_status_counts = np.bincount(
            (rows * len(STATUSES) + weekly_status).ravel(),
            minlength=(horizon + 1) * len(STATUSES),
        ).reshape(horizon + 1, len(STATUSES))
        weekly_front_hist = np.bincount(
            (rows * FRONT_BINS + bin_index(weekly_front, FRONT_BINS)).ravel(),
            minlength=(horizon + 1) * FRONT_BINS,
        ).reshape(horizon + 1, FRONT_BINS)

        terms_hist = _zeros((len(STATUSES), len(chunk.issues), TERM_BINS))
        for k, issue in enumerate(chunk.issues):
            terms = np.asarray(runs[f"terms_{issue}"], dtype=np.float64)
            present = ~np.isnan(terms)
            _check_unit_interval(f"terms_{issue}", terms[present])
            flat = status[present] * TERM_BINS + bin_index(terms[present], TERM_BINS)
            terms_hist[:, k, :] = np.bincount(flat, minlength=len(STATUSES) * TERM_BINS).reshape(len(STATUSES), TERM_BINS)

        return cls(
            issues=tuple(chunk.issues),
            horizon=horizon,
            n=n,
            status_counts=np.bincount(status, minlength=len(STATUSES)),
            first_agreement_counts=np.bincount(first, minlength=len(AGREEMENT_TYPES)),
            first_agreement_week_hist=np.bincount(week[has_first], minlength=horizon + 1),
            with_agreement=int(np.count_nonzero(agreements > 0)),
            with_breakdown=int(np.count_nonzero(breakdowns > 0)),
            agreement_and_breakdown=int(np.count_nonzero((agreements > 0) & (breakdowns > 0))),
            total_breakdowns=int(breakdowns.sum()),
            weekly_status_counts=weekly_status_counts,
            weekly_front_hist=weekly_front_hist,
            terms_hist=terms_hist,
        )

    def merge(self, other: Aggregates) -> Aggregates:
        """Pool two aggregates of disjoint replications (exact integer addition)."""
        if not isinstance(other, Aggregates):
            raise TypeError(f"can only merge Aggregates, not {type(other).__name__}")
        if self.issues != other.issues or self.horizon != other.horizon:
            raise ValueError(f"cannot merge aggregates of different shapes: issues {self.issues} vs {other.issues}, horizon {self.horizon} vs {other.horizon}")
        return Aggregates(
            issues=self.issues,
            horizon=self.horizon,
            n=self.n + other.n,
            status_counts=self.status_counts + other.status_counts,
            first_agreement_counts=self.first_agreement_counts + other.first_agreement_counts,
            first_agreement_week_hist=self.first_agreement_week_hist + other.first_agreement_week_hist,
            with_agreement=self.with_agreement + other.with_agreement,
            with_breakdown=self.with_breakdown + other.with_breakdown,
            agreement_and_breakdown=self.agreement_and_breakdown + other.agreement_and_breakdown,
            total_breakdowns=self.total_breakdowns + other.total_breakdowns,
            weekly_status_counts=self.weekly_status_counts + other.weekly_status_counts,
            weekly_front_hist=self.weekly_front_hist + other.weekly_front_hist,
            terms_hist=self.terms_hist + other.terms_hist,
        )

    __add__ = merge

    def equals(self, other: Aggregates) -> bool:
        """True when both aggregates hold exactly the same counts."""
        if not isinstance(other, Aggregates):
            return False
        scalars = ("issues", "horizon", "n", "with_agreement", "with_breakdown", "agreement_and_breakdown", "total_breakdowns")
        arrays = ("status_counts", "first_agreement_counts", "first_agreement_week_hist", "weekly_status_counts", "weekly_front_hist", "terms_hist")
        return all(getattr(self, s) == getattr(other, s) for s in scalars) and all(np.array_equal(getattr(self, a), getattr(other, a)) for a in arrays)

    def __eq__(self, other: object) -> bool:
        return self.equals(other)  # type: ignore[arg-type]

    __hash__ = None  # type: ignore[assignment]


def merge_all(parts: Iterable[Aggregates], issues: tuple[str, ...], horizon: int) -> Aggregates:
    """Pool any number of aggregates (or chunks) of disjoint replications."""
    total = Aggregates.empty(issues, horizon)
    for part in parts:
        total = total + (Aggregates.from_chunk(part) if isinstance(part, ChunkOutcome) else part)
    return total


def _check_codes(name: str, codes: np.ndarray, count: int) -> None:
    """Raise ValueError unless every code is within 0..count-1."""
    if codes.size and (codes.min() < 0 or codes.max() >= count):
        raise ValueError(f"{name}: codes must be within 0..{count - 1}")
