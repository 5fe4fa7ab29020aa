"""The five parties at the table: mediators' choice of proposal type, consent of those who control a term,
sanctions as a state, US coercion of Russia, dated events, readings and the position dynamics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.analysis.aggregate import SETTLEMENT, WAR
from sim.errors import InputError
from sim.experiment.load import load
from sim.model.model import CeasefireModel
from sim.model.parameters import _unique_combinations
from sim.rules.proposal import expected_utility_type, sequencing_type

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
SEED = 20250311


def model(*sets: str, n: int = 2000, weeks: int | None = None) -> CeasefireModel:
    return CeasefireModel(load(BASELINE, list(sets)).scenario, SEED, np.arange(n), weeks=weeks).run()


# ------------------------------------------------------------------ proposal type
weights3 = st.lists(st.floats(-2, 2), min_size=3, max_size=3)


@given(gain=weights3, chance=st.lists(st.floats(0, 1), min_size=3, max_size=3), allowed=st.lists(st.booleans(), min_size=3, max_size=3), seq=st.floats(0, 1))
def test_type_weights_are_a_distribution_over_the_allowed_types(gain, chance, allowed, seq):
    g, c, a = np.array([gain]), np.array([chance]), np.array([allowed])
    for w in (expected_utility_type(g, c, a, np.array([seq])), sequencing_type(g, c, a, np.array([seq]))):
        assert np.all(w[~a] == 0)
        assert np.isclose(w.sum(), 1.0) if a.any() else w.sum() == 0


def test_a_mediator_that_gains_more_from_a_type_tables_it_more_often():
    g = np.array([[0.0, 0.1, 0.0]])
    w = expected_utility_type(g, np.ones((1, 3)), np.ones((1, 3), dtype=bool), np.zeros(1))
    assert w[0, 1] > w[0, 0] and np.isclose(w[0, 0], w[0, 2])


def test_the_us_position_changes_what_it_tables():
    """Issue 9: the US's positions now change what is tabled (they changed nothing in the first edition)."""
    base = model(n=1500).outcome().runs
    moved = model("actors.us.overrides.sequencing.position=1.0", n=1500).outcome().runs
    assert (moved["highest_agreement"] == SETTLEMENT).mean() > (base["highest_agreement"] == SETTLEMENT).mean() + 0.02


# ------------------------------------------------------------------ consent and sanctions
def test_europe_refusing_relief_keeps_eu_sanctions_in_every_world():
    runs = (
        model(
            "actors.europe.overrides.sanctions_relief.red_line_high=0.0",
            "actors.europe.overrides.sanctions_relief.red_line_cost=2.0",
            "actors.us.overrides.sanctions_relief.position=1.0",
            "actors.europe.overrides.sanctions_relief.position=0.0",
            "actors.us.overrides.sequencing.position=1.0",
        )
        .outcome()
        .runs
    )
    assert np.all(runs["sanctions_eu"] == 1.0)
    settled = runs["status"] == SETTLEMENT
    assert settled.any()
    assert np.all(runs["last_consent_withheld"][settled] & 1)


def test_relief_agreed_lowers_sanctions_and_snaps_back_on_breakdown():
    sets = (
        "actors.europe.overrides.sanctions_relief.position=1.0",
        "actors.us.overrides.sanctions_relief.position=1.0",
        "actors.us.overrides.sequencing.position=1.0",
    )
    runs = model(*sets).outcome().runs
    relieved = runs["sanctions_eu"] < 1.0
    assert relieved.any(), "no settlement delivered EU relief: the test would prove nothing"
    assert np.all(runs["status"][relieved] == SETTLEMENT)
    # With snapback, a replication back at war after its settlement broke down has its sanctions back.
    broke = (runs["breakdowns"] > 0) & (runs["status"] == WAR) & (runs["highest_agreement"] == SETTLEMENT)
    assert np.all(runs["sanctions_eu"][broke] >= 1.0)


def test_us_coercion_raises_us_sanctions_after_russia_refuses():
    m = model("actors.us.sanctions_policy='conditional'", "actors.us.mediation_intensity=1.0", n=500, weeks=3)
    assert np.any(m.us.sanctions > 1.0)
    assert np.all(m.us.sanctions <= 1.5 + 1e-12)


# ------------------------------------------------------------------ dated events
def event_file(tmp_path, body: str) -> Path:
    path = tmp_path / "ev.toml"
    path.write_text(f'extends = "{BASELINE}"\nname = "ev"\ntitle = "event"\n' + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "body, field, message",
    [
        ('[[events]]\nweek = 10\nset = ["actors.us.sanctionz=1.5"]\n', "events.0.set", "unknown key 'sanctionz'"),
        ('[[events]]\nweek = 10\nset = ["actors.us.sanctions=9"]\n', "events.0.set", "expected a value in"),
        ('[[events]]\nweek = 99\nset = ["actors.us.sanctions=1"]\n', "events.0.week", "within the horizon"),
        ('[[events]]\nweek = 3\nset = ["issues.territory.label=\\"x\\""]\n', "events.0.set.0", "events cannot change issues"),
        ('[[events]]\nweek = 3\nset = ["actors.europe.members.spain.pledge=100"]\n', "events.0.set.0", "members"),
    ],
)
def test_bad_events_are_one_line_input_errors(tmp_path, body, field, message):
    with pytest.raises(InputError, match=message) as err:
        load(event_file(tmp_path, body))
    assert err.value.path == field


def test_an_event_changes_only_the_worlds_where_it_happens(tmp_path):
    """Common random numbers: where the event does not happen the replication is exactly the baseline's,
    and before the event's week no replication differs."""
    path = event_file(tmp_path, '[[events]]\nweek = 8\nset = ["actors.us.sanctions=1.5", "actors.europe.members.germany.threshold=0.0"]\nprobability = 0.5\n')
    with_event = CeasefireModel(load(path).scenario, SEED, np.arange(1500)).run().outcome()
    base = CeasefireModel(load(BASELINE).scenario, SEED, np.arange(1500)).run().outcome()
    fired = with_event.runs["param__event__0"] > 0
    assert 0.3 < fired.mean() < 0.7
    for key in ("status", "first_agreement_week", "front_final", "sanctions_us"):
        np.testing.assert_array_equal(with_event.runs[key][~fired], base.runs[key][~fired])
    np.testing.assert_array_equal(with_event.weekly_status[:8], base.weekly_status[:8])
    assert np.any(with_event.runs["sanctions_us"][fired] > 1.0)
    assert not np.array_equal(with_event.runs["status"][fired], base.runs["status"][fired])


# ------------------------------------------------------------------ readings
def test_each_replication_takes_the_reading_it_drew():
    m = model(n=400, weeks=1)
    drawn = m.params.random_columns["reading.ru_no_freeze_putin"]
    seq = list(m.scenario.issues).index("sequencing")
    low = m.russia.low[:, seq]
    assert set(np.unique(drawn)) == {0.0, 1.0}
    np.testing.assert_array_equal(low[drawn == 0], 0.5)
    np.testing.assert_array_equal(low[drawn == 1], 1.0)


def test_readings_are_drawn_the_same_in_any_batch():
    a = CeasefireModel(load(BASELINE).scenario, SEED, np.arange(300), weeks=1)
    b = CeasefireModel(load(BASELINE).scenario, SEED, np.arange(100, 300), weeks=1)
    for key in ("reading.ru_no_freeze_putin", "reading.us_sequencing_saudi"):
        np.testing.assert_array_equal(a.params.random_columns[key][100:], b.params.random_columns[key])
    np.testing.assert_array_equal(a.us.position[100:], b.us.position)


@given(data=st.data(), sizes=st.lists(st.integers(1, 4), min_size=1, max_size=6), n=st.integers(1, 200))
def test_the_combinations_of_readings_are_numpy_unique_rows(data, sizes, n):
    """The distinct combinations of readings, and each replication's, as np.unique(axis=0) gives them."""
    drawn = [np.array(data.draw(st.lists(st.integers(0, s - 1), min_size=n, max_size=n)), dtype=np.intp) for s in sizes]
    unique, which = _unique_combinations(drawn, sizes)
    expected, expected_which = np.unique(np.stack(drawn, axis=1), axis=0, return_inverse=True)
    np.testing.assert_array_equal(unique, expected)
    np.testing.assert_array_equal(which, expected_which.reshape(-1))


# ------------------------------------------------------------------ position dynamics
def test_bdm_dynamics_move_the_third_parties_within_their_red_lines():
    m = model("negotiation.position_dynamics='bdm'", n=300, weeks=6)
    still = model(n=300, weeks=6)
    assert not np.array_equal(m.turkey.position, still.turkey.position)
    np.testing.assert_array_equal(still.turkey.position, still.params.actors["turkey"].position)
    for agent in (m.us, m.russia, m.ukraine, m.europe, m.turkey):
        assert np.all(agent.position >= agent.low - 1e-12) and np.all(agent.position <= agent.high + 1e-12)


@pytest.mark.parametrize("snapback", [True, False])
def test_relief_for_good_costs_a_party_opposed_to_relief_only_without_snapback(snapback):
    """Snapback makes relief revocable: with it, granting relief costs the controlling party nothing for the breakdown
    branch; without it, a party that wants sanctions kept (Europe, position 0) pays for relief that outlives a breakdown,
    and a party that wants relief (the US at position 1) gains from it."""
    m = model(f"negotiation.snapback={str(snapback).lower()}", "actors.us.overrides.sanctions_relief.position=1.0", n=300, weeks=6)
    idx = np.arange(m.n)
    kind = np.full(m.n, SETTLEMENT, dtype=np.int8)
    terms = m.settlement_terms(m.us, idx)
    lost, _ = m.breakdown_risk(kind, idx)
    europe, us = (np.broadcast_to(m.unsecured_relief(a, terms, lost, idx), (m.n,)) for a in (m.europe, m.us))
    if snapback:
        assert np.all(europe == 0.0) and np.all(us == 0.0)
    else:
        relief = terms[:, m.i_sanctions] > 0
        assert relief.any()
        assert np.all(europe[relief] > 0.0) and np.all(us[relief] < 0.0)
