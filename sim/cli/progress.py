"""The progress bar of the commands that run chunks, redrawn when work is reported rather than by a thread.

rich redraws a bar from a thread of its own by default. A process with a second thread cannot safely fork (the
child could inherit a lock the thread holds), so a run under such a bar would start its workers from a fork
server (a fresh Python that imports the engine first: about a second) and draw its plots after its other files
instead of beside them. Redrawn by the reports of finished chunks instead, at most ten times a second, the bar
leaves the process single-threaded. Between two chunks its clock stands still.
"""

from __future__ import annotations

import time
from typing import Any

from rich.progress import Progress, TaskID

REDRAW_EVERY = 0.1
"""Seconds between two redraws at most (a report that comes sooner is shown by the next one)."""


class ChunkProgress(Progress):
    """A `rich.progress.Progress` without a refresh thread: `advance` and `update` redraw it."""

    def __init__(self, *columns: Any, **options: Any) -> None:
        super().__init__(*columns, auto_refresh=False, **options)
        self._drawn = float("-inf")

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        super().advance(task_id, advance)
        self._redraw()

    def update(self, task_id: TaskID, **changes: Any) -> None:
        super().update(task_id, **changes)
        self._redraw()

    def _redraw(self) -> None:
        now = time.monotonic()
        if now - self._drawn >= REDRAW_EVERY:
            self._drawn = now
            self.refresh()
