"""Model-level properties: what the levers do, measured by paired runs on common random numbers.

Each relation of `sim.experiment.levers.RELATIONS` states the direction of an effect (more war
cost never lowers the chance of an agreement, a US backstop never raises a ceasefire's
breakdown hazard, ...). A relation fails when its paired 95% interval lies wholly on the wrong
side of zero. The same checks run as `sim check --model SCENARIO`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.experiment.levers import RELATIONS, Relation, baseline_levers, check_relations, lever_table, simulate
from sim.experiment.load import load

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"
RUNS = 1500
SEED = 20250311


@pytest.fixture(scope="module")
def relation_results():
    return {r.relation.name: r for r in check_relations(BASELINE, RUNS, SEED)}


@pytest.mark.parametrize("relation", RELATIONS, ids=[r.name for r in RELATIONS])
def test_model_relation_holds_on_the_baseline(relation_results, relation):
    result = relation_results[relation.name]
    assert not result.violated, f"{relation.name}: effect {result.estimate:+.4f} ({result.low:+.4f} to {result.high:+.4f})"


def test_a_relation_in_the_wrong_direction_is_reported_as_violated():
    """The check can fail: claiming that more war cost for Russia lowers P(any agreement) is refuted."""
    wrong = Relation("more war cost for Russia raises war", RELATIONS[0].sets, "any_agreement", -1)
    (result,) = check_relations(BASELINE, RUNS, SEED, [wrong])
    assert result.violated and result.by > 0


def test_every_actor_has_a_lever_that_moves_agreement(tmp_path):
    """At small size: each of the five actors has a lever whose paired effect on P(any agreement) or P(ceasefire
    or settlement) has an interval excluding 0 (docs/levers.md has the table at 10,000 replications)."""
    table = lever_table(BASELINE, baseline_levers(), 1000, SEED)
    moved = {}
    for row in table.rows:
        for key in ("any_agreement", "ceasefire_or_settlement"):
            d = row.effects[key]
            if d.low > 0 or d.high < 0:
                moved.setdefault(row.lever.actor, []).append(row.lever.name)
    assert {"us", "russia", "ukraine", "europe", "turkey"} <= set(moved), moved


def test_the_hazard_of_a_first_agreement_does_not_fall_within_a_reading():
    """Ripeness (Zartman 1989): as costs mount, the weekly hazard of a first agreement does not fall merely
    because it is later; measured within one reading of the ambiguous statements, where the population is
    least mixed, weeks 1-13 against weeks 27-52."""
    from sim.model.model import CeasefireModel

    sets = ["statements.ru_no_freeze_putin.readings=[]", "statements.ua_territory_zelensky.readings=[]", "statements.us_sequencing_saudi.readings=[]"]
    model = CeasefireModel(load(BASELINE, sets).scenario, SEED, np.arange(6000)).run()
    weeks = model.outcome().runs["first_agreement_week"]

    def hazard(a: int, b: int) -> tuple[float, float]:
        at_risk = np.sum((weeks < 0) | (weeks >= a))
        events = np.sum((weeks >= a) & (weeks <= b))
        rate = events / at_risk / (b - a + 1)
        return rate, np.sqrt(events) / at_risk / (b - a + 1)

    early, se_early = hazard(1, 13)
    late, se_late = hazard(27, 52)
    assert late > early - 2 * np.hypot(se_early, se_late), (early, late)


def test_rationality_does_not_raise_war_at_both_ends():
    """The first edition's war rose with both very low and very high rationality. Now P(any agreement) falls
    as the belligerents grow more rational (more proposals are refused that give one side a negative gain), and
    war at the horizon is not higher at both ends than in the middle (docs/model.md, "Rationality")."""
    war, agreed = [], []
    for lam in (1, 30, 1000):
        runs = simulate(load(BASELINE, [f"actors.russia.rationality={lam}", f"actors.ukraine.rationality={lam}"]), 1500, SEED)
        war.append(float((runs["status"] == 0).mean()))
        agreed.append(float((runs["first_agreement"] > 0).mean()))
    assert agreed[0] >= agreed[1] >= agreed[2], agreed
    assert not (war[0] > war[1] and war[2] > war[1]), war


def test_simulated_truce_durations_fall_within_the_reference_class_fit():
    """The baseline's first truces (no enforcing force, like the reference class) survive as the truces between
    Russia and Ukraine of 2014-2024 did: the simulated survival overlaps the fitted Weibull band (docs/truces.md)."""
    from sim.experiment.durability import check_durations

    checks = check_durations(BASELINE, 3000, SEED)
    assert set(checks) == {"partial", "ceasefire"}
    for check in checks.values():
        assert check.consistent, check.table()


def test_the_duration_check_can_fail():
    """Truces that never break down (no breakdown hazard) are refuted by the reference class."""
    from sim.analysis.reference_class import load_hazards
    from sim.experiment.durability import first_truce_durations

    runs = simulate(load(BASELINE, ["breakdown.base_hazard=0.0"]), 3000, SEED)
    from sim.analysis.reference_class import durations_within_fit

    days, censored = first_truce_durations(runs, 52)["ceasefire"]
    assert not durations_within_fit(days, censored, "ceasefire", load_hazards()).consistent


def test_docs_levers_lists_every_lever():
    """docs/levers.md is generated by scripts/levers_doc.py; at small size its rows must match the levers."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, str(root / "scripts" / "levers_doc.py"), "--runs", "200", "--check"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
