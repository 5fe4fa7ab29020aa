"""`sim forecast SCENARIO`: Bueno de Mesquita's expected-utility forecast, round by round, per issue.

The classic use of the model (Bueno de Mesquita 1994; Scholz, Calbert & Smith 2011): from each
actor's position, salience and capability on one issue, rounds of challenges and offers move the
positions; the forecast is the median voter position (and the weighted mean) after the rounds.
Positions and saliences are the scenario's derived central values (`sim inspect`); capability
is the table `CAPABILITY` (an assumption, docs/bdm.md) unless `--capability` replaces it. With
`--replications R`, positions are drawn per replication exactly as the simulation draws them
(same seed, same replication index, same draw), saliences and capabilities stay central.
"""

from __future__ import annotations

import platform
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import pyarrow as pa
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

import sim
from sim.errors import InputError
from sim.experiment.load import load as load_scenario
from sim.experiment.store import (
    RunDirExists, UnwritableOutput, check_writable, make_run_id, new_run_dir, publish_run_dir, write_json_atomic,
    write_parquet_atomic,
)
from sim.rules.bdm import PARAMS, bdm_round, median_voter, weighted_mean_position
from sim.scenario.derive import derive
from sim.scenario.load import scenario_hash
from sim.scenario.schema import ACTOR_IDS

DEFAULT_ROUNDS = 10
DEFAULT_SEED = 20250311
SPAN = 1.0  # distances are measured in units of the whole 0-1 issue scale

# Capability: military expenditure in 2024, billions of US dollars (SIPRI, Trends in world military expenditure
# 2024, April 2025). US, Russia, Ukraine as published; Europe is SIPRI's European total (about 693) less Russia and
# Ukraine, an approximation of the coalition; Turkey rounded. Shares of their sum are the capabilities.
CAPABILITY_SPENDING = {"us": 997.0, "russia": 149.0, "ukraine": 64.7, "europe": 479.0, "turkey": 25.0}
CAPABILITY_SOURCE = (
    "military expenditure 2024 in USD bn (SIPRI, Trends in world military expenditure 2024): US 997, Russia 149, "
    "Ukraine 64.7; Europe ~479 (SIPRI's European total ~693 less Russia and Ukraine), Turkey ~25; as shares"
)


def capability_table(overrides: list[str], scenario=None) -> tuple[dict[str, float], str]:
    """Capabilities (shares summing to one) and their source: the scenario's `actors.<id>.capability` when every actor
    has one, else the SIPRI table here; then `ACTOR=VALUE` overrides (renormalised)."""
    raw = dict(CAPABILITY_SPENDING)
    source = CAPABILITY_SOURCE
    if scenario is not None:
        from sim.scenario.params import Bounds, mean_of

        given = {a: getattr(scenario.actors, a).capability for a in ACTOR_IDS}
        if all(v is not None for v in given.values()):
            raw = {a: mean_of(v, Bounds(0.0, 1.0, "share")) for a, v in given.items()}
            source = "the scenario's actors.<id>.capability"
    for item in overrides:
        actor, sep, value = item.partition("=")
        actor = actor.strip()
        if not sep or actor not in raw:
            raise InputError("--capability", item, f"expected ACTOR=VALUE with ACTOR one of {', '.join(ACTOR_IDS)}")
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not np.isfinite(number) or number < 0:
            raise InputError("--capability", item, "expected a finite number >= 0")
        raw[actor] = number
        source = "--capability overrides of: " + CAPABILITY_SOURCE
    total = sum(raw.values())
    if total <= 0:
        raise InputError("--capability", ",".join(overrides), "expected at least one actor with capability > 0")
    return {a: raw[a] / total for a in ACTOR_IDS}, source


def rule_parameters(items: list[str]) -> dict[str, float]:
    """The rule's declared parameters (`sim rules bdm_scholz`), defaults replaced by `NAME=VALUE` items."""
    values = {name: p.default for name, p in PARAMS.items()}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in PARAMS:
            raise InputError("--param", item, f"expected NAME=VALUE with NAME one of {', '.join(PARAMS)}")
        p = PARAMS[name]
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not p.lo <= number <= p.hi:
            raise InputError("--param", item, f"expected a value in [{p.lo:g}, {p.hi:g}] {p.unit}")
        values[name] = number
    return values


def forecast_inputs(scenario, issues: list[str], replications: int, seed: int):
    """Positions (R, A, K), raw saliences (A, K), red lines (A, K) x 2 for `issues`: central values, or drawn
    positions per replication (the simulation's draws) when replications > 1."""
    profiles = derive(scenario)
    k_index = [list(scenario.issues).index(i) for i in issues]
    position = np.array([[profiles[a][i].position.mean for i in issues] for a in ACTOR_IDS])
    salience = np.array([[profiles[a][i].salience.mean for i in issues] for a in ACTOR_IDS])
    low = np.array([[profiles[a][i].red_line_low.mean for i in issues] for a in ACTOR_IDS])
    high = np.array([[profiles[a][i].red_line_high.mean for i in issues] for a in ACTOR_IDS])
    position = np.clip(position, low, high)[None].repeat(replications, axis=0)
    if replications > 1:
        from sim.model.parameters import draw_parameters
        from sim.rng import Streams

        drawn = draw_parameters(scenario, Streams(seed, np.arange(replications)), profiles)
        position = np.stack([drawn.actors[a].position[:, k_index] for a in ACTOR_IDS], axis=1)
    return position, salience, low, high


def run_forecast(position: np.ndarray, salience: np.ndarray, capability: np.ndarray, rounds: int, **params) -> np.ndarray:
    """Positions (rounds + 1, R, A, K): the inputs, then after every round of the rule `bdm_scholz` with `params`."""
    r, a, k = position.shape
    out = np.empty((rounds + 1, r, a, k))
    out[0] = position
    s = np.broadcast_to(salience, (r, a, k))
    c = np.broadcast_to(capability, (r, a))
    for t in range(rounds):
        for j in range(k):
            out[t + 1, :, :, j] = bdm_round(out[t, :, :, j], s[:, :, j], c, SPAN, **params)
    return out


def outcomes(path: np.ndarray, salience: np.ndarray, capability: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median voter and weighted mean positions (rounds + 1, R, K) along a forecast path."""
    t, r, a, k = path.shape
    med, mean = np.empty((t, r, k)), np.empty((t, r, k))
    for j in range(k):
        w = np.broadcast_to(capability * salience[:, j], (r, a))
        for i in range(t):
            med[i, :, j] = median_voter(path[i, :, :, j], w)
            mean[i, :, j] = weighted_mean_position(path[i, :, :, j], w)
    return med, mean


def forecast_table(issues, labels, path, med, mean) -> pa.Table:
    """The long result table: one row per issue, replication and round; a column per actor, median, mean."""
    t, r, a, k = path.shape
    ii, rr, tt = np.meshgrid(np.arange(k), np.arange(r), np.arange(t), indexing="ij")
    cols = {
        "issue": pa.array([issues[j] for j in ii.ravel()], pa.string()),
        "replication": pa.array(rr.ravel(), pa.int64()),
        "round": pa.array(tt.ravel(), pa.int64()),
    }
    for n, actor in enumerate(ACTOR_IDS):
        cols[actor] = pa.array(np.transpose(path[:, :, n, :], (2, 1, 0)).ravel(), pa.float64())
    cols["median"] = pa.array(np.transpose(med, (2, 1, 0)).ravel(), pa.float64())
    cols["mean"] = pa.array(np.transpose(mean, (2, 1, 0)).ravel(), pa.float64())
    return pa.table(cols)


def plot_forecast(issue_label: str, labels: list[str], path: np.ndarray, med: np.ndarray, mean: np.ndarray, file: Path) -> Path:
    """Positions of every actor by round (the mean over replications), with the median and mean forecasts."""
    from sim.report.plots import _new_figure, _save

    figure = _new_figure(9.0, 4.5)
    ax = figure.subplots()
    rounds = np.arange(path.shape[0])
    for n, name in enumerate(labels):
        ax.plot(rounds, path[:, :, n].mean(axis=1), marker="o", markersize=3, label=name)
    ax.plot(rounds, med.mean(axis=1), color="black", linestyle="--", linewidth=2, label="Median voter")
    ax.plot(rounds, mean.mean(axis=1), color="grey", linestyle=":", linewidth=2, label="Weighted mean")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("Round")
    ax.set_ylabel("Position on the 0-1 issue scale")
    reps = path.shape[1]
    ax.set_title(f"{issue_label}: expected-utility forecast" + (f" (mean of {reps} replications)" if reps > 1 else ""))
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    figure.tight_layout()
    return _save(figure, file)


def forecast(
    ctx: typer.Context,
    scenario: Annotated[Path, typer.Argument(help="Scenario file.")],
    issue: Annotated[Optional[list[str]], typer.Option("--issue", "-i", help="Issue id to forecast (repeatable; default: every issue).")] = None,
    rounds: Annotated[int, typer.Option("--rounds", "-r", min=1, max=1000, help="Rounds of the model.")] = DEFAULT_ROUNDS,
    replications: Annotated[int, typer.Option("--replications", "-n", min=1, max=100_000, help="Replications: 1 uses the central values; more draw the positions as the simulation does.")] = 1,
    seed: Annotated[int, typer.Option("--seed", "-s", min=0, max=2**63 - 1, help="Seed of the position draws (used with --replications > 1).")] = DEFAULT_SEED,
    capability: Annotated[Optional[list[str]], typer.Option("--capability", "-c", metavar="ACTOR=VALUE", help="Replace an actor's capability (before normalising to shares; repeatable).")] = None,
    param: Annotated[Optional[list[str]], typer.Option("--param", "-p", metavar="NAME=VALUE", help="Set a parameter of the rule bdm_scholz, e.g. capitulation=0 (repeatable; `sim rules bdm_scholz`).")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override a field: dotted.path=value (repeatable).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Base folder of the results.")] = Path("results"),
) -> None:
    """Bueno de Mesquita's expected-utility forecast per issue: positions by round, median and mean, a results folder."""
    argv = ctx.obj.get("argv") if isinstance(ctx.obj, dict) else None
    command = ["sim", *(argv if argv is not None else sys.argv[1:])]
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

    started = datetime.now(timezone.utc)
    position, salience, low, high = forecast_inputs(s, issues, replications, seed)
    cap = np.array([caps[a] for a in ACTOR_IDS])
    path = run_forecast(position, salience, cap, rounds, **params)
    med, mean = outcomes(path, salience, cap)
    labels = [getattr(s.actors, a).label for a in ACTOR_IDS]

    console = Console(width=None if sys.stdout.isatty() else 150)
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
        final, tmp = _reserve(base, s.name, seed)
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
            "command": command,
            "run_id": final.name,
            "times": {"started": started.isoformat(), "finished": datetime.now(timezone.utc).isoformat()},
        }
        write_json_atomic(tmp / "forecast.json", summary, sort_keys=False)
    except BaseException:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        publish_run_dir(tmp, final)
    except RunDirExists as exc:
        raise InputError("--out", str(out), str(exc)) from None
    console.print(f"[dim]{s.name}: forecast of {len(issues)} issue(s), {rounds} rounds -> {escape(str(final))}[/dim]")


def _reserve(base: Path, name: str, seed: int):
    """A free `forecast-<time>-seed<seed>` folder under OUT/<scenario>/ (suffixed -2, -3, ... when taken)."""
    stem = f"forecast-{make_run_id(seed)}"
    for n in range(1, 1000):
        try:
            return new_run_dir(base, name, stem if n == 1 else f"{stem}-{n}")
        except RunDirExists:
            continue
    raise UnwritableOutput(f"no free forecast folder name under {base / name}")


def register(app: typer.Typer) -> None:
    app.command("forecast")(forecast)
