"""The local pool of worker processes survives a worker killed while it sends a result (sim/experiment/executors.py)."""

from __future__ import annotations

import os
import struct
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest

from sim.experiment.executors import STALL_SECONDS, LocalProcessExecutor


@dataclass(frozen=True)
class Job:
    """A task with the name executors sort by; `flag`: a file whose absence makes job j1 cut its result short."""

    name: str
    flag: str


def cut_result_short_once(job: Job) -> str:
    """Job j1, the first time: take the result pipe's lock, write the start of a result and die (as a worker
    killed mid-send leaves the pipe). Every other call returns the job's name."""
    if job.name == "j1" and not os.path.exists(job.flag):
        open(job.flag, "w").close()
        frame = sys._getframe()
        while frame is not None and frame.f_code.co_name != "_process_worker":
            frame = frame.f_back
        assert frame is not None, "not running in a concurrent.futures worker"
        queue = frame.f_locals["result_queue"]
        if queue._wlock is not None:
            queue._wlock.acquire()
        os.write(queue._writer.fileno(), struct.pack("!i", 1 << 20) + b"the start of a result")
        os._exit(9)
    time.sleep(0.2)
    return job.name


def test_a_worker_killed_while_sending_a_result_does_not_hang_the_pool(tmp_path):
    jobs = [Job(f"j{i}", str(tmp_path / "cut")) for i in range(6)]
    box: dict[str, Any] = {}

    def work() -> None:
        with LocalProcessExecutor(2) as pool:
            box["pool"] = pool
            box["results"] = {task.name: result for task, result in pool.run(cut_result_short_once, jobs)}

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(timeout=STALL_SECONDS + 60)
    if thread.is_alive():
        box["pool"]._kill_pool()
        pytest.fail("the pool hung after a worker died in the middle of sending a result")
    assert os.path.exists(tmp_path / "cut"), "the job that cuts its result short never ran"
    assert box["results"] == {job.name: job.name for job in jobs}


def test_the_process_exits_after_a_pool_killed_for_a_result_cut_short(tmp_path):
    """The pool taken for broken must not leave its result-reading thread blocked on the cut message: Python joins
    that thread at exit, so the whole process would hang after its work was done (as `pytest` once did)."""
    import subprocess

    script = (
        "import sys; sys.path.insert(0, {tests!r}); sys.path.insert(0, {root!r})\n"
        "from test_local_pool import Job, cut_result_short_once\n"
        "from sim.experiment.executors import LocalProcessExecutor\n"
        "jobs = [Job(f'j{{i}}', {flag!r}) for i in range(4)]\n"
        "with LocalProcessExecutor(2) as pool:\n"
        "    done = sorted(result for _, result in pool.run(cut_result_short_once, jobs))\n"
        "print(done)\n"
    ).format(tests=os.path.dirname(__file__), root=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), flag=str(tmp_path / "cut"))
    try:
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=STALL_SECONDS + 90)
    except subprocess.TimeoutExpired:
        pytest.fail("the process did not exit after its pool was killed for a result cut short")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['j0', 'j1', 'j2', 'j3']"
