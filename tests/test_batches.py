"""Batches: variants that differ only in numbers share one ensemble model, and the files do not show it.

The reference is every chunk computed alone (a batch of one chunk). Any batching (any
bound on a batch's replications, any chunk size) must give the same chunk files bit for
bit, hence the same final files; a model that reads a varied number from the scenario
instead of the drawn parameters, and a chunk that raises, fall back to chunks alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sim.experiment.batches as batches
from sim.experiment.batches import BatchTask, Piece, batch_parameters, compute_batch, get_path, with_values
from sim.experiment.chunks import ChunkError, ChunkTask, compute_chunk, plan_chunks
from sim.experiment.executors import ExecutorSpec
from sim.experiment.sweep import plan_sweep, start_sweep
from sim.model.parameters import draw_parameters, field_bounds_by_key, stack_parameters
from sim.rng import Streams
from sim.scenario.derive import derive
from sim.scenario.load import load_scenario, scenario_hash

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
FILES = ("runs.parquet", "summary.parquet", "variants.parquet")

SWEEP = """
runs = 9
seed = 5
chunk_size = 4
set = ["horizon_weeks=8"]

[design]
kind = "grid"

[[parameters]]
path = "actors.turkey.mediation_intensity"
values = [0.0, 0.3]

[[parameters]]
path = "actors.russia.rationality"
values = [2.0, {dist = "uniform", low = 4.0, high = 9.0}, {dist = "uniform", low = 1.0, high = 3.0}]

[[parameters]]
path = "actors.us.aid_policy"
values = ["conditional", "cut"]
"""


def sweep_file(folder: Path, body: str = SWEEP, name: str = "batched") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(f"base = {json.dumps(str(ROOT / 'scenarios' / 'russia_red_lines_softened.toml'))}\n" + body, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    return plan_sweep(sweep_file(tmp_path_factory.mktemp("plan")))


@pytest.fixture(scope="module")
def alone(plan):
    """Every chunk file of the sweep, each chunk computed alone."""
    return chunk_files(plan, limit=1, chunk_size=plan.chunk_size)


def chunk_files(plan, limit: int, chunk_size: int) -> dict[str, bytes]:
    plan.chunk_size = chunk_size
    out = {}
    for batch in plan.batches(limit=limit):
        results = compute_batch(batch)
        assert len(results) == len(batch.pieces)
        for task, result in zip(batch.tasks, results):
            assert not isinstance(result, ChunkError), result
            out[task.name] = result.data
    return out


def test_groups_split_categorical_values_and_numbers_from_distributions(plan):
    assert plan.batchable == ("actors.turkey.mediation_intensity", "actors.russia.rationality")
    groups = {}
    for v in plan.variants:
        kind = "number" if isinstance(v.values["actors.russia.rationality"], float) else "distribution"
        groups.setdefault((v.values["actors.us.aid_policy"], kind), set()).add(v.group)
    assert len(groups) == 4 and all(len(g) == 1 for g in groups.values())
    assert len({g for gs in groups.values() for g in gs}) == 4
    assert len(plan.variants) == 12


def test_a_variant_rebuilt_from_its_group_is_its_validated_scenario(plan):
    for v in plan.variants:
        assert scenario_hash(v.scenario) == v.scenario_hash


@given(limit=st.integers(1, 9 * 12))
def test_chunk_files_do_not_depend_on_the_batching(plan, alone, limit):
    assert chunk_files(plan, limit, plan.chunk_size) == alone


def test_batched_chunks_equal_the_plain_chunk_of_each_variant(plan, alone):
    """A sweep's variant computes what `sim run` of its scenario computes (scalars there, arrays in a batch)."""
    for v in plan.variants:
        for c in plan.chunks:
            task = ChunkTask(v.index, c, v.scenario, v.seed, v.scenario_hash, plan.rules_base)
            assert compute_chunk(task).data == alone[task.name], task.name


def test_repeated_replication_indices_get_the_draws_of_each_alone():
    reps = np.array([3, 4, 5, 3, 4, 5, 9])
    streams = Streams(11, reps)
    for name, week in (("param.x", -1), ("battle.noise", 7)):
        together = streams.uniform(name, week)
        for i, r in enumerate(reps):
            assert together[i] == Streams(11, np.array([r])).uniform(name, week)[0]


def rich_scenario():
    from test_reproducibility import RICH

    return load_scenario(BASELINE, sets=[*RICH, "horizon_weeks=16"]).scenario


def varied_values(scenario, rng: np.random.Generator, paths: list[str]) -> tuple:
    bounds = field_bounds_by_key(scenario)
    out = []
    for p in paths:
        b = bounds[p]
        value = get_path(scenario, p)
        typical = abs(float(value)) if isinstance(value, (int, float)) else 1.0
        lo, hi = b.lo, min(b.hi, b.lo + 10 * (typical + 1))
        x = rng.uniform(lo, hi)
        out.append(float(round(x)) if b.integer else float(x))
    return tuple(out)


def test_every_numeric_parameter_can_vary_within_one_batch():
    """The contract the model keeps for batching: every key of DrawnParameters.values is read from the
    drawn parameters, never from the scenario, and works as an array over replications.

    All of them vary at once over four variants in one batch; each chunk must equal the plain chunk
    of its own scenario, and the batch must not have fallen back to chunks alone.
    """
    scenario = rich_scenario()
    paths = [p for p in field_bounds_by_key(scenario) if p != "horizon_weeks"]
    rng = np.random.default_rng(1)
    values = [varied_values(scenario, rng, paths) for _ in range(4)]
    chunks = plan_chunks(40, 10)
    pieces = tuple(Piece(v, c, f"hash{v}", values[v]) for v in range(4) for c in chunks[:2])
    first = with_values(scenario, paths, values[0])
    batch = BatchTask(first, 9, pieces, tuple(paths))
    before = dict(batches.STATS)
    results = compute_batch(batch)
    assert batches.STATS["batched"] == before["batched"] + 1 and batches.STATS["fallbacks"] == before["fallbacks"]
    for i, (task, result) in enumerate(zip(batch.tasks, results)):
        own = with_values(scenario, paths, pieces[i].values)
        plain = compute_chunk(ChunkTask(task.variant, task.chunk, own, 9, task.scenario_hash))
        assert not isinstance(plain, ChunkError), plain
        assert result.data == plain.data, task.name


def test_batch_parameters_are_each_variant_drawn_alone_and_stacked():
    scenario = rich_scenario()
    paths = ["actors.russia.rationality", "battlefield.noise", "breakdown.base_hazard"]
    dist = scenario.actors.russia.rationality.__class__
    values = [(2.0, 0.01, 0.02), (5.0, 0.02, 0.01)]
    chunks = plan_chunks(12, 5)
    pieces = tuple(Piece(v, c, "h", values[v]) for v in range(2) for c in chunks)
    batch = BatchTask(with_values(scenario, paths, values[0]), 3, pieces, tuple(paths))
    reps = np.concatenate([np.arange(p.chunk.start, p.chunk.stop) for p in pieces])
    stacked = batch_parameters(batch, Streams(3, reps))
    parts = []
    for p in pieces:
        own = with_values(scenario, paths, p.values)
        parts.append(draw_parameters(own, Streams(3, np.arange(p.chunk.start, p.chunk.stop)), derive(own)))
    expected = stack_parameters(parts, [p.chunk.size for p in pieces])
    assert list(stacked.values) == list(expected.values)
    for key, value in expected.values.items():
        np.testing.assert_array_equal(np.broadcast_to(stacked.values[key], reps.shape), np.broadcast_to(value, reps.shape), err_msg=key)
    for key in paths:
        assert isinstance(stacked.values[key], np.ndarray)  # varied: an array even where every part had a scalar
    assert list(stacked.random_columns) == list(expected.random_columns)
    for actor in expected.actors:
        np.testing.assert_array_equal(stacked.actors[actor].position, expected.actors[actor].position)
    assert dist is not None


def test_stack_parameters_keeps_common_scalars_and_refuses_other_structures():
    scenario = rich_scenario()
    a = draw_parameters(scenario, Streams(1, np.arange(3)))
    b = draw_parameters(scenario, Streams(1, np.arange(3, 5)))
    both = stack_parameters([a, b], [3, 2])
    assert both["battlefield.noise"] == a["battlefield.noise"]  # the same scalar in both: still a scalar
    np.testing.assert_array_equal(both.actors["us"].position, draw_parameters(scenario, Streams(1, np.arange(5))).actors["us"].position)
    b.random_columns.pop(next(iter(b.random_columns)))
    with pytest.raises(ValueError, match="same structure"):
        stack_parameters([a, b], [3, 2])


def test_a_model_reading_a_varied_number_from_the_scenario_falls_back_to_chunks_alone(plan, alone, monkeypatch):
    import sim.model.model as model_module

    original = model_module.CeasefireModel.__init__

    def reads_the_scenario(self, scenario, *args, **kwargs):
        float(scenario.actors.turkey.mediation_intensity)  # what a model must not do with a varied number
        original(self, scenario, *args, **kwargs)

    monkeypatch.setattr(model_module.CeasefireModel, "__init__", reads_the_scenario)
    monkeypatch.setattr(batches, "_UNBATCHABLE", set())
    before = dict(batches.STATS)
    assert chunk_files(plan, 10_000, plan.chunk_size) == alone
    assert batches.STATS["fallbacks"] > before["fallbacks"]
    assert plan.batchable in batches._UNBATCHABLE


def test_a_chunk_that_raises_in_a_batch_is_reported_alone(plan, alone, monkeypatch):
    import sim.model.model as model_module

    original = model_module.CeasefireModel.__init__

    def fails_on_one_value(self, scenario, seed, replications, *args, params=None, **kwargs):
        if params is not None and np.any(np.asarray(params.values["actors.turkey.mediation_intensity"]) == 0.3) and 5 in np.asarray(replications):
            raise ValueError("a rule broke on replication 5")
        original(self, scenario, seed, replications, *args, params=params, **kwargs)

    monkeypatch.setattr(model_module.CeasefireModel, "__init__", fails_on_one_value)
    failed, same = [], 0
    for batch in plan.batches(limit=10_000):
        for task, result in zip(batch.tasks, compute_batch(batch)):
            if isinstance(result, ChunkError):
                failed.append((task.name, result.message))
            else:
                same += result.data == alone[task.name]
    values = {v.index: v.values["actors.turkey.mediation_intensity"] for v in plan.variants}
    expected = sorted(f"v{v:05d}-c00001" for v, x in values.items() if x == 0.3)
    assert sorted(name for name, _ in failed) == expected
    assert all(message == "ValueError: a rule broke on replication 5" for _, message in failed)
    assert same == len(alone) - len(expected)


@pytest.fixture(scope="module")
def reference_sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference")
    plan = plan_sweep(sweep_file(folder))
    result = start_sweep(plan, folder / "out", ExecutorSpec("inprocess"), batch_replications=1)
    assert result.complete
    return result.path


@pytest.mark.parametrize(
    ("spec", "limit"),
    [(ExecutorSpec("inprocess"), None), (ExecutorSpec("inprocess"), 30), (ExecutorSpec("local", 2), None)],
    ids=["inprocess", "inprocess-30", "local-2"],
)
def test_sweep_files_do_not_depend_on_the_batching_or_the_executor(reference_sweep, tmp_path, spec, limit):
    plan = plan_sweep(sweep_file(tmp_path))
    result = start_sweep(plan, tmp_path / "out", spec, batch_replications=limit)
    assert result.complete
    for name in FILES:
        assert (result.path / name).read_bytes() == (reference_sweep / name).read_bytes(), name


@given(order=st.permutations(range(5)))
def test_runs_parquet_written_while_chunks_arrive_is_the_assembled_file(tmp_path_factory, order):
    """The streaming assembly of `sim run` gives the bytes of `assemble_runs`, in whatever order chunks arrive."""
    from sim.experiment.chunks import ChunkStore, StreamingAssembler, assemble_runs

    folder = tmp_path_factory.mktemp("stream")
    scenario = load_scenario(BASELINE, sets=["horizon_weeks=6"]).scenario
    tasks = [ChunkTask(None, c, scenario, 4, "h") for c in plan_chunks(23, 5)]
    store = ChunkStore(folder / "chunks").create()
    results = {t.name: compute_chunk(t) for t in tasks}
    assembler = StreamingAssembler([t.name for t in tasks], store, folder / "streamed.parquet")
    for i in order:
        store.write(results[tasks[i].name])
        assembler.arrived(tasks[i].name, results[tasks[i].name].data if i % 2 else None)
    assert assembler.finish()
    assemble_runs([store.path(t.name) for t in tasks], folder / "assembled.parquet")
    assert (folder / "streamed.parquet").read_bytes() == (folder / "assembled.parquet").read_bytes()


NUMERIC_SWEEP = """
runs = 7
seed = 9
chunk_size = 3
set = ["horizon_weeks=6"]

[design]
kind = "latin_hypercube"
samples = 4

[[parameters]]
path = "actors.turkey.mediation_intensity"
range = [0.0, 0.5]
"""


@pytest.fixture(scope="module")
def numeric_batch_files(tmp_path_factory):
    """A sweep whose variants differ only in a number, computed as batch files of at most 5 replications."""
    from sim.experiment.batches import compute_batch_file

    folder = tmp_path_factory.mktemp("numeric")
    plan = plan_sweep(sweep_file(folder, NUMERIC_SWEEP, "numeric"))
    files = [compute_batch_file(batch) for batch in plan.batches(limit=5)]
    assert len(files) > 3 and all(f.data is not None for f in files)
    return plan, files


@given(order=st.data())
def test_a_sweeps_runs_parquet_written_while_batches_arrive_is_the_assembled_file(numeric_batch_files, tmp_path_factory, order):
    """Batch files arriving in any order give, written as they come, the bytes assembled from the files at the end."""
    from sim.experiment.chunks import ChunkResult, ChunkStore
    from sim.experiment.sweep.run import _assemble_runs, _finished_chunks, _StreamingRuns

    plan, files = numeric_batch_files
    folder = tmp_path_factory.mktemp("stream")
    store = ChunkStore(folder / "chunks").create()
    tasks = plan.tasks()
    streaming = _StreamingRuns(tasks, store, folder / "streamed.parquet")
    for i in order.draw(st.permutations(range(len(files)))):
        store.write(ChunkResult(files[i].name, files[i].data, 0.0))
        streaming.arrived(files[i].name)
    assert streaming.finish()
    _assemble_runs(folder / "assembled.parquet", tasks, _finished_chunks(store, tasks))
    assert (folder / "streamed.parquet").read_bytes() == (folder / "assembled.parquet").read_bytes()
    assert not list(folder.glob(".*partial"))


@given(split=st.integers(0, 4))
def test_an_aborted_stream_writes_nothing_more(numeric_batch_files, tmp_path_factory, split):
    """An interrupted sweep aborts its runs.parquet stream, then saves its manifest, which hands the stream the
    batch files that arrived meanwhile: they must be ignored, not written into a file that was removed (a SIGINT
    once landed while the stream opened its file, and the save after the abort failed an assertion)."""
    from sim.experiment.chunks import ChunkResult, ChunkStore
    from sim.experiment.sweep.run import _StreamingRuns

    plan, files = numeric_batch_files
    folder = tmp_path_factory.mktemp("aborted")
    store = ChunkStore(folder / "chunks").create()
    streaming = _StreamingRuns(plan.tasks(), store, folder / "streamed.parquet")
    for f in files:
        store.write(ChunkResult(f.name, f.data, 0.0))
    for f in files[:split]:
        streaming.arrived(f.name)
    streaming.abort()
    for f in files[split:]:
        streaming.arrived(f.name)
    assert not streaming.finish()
    assert not list(folder.glob("*.parquet")) and not list(folder.glob(".*partial"))


def test_a_chunk_that_raises_in_a_batch_file_is_reported_alone_and_the_others_are_kept(plan, alone, monkeypatch):
    import pyarrow as pa

    import sim.model.model as model_module
    from sim.experiment.batches import compute_batch_file

    original = model_module.CeasefireModel.__init__

    def fails_on_one_value(self, scenario, seed, replications, *args, params=None, **kwargs):
        if params is not None and np.any(np.asarray(params.values["actors.turkey.mediation_intensity"]) == 0.3) and 5 in np.asarray(replications):
            raise ValueError("a rule broke on replication 5")
        original(self, scenario, seed, replications, *args, params=params, **kwargs)

    monkeypatch.setattr(model_module.CeasefireModel, "__init__", fails_on_one_value)
    values = {v.index: v.values["actors.turkey.mediation_intensity"] for v in plan.variants}
    expected = sorted(f"v{v:05d}-c00001" for v, x in values.items() if x == 0.3)
    failed, kept = [], 0
    for batch in plan.batches(limit=10_000):
        result = compute_batch_file(batch)
        failed += [task.name for task, _ in result.errors]
        assert {t.name for t in result.done} | {t.name for t, _ in result.errors} == {t.name for t in batch.tasks}
        if result.data is not None:
            table = pq.read_table(pa.BufferReader(result.data)).replace_schema_metadata(None)
            offset = 0
            for task in result.done:  # each kept chunk's rows are the rows it has alone
                rows = table.slice(offset, task.chunk.size)
                offset += task.chunk.size
                own = pq.read_table(pa.BufferReader(alone[task.name])).replace_schema_metadata(None)
                assert rows.to_pandas().equals(own.select(rows.column_names).to_pandas()), task.name
                kept += 1
    assert sorted(failed) == expected and kept == len(alone) - len(expected)
