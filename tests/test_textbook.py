"""The textbook scenarios (scenarios/textbook/) recover the closed forms of positions.md by Monte Carlo.

Each check compares a Monte Carlo share with its closed form through a Wilson interval whose
confidence is 95% for the whole test (Bonferroni over the test's intervals), so a test
that passes does so at a stated error rate, not by a lucky seed. docs/textbook.md explains
what each closed form means in the model's terms (sim.testing.textbook).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.analysis.aggregate import SETTLEMENT, WAR
from sim.analysis.intervals import wilson_interval
from sim.cli.main import app
from sim.experiment.load import load
from sim.model.model import CeasefireModel
from sim.testing.textbook import (
    bargaining_terms,
    fearon_range,
    optimal_demand_estimate,
    quantal_response,
    tioli_demand,
    tioli_war_probability,
)

TEXTBOOK = Path(__file__).resolve().parent.parent / "scenarios" / "textbook"
FEARON = TEXTBOOK / "fearon_complete_information.toml"
PRIVATE = TEXTBOOK / "private_information.toml"
QUANTAL = TEXTBOOK / "quantal_response.toml"
SEED = 20250311


def first_week(path: Path, runs: int, sets: tuple[str, ...] = ()) -> tuple[CeasefireModel, object]:
    """One week of a textbook scenario over `runs` replications: the model after it, and the scenario."""
    scenario = load(path, list(sets)).scenario
    model = CeasefireModel(scenario, SEED, np.arange(runs))
    model.step()
    return model, scenario


def within(successes: int, n: int, expected: float, confidence: float) -> tuple[bool, str]:
    lo, hi = wilson_interval(successes, n, confidence)
    text = f"{successes / n:.4f} [{float(lo):.4f}, {float(hi):.4f}] vs closed form {expected:.4f}"
    return bool(lo <= expected <= hi), text


def test_textbook_scenarios_validate_and_run_from_the_command_line(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["validate", *map(str, sorted(TEXTBOOK.glob("*.toml")))])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["run", str(PRIVATE), "--runs", "500", "--workers", "1", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "private_information").is_dir()


def test_fearon_every_proposal_inside_the_range_is_accepted_at_once_and_outside_rejected_by_the_side_it_hurts():
    """Complete information, high rationality: a proposal x inside (p - c_A, p + c_B) is accepted by both in
    week 1; below it A (Russia) rejects and B accepts; above it B (Ukraine) rejects and A accepts."""
    model, scenario = first_week(FEARON, 20_000)
    t = bargaining_terms(scenario)
    assert (t.p, t.c_a, t.c_b) == pytest.approx((0.4, 0.1, 0.05))
    lo, hi = fearon_range(t.p, t.c_a, t.c_b)
    x = model.params.random_columns["actors.us.territory.position"]
    answers = model.answers["us"]
    assert answers["tabled"].all(), "a proposal every week"
    agreed = model.status == SETTLEMENT
    # Logit with lambda = 1000 decides within 2e-9 of certainty once |gain| > 0.02: leave that band out.
    band = 0.02
    inside = (x > lo + band) & (x < hi - band)
    below, above = x < lo - band, x > hi + band
    assert inside.sum() > 1000 and below.sum() > 1000 and above.sum() > 1000
    assert agreed[inside].all() and (model.first_week[inside] == 1).all()
    assert not answers["russia"][below].any() and answers["ukraine"][below].all()
    assert not answers["ukraine"][above].any() and answers["russia"][above].all()
    assert not agreed[below | above].any()
    # The share of proposals agreed at once is the width of the range, c_A + c_B (x uniform on [0, 1]).
    ok, text = within(int(agreed.sum()), len(x), t.c_a + t.c_b, 0.95)
    assert ok, text


def test_private_information_war_share_matches_the_closed_form():
    """A demands x* = p + (c_max - c_A)/2 from B whose cost is uniform on [0, c_max]: war with probability
    (c_max - c_A) / (2 c_max)."""
    model, scenario = first_week(PRIVATE, 40_000)
    t = bargaining_terms(scenario)
    assert (t.p, t.c_a, t.c_b_low, t.c_b_high) == pytest.approx((0.4, 0.05, 0.0, 0.2))
    demand = model.params.actors["us"].position[:, model.i_territory]
    assert demand == pytest.approx(tioli_demand(t.p, t.c_a, t.c_b_high))
    assert model.answers["us"]["russia"].all(), "A accepts its own optimal demand"
    war = int((model.status == WAR).sum())
    ok, text = within(war, model.n, tioli_war_probability(t.c_a, t.c_b_high), 0.95)
    assert ok, text


def test_private_information_the_optimal_demand_is_recovered_from_the_monte_carlo_payoffs():
    """Draw the demand per replication; A's realised share (x if B accepts, p - c_A if war) fitted by a
    quadratic in the demand peaks at x* = p + (c_max - c_A)/2, inside the fit's 95% interval."""
    sets = ('actors.us.overrides.territory.position={dist="uniform",low=0.41,high=0.59}',)
    model, scenario = first_week(PRIVATE, 40_000, sets)
    t = bargaining_terms(scenario)
    x = model.params.random_columns["actors.us.territory.position"]
    payoff = np.where(model.status == SETTLEMENT, x, t.p - t.c_a)
    best, lo, hi = optimal_demand_estimate(x, payoff)
    target = tioli_demand(t.p, t.c_a, t.c_b_high)
    assert lo <= target <= hi, f"estimated optimal demand {best:.4f} [{lo:.4f}, {hi:.4f}] vs closed form {target:.4f}"
    assert hi - lo < 0.05, "the interval is informative"


@pytest.mark.parametrize("proposal", [0.42, 0.48])
def test_quantal_response_acceptance_tracks_the_logit_curve_across_lambda(proposal):
    """B accepts a proposal worth dU = p + c_B - x with probability 1/(1 + exp(-lambda dU)), for lambda from a
    coin flip (0) to near best response."""
    lambdas = (0.0, 10.0, 25.0, 50.0, 100.0, 200.0)
    confidence = 1 - 0.05 / len(lambdas)
    failures = []
    for lam in lambdas:
        sets = (f"actors.us.overrides.territory.position={proposal}", f"actors.ukraine.rationality={lam}")
        model, scenario = first_week(QUANTAL, 8_000, sets)
        t = bargaining_terms(scenario)
        du = t.p + t.c_b - proposal
        assert abs(du) == pytest.approx(0.03)
        assert model.answers["us"]["russia"].all(), "A's gain is large: it always accepts"
        ok, text = within(int(model.answers["us"]["ukraine"].sum()), model.n, float(quantal_response(lam, du)), confidence)
        if not ok:
            failures.append(f"lambda {lam:g}: {text}")
    assert not failures, "; ".join(failures)


def test_a_scenario_that_is_not_a_textbook_reduction_is_refused():
    baseline = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
    with pytest.raises(ValueError, match="not a textbook reduction: the front must be fixed"):
        bargaining_terms(load(baseline).scenario)
