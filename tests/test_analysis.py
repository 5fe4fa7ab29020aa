"""Tests of the analysis layer: exact aggregates, intervals, survival, summaries, tables."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from sim.analysis.aggregate import (
    FRONT_BINS,
    STATUSES,
    TERM_BINS,
    Aggregates,
    ChunkOutcome,
    bin_centres,
    histogram_quantile,
    merge_all,
)
from sim.analysis.intervals import newcombe_difference_interval, wilson_interval
from sim.analysis.summary import FRONT_QUANTILES, SUMMARY_FIELDS, summarise, summary_row, summary_rows, weekly_table
from sim.analysis.survival import kaplan_meier, stacked_week_quantiles, survival_from_aggregates, week_quantiles
from sim.analysis.tables import comparison_table, format_percent, outcome_table

ISSUES = ("territory", "security_guarantees")


def make_chunk(seed: int, n: int, horizon: int, start: int = 0, issues=ISSUES) -> ChunkOutcome:
    """A random chunk that respects the engine's data contract."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, 4, n).astype(np.int8)
    week = np.where(first > 0, rng.integers(1, horizon + 1, n), -1).astype(np.int32)
    agreements = np.where(first > 0, rng.integers(1, 4, n), 0).astype(np.int32)
    breakdowns = np.where(first > 0, rng.integers(0, agreements + 1), 0).astype(np.int32)
    status = np.where(first > 0, rng.integers(0, 4, n), 0).astype(np.int8)
    runs = {
        "replication": np.arange(start, start + n, dtype=np.int64),
        "status": status,
        "first_agreement": first,
        "first_agreement_week": week,
        "first_mediator": np.where(first > 0, rng.integers(0, 2, n), -1).astype(np.int8),
        "breakdowns": breakdowns,
        "agreements": agreements,
        "front_final": rng.random(n),
        "cost_ukraine": rng.random(n) * 10,
        "cost_russia": rng.random(n) * 10,
        "force_size": rng.random(n) * 30_000,
        "us_aid_weeks": rng.integers(0, horizon + 1, n).astype(np.int32),
        "param__us__bias": rng.random(n),
    }
    for issue in issues:
        terms = rng.choice(np.array([0.0, 0.25, 0.5, 1.0]), n) * (rng.random(n) > 0.3)
        runs[f"terms_{issue}"] = np.where(agreements > 0, terms, np.nan)
    weekly_status = rng.integers(0, 4, (horizon + 1, n)).astype(np.int8)
    weekly_status[0] = 0
    weekly_front = np.clip(0.5 + np.cumsum(rng.normal(0, 0.02, (horizon + 1, n)), axis=0), 0, 1)
    weekly_front[0] = 0.5
    return ChunkOutcome(runs, weekly_status, weekly_front, tuple(issues), horizon)


def slice_chunk(chunk: ChunkOutcome, start: int, stop: int) -> ChunkOutcome:
    """Replications start..stop-1 of a chunk, as a chunk."""
    return ChunkOutcome(
        {k: v[start:stop] for k, v in chunk.runs.items()},
        chunk.weekly_status[:, start:stop],
        chunk.weekly_front[:, start:stop],
        chunk.issues,
        chunk.horizon,
    )


chunk_specs = st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 60), st.integers(1, 12))


@given(spec=chunk_specs, cuts=st.lists(st.integers(0, 60), max_size=5))
def test_merged_chunks_equal_the_whole(spec, cuts):
    seed, n, horizon = spec
    whole = make_chunk(seed, n, horizon)
    bounds = sorted({0, n, *(c % (n + 1) for c in cuts)})
    parts = [slice_chunk(whole, a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    merged = merge_all(parts, ISSUES, horizon)
    direct = Aggregates.from_chunk(whole)
    assert merged == direct
    # Merging in another order gives a bit-identical summary.
    reversed_merge = merge_all(reversed(parts), ISSUES, horizon)
    assert json.dumps(summarise(reversed_merge)) == json.dumps(summarise(direct))


@given(hists=st.lists(st.lists(st.integers(0, 20), min_size=6, max_size=6), min_size=1, max_size=8))
def test_stacked_week_quantiles_are_each_experiments_own(hists):
    stacked = stacked_week_quantiles(np.array(hists), (0.25, 0.5, 0.75))
    for row, hist in zip(stacked, hists, strict=True):
        weeks = np.repeat(np.arange(len(hist)), hist)
        expected = [-1, -1, -1] if weeks.size == 0 else [int(v) for v in np.quantile(weeks, [0.25, 0.5, 0.75], method="inverted_cdf")]
        assert row.tolist() == expected


@given(seeds=st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 40)), min_size=1, max_size=6), horizon=st.integers(1, 12))
def test_a_stack_of_experiments_summarises_each_as_alone(seeds, horizon):
    """summary_rows over counts stacked from several experiments (a sweep's variants) gives each experiment the row it
    gets alone (summary_row), whatever the others."""
    aggs = [Aggregates.from_chunk(make_chunk(seed, n, horizon)) for seed, n in seeds]
    stacked = {name: np.stack([np.asarray(getattr(a, name)) for a in aggs]) for name in SUMMARY_FIELDS}
    assert summary_rows(stacked) == [summary_row(a) for a in aggs]


@given(spec=chunk_specs)
def test_aggregate_counts_cover_every_replication(spec):
    seed, n, horizon = spec
    agg = Aggregates.from_chunk(make_chunk(seed, n, horizon))
    assert agg.n == n
    assert agg.status_counts.sum() == n
    assert agg.first_agreement_counts.sum() == n
    assert agg.first_agreement_week_hist.sum() == n - agg.first_agreement_counts[0]
    assert agg.first_agreement_week_hist[0] == 0
    assert (agg.weekly_status_counts.sum(axis=1) == n).all()
    assert (agg.weekly_front_hist.sum(axis=1) == n).all()
    assert agg.agreement_and_breakdown <= min(agg.with_agreement, agg.with_breakdown)


def test_empty_is_the_identity_of_merge():
    agg = Aggregates.from_chunk(make_chunk(1, 25, 5))
    assert Aggregates.empty(ISSUES, 5) + agg == agg
    assert agg.merge(Aggregates.empty(ISSUES, 5)) == agg
    assert agg + agg != agg


def test_merge_rejects_different_horizons():
    with pytest.raises(ValueError, match="different shapes"):
        Aggregates.empty(ISSUES, 5) + Aggregates.empty(ISSUES, 6)


def test_front_of_one_goes_into_the_last_bin_and_terms_by_status():
    chunk = make_chunk(2, 3, 2)
    chunk.weekly_front[:] = 1.0
    chunk.runs["status"][:] = [3, 3, 0]
    chunk.runs["agreements"][:] = [1, 1, 0]
    chunk.runs["terms_territory"][:] = [0.5, 1.0, np.nan]
    agg = Aggregates.from_chunk(chunk)
    assert (agg.weekly_front_hist[:, FRONT_BINS - 1] == 3).all()
    assert agg.terms_hist[3, 0, TERM_BINS // 2] == 1
    assert agg.terms_hist[3, 0, TERM_BINS - 1] == 1
    assert agg.terms_hist[:, 0].sum() == 2


def test_from_chunk_rejects_front_outside_unit_interval():
    chunk = make_chunk(3, 4, 3)
    chunk.weekly_front[2, 1] = 1.5
    with pytest.raises(ValueError, match=r"weekly_front: 1 value\(s\) outside \[0, 1\]"):
        Aggregates.from_chunk(chunk)


def test_from_chunk_rejects_missing_terms_column():
    chunk = make_chunk(4, 4, 3)
    del chunk.runs["terms_territory"]
    with pytest.raises(ValueError, match=r"missing column.*terms_territory"):
        Aggregates.from_chunk(chunk)


@given(
    counts=st.lists(st.integers(0, 5), min_size=1, max_size=40).filter(lambda c: sum(c) > 0),
    q=st.floats(0, 1),
)
def test_histogram_quantile_is_the_inverted_cdf_of_bin_centres(counts, q):
    counts = np.array(counts)
    centres = bin_centres(counts.size)
    expected = np.quantile(np.repeat(centres, counts), q, method="inverted_cdf")
    assert histogram_quantile(counts, q) == pytest.approx(expected, abs=1e-12)


def test_histogram_quantile_of_empty_histogram_is_nan():
    assert np.isnan(histogram_quantile(np.zeros(10, dtype=int), 0.5))
    assert histogram_quantile(np.zeros((3, 10), dtype=int), [0.1, 0.9]).shape == (3, 2)


@given(n=st.integers(0, 10_000), data=st.data(), confidence=st.floats(0.5, 0.999))
def test_wilson_interval_contains_estimate_within_unit_interval(n, data, confidence):
    x = data.draw(st.integers(0, n))
    low, high = wilson_interval(x, n, confidence)
    if n == 0:
        assert np.isnan(low) and np.isnan(high)
        return
    p = x / n
    assert 0.0 <= low <= p <= high <= 1.0


def test_wilson_interval_matches_published_values():
    # Newcombe (1998a), Statistics in Medicine 17, 857-872, Table I: 81/263 and 15/148.
    low, high = wilson_interval(np.array([81, 15]), np.array([263, 148]))
    np.testing.assert_allclose(low, [0.2553, 0.0624], atol=5e-5)
    np.testing.assert_allclose(high, [0.3662, 0.1605], atol=5e-5)


def test_newcombe_interval_matches_published_values():
    # Newcombe (1998b), Statistics in Medicine 17, 873-890, Table II, method 10.
    diff, low, high = newcombe_difference_interval([56, 9], [70, 10], [48, 3], [80, 10])
    np.testing.assert_allclose(diff, [0.2, 0.6])
    np.testing.assert_allclose(low, [0.0524, 0.1705], atol=5e-5)
    np.testing.assert_allclose(high, [0.3339, 0.8090], atol=5e-5)


@given(data=st.data(), na=st.integers(1, 500), nb=st.integers(1, 500))
def test_newcombe_interval_contains_difference(data, na, nb):
    xa = data.draw(st.integers(0, na))
    xb = data.draw(st.integers(0, nb))
    diff, low, high = newcombe_difference_interval(xa, na, xb, nb)
    assert -1.0 <= low <= diff + 1e-12 and diff - 1e-12 <= high <= 1.0


@given(
    events=st.lists(st.integers(0, 50), min_size=2, max_size=30),
    censored=st.integers(0, 100),
)
def test_kaplan_meier_starts_at_one_and_never_rises(events, censored):
    events[0] = 0
    n = sum(events) + censored
    curve = kaplan_meier(np.array(events), n)
    if n == 0:
        assert np.isnan(curve.survival).all()
        return
    assert curve.survival[0] == 1.0
    assert (np.diff(curve.survival) <= 0).all()
    assert (curve.lower <= curve.survival + 1e-12).all()
    assert (curve.survival <= curve.upper + 1e-12).all()
    assert (curve.lower >= 0).all() and (curve.upper <= 1).all()
    # Censoring only at the horizon: KM is the empirical share still without agreement.
    np.testing.assert_allclose(curve.survival, 1 - np.cumsum(events) / n, atol=1e-12)


def test_kaplan_meier_greenwood_band_matches_hand_calculation():
    curve = kaplan_meier(np.array([0, 2, 0, 3]), 10)
    # S(1) = 0.8, Greenwood var = S^2 * 2 / (10 * 8); log-log band with z = 1.959964.
    s, var = 0.8, 0.8**2 * 2 / 80
    se = np.sqrt(var) / (s * abs(np.log(s)))
    z = 1.959963984540054
    assert curve.survival[1] == pytest.approx(s)
    assert curve.lower[1] == pytest.approx(s ** np.exp(z * se))
    assert curve.upper[1] == pytest.approx(s ** np.exp(-z * se))
    assert list(curve.at_risk) == [10, 10, 8, 8]
    assert curve.survival[3] == pytest.approx(0.5)


def test_kaplan_meier_rejects_more_events_than_replications():
    with pytest.raises(ValueError, match="summing to at most n=3"):
        kaplan_meier(np.array([0, 2, 2]), 3)


@given(counts=st.lists(st.integers(0, 20), min_size=2, max_size=30))
def test_week_quantiles_are_exact_order_statistics(counts):
    counts[0] = 0
    weeks = np.repeat(np.arange(len(counts)), counts)
    result = week_quantiles(np.array(counts), (0.25, 0.5, 0.75))
    if weeks.size == 0:
        assert result == [None, None, None]
    else:
        expected = np.quantile(weeks, [0.25, 0.5, 0.75], method="inverted_cdf")
        assert result == [int(v) for v in expected]


@given(spec=chunk_specs)
def test_summary_shares_sum_to_one_and_is_strict_json(spec):
    seed, n, horizon = spec
    summary = summarise(Aggregates.from_chunk(make_chunk(seed, n, horizon)))
    json.dumps(summary, allow_nan=False)
    if n == 0:
        assert summary["status_at_horizon"]["war"]["share"] is None
        return
    for key in ("status_at_horizon", "first_agreement"):
        assert sum(v["share"] for v in summary[key].values()) == pytest.approx(1.0)
        for v in summary[key].values():
            assert v["low"] <= v["share"] <= v["high"]


def test_summary_contents_on_a_known_chunk():
    chunk = make_chunk(5, 4, 3)
    runs = chunk.runs
    runs["status"][:] = [0, 3, 3, 2]
    runs["first_agreement"][:] = [0, 1, 3, 2]
    runs["first_agreement_week"][:] = [-1, 1, 3, 2]
    runs["agreements"][:] = [0, 2, 1, 1]
    runs["breakdowns"][:] = [0, 1, 0, 0]
    runs["terms_territory"][:] = [np.nan, 0.25, 0.75, 0.5]
    summary = summarise(Aggregates.from_chunk(chunk))
    assert list(summary) == [
        "n",
        "horizon",
        "issues",
        "confidence",
        "status_at_horizon",
        "first_agreement",
        "any_agreement",
        "weeks_to_first_agreement",
        "truce_broken_down",
        "mean_breakdowns",
        "median_terms",
    ]
    assert summary["status_at_horizon"]["settlement"]["share"] == 0.5
    assert summary["first_agreement"]["none"]["count"] == 1
    assert summary["weeks_to_first_agreement"] == {"n": 3, "median": 2, "q25": 1, "q75": 3}
    assert summary["truce_broken_down"]["count"] == 1
    assert summary["truce_broken_down"]["n"] == 3
    assert summary["mean_breakdowns"] == 0.25
    # Settlements: 0.25 and 0.75 -> lower median 0.25 (bin centre); all: 0.25, 0.5, 0.75.
    assert summary["median_terms"]["settlement"]["territory"] == pytest.approx(0.2505)
    assert summary["median_terms"]["any_agreement"]["territory"] == pytest.approx(0.5005)


def test_summary_without_agreements_has_null_weeks():
    chunk = make_chunk(6, 5, 4)
    chunk.runs["first_agreement"][:] = 0
    chunk.runs["first_agreement_week"][:] = -1
    chunk.runs["agreements"][:] = 0
    chunk.runs["breakdowns"][:] = 0
    for issue in ISSUES:
        chunk.runs[f"terms_{issue}"][:] = np.nan
    summary = summarise(Aggregates.from_chunk(chunk))
    assert summary["weeks_to_first_agreement"] == {"n": 0, "median": None, "q25": None, "q75": None}
    assert summary["truce_broken_down"]["share"] is None
    assert summary["median_terms"]["settlement"] == {issue: None for issue in ISSUES}


def test_weekly_table_columns_and_shares():
    agg = Aggregates.from_chunk(make_chunk(7, 50, 6))
    table = weekly_table(agg)
    assert table.column_names == [
        "week",
        "share_war",
        "share_partial_truce",
        "share_ceasefire",
        "share_settlement",
        "front_q05",
        "front_q25",
        "front_q50",
        "front_q75",
        "front_q95",
    ]
    assert table.num_rows == 7
    shares = np.column_stack([table.column(f"share_{s}").to_numpy() for s in STATUSES])
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    quantiles = np.column_stack([table.column(f"front_q{round(q * 100):02d}").to_numpy() for q in FRONT_QUANTILES])
    assert (np.diff(quantiles, axis=1) >= 0).all()
    assert table.column("front_q50").to_numpy()[0] == pytest.approx(0.5005)


def test_survival_from_aggregates_uses_pooled_histogram():
    agg = Aggregates.from_chunk(make_chunk(8, 40, 5))
    curve = survival_from_aggregates(agg)
    expected = 1 - agg.first_agreement_week_hist.cumsum() / 40
    np.testing.assert_allclose(curve.survival, expected)


def _render(table) -> str:
    console = Console(record=True, width=220, color_system=None)
    console.print(table)
    return console.export_text()


def test_format_percent_shows_share_and_interval():
    assert format_percent({"share": 0.183, "low": 0.161, "high": 0.206}) == "18.3% (16.1–20.6)"
    assert format_percent({"share": None, "low": None, "high": None}) == "—"


def test_outcome_and_comparison_tables_render():
    summary = summarise(Aggregates.from_chunk(make_chunk(9, 200, 10)))
    war = format_percent(summary["status_at_horizon"]["war"])
    text = _render(outcome_table(summary, "Baseline"))
    for expected in ("Baseline", "War", "Partial truce", "Settlement", war, "Weeks to first agreement", "Truces broken down", "Territory"):
        assert expected in text
    text = _render(comparison_table({"baseline": summary, "no-aid": summary}))
    entry = summary["status_at_horizon"]["war"]
    share = f"{100 * entry['share']:.1f}%"
    interval = f"{100 * entry['low']:.1f}–{100 * entry['high']:.1f}"
    # Each scenario's row shows the share with its interval on the line below.
    assert "baseline" in text and "no-aid" in text
    assert text.count(share) == 2 and text.count(interval) == 2
