"""Time to first agreement: Kaplan-Meier curve and exact quantiles from week histograms."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.analysis.aggregate import Aggregates
from sim.analysis.intervals import z_value


@dataclass(frozen=True)
class SurvivalCurve:
    """Kaplan-Meier estimate of P(no agreement yet) at the end of each week 0..horizon.

    `survival[w]` is the estimate after week w (`survival[0] == 1`); `lower` and `upper`
    bound its pointwise confidence band; `at_risk[w]` and `events[w]` are the replications
    still without an agreement at the start of week w and those reaching one in week w.
    """

    weeks: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    confidence: float


def kaplan_meier(week_hist: np.ndarray, n: int, confidence: float = 0.95) -> SurvivalCurve:
    """Kaplan-Meier curve of time to first agreement, censored at the horizon, with Greenwood band.

    Kaplan, E. L. and Meier, P. (1958). Nonparametric estimation from incomplete
    observations. JASA 53(282), 457-481. Variance by Greenwood, M. (1926). The natural
    duration of cancer. Reports on Public Health and Medical Subjects 33, HMSO. The band is
    built on the log(-log S) scale (Kalbfleisch and Prentice 1980, section 1.3) so it stays
    within [0, 1]. `week_hist[w]` counts first agreements in week w (index 0 unused, since
    weeks run 1..horizon); the n - sum(week_hist) replications with no agreement are
    censored at the horizon, after that week's events.
    """
    events = np.asarray(week_hist, dtype=np.int64)
    if events.ndim != 1 or events.size < 2:
        raise ValueError("week_hist must be a 1-d histogram over weeks 0..horizon")
    if np.any(events < 0) or events.sum() > n:
        raise ValueError(f"week_hist must hold non-negative counts summing to at most n={n}")
    horizon = events.size - 1
    at_risk = n - np.concatenate(([0], np.cumsum(events)[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, events / at_risk, 0.0)
        survival = np.cumprod(1.0 - hazard)
        greenwood_terms = np.where((at_risk > 0) & (events > 0), events / (at_risk * (at_risk - events)), 0.0)
        greenwood = np.cumsum(greenwood_terms)
        # Var(log(-log S)) = Greenwood sum / (log S)^2; the band is S^exp(+-z * se).
        log_s = np.log(survival)
        se = np.sqrt(greenwood) / np.abs(log_s)
        z = z_value(confidence)
        lower = survival ** np.exp(z * se)
        upper = survival ** np.exp(-z * se)
    # Where S is 1 (no event yet) or 0 (everyone has agreed) the band collapses onto S.
    degenerate = (survival >= 1.0) | (survival <= 0.0) | ~np.isfinite(se)
    lower = np.where(degenerate, survival, lower)
    upper = np.where(degenerate, survival, upper)
    if n == 0:
        survival = lower = upper = np.full(horizon + 1, np.nan)
    return SurvivalCurve(
        weeks=np.arange(horizon + 1, dtype=np.int64),
        survival=survival,
        lower=lower,
        upper=upper,
        at_risk=at_risk,
        events=events,
        confidence=confidence,
    )


def survival_from_aggregates(agg: Aggregates, confidence: float = 0.95) -> SurvivalCurve:
    """Kaplan-Meier curve of time to first agreement for a pooled set of replications."""
    return kaplan_meier(agg.first_agreement_week_hist, agg.n, confidence)


def week_quantiles(week_hist: np.ndarray, q: tuple[float, ...] = (0.25, 0.5, 0.75)) -> list[int | None]:
    """Quantiles of the week of first agreement among replications that reached one.

    Exact order statistics of integer weeks: the q-quantile is the smallest week w whose
    cumulative count reaches max(1, ceil(q * total)). None for each q when no replication
    reached an agreement.
    """
    weeks = stacked_week_quantiles(np.asarray(week_hist)[None], q)[0]
    return [None if w < 0 else int(w) for w in weeks]


def stacked_week_quantiles(week_hists: np.ndarray, q: tuple[float, ...] = (0.25, 0.5, 0.75)) -> np.ndarray:
    """`week_quantiles` of many experiments at once: histograms stacked (E, weeks) -> weeks (E, len(q)), -1 where an
    experiment has no agreement."""
    counts = np.asarray(week_hists, dtype=np.int64)
    total = counts.sum(axis=1)
    cumulative = np.cumsum(counts, axis=1)
    out = np.full((counts.shape[0], len(q)), -1, dtype=np.int64)
    for j, level in enumerate(q):
        if not 0.0 <= level <= 1.0:
            raise ValueError(f"quantile levels must be within [0, 1], got {level!r}")
        rank = np.maximum(1, np.ceil(level * total).astype(np.int64))
        out[:, j] = np.where(total > 0, np.argmax(cumulative >= rank[:, None], axis=1), -1)
    return out
