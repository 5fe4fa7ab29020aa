"""Experiment summaries derived from exact aggregates: a JSON-ready dict and a weekly table."""

from __future__ import annotations

import math

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
from sim.analysis.survival import week_quantiles

FRONT_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantile levels of the front line reported per week."""


def _number(value) -> float | None:
    """Plain float for JSON, None for NaN (strict JSON has no NaN)."""
    value = float(value)
    return None if math.isnan(value) else value


def proportion(count: int, n: int, confidence: float = 0.95) -> dict:
    """Count, denominator, share and Wilson interval as a JSON-ready dict (None when n == 0)."""
    low, high = wilson_interval(count, n, confidence)
    return {
        "count": int(count),
        "n": int(n),
        "share": _number(count / n) if n else None,
        "low": _number(low),
        "high": _number(high),
    }


def _median_terms(hist: np.ndarray, issues: tuple[str, ...]) -> dict:
    """Median of each issue's binned terms (bin centre), None where no terms were agreed."""
    medians = histogram_quantile(hist, 0.5)
    return {issue: _number(medians[k]) for k, issue in enumerate(issues)}


def summarise(agg: Aggregates, confidence: float = 0.95) -> dict:
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


__all__ = ["FRONT_QUANTILES", "proportion", "summarise", "weekly_table"]
