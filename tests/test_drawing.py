"""Plots drawn by a forked child while a run writes its other files (`sim.experiment.plots.draw`)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from sim.analysis.summary import summarise, weekly_table
from sim.cli.plotting import RUN_PLOTS
from sim.experiment import executors
from sim.experiment.load import load
from sim.experiment.plots import Plots, draw
from sim.experiment.run import run_scenario
from sim.report.plots import PLOT_FILES

PARENT = os.getpid()


def write_pid(folder: Path) -> None:
    """A plot function that says which process drew it."""
    (folder / "pid.txt").write_text(str(os.getpid()))


def write_part(folder: Path, part: int = 0, parts: int = 1) -> None:
    """A plot function drawn in shares: each share says which process drew it."""
    (folder / f"part{part}of{parts}.txt").write_text(str(os.getpid()))


def fails_in_a_child(folder: Path) -> None:
    if os.getpid() != PARENT:
        raise RuntimeError("the child cannot draw")
    write_pid(folder)


def always_fails(*args: object) -> None:
    raise ValueError("no plot for you")


def sleeps(folder: Path) -> None:
    time.sleep(60)


def plots(function: str) -> Plots:
    return Plots(__name__, function)


@pytest.fixture
def fork(monkeypatch):
    """Fork whatever other threads the test process runs (pytest's own are idle here)."""
    monkeypatch.setattr(executors, "fork_is_safe", lambda: True)


@pytest.fixture(scope="module")
def results():
    from sim.experiment.chunks import simulate_chunk

    loaded = load("baseline", ["horizon_weeks=8"])
    _, agg = simulate_chunk(loaded.scenario, 3, 0, 200)
    return summarise(agg), weekly_table(agg), agg


def test_a_child_draws_when_a_fork_is_safe_and_this_process_when_not(fork, tmp_path, monkeypatch):
    drawing = draw(plots("write_pid"), tmp_path)
    drawing.join()
    assert int((tmp_path / "pid.txt").read_text()) != os.getpid()
    monkeypatch.setattr(executors, "fork_is_safe", lambda: False)
    draw(plots("write_pid"), tmp_path).join()
    assert int((tmp_path / "pid.txt").read_text()) == os.getpid()


def test_each_share_is_drawn_by_its_own_child(fork, tmp_path):
    draw(plots("write_part"), tmp_path, parts=3).join()
    pids = {int((tmp_path / f"part{i}of3.txt").read_text()) for i in range(3)}
    assert len(pids) == 3 and os.getpid() not in pids


@pytest.mark.parametrize("parts", [1, 2, 3])
def test_plots_drawn_by_children_are_the_bytes_drawn_here(fork, results, tmp_path, monkeypatch, parts):
    children, here = tmp_path / "children", tmp_path / "here"
    children.mkdir()
    here.mkdir()
    draw(RUN_PLOTS, *results, children, parts=parts).join()
    monkeypatch.setattr(executors, "fork_is_safe", lambda: False)
    draw(RUN_PLOTS, *results, here, parts=parts).join()  # here: all in one call
    assert sorted(p.name for p in children.iterdir()) == sorted(PLOT_FILES)
    for name in PLOT_FILES:
        assert (children / name).read_bytes() == (here / name).read_bytes(), name


def test_what_a_child_failed_to_draw_is_drawn_here(fork, tmp_path):
    draw(plots("fails_in_a_child"), tmp_path).join()
    assert int((tmp_path / "pid.txt").read_text()) == os.getpid()


def test_an_error_in_the_plots_is_raised_here_and_the_run_leaves_no_folder(fork, tmp_path):
    with pytest.raises(ValueError, match="no plot for you"):
        draw(plots("always_fails"), tmp_path).join()
    loaded = load("baseline", ["horizon_weeks=4"])
    with pytest.raises(ValueError, match="no plot for you"):
        run_scenario(loaded, 40, 1, tmp_path / "out", workers=1, chunk_size=20, plots=plots("always_fails"))
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()]


def test_a_cancelled_drawing_stops_its_child(fork, tmp_path):
    drawing = draw(plots("sleeps"), tmp_path)
    (process,) = drawing.processes
    assert process.is_alive()
    started = time.monotonic()
    drawing.cancel()
    assert not process.is_alive() and time.monotonic() - started < 10
    drawing.join()  # nothing left to wait for


def test_a_drawing_interrupted_while_it_waits_can_still_be_cancelled(fork, tmp_path, monkeypatch):
    drawing = draw(plots("sleeps"), tmp_path)
    (process,) = drawing.processes

    def interrupted(timeout: float | None = None) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(process, "join", interrupted)
    with pytest.raises(KeyboardInterrupt):
        drawing.join()
    monkeypatch.undo()
    drawing.cancel()
    assert not process.is_alive()


def test_a_run_draws_the_plots_of_its_own_aggregates(fork, tmp_path):
    loaded = load("baseline", ["horizon_weeks=6"])
    result = run_scenario(loaded, 60, 5, tmp_path, workers=1, chunk_size=25, plots=RUN_PLOTS)
    here = tmp_path / "here"
    here.mkdir()
    RUN_PLOTS(result.summary, weekly_table(result.aggregates), result.aggregates, here)
    for name in PLOT_FILES:
        assert (result.path / "plots" / name).read_bytes() == (here / name).read_bytes(), name
