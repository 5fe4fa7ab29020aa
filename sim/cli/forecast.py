"""`sim forecast SCENARIO`: Bueno de Mesquita's expected-utility forecast, round by round, per issue.

The computation, its inputs and its assumptions are `sim.experiment.forecast`'s (docs/bdm.md); this module
parses the options, prints the table and writes the result folder."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.options import DEFAULT_SEED, OutOption, SetOption, command_line
from sim.errors import InputError

DEFAULT_ROUNDS = 10


def forecast(
    ctx: typer.Context,
    scenario: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario file, or a shipped scenario by name.")],
    issue: Annotated[list[str] | None, typer.Option("--issue", "-i", metavar="ISSUE", help="Issue id to forecast (repeatable; default: every issue).")] = None,
    rounds: Annotated[int, typer.Option("--rounds", "-r", metavar="N", min=1, max=1000, help="Rounds of the model.")] = DEFAULT_ROUNDS,
    runs: Annotated[
        int,
        typer.Option(
            "--runs", "-n", metavar="N", min=1, max=100_000, help="Replications: 1 uses the central values; more draw the positions as the simulation does."
        ),
    ] = 1,
    seed: Annotated[
        int, typer.Option("--seed", "-s", metavar="SEED", min=0, max=2**63 - 1, help="Seed of the position draws (used with --runs > 1).")
    ] = DEFAULT_SEED,
    capability: Annotated[
        list[str] | None,
        typer.Option("--capability", "-c", metavar="ACTOR=VALUE", help="Replace an actor's capability (before normalising to shares; repeatable)."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param", "-p", metavar="NAME=VALUE", help="Set a parameter of the rule bdm_scholz, e.g. capitulation=0 (repeatable; `sim rules bdm_scholz`)."
        ),
    ] = None,
    set_: SetOption = None,
    out: OutOption = Path("results"),
    replications: Annotated[int | None, typer.Option("--replications", metavar="N", min=1, max=100_000, hidden=True, help="The former name of --runs.")] = None,
) -> None:
    """Bueno de Mesquita's expected-utility forecast per issue: positions by round, median and mean, a results folder."""
    import platform
    import shutil
    from datetime import datetime

    import numpy as np
    from rich.markup import escape
    from rich.table import Table

    import sim
    from sim.cli.options import stdout_console
    from sim.experiment.forecast import (
        SPAN,
        capability_table,
        forecast_inputs,
        forecast_table,
        outcomes,
        reserve_forecast_dir,
        rule_parameters,
        run_forecast,
    )
    from sim.experiment.load import load as load_scenario
    from sim.experiment.provenance import provenance
    from sim.experiment.store import (
        RunDirExists,
        UnwritableOutput,
        check_writable,
        publish_run_dir,
        write_json_atomic,
        write_parquet_atomic,
    )
    from sim.report.forecast_plots import plot_forecast
    from sim.rules.bdm import PARAMS
    from sim.scenario.load import scenario_hash
    from sim.scenario.schema import ACTOR_IDS

    command = command_line(ctx)
    if replications is not None:  # the former name of --runs (`--replications 3` still works)
        if runs not in (1, replications):
            raise InputError("--replications", str(replications), f"expected the same as --runs ({runs}); --replications is its former name")
        runs = replications
    replications = runs
    loaded = load_scenario(scenario, set_ or [])
    s = loaded.scenario
    issues = list(issue or s.issues)
    unknown = [i for i in issues if i not in s.issues]
    if unknown:
        raise InputError("--issue", unknown[0], f"expected an issue of {scenario}: one of {', '.join(s.issues)}")
    issues = list(dict.fromkeys(issues))
    caps, cap_source = capability_table(capability or [], s)
    params = rule_parameters(param or [])
    try:
        base = check_writable(out)
    except UnwritableOutput as exc:
        raise InputError("--out", str(out), f"expected a writable folder: {exc}") from None

    started = datetime.now(UTC)
    position, salience, low, high = forecast_inputs(s, issues, replications, seed)
    cap = np.array([caps[a] for a in ACTOR_IDS])
    path = run_forecast(position, salience, cap, rounds, **params)
    med, mean = outcomes(path, salience, cap)
    labels = [getattr(s.actors, a).label for a in ACTOR_IDS]

    console = stdout_console()
    for j, iss in enumerate(issues):
        title = f"{s.issues[iss].label} ({iss}): expected-utility forecast, {rounds} rounds"
        if replications > 1:
            title += f", mean of {replications} replications"
        table = Table(title=escape(title))
        table.add_column("Round", justify="right")
        for name in labels:
            table.add_column(escape(name), justify="right")
        table.add_column("Median", justify="right", style="bold")
        table.add_column("Mean", justify="right")
        for t in range(rounds + 1):
            row = [f"{path[t, :, n, j].mean():.3f}" for n in range(len(ACTOR_IDS))]
            table.add_row(str(t), *row, f"{med[t, :, j].mean():.3f}", f"{mean[t, :, j].mean():.3f}")
        console.print(table)
        caps_line = ", ".join(f"{lab} {caps[a]:.3f}" for lab, a in zip(labels, ACTOR_IDS))
        sal_line = ", ".join(f"{lab} {salience[n, j]:.2f}" for n, lab in enumerate(labels))
        console.print(f"[dim]capability (share): {escape(caps_line)}[/dim]")
        console.print(f"[dim]salience: {escape(sal_line)}[/dim]")
    changed = {k: v for k, v in params.items() if v != PARAMS[k].default}
    if changed:
        console.print(f"[dim]rule bdm_scholz with {escape(', '.join(f'{k}={v:g}' for k, v in changed.items()))}[/dim]")

    try:
        final, tmp = reserve_forecast_dir(base, s.name, seed)
    except (UnwritableOutput, ValueError) as exc:
        raise InputError("--out", str(out), f"expected a writable folder: {exc}") from None
    try:
        write_parquet_atomic(tmp / "forecast.parquet", forecast_table(issues, labels, path, med, mean))
        (tmp / "plots").mkdir()
        for j, iss in enumerate(issues):
            plot_forecast(s.issues[iss].label, labels, path[:, :, :, j], med[:, :, j], mean[:, :, j], tmp / "plots" / f"forecast_{iss}.png")
        summary = {
            "scenario": s.name,
            "title": s.title,
            "scenario_file": str(loaded.path),
            "scenario_hash": scenario_hash(s),
            "model": "Bueno de Mesquita 1994 expected-utility model, as in Scholz, Calbert & Smith 2011 (rule bdm_scholz)",
            "rule_parameters": params,
            "span": SPAN,
            "rounds": rounds,
            "replications": replications,
            "seed": seed if replications > 1 else None,
            "actors": dict(zip(ACTOR_IDS, labels)),
            "capability": caps,
            "capability_source": cap_source,
            "issues": {
                iss: {
                    "label": s.issues[iss].label,
                    "initial_positions": {a: float(position[:, n, j].mean()) for n, a in enumerate(ACTOR_IDS)},
                    "salience": {a: float(salience[n, j]) for n, a in enumerate(ACTOR_IDS)},
                    "red_lines": {a: [float(low[n, j]), float(high[n, j])] for n, a in enumerate(ACTOR_IDS)},
                    "final_positions": {a: float(path[-1, :, n, j].mean()) for n, a in enumerate(ACTOR_IDS)},
                    "median": [float(v) for v in med[:, :, j].mean(axis=1)],
                    "mean": [float(v) for v in mean[:, :, j].mean(axis=1)],
                    "forecast_median": float(med[-1, :, j].mean()),
                    "forecast_mean": float(mean[-1, :, j].mean()),
                }
                for j, iss in enumerate(issues)
            },
            "package_version": sim.__version__,
            "python": platform.python_version(),
            **provenance(),
            "command": command,
            "run_id": final.name,
            "times": {"started": started.isoformat(), "finished": datetime.now(UTC).isoformat()},
        }
        write_json_atomic(tmp / "forecast.json", summary, sort_keys=False)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        publish_run_dir(tmp, final)
    except RunDirExists as exc:
        raise InputError("--out", str(out), str(exc)) from None
    console.print(f"[dim]{s.name}: forecast of {len(issues)} issue(s), {rounds} rounds -> {escape(str(final))}[/dim]")


def register(app: typer.Typer) -> None:
    app.command("forecast")(forecast)
