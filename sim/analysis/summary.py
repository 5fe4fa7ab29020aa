"""Experiment summaries derived from exact aggregates: a JSON-ready dict and a weekly table."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyarrow as pa

from sim.analysis.aggregate import (
    AGREEMENT_TYPES,
    SETTLEMENT,
    STATUSES,
    Aggregates,
    histogram_quantile,
)
from sim.analysis.intervals import wilson_interval
from sim.analysis.paired import OUTCOMES
from sim.analysis.survival import stacked_week_quantiles, week_quantiles

FRONT_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantile levels of the front line reported per week."""


def _number(value: float | np.floating[Any] | np.ndarray) -> float | None:
    """Plain float for JSON, None for NaN (strict JSON has no NaN)."""
    value = float(value)
    return None if math.isnan(value) else value


def proportion(count: int, n: int, confidence: float = 0.95) -> dict[str, Any]:
    """Count, denominator, share and Wilson interval as a JSON-ready dict (None when n == 0)."""
    low, high = wilson_interval(count, n, confidence)
    return {
        "count": int(count),
        "n": int(n),
        "share": _number(count / n) if n else None,
        "low": _number(low),
        "high": _number(high),
    }


def _median_terms(hist: np.ndarray, issues: tuple[str, ...]) -> dict[str, Any]:
    """Median of each issue's binned terms (bin centre), None where no terms were agreed."""
    medians = histogram_quantile(hist, 0.5)
    return {issue: _number(medians[k]) for k, issue in enumerate(issues)}


def summarise(agg: Aggregates, confidence: float = 0.95) -> dict[str, Any]:
    """Summary of an experiment's outcomes, JSON-serialisable with a fixed key order.

    Shares at the horizon and of first agreements carry Wilson score intervals; time to
    first agreement is summarised by exact quantiles of the week among replications that
    reached an agreement (None when none did); truce durability is the share of
    replications with at least one agreement that saw at least one breakdown; terms are
    medians (to the histogram's bin centre) of the last agreed terms on each issue.
    """
    n = agg.n
    q25, median, q75 = week_quantiles(agg.first_agreement_week_hist, (0.25, 0.5, 0.75))
    reached = int(agg.first_agreement_week_hist.sum())
    return {
        "n": int(n),
        "horizon": int(agg.horizon),
        "issues": list(agg.issues),
        "confidence": float(confidence),
        "status_at_horizon": {status: proportion(int(agg.status_counts[code]), n, confidence) for code, status in enumerate(STATUSES)},
        "first_agreement": {kind: proportion(int(agg.first_agreement_counts[code]), n, confidence) for code, kind in enumerate(AGREEMENT_TYPES)},
        "any_agreement": proportion(agg.with_agreement, n, confidence),
        "weeks_to_first_agreement": {
            "n": reached,
            "median": median,
            "q25": q25,
            "q75": q75,
        },
        "truce_broken_down": proportion(agg.agreement_and_breakdown, agg.with_agreement, confidence),
        "mean_breakdowns": _number(agg.total_breakdowns / n) if n else None,
        "median_terms": {
            "settlement": _median_terms(agg.terms_hist[SETTLEMENT], agg.issues),
            "any_agreement": _median_terms(agg.terms_hist.sum(axis=0), agg.issues),
        },
    }


def weekly_table(agg: Aggregates) -> pa.Table:
    """Weekly shares of each status and quantiles of the front line, one row per week 0..horizon.

    Front-line quantiles are centres of the FRONT_BINS-wide histogram bins (resolution
    1 / FRONT_BINS on the 0-1 territory scale).
    """
    weeks = np.arange(agg.horizon + 1, dtype=np.int32)
    counts = agg.weekly_status_counts.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = counts / counts.sum(axis=1, keepdims=True)
    front = histogram_quantile(agg.weekly_front_hist, FRONT_QUANTILES)
    columns: dict[str, pa.Array] = {"week": pa.array(weeks, type=pa.int32())}
    for code, status in enumerate(STATUSES):
        columns[f"share_{status}"] = pa.array(shares[:, code], type=pa.float64())
    for j, level in enumerate(FRONT_QUANTILES):
        columns[f"front_q{round(level * 100):02d}"] = pa.array(front[:, j], type=pa.float64())
    return pa.table(columns)


SUMMARY_FIELDS: tuple[str, ...] = (
    "n",
    "status_counts",
    "first_agreement_counts",
    "first_agreement_week_hist",
    "with_agreement",
    "with_breakdown",
    "agreement_and_breakdown",
    "total_breakdowns",
)
"""The counts of `Aggregates` that `summary_rows` reads (what a sweep keeps per chunk for its per-variant summaries)."""


def summary_arrays(counts: Mapping[str, np.ndarray], confidence: float = 0.95) -> dict[str, pa.Array]:
    """Experiments' outcomes as typed columns, from their `SUMMARY_FIELDS` counts stacked (one entry per experiment):
    every experiment at once (a sweep of 10,000 variants is one pass over arrays, not a loop over variants).

    Columns: `n`; for each outcome of `sim.analysis.paired.OUTCOMES` its share and 95% Wilson interval
    (`<outcome>_share`, `_low`, `_high`); replications with an agreement (`weeks_reached`) and the quartiles of the
    week of the first agreement (`weeks_median`, `weeks_q25`, `weeks_q75`: exact order statistics, as
    `sim.analysis.survival.stacked_week_quantiles`); the share of those that saw a breakdown, with its interval; breakdowns
    per replication. Counts are int64, weeks int32, the rest float64; "none" is null, never NaN: no replications,
    no agreement.
    """
    stacked = SimpleNamespace(**{name: np.asarray(counts[name]) for name in SUMMARY_FIELDS})
    n = np.asarray(counts["n"], dtype=np.int64)
    columns: dict[str, pa.Array] = {"n": pa.array(n, type=pa.int64())}
    for o in OUTCOMES:
        hits = np.asarray(o.count(stacked), dtype=np.int64)  # type: ignore[arg-type]  # the stacked counts read as Aggregates
        low, high = wilson_interval(hits, n, confidence)
        columns[f"{o.name}_share"] = _floats(_ratio(hits, n))
        columns[f"{o.name}_low"], columns[f"{o.name}_high"] = _floats(low), _floats(high)
    hists = np.asarray(counts["first_agreement_week_hist"], dtype=np.int64)
    columns["weeks_reached"] = pa.array(hists.sum(axis=1), type=pa.int64())
    weeks = stacked_week_quantiles(hists, (0.5, 0.25, 0.75))
    for j, name in enumerate(("weeks_median", "weeks_q25", "weeks_q75")):
        columns[name] = pa.array(weeks[:, j].astype(np.int32), mask=weeks[:, j] < 0, type=pa.int32())
    agreed = np.asarray(counts["with_agreement"], dtype=np.int64)
    broke = np.asarray(counts["agreement_and_breakdown"], dtype=np.int64)
    low, high = wilson_interval(broke, agreed, confidence)
    columns["breakdown_share"] = _floats(_ratio(broke, agreed))
    columns["breakdown_low"], columns["breakdown_high"] = _floats(low), _floats(high)
    columns["mean_breakdowns"] = _floats(_ratio(np.asarray(counts["total_breakdowns"], dtype=np.int64), n))
    return columns


def _ratio(count: np.ndarray, n: np.ndarray) -> np.ndarray:
    """count / n, NaN where n is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out: np.ndarray = np.where(n > 0, count / np.where(n > 0, n, 1), np.nan)
    return out


def _floats(values: np.ndarray) -> pa.Array:
    """A float64 column with null where `values` is NaN."""
    values = np.asarray(values, dtype=np.float64)
    return pa.array(values, mask=np.isnan(values), type=pa.float64())


def summary_rows(counts: Mapping[str, np.ndarray], confidence: float = 0.95) -> list[dict[str, Any]]:
    """`summary_arrays` as rows, one dict per experiment ("none" is None)."""
    rows: list[dict[str, Any]] = pa.table(summary_arrays(counts, confidence)).to_pylist()
    return rows


def summary_row(agg: Aggregates, confidence: float = 0.95) -> dict[str, Any]:
    """One experiment's outcomes as a flat row (`summary_rows` of one)."""
    return summary_rows({name: np.asarray(getattr(agg, name))[None] for name in SUMMARY_FIELDS}, confidence)[0]


def summary_columns(rows: Sequence[Mapping[str, Any]]) -> dict[str, pa.Array]:
    """Rows of `summary_rows` (with any leading columns such as `scenario` and `seed`) as typed Parquet columns:
    counts and seeds int64, weeks int32 (None, no agreement, is null), labels string, shares and the rest float64."""
    columns: dict[str, pa.Array] = {}
    for key in rows[0]:
        if key == "scenario":
            kind = pa.string()
        elif key in ("n", "seed", "weeks_reached"):
            kind = pa.int64()
        elif key.startswith("weeks_"):
            kind = pa.int32()
        else:
            kind = pa.float64()
        columns[key] = pa.array([row[key] for row in rows], type=kind)
    return columns


def summary_table(agg: Aggregates, scenario: str, seed: int, confidence: float = 0.95) -> pa.Table:
    """summary.parquet of a single run: one row, `scenario` and `seed`, then `summary_row`'s columns (the columns
    of a sweep's summary.parquet after its parameters), so runs and sweep variants stack into one table."""
    return pa.table(summary_columns([{"scenario": scenario, "seed": int(seed), **summary_row(agg, confidence)}]))


__all__ = [
    "FRONT_QUANTILES",
    "SUMMARY_FIELDS",
    "proportion",
    "summarise",
    "summary_arrays",
    "summary_columns",
    "summary_row",
    "summary_rows",
    "summary_table",
    "weekly_table",
]
