"""Bueno de Mesquita's expected-utility forecast, round by round, per issue (the library of `sim forecast`).

The classic use of the model (Bueno de Mesquita 1994; Scholz, Calbert & Smith 2011): from each
actor's position, salience and capability on one issue, rounds of challenges and offers move the
positions; the forecast is the median voter position (and the weighted mean) after the rounds.
Positions and saliences are the scenario's derived central values (`sim inspect`); capabilities
are the scenario's `actors.<id>.capability` (else equal shares, as in the simulation) unless
`--capability` replaces them. With
`--replications R`, positions are drawn per replication exactly as the simulation draws them
(same seed, same replication index, same draw), saliences and capabilities stay central.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from sim.errors import InputError
from sim.experiment.store import RunDirExists, UnwritableOutput, make_run_id, new_run_dir
from sim.rules.bdm import PARAMS, bdm_round, median_voter, weighted_mean_position
from sim.scenario.derive import derive
from sim.scenario.schema import ACTOR_IDS

DEFAULT_ROUNDS = 10
SPAN = 1.0  # distances are measured in units of the whole 0-1 issue scale

EQUAL_SOURCE = "equal shares: the scenario gives no actors.<id>.capability (the simulation's position dynamics use the same)"


def capability_table(overrides: list[str], scenario=None) -> tuple[dict[str, float], str]:
    """Capabilities (shares summing to one) and their source, as the simulation's position dynamics see them: the
    scenario's `actors.<id>.capability` (central values; a scenario gives one for every actor or none), else equal
    shares; then `ACTOR=VALUE` overrides (renormalised)."""
    raw = dict.fromkeys(ACTOR_IDS, 1.0)
    source = EQUAL_SOURCE
    if scenario is not None and all(getattr(scenario.actors, a).capability is not None for a in ACTOR_IDS):
        from sim.scenario.params import Bounds, mean_of

        raw = {a: mean_of(getattr(scenario.actors, a).capability, Bounds(0.0, 1.0, "share")) for a in ACTOR_IDS}
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
    if overrides:
        source = f"--capability overrides of: {source}"
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


def reserve_forecast_dir(base: Path, name: str, seed: int):
    """A free `forecast-<time>-seed<seed>` folder under OUT/<scenario>/ (suffixed -2, -3, ... when taken)."""
    stem = f"forecast-{make_run_id(seed)}"
    for n in range(1, 1000):
        try:
            return new_run_dir(base, name, stem if n == 1 else f"{stem}-{n}")
        except RunDirExists:
            continue
    raise UnwritableOutput(f"no free forecast folder name under {base / name}")
