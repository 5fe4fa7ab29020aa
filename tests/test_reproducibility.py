"""Determinism and replication independence (counter-based randomness), and the golden baseline.

A replication's trajectory depends only on (scenario, seed, replication index): not on the
replications beside it, the chunking, the number of workers or tracing. Checked at the
model level (`CeasefireModel(...).run().outcome()`) and at the runner level
(`run_scenario`'s files), plus a golden regression of the baseline summary.
"""

from __future__ import annotations

import importlib.util
import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.analysis.aggregate import STATUSES, Aggregates, ChunkOutcome, merge_all
from sim.analysis.columns import is_drawn
from sim.cli.plotting import RUN_PLOTS
from sim.experiment.run import run_scenario
from sim.model.model import CeasefireModel
from sim.scenario.load import load_scenario, scenario_hash

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
SEED = 20250311
MANY = 1200  # "among 1,000 or more"

# A variant that reaches every status with breakdowns, and draws rule parameters per replication,
# so that every stream of the model is exercised.
RICH = (
    "actors.russia.overrides.territory.red_line_low=0.4",
    "actors.ukraine.overrides.territory.red_line_high=0.6",
    "actors.russia.overrides.sequencing.red_line_low=0",
    "actors.russia.overrides.guarantees.red_line_high=1",
    "actors.us.backstop=true",
    "actors.us.mediation_intensity=0.5",
    "actors.turkey.mediation_intensity=0.2",
    "breakdown.base_hazard=0.02",
    "breakdown.partial_truce_factor=4.0",
    "breakdown.ceasefire_factor=2.0",
    'breakdown.rule={name="duration_dependent", decay={dist="uniform", low=0.2, high=1.0}}',
    'actors.ukraine.rules.acceptance={name="satisficing", noise={dist="uniform", low=0.01, high=0.05}}',
    'actors.russia.rules.concession={name="stubborn", patience_weeks=4}',
)
SCENARIOS = {"baseline": (), "rich": RICH}


@cache
def loaded(name: str):
    return load_scenario(BASELINE, sets=list(SCENARIOS[name]))


@cache
def reference(name: str, weeks: int | None = None, n: int = MANY) -> ChunkOutcome:
    """Replications 0 .. n-1 run together in one batch."""
    return CeasefireModel(loaded(name).scenario, SEED, np.arange(n), weeks=weeks).run().outcome()


def _bits(values) -> tuple:
    a = np.ascontiguousarray(values)
    return a.dtype.str, a.shape, a.tobytes()


def assert_same_replications(got: ChunkOutcome, ref: ChunkOutcome, rows) -> None:
    """`got` holds exactly (bit for bit) the replications `rows` of `ref`, in that order."""
    assert set(got.runs) == set(ref.runs), "different outcome columns"
    for name, column in ref.runs.items():
        assert _bits(got.runs[name]) == _bits(np.asarray(column)[rows]), f"column {name!r} differs"
    assert _bits(got.weekly_status) == _bits(ref.weekly_status[:, rows]), "weekly status differs"
    assert _bits(got.weekly_front) == _bits(ref.weekly_front[:, rows]), "weekly front differs"


def test_the_rich_variant_reaches_every_status():
    """Guard for the tests below: the variant they use exercises every path of the model."""
    ref = reference("rich")
    assert set(np.unique(ref.weekly_status)) == set(range(len(STATUSES)))
    assert ref.runs["breakdowns"].sum() > 0


@pytest.mark.parametrize("name", SCENARIOS)
@given(data=st.data())
def test_a_replication_alone_equals_itself_among_many(name, data):
    """Replications run alone, or as any subset in any order, match their rows of a run of MANY."""
    rows = data.draw(st.lists(st.integers(0, MANY - 1), min_size=1, max_size=12, unique=True), label="replications")
    got = CeasefireModel(loaded(name).scenario, SEED, np.array(rows)).run().outcome()
    assert_same_replications(got, reference(name), rows)


@given(cuts=st.lists(st.integers(1, 119), max_size=8, unique=True).map(sorted))
def test_any_chunking_gives_the_same_replications_and_aggregates(cuts):
    """120 replications cut into chunks of any sizes: the same rows and exactly the same aggregates."""
    name, n, weeks = "rich", 120, 16
    ref = reference(name, weeks, n)
    bounds = [0, *cuts, n]
    parts = [CeasefireModel(loaded(name).scenario, SEED, np.arange(a, b), weeks=weeks).run().outcome() for a, b in zip(bounds, bounds[1:])]
    for (a, b), part in zip(zip(bounds, bounds[1:]), parts):
        assert_same_replications(part, ref, np.arange(a, b))
    issues = tuple(loaded(name).scenario.issues)
    assert merge_all(parts, issues, weeks) == Aggregates.from_chunk(ref)


@pytest.mark.parametrize("row", [0, 7, 613, MANY - 1])
def test_a_replication_replayed_alone_with_tracing_is_the_same(row):
    """A story replays one replication of a large run exactly, with full tracing."""
    model = CeasefireModel(loaded("rich").scenario, SEED, np.array([row]), trace=True).run()
    assert model.events, "tracing recorded nothing"
    assert_same_replications(model.outcome(), reference("rich"), [row])


def test_replication_indices_far_from_zero():
    start = 10**12
    block = CeasefireModel(loaded("rich").scenario, SEED, np.arange(start, start + 50), weeks=26).run().outcome()
    alone = CeasefireModel(loaded("rich").scenario, SEED, np.array([start + 49, start + 3]), weeks=26).run().outcome()
    assert_same_replications(alone, block, [49, 3])
    # ... and they are other replications than 0 .. 49.
    assert _bits(block.runs["front_final"]) != _bits(reference("rich", 26, 50).runs["front_final"])


@pytest.mark.parametrize("name", SCENARIOS)
def test_same_seed_same_results_bit_for_bit(name):
    again = CeasefireModel(loaded(name).scenario, SEED, np.arange(MANY)).run().outcome()
    assert_same_replications(again, reference(name), np.arange(MANY))


@pytest.mark.parametrize("name", SCENARIOS)
def test_different_seeds_give_different_results(name):
    other = CeasefireModel(loaded(name).scenario, SEED + 1, np.arange(MANY)).run().outcome()
    ref = reference(name)
    assert np.mean(other.runs["front_final"] != ref.runs["front_final"]) > 0.99
    drawn = [k for k in ref.runs if is_drawn(k) and np.ptp(ref.runs[k]) > 0]
    assert drawn
    for key in drawn:  # (a position truncated to a one-point red-line interval is not drawn at all)
        values = ref.runs[key]
        if np.unique(values).size <= 4:  # a reading or an event: a few values, often equal by chance
            assert np.mean(other.runs[key] != values) > 0.2, f"{key} drawn the same under another seed"
            continue
        # Where a reading pins the value to a red line, it is the same under any seed: judge the others.
        free = (values > values.min()) & (values < values.max())
        assert np.mean(other.runs[key][free] != values[free]) > 0.99, f"{key} drawn the same under another seed"


def test_variants_share_the_random_numbers_of_what_they_have_in_common():
    """Common random numbers: with the same seed, a what-if draws every parameter it shares with the
    baseline identically, so a difference in outcomes is the effect of the change."""
    variant = load_scenario(BASELINE, sets=['actors.us.aid_policy="full"', "actors.us.backstop=true"]).scenario
    got = CeasefireModel(variant, SEED, np.arange(MANY), weeks=1).run().outcome()
    ref = reference("baseline")
    shared = [k for k in ref.runs if is_drawn(k)]
    assert shared
    for key in shared:
        assert _bits(got.runs[key]) == _bits(ref.runs[key]), f"{key} drawn differently in the variant"


# ---------------------------------------------------------------- the runner


def _table_bits(path: Path) -> dict:
    """Column name -> exact content (NaN-safe, bitwise for floats) of a Parquet file."""
    table = pq.read_table(path)
    out = {}
    for name in table.column_names:
        column = table.column(name).combine_chunks()
        if column.type in ("double", "float"):
            out[name] = (column.null_count, _bits(column.to_numpy(zero_copy_only=False)))
        else:
            out[name] = column.to_pylist()
    return out


def test_runner_files_are_identical_for_any_workers_and_chunk_size(tmp_path):
    runs = 240
    configs = [(1, runs), (1, 50), (2, 17)]
    results = [
        run_scenario(loaded("rich"), runs, SEED, tmp_path / f"w{w}-c{c}", workers=w, chunk_size=c, command=["pytest"], plots=RUN_PLOTS) for w, c in configs
    ]
    first = results[0].path
    runs_bits = _table_bits(first / "runs.parquet")
    assert runs_bits["replication"] == list(range(runs))
    weekly_bits = _table_bits(first / "weekly.parquet")
    summary = json.loads((first / "summary.json").read_text())
    for (w, c), result in zip(configs[1:], results[1:]):
        assert _table_bits(result.path / "runs.parquet") == runs_bits, f"runs.parquet differs with {w} workers, chunks of {c}"
        assert _table_bits(result.path / "weekly.parquet") == weekly_bits, f"weekly.parquet differs with {w} workers, chunks of {c}"
        assert json.loads((result.path / "summary.json").read_text()) == summary
        manifest = json.loads((result.path / "manifest.json").read_text())
        assert (manifest["workers"], manifest["chunk_size"]) == (w, c)
    # The runner's rows are the model's rows.
    model = CeasefireModel(loaded("rich").scenario, SEED, np.arange(runs)).run().outcome()
    np.testing.assert_array_equal(pq.read_table(first / "runs.parquet").column("front_final").to_numpy(), model.runs["front_final"])


# ---------------------------------------------------------------- golden baseline

GOLDEN = ROOT / "tests" / "golden" / "baseline_summary.json"
REGEN = ROOT / "scripts" / "regen_golden.py"
HOW_TO_REGENERATE = (
    "If the change is intended, regenerate the golden file with `.venv/bin/python scripts/regen_golden.py`, review its diff and commit it with the change."
)


def _regen_script():
    spec = importlib.util.spec_from_file_location("regen_golden", REGEN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _differences(expected, actual, path: str = "summary") -> list[str]:
    """Where two JSON values differ: exact for integers, strings, booleans and nulls; floats to 1e-9."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = [f"{path}.{k}: missing" for k in expected if k not in actual]
        out += [f"{path}.{k}: unexpected" for k in actual if k not in expected]
        for k in expected.keys() & actual.keys():
            out += _differences(expected[k], actual[k], f"{path}.{k}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(actual)} items, expected {len(expected)}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in _differences(e, a, f"{path}[{i}]")]
    numbers = (int, float)
    if isinstance(expected, float) and isinstance(actual, numbers) and not isinstance(actual, bool):
        same = math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-12)
    else:
        same = type(expected) is type(actual) and expected == actual
    return [] if same else [f"{path}: {actual!r}, expected {expected!r}"]


def test_baseline_summary_matches_the_golden_file():
    regen = _regen_script()
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert (golden["seed"], golden["runs"], golden["scenario"]) == (regen.SEED, regen.RUNS, "scenarios/baseline.toml"), (
        "tests/golden/baseline_summary.json was not made with the settings of scripts/regen_golden.py. " + HOW_TO_REGENERATE
    )
    fresh = json.loads(json.dumps(regen.baseline_summary(golden["seed"], golden["runs"]), allow_nan=False))
    differences = _differences(golden["summary"], fresh)
    if differences:
        changed = scenario_hash(load_scenario(BASELINE).scenario) != golden["scenario_hash"]
        why = "the baseline scenario file changed since the golden file was made; " if changed else ""
        pytest.fail(
            f"The baseline summary (seed {golden['seed']}, {golden['runs']} replications) differs from "
            f"tests/golden/baseline_summary.json ({why}{len(differences)} difference(s)):\n  "
            + "\n  ".join(sorted(differences)[:25])
            + "\n"
            + HOW_TO_REGENERATE
        )


def test_golden_comparison_catches_a_change():
    """The comparison is exact for counts and tolerant only of float rounding."""
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))["summary"]
    tweaked = json.loads(json.dumps(golden))
    tweaked["status_at_horizon"]["war"]["count"] += 1
    assert _differences(golden, tweaked) == [
        f"summary.status_at_horizon.war.count: {golden['status_at_horizon']['war']['count'] + 1}, expected {golden['status_at_horizon']['war']['count']}"
    ]
    share = golden["status_at_horizon"]["war"]["share"]
    tweaked = json.loads(json.dumps(golden))
    tweaked["status_at_horizon"]["war"]["share"] = share * (1 + 1e-12)
    assert _differences(golden, tweaked) == []
    tweaked["status_at_horizon"]["war"]["share"] = share * (1 + 1e-6)
    assert len(_differences(golden, tweaked)) == 1
