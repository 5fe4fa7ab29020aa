"""Plots drawn into a result folder, named by their caller.

The experiment layer writes result folders but imports no plotting code: the command line names the
report layer's function (`Plots("sim.report.plots", "write_plots")`), the run or sweep imports that module in
a background thread while its workers compute (so the plots at the end do not wait for matplotlib) and calls
the function on the folder's data before the folder is published. A library caller that passes no `Plots`
gets the data files only.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Plots:
    """The function `module.function(*data, folder)` that draws a result folder's plots."""

    module: str
    function: str

    def __call__(self, *args: Any) -> None:
        getattr(importlib.import_module(self.module), self.function)(*args)


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
        importlib.import_module(module)
    except Exception:  # imported again, with its error, where the plots are drawn
        pass
