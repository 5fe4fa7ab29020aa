"""Plots drawn into a result folder, named by their caller.

The experiment layer writes result folders but imports no plotting code: the command line names the
report layer's function (`Plots("sim.report.plots", "write_plots")`), the run or sweep imports that module in
a background thread while its workers compute (so the plots at the end do not wait for matplotlib) and calls
the function on the folder's data before the folder is published. A library caller that passes no `Plots`
gets the data files only.

A run draws its plots in forked child processes (`draw`, two of them, each drawing half of the plots) while it
writes its other files: the end of a run then takes about half as long as drawing the plots one after another.
"""

from __future__ import annotations

import importlib
import multiprocessing
import signal
import sys
import threading
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any


@dataclass(frozen=True)
class Plots:
    """The function `module.function(*data, folder)` that draws a result folder's plots."""

    module: str
    function: str

    def __call__(self, *args: Any, **options: Any) -> None:
        getattr(importlib.import_module(self.module), self.function)(*args, **options)


@dataclass
class Drawing:
    """Plots being drawn by child processes (`processes`), or already drawn here (none)."""

    plots: Plots
    args: tuple[Any, ...]
    processes: list[BaseProcess] = field(default_factory=list)

    def join(self) -> None:
        """Wait for the children. If one failed, or was killed, draw the plots here: an error is then raised here, with
        its traceback, and a killed child's half-written files are written again whole."""
        for process in self.processes:
            process.join()  # interrupted here, the processes are still this drawing's to cancel
        failed = any(process.exitcode != 0 for process in self.processes)
        self.processes = []
        if failed:
            self.plots(*self.args)

    def cancel(self) -> None:
        """Stop the children (the run failed or was interrupted: its folder is about to be removed)."""
        processes, self.processes = self.processes, []
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join()


def draw(plots: Plots, *args: Any, parts: int = 1) -> Drawing:
    """Start drawing `plots(*args)` in forked children while the caller goes on; `Drawing.join` waits for them.

    With `parts` > 1, `parts` children draw a share each (`plots(*args, part=i, parts=parts)`: the plotting function
    takes them). Drawn here, in one call, before returning, where a fork is not safe (another thread runs: a Dask
    client) or the platform has none. A child is a copy of this process, so the files are the same bytes either way;
    it has matplotlib when the caller's `Warmup` has been joined first."""
    from sim.experiment.executors import fork_is_safe

    if not fork_is_safe():
        plots(*args)
        return Drawing(plots, args)
    context = multiprocessing.get_context("fork")
    shares = [{}] if parts == 1 else [{"part": i, "parts": parts} for i in range(parts)]
    drawing = Drawing(plots, args)
    for share in shares:
        process = context.Process(target=_draw_child, args=(plots, args, share), name="sim-plots", daemon=True)
        process.start()
        drawing.processes.append(process)
    return drawing


def _draw_child(plots: Plots, args: tuple[Any, ...], share: dict[str, int]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it cancels this child
    try:
        plots(*args, **share)
    except BaseException:  # the parent draws again and raises the error itself
        sys.exit(1)


@dataclass
class Warmup:
    """Imports the plotting module of `plots` in a background thread (once; nothing without plots)."""

    plots: Plots | None
    _thread: threading.Thread | None = field(default=None, init=False)

    def start(self) -> None:
        if self.plots is not None and self._thread is None:
            self._thread = threading.Thread(target=_import_quietly, args=(self.plots.module,), name="sim-import-plots", daemon=True)
            self._thread.start()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()


def _import_quietly(module: str) -> None:
    try:
        import numpy as np
        import pyarrow as pa

        pa.array(np.zeros(0))  # pyarrow imports pandas at its first array (about 0.25 s): the tables at the end need one
        importlib.import_module(module)
    except Exception:  # imported again, with its error, where the plots are drawn
        pass
