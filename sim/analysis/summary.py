"""Experiment summaries derived from exact aggregates: a JSON-ready dict and a weekly table."""

from __future__ import annotations

import math
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
from sim.analysis.survival import week_quantiles

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
        "status_at_horizon": {
            status: proportion(int(agg.status_counts[code]), n, confidence)
            for code, status in enumerate(STATUSES)
        },
        "first_agreement": {
            kind: proportion(int(agg.first_agreement_counts[code]), n, confidence)
            for code, kind in enumerate(AGREEMENT_TYPES)
        },
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


def summary_row(agg: Aggregates, confidence: float = 0.95) -> dict[str, Any]:
    """One experiment's outcomes as a flat row: `n`; for each outcome of `sim.analysis.paired.OUTCOMES` its share and
    95% Wilson interval (`<outcome>_share`, `_low`, `_high`); replications with an agreement (`weeks_reached`) and
    the quartiles of the week of the first agreement; the share of those that saw a breakdown, with its interval;
    breakdowns per replication. "None" is None (null in Parquet), never NaN: no replications, no agreement."""
    row: dict[str, Any] = {"n": int(agg.n)}
    for o in OUTCOMES:
        share = proportion(o.count(agg), agg.n, confidence)
        row[f"{o.name}_share"], row[f"{o.name}_low"], row[f"{o.name}_high"] = share["share"], share["low"], share["high"]
    q25, median, q75 = week_quantiles(agg.first_agreement_week_hist, (0.25, 0.5, 0.75))
    row["weeks_reached"] = int(agg.first_agreement_week_hist.sum())
    row["weeks_median"], row["weeks_q25"], row["weeks_q75"] = median, q25, q75
    breakdown = proportion(agg.agreement_and_breakdown, agg.with_agreement, confidence)
    row["breakdown_share"], row["breakdown_low"], row["breakdown_high"] = breakdown["share"], breakdown["low"], breakdown["high"]
    row["mean_breakdowns"] = _number(agg.total_breakdowns / agg.n) if agg.n else None
    return row


def summary_table(agg: Aggregates, scenario: str, seed: int, confidence: float = 0.95) -> pa.Table:
    """summary.parquet of a single run: one row, `scenario` and `seed`, then `summary_row`'s columns (the columns
    of a sweep's summary.parquet after its parameters), so runs and sweep variants stack into one table."""
    row = {"scenario": scenario, "seed": int(seed), **summary_row(agg, confidence)}
    columns: dict[str, pa.Array] = {}
    for key, value in row.items():
        if key == "scenario":
            kind = pa.string()
        elif key in ("n", "seed", "weeks_reached"):
            kind = pa.int64()
        elif key.startswith("weeks_"):
            kind = pa.int32()
        else:
            kind = pa.float64()
        columns[key] = pa.array([value], type=kind)
    return pa.table(columns)


__all__ = ["FRONT_QUANTILES", "proportion", "summarise", "summary_row", "summary_table", "weekly_table"]
