"""Global sensitivity analysis of sweep outcomes with SALib: Sobol indices and Morris elementary effects.

The design (the variants' parameter values) is sampled here and analysed here once every
variant's outcome shares are known, so that the two always agree.

- Sobol: Saltelli's extension of the Sobol sequence (`SALib.sample.sobol`), first-order
  and total indices with bootstrap confidence intervals (Sobol' 2001; Saltelli 2002;
  Saltelli et al. 2010, Computer Physics Communications 181, 259-270).
- Morris: elementary effects on a `levels`-level grid (`SALib.sample.morris`), mu, mu*
  with its bootstrap interval, and sigma (Morris 1991, Technometrics 33, 161-174;
  Campolongo, Cariboni & Saltelli 2007).

The model output analysed is a variant's share of an outcome (say, a ceasefire or
settlement in force at the horizon) over its replications; with common random numbers the
Monte Carlo noise of the shares is shared across variants, which keeps it out of the
differences the indices are built from.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pyarrow as pa

from sim.analysis.paired import OUTCOME_NAMES

CONFIDENCE = 0.95
RESAMPLES = 500


def salib_problem(names: list[str], ranges: np.ndarray) -> dict[str, Any]:
    """SALib's problem definition: parameter names and [low, high] bounds."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[float(lo), float(hi)] for lo, hi in ranges]}


def salib_sample(kind: str, problem: dict[str, Any], samples: int, seed: int, levels: int = 4, second_order: bool = False) -> np.ndarray:
    """The design matrix of a Sobol (Saltelli) or Morris design, one row per variant."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib warns when N is not a power of 2: documented in the sweep format
        if kind == "sobol":
            from SALib.sample import sobol

            return np.asarray(sobol.sample(problem, samples, calc_second_order=second_order, scramble=True, seed=seed))
        if kind == "morris":
            from SALib.sample import morris

            return np.asarray(morris.sample(problem, samples, num_levels=levels, seed=seed))
    raise ValueError(f"expected a SALib design (sobol or morris), got {kind!r}")


def analyse(kind: str, problem: dict[str, Any], matrix: np.ndarray, summary: pa.Table, seed: int, levels: int = 4, second_order: bool = False) -> pa.Table:
    """Sensitivity indices of every outcome share in `summary` (rows in design order), one row per (outcome, parameter).

    Sobol: S1, S1_low, S1_high, ST, ST_low, ST_high (intervals: estimate +- SALib's bootstrap
    half-width at 95%). Morris: mu, mu_star, mu_star_low, mu_star_high, sigma. An outcome
    that does not vary gives zero effects (Morris) or undefined indices (Sobol, NaN).
    """
    rows: dict[str, list[Any]] = {"outcome": [], "parameter": []}
    names = problem["names"]
    for outcome in OUTCOME_NAMES:
        y = np.asarray(summary.column(f"{outcome}_share").to_numpy(zero_copy_only=False), dtype=float)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if kind == "sobol":
                result = _sobol(problem, y, seed, second_order)
            else:
                result = _morris(problem, matrix, y, seed, levels)
        for k, name in enumerate(names):
            rows["outcome"].append(outcome)
            rows["parameter"].append(name)
            for key, values in result.items():
                rows.setdefault(key, []).append(float(values[k]))
    columns = {"outcome": pa.array(rows.pop("outcome"), pa.string()), "parameter": pa.array(rows.pop("parameter"), pa.string())}
    for key, column in rows.items():
        columns[key] = pa.array(column, pa.float64())
    return pa.table(columns)


def _sobol(problem: dict[str, Any], y: np.ndarray, seed: int, second_order: bool) -> dict[str, np.ndarray]:
    d = problem["num_vars"]
    if np.ptp(y) == 0:
        nan = np.full(d, np.nan)
        return {"S1": nan, "S1_low": nan, "S1_high": nan, "ST": nan, "ST_low": nan, "ST_high": nan}
    from SALib.analyze import sobol

    s = sobol.analyze(problem, y, calc_second_order=second_order, num_resamples=RESAMPLES, conf_level=CONFIDENCE, print_to_console=False, seed=seed)
    s1, s1c, st, stc = (np.asarray(s[k], dtype=float) for k in ("S1", "S1_conf", "ST", "ST_conf"))
    return {"S1": s1, "S1_low": s1 - s1c, "S1_high": s1 + s1c, "ST": st, "ST_low": st - stc, "ST_high": st + stc}


def _morris(problem: dict[str, Any], x: np.ndarray, y: np.ndarray, seed: int, levels: int) -> dict[str, np.ndarray]:
    from SALib.analyze import morris

    s = morris.analyze(problem, x, y, num_resamples=RESAMPLES, conf_level=CONFIDENCE, print_to_console=False, num_levels=levels, seed=seed)
    mu, mu_star, conf, sigma = (np.asarray(s[k], dtype=float) for k in ("mu", "mu_star", "mu_star_conf", "sigma"))
    return {"mu": mu, "mu_star": mu_star, "mu_star_low": mu_star - conf, "mu_star_high": mu_star + conf, "sigma": sigma}
