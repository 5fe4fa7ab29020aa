"""`sim viz [SCENARIO]`: the browser app (Mesa's SolaraViz) on 127.0.0.1, for class."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.options import DEFAULT_SEED, runs_option, seed_option
from sim.errors import InputError

HOST = "127.0.0.1"  # never another interface: the app is for the machine it runs on
DEFAULT_PORT = 8765


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def server_command(port: int) -> list[str]:
    """The command that serves the app (solara's server, in production mode: no reloader, no file watching)."""
    return [sys.executable, "-m", "solara", "run", "sim.viz.app", "--host", HOST, "--port", str(port), "--production", "--no-open"]


def server_env(scenario: Path, runs: int, seed: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the server: the app's settings, and solara kept off the network."""
    env = dict(os.environ if base is None else base)
    env.update(
        {
            "SIM_VIZ_SCENARIO": str(scenario.resolve()),
            "SIM_VIZ_REPLICATIONS": str(runs),
            "SIM_VIZ_SEED": str(seed),
            # No usage telemetry, and no Font Awesome from a CDN: the app must work with no network.
            "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
            "SOLARA_ASSETS_FONTAWESOME_ENABLED": "False",
        }
    )
    return env


def viz(
    scenario: Annotated[Path | None, typer.Argument(metavar="SCENARIO", help="Scenario file or shipped scenario name (default: the shipped baseline).")] = None,
    runs: Annotated[int, runs_option("Replications stepped live.", 10, 100_000)] = 2000,
    seed: Annotated[int, seed_option("Seed; the same seed gives the same runs.")] = DEFAULT_SEED,
    port: Annotated[int, typer.Option("--port", "-p", metavar="PORT", min=0, max=65535, help="Port on 127.0.0.1 (0: any free port).")] = DEFAULT_PORT,
) -> None:
    """Start the browser app on 127.0.0.1 and print its address (Ctrl-C stops it)."""
    from sim.experiment.load import load
    from sim.viz.model import DEFAULT_SCENARIO

    path = scenario if scenario is not None else DEFAULT_SCENARIO
    loaded = load(path)  # a bad scenario fails here in one line, not inside the server
    try:
        import mesa.visualization  # noqa: F401
        import solara  # noqa: F401
    except ImportError as exc:
        raise InputError(None, None, f"the browser app needs the viz extra ({exc.name} is missing): pip install -e '.[viz]'") from None
    port = port or free_port()
    typer.echo(f"sim viz: {loaded.scenario.title}, {runs:,} replications, seed {seed}")
    typer.echo(f"sim viz: open http://{HOST}:{port}/ in a browser (Ctrl-C stops the server)")
    sys.stdout.flush()
    sys.stderr.flush()
    command = server_command(port)
    # Become the server (no child left behind when this process is stopped).
    os.execve(command[0], command, server_env(Path(path), runs, seed))


def register(app: typer.Typer) -> None:
    app.command("viz")(viz)
