"""Headless Chromium through Playwright, for the browser tests and screenshots.

Playwright cannot download a browser of its own here, so it drives the system's Chromium
(Debian's `chromium` package) by path, with a fresh profile per launch and everything that
would reach the network turned off.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_path() -> str | None:
    """The Chromium to drive: $SIM_CHROMIUM, else /usr/bin/chromium, else `chromium` on the PATH; None if absent."""
    for candidate in (os.environ.get("SIM_CHROMIUM"), DEFAULT_CHROMIUM, shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@contextmanager
def headless_chromium(width: int = 1400, height: int = 1000) -> Iterator[object]:
    """A Playwright browser context on headless Chromium with a fresh user-data dir (removed afterwards)."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise FileNotFoundError("Chromium not found: install Debian's package (apt-get install chromium) or set SIM_CHROMIUM")
    with tempfile.TemporaryDirectory(prefix="sim-chromium-") as profile, sync_playwright() as playwright:
        # launch_persistent_context is Playwright's way to pass a user-data dir (it refuses --user-data-dir in args).
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=True,
            args=list(CHROMIUM_ARGS),
            viewport={"width": width, "height": height},
        )
        try:
            yield context
        finally:
            context.close()
