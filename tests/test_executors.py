"""Executors: in-process, local worker processes and Dask give the same bytes; killed workers lose nothing.

Dask runs on LocalClusters of two single-threaded worker processes: one started by the
executor itself (`--executor dask`), one started here and joined by address
(`--scheduler`), and one whose worker is killed mid-sweep.
"""

from __future__ import annotations

import builtins
import json
import os
import signal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli.main import app as sim_app
from sim.cli.plotting import RUN_PLOTS, SWEEP_PLOTS
from sim.experiment.chunks import ChunkError, ChunkTask, plan_chunks
from sim.experiment.executors import (
    ExecutorSpec,
    ExecutorUnavailable,
    LocalProcessExecutor,
    live_worker_pids,
    local_cluster,
    make_executor,
)
from sim.experiment.load import load
from sim.experiment.run import run_scenario
from sim.experiment.sweep import plan_sweep, start_sweep

distributed = pytest.importorskip("distributed", reason="Dask is an optional extra: pip install '.[dask]'")

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
RUN_FILES = ("runs.parquet", "weekly.parquet", "summary.json")
SWEEP_FILES = ("runs.parquet", "summary.parquet", "variants.parquet")
PLOTS = "plots"

SWEEP = """
runs = 180
seed = 17
chunk_size = 60
set = ["horizon_weeks=16"]

[design]
kind = "grid"

[[parameters]]
path = "actors.turkey.mediation_intensity"
values = [0.0, 0.4]

[[parameters]]
path = "actors.us.backstop"
values = [false, true]
"""


def sweep_file(folder: Path, body: str = SWEEP) -> Path:
    path = folder / "exec_sweep.toml"
    path.write_text(f"base = {json.dumps(str(ROOT / 'scenarios' / 'russia_red_lines_softened.toml'))}\n" + body, encoding="utf-8")
    return path


def same_files(a: Path, b: Path, names) -> None:
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    plots_a = sorted(p.name for p in (a / PLOTS).iterdir())
    assert plots_a == sorted(p.name for p in (b / PLOTS).iterdir())
    for name in plots_a:
        assert (a / PLOTS / name).read_bytes() == (b / PLOTS / name).read_bytes(), name


@pytest.fixture(scope="module")
def reference_sweep(tmp_path_factory):
    """The sweep in-process: the bytes every other executor must reproduce."""
    folder = tmp_path_factory.mktemp("reference")
    plan = plan_sweep(sweep_file(folder))
    result = start_sweep(plan, folder / "out", ExecutorSpec("inprocess"), plots=SWEEP_PLOTS)
    assert result.complete
    return plan, result.path


@pytest.fixture(scope="module")
def cluster():
    """A Dask LocalCluster of two single-threaded worker processes, joined by address."""
    with local_cluster(2) as local:
        yield local.scheduler_address


def test_run_is_bit_identical_in_process_on_two_processes_and_on_dask(tmp_path):
    loaded = load(BASELINE, ["horizon_weeks=12"])
    folders = {}
    for spec in (ExecutorSpec("inprocess"), ExecutorSpec("local", 2), ExecutorSpec("dask", 2)):
        result = run_scenario(loaded, 300, 3, tmp_path / spec.kind, chunk_size=60, executor=spec, plots=RUN_PLOTS)
        folders[spec.kind] = result.path
        manifest = json.loads((result.path / "manifest.json").read_text())
        assert manifest["executor"] == spec.kind and manifest["chunks"] == 5
        assert not (result.path / "chunks").exists()
    same_files(folders["inprocess"], folders["local"], RUN_FILES)
    same_files(folders["inprocess"], folders["dask"], RUN_FILES)


def test_sweep_is_bit_identical_on_two_local_processes(reference_sweep, tmp_path):
    plan, reference = reference_sweep
    result = start_sweep(plan, tmp_path / "out", ExecutorSpec("local", 2), plots=SWEEP_PLOTS)
    assert result.complete
    same_files(reference, result.path, SWEEP_FILES)


def test_sweep_on_an_existing_dask_cluster_by_address(reference_sweep, cluster, tmp_path):
    plan, reference = reference_sweep
    result = CliRunner().invoke(sim_app, ["sweep", str(plan.file), "--out", str(tmp_path / "out"), "--scheduler", cluster])
    assert result.exit_code == 0, result.output
    run = next((tmp_path / "out" / plan.name).iterdir())
    same_files(reference, run, SWEEP_FILES)
    assert json.loads((run / "manifest.json").read_text())["executor"] == f"dask ({cluster})"


def test_local_cluster_workers_keep_the_default_memory_trim(cluster):
    # Dask's MALLOC_TRIM_THRESHOLD_=65536 makes the engine about 2.5 times slower (see local_cluster).
    with distributed.Client(cluster) as client:
        assert set(client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")).values()) == {None}


def test_a_dask_worker_killed_mid_sweep_still_gives_complete_identical_results(reference_sweep, tmp_path):
    plan, reference = reference_sweep
    killed: list[int] = []

    def kill_a_worker(task, result) -> None:
        if not killed:  # after the first chunk, while the others are in flight
            pids = distributed.default_client().run(os.getpid)
            pid = sorted(pids.values())[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    result = start_sweep(plan, tmp_path / "out", ExecutorSpec("dask", 2), plots=SWEEP_PLOTS, on_chunk=kill_a_worker)
    assert killed, "no worker was killed"
    assert result.complete and not result.failures
    assert result.chunks_done == result.chunks_total == 4 * 3
    same_files(reference, result.path, SWEEP_FILES)


def test_a_local_worker_killed_mid_sweep_is_replaced_and_nothing_is_lost(reference_sweep, tmp_path):
    import psutil

    plan, reference = reference_sweep
    killed: list[int] = []

    def kill_a_worker(task, result) -> None:
        if not killed:
            workers = live_worker_pids()
            if workers:
                psutil.Process(workers[0]).kill()
                killed.append(workers[0])

    result = start_sweep(plan, tmp_path / "out", ExecutorSpec("local", 2), plots=SWEEP_PLOTS, on_chunk=kill_a_worker)
    assert killed and result.complete
    same_files(reference, result.path, SWEEP_FILES)


def _die(task):
    os._exit(3)  # a chunk that kills its worker every time


def test_a_chunk_that_always_kills_its_worker_ends_as_a_chunk_error():
    loaded = load(BASELINE, ["horizon_weeks=4"])
    tasks = [ChunkTask(None, c, loaded.scenario, 1, "x") for c in plan_chunks(2, 1)]
    with LocalProcessExecutor(1, max_restarts=1) as pool:
        results = list(pool.run(_die, tasks))
    assert len(results) == 2
    assert all(isinstance(r, ChunkError) and "worker process died" in r.message for _, r in results)


def test_without_dask_a_clear_message_says_how_to_get_it(monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(ExecutorUnavailable, match=r"pip install 'ceasefire-sim\[dask\]'"):
        make_executor(ExecutorSpec("dask", 2))
    plan_path = sweep_file(tmp_path)
    result = CliRunner().invoke(sim_app, ["sweep", str(plan_path), "--out", str(tmp_path / "out"), "--executor", "dask"])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [
        "--executor: dask: --executor dask needs Dask distributed, which is not installed: "
        "pip install 'ceasefire-sim[dask]' (or: pip install 'dask[distributed]')"
    ]


def test_scheduler_implies_dask_and_bad_executor_names_are_input_errors(tmp_path):
    from sim.cli.options import Executor, executor_spec
    from sim.errors import InputError

    assert executor_spec(Executor.local, None, "tcp://127.0.0.1:1").kind == "dask"
    with pytest.raises(ValueError, match="'mpi' is not a valid Executor"):  # the command line's choice refuses it first
        executor_spec("mpi", None, None)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="--scheduler"):
        executor_spec(Executor.local, None, "not an address")


@pytest.fixture()
def foreign_servers():
    """A server that waits for the client to speak (like HTTP) and one that answers with foreign bytes."""
    import socket
    import threading

    servers, stop = [], threading.Event()

    def serve(sock, reply):
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            if reply:
                conn.sendall(reply)
                conn.close()
            else:
                servers.append(conn)  # hold it open, say nothing

    addresses = []
    for reply in (b"", b"\xff" * 64):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        servers.append(sock)
        threading.Thread(target=serve, args=(sock, reply), daemon=True).start()
        addresses.append(f"tcp://127.0.0.1:{sock.getsockname()[1]}")
    yield addresses
    stop.set()
    for s in servers:
        s.close()


def test_bad_scheduler_addresses_and_foreign_peers_get_one_line_and_leave_nothing(tmp_path, foreign_servers, monkeypatch):
    import sim.experiment.executors as executors

    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", 1.0)
    silent, foreign = foreign_servers
    path = sweep_file(tmp_path)
    cases = [
        ("notaurl", "--scheduler: expected a scheduler address like tcp://host:8786"),
        ("tcp://127.0.0.1:99999", "--scheduler: expected a scheduler address"),
        (silent, f"nothing at {silent} answered as a Dask scheduler within 1 s"),
        (foreign, f"the peer at {foreign} answered with bytes that are not Dask's"),
        ("tcp://127.0.0.1:1", "cannot reach the Dask scheduler at tcp://127.0.0.1:1"),
    ]
    for address, message in cases:
        out = tmp_path / "out"
        result = CliRunner().invoke(sim_app, ["sweep", str(path), "--out", str(out), "--scheduler", address])
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], result.stderr
        assert not (out / "exec_sweep").exists(), f"{address}: a sweep folder was left behind"


def _slow_pid(task):
    import time as _time

    _time.sleep(1.5)  # longer than the workers' watch interval: a worker must not take its fork server for a dead parent
    return os.getpid()


@pytest.mark.parametrize("threads", [0, 1], ids=["fork", "forkserver"])
def test_local_workers_live_through_long_chunks_with_either_start_method(threads):
    import threading

    from sim.experiment.executors import pool_context

    stop = threading.Event()
    for _ in range(threads):
        threading.Thread(target=stop.wait, daemon=True).start()
    try:
        if threading.active_count() == 1:
            assert pool_context().get_start_method() == "fork"
        else:
            assert pool_context().get_start_method() == "forkserver"
        loaded = load(BASELINE, ["horizon_weeks=4"])
        tasks = [ChunkTask(None, c, loaded.scenario, 1, "x") for c in plan_chunks(2, 1)]
        with LocalProcessExecutor(2, max_restarts=0) as pool:
            results = [r for _, r in pool.run(_slow_pid, tasks)]
        assert all(isinstance(r, int) for r in results), results
    finally:
        stop.set()
