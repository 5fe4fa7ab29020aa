"""The commands' progress bar: drawn on a terminal when chunks are reported, with no thread of its own."""

from __future__ import annotations

import io
import threading

from rich.console import Console

from sim.cli import progress as progress_module
from sim.cli.options import progress_bar
from sim.experiment.executors import fork_is_safe, pool_context


def terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=100), out


def test_the_bar_runs_no_thread_so_workers_and_plots_fork(monkeypatch):
    monkeypatch.setattr(progress_module, "REDRAW_EVERY", 0.0)
    console, out = terminal()
    before = threading.active_count()
    with progress_bar(console) as bar:
        task = bar.add_task("baseline", total=30)
        assert threading.active_count() == before
        if before == 1:  # pytest itself may run other threads; in `sim run` there are none
            assert fork_is_safe() and pool_context().get_start_method() == "fork"
        for _ in range(3):
            bar.advance(task, 10)
        bar.update(task, description="done")
    text = out.getvalue()
    assert "10/30" in text and "20/30" in text and "30/30" in text and "done" in text


def test_reports_closer_than_the_redraw_interval_draw_once(monkeypatch):
    monkeypatch.setattr(progress_module, "REDRAW_EVERY", 3600.0)
    console, out = terminal()
    with progress_bar(console) as bar:
        task = bar.add_task("baseline", total=30)
        bar.advance(task, 10)  # drawn: the first report
        bar.advance(task, 10)  # not drawn: too soon after
        text = out.getvalue()
    assert "10/30" in text and "20/30" not in text
    assert "20/30" in out.getvalue()  # the bar's last drawing, when it stops


def test_nothing_is_drawn_off_a_terminal():
    out = io.StringIO()
    with progress_bar(Console(file=out, force_terminal=False)) as bar:
        bar.advance(bar.add_task("baseline", total=3), 3)
    assert out.getvalue() == ""
