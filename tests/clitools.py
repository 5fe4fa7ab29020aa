"""Helpers shared by the command-line tests: invoke `sim` in-process, find a run folder."""

from __future__ import annotations

import contextlib
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from typer.testing import CliRunner

from sim.cli.main import app

WIDE = {"COLUMNS": "250"}  # rich tables in one line per row


def invoke(*args, env: dict | None = None):
    """Run `sim ARGS...` through typer's CliRunner (wide terminal); a traceback fails the test."""
    result = CliRunner().invoke(app, [str(a) for a in args], env={**WIDE, **(env or {})})
    assert "Traceback" not in result.output, result.output
    return result


def only_run(out: Path, name: str) -> Path:
    """The one run folder under OUT/<name>/."""
    runs = [p for p in (out / name).iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    return runs[0]


@contextlib.contextmanager
def serving(argv: list[str], port: int, log: Path, cwd: Path, env: dict | None = None, timeout: float = 90.0):
    """Start a server listening on `port`, wait until http://127.0.0.1:PORT/ answers, yield its URL,
    and always stop it. The server's output goes to `log`."""
    url = f"http://127.0.0.1:{port}/"
    with log.open("w") as out:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert proc.poll() is None, f"{argv} exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert time.monotonic() < deadline, f"{argv} did not answer on {url} within {timeout:.0f} s:\n{log.read_text()[-3000:]}"
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
