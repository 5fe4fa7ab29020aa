"""Paired differences of outcome shares, and `sim compare` over result folders and scenarios."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from clitools import invoke
from hypothesis import given
from hypothesis import strategies as st

from sim.analysis.intervals import newcombe_difference_interval
from sim.analysis.paired import (
    compare_codes,
    newcombe_paired_interval,
    normal_paired_interval,
    pair_table,
    paired_difference,
    unpaired_difference,
)
from sim.experiment.executors import ExecutorSpec
from sim.experiment.load import load
from sim.experiment.run import run_in_memory

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
SOFTENED = ROOT / "scenarios" / "russia_red_lines_softened.toml"


# ---------------------------------------------------------------------- the interval
@given(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60), st.integers(0, 60))
def test_paired_interval_contains_the_estimate_within_bounds(a, b, c, d):
    diff, low, high = newcombe_paired_interval(a, b, c, d)
    if a + b + c + d == 0:
        assert np.isnan(diff)
        return
    assert diff == pytest.approx((b - c) / (a + b + c + d))
    assert -1.0 <= low <= diff + 1e-12 and diff - 1e-12 <= high <= 1.0


def test_paired_interval_without_correlation_is_the_independent_one():
    # a*d - b*c = 0 (no correlation between the pair): phi = 0, so the square-and-add of the
    # two Wilson intervals is Newcombe's interval for independent samples of the same sizes.
    a, b, c, d = 10, 20, 30, 60
    n = a + b + c + d
    paired = newcombe_paired_interval(a, b, c, d)
    independent = newcombe_difference_interval(a + b, n, a + c, n)
    assert paired == pytest.approx(tuple(float(v) for v in independent))


def test_paired_interval_covers_the_true_difference():
    """Coverage of the 95% interval on correlated pairs (as in a what-if): close to 95%."""
    rng = np.random.default_rng(2025)
    n, trials, hits = 400, 600, 0
    p_first, p_change_up, p_change_down = 0.3, 0.08, 0.02
    truth = p_change_up * (1 - p_first) - p_change_down * p_first
    for _ in range(trials):
        x = rng.random(n) < p_first
        flip = rng.random(n)
        y = np.where(x, flip >= p_change_down, flip < p_change_up)
        d = paired_difference(x, y)
        hits += d.low <= truth <= d.high
    assert 0.93 <= hits / trials <= 0.985


def test_pair_table_counts():
    x = np.array([1, 1, 0, 0, 1], dtype=bool)
    y = np.array([1, 0, 1, 0, 1], dtype=bool)
    assert pair_table(x, y) == (2, 1, 1, 1)
    with pytest.raises(ValueError, match="same replications"):
        pair_table(x, y[:3])


def test_normal_paired_interval_agrees_with_newcombe_on_a_large_sample():
    rng = np.random.default_rng(7)
    x = rng.random(20_000) < 0.4
    y = x | (rng.random(20_000) < 0.05)
    d = paired_difference(x, y)
    mean, low, high = normal_paired_interval(x, y)
    assert d.difference == pytest.approx(mean)
    assert d.low == pytest.approx(low, abs=0.002) and d.high == pytest.approx(high, abs=0.002)


# ---------------------------------------------------------------------- a real comparison
@pytest.fixture(scope="module")
def real_comparison():
    """The baseline and US aid cut for good, 2000 replications x 26 weeks each, same seed."""
    base = load(BASELINE, ["horizon_weeks=26"])
    turkey = load(BASELINE, ["horizon_weeks=26", "actors.us.aid_policy=cut"])
    first, second = run_in_memory([base, turkey], 2000, 20250311, chunk_size=1000, executor=ExecutorSpec("inprocess"))
    return first, second


def test_paired_interval_is_visibly_narrower_than_the_unpaired_one(real_comparison):
    first, second = real_comparison
    paired = compare_codes(first.codes, second.codes, paired=True)
    unpaired = compare_codes(first.codes, second.codes, paired=False)
    for name in ("war", "partial_truce", "any_agreement"):
        p, u = paired[name], unpaired[name]
        assert p.paired and not u.paired
        assert p.difference == pytest.approx(u.difference)
        assert p.width < 0.6 * u.width, (name, p.width, u.width)
        print(f"{name}: difference {100 * p.difference:+.2f} points; paired width {100 * p.width:.2f}, unpaired width {100 * u.width:.2f} points")


def test_unpaired_when_replications_differ(real_comparison):
    first, second = real_comparison
    from sim.analysis.paired import Codes

    shifted = Codes(second.codes.replication + 1, second.codes.status, second.codes.first, second.codes.agreed, second.codes.broke)
    assert not compare_codes(first.codes, shifted, paired=True)["war"].paired


def test_unpaired_difference_direction():
    d = unpaired_difference(10, 100, 30, 100)
    assert d.difference == pytest.approx(0.2) and d.low < 0.2 < d.high


# ---------------------------------------------------------------------- the command
def _row(stdout: str, label: str) -> str:
    return next(line for line in stdout.splitlines() if line.strip().startswith(label))


def test_compare_scenarios_run_on_the_spot_with_a_shared_seed(tmp_path):
    result = invoke("compare", BASELINE, SOFTENED, "--runs", 300, "--weeks", 12, "--executor", "inprocess", "--seed", 3)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "baseline" in out and "russia_red_lines_softened" in out
    assert "Δ vs first" in out and "(paired)" in out
    assert "paired (same seed and replications" in out
    assert re.search(r"War at the horizon\s+\d+\.\d%\s+\d+\.\d%\s+[+-]\d+\.\d", out)


def _run_folder(out: Path, seed: int, *sets) -> Path:
    args = ["run", BASELINE, "--runs", 200, "--weeks", 10, "--seed", seed, "--out", out, "--workers", 1]
    for s in sets:
        args += ["--set", s]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    folders = sorted((out / "baseline").iterdir(), key=lambda p: p.stat().st_mtime_ns)
    return folders[-1]


def test_compare_result_folders_paired_only_with_the_same_seed(tmp_path):
    a = _run_folder(tmp_path / "a", 5)
    b = _run_folder(tmp_path / "b", 5, "actors.turkey.mediation_intensity=0.3")
    c = _run_folder(tmp_path / "c", 6, "actors.turkey.mediation_intensity=0.3")
    result = invoke("compare", a, b, c)
    assert result.exit_code == 0, result.output
    assert "(paired)" in result.stdout and "(independent)" in result.stdout
    assert "paired where marked" in result.stdout
    # A folder and a scenario: the scenario runs with the folder's seed, replications and horizon, so they pair.
    mixed = invoke("compare", a, BASELINE, "--executor", "inprocess")
    assert mixed.exit_code == 0, mixed.output
    assert "(paired)" in mixed.stdout
    assert re.search(r"War at the horizon\s+(\d+\.\d)%\s+\1%\s+\+0\.0", mixed.stdout), _row(mixed.stdout, "War")


def test_compare_a_sweep_variant(tmp_path):
    sweep = tmp_path / "s.toml"
    sweep.write_text(
        f'base = "{BASELINE}"\nruns = 150\nseed = 4\nset = ["horizon_weeks=10"]\n[design]\nkind = "grid"\n'
        '[[parameters]]\npath = "actors.turkey.mediation_intensity"\nvalues = [0.0, 0.4]\n',
        encoding="utf-8",
    )
    assert invoke("sweep", sweep, "--out", tmp_path / "out", "--executor", "inprocess").exit_code == 0
    run = next((tmp_path / "out" / "s").iterdir())
    result = invoke("compare", f"{run}#0", f"{run}#1")
    assert result.exit_code == 0, result.output
    assert "s#1: actors.turkey.mediation_intensity=0.4" in result.stdout and "(paired)" in result.stdout
    bad = invoke("compare", f"{run}#7", f"{run}#1")
    assert bad.exit_code == 2 and "expected a variant within 0..1, got 7" in bad.stderr


def test_compare_bad_inputs_are_one_line_errors(tmp_path):
    one = invoke("compare", BASELINE)
    assert one.exit_code == 2 and "expected at least two" in one.stderr
    missing = invoke("compare", tmp_path / "nowhere", BASELINE)
    assert missing.exit_code == 2 and "expected a result folder" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
