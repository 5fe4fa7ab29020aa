"""Reference class of truces between Russia and Ukraine, 2014-2024: the data, survival fits, and a check of simulated durations.

The data are `data/truces.csv` (one sourced row per truce; coding rules in docs/truces.md).
For each truce type the fit gives a Kaplan-Meier curve (Kaplan & Meier 1958; log-log band
from Greenwood's variance) and a Weibull model fitted by maximum likelihood with right
censoring, with 95% intervals from a parametric bootstrap that redraws durations from the
fitted model and censors them as the data were censored: at a truce's fixed term if it had
one, else at the data cut-off (2024-12-31). An exponential model is fitted for comparison.

`durations_within_fit` checks a model's simulated durations of one truce type against the
fitted survival (see its docstring); `load_hazards` and `weekly_hazard` read the fitted
weekly breakdown hazards that `scripts/fit_truces.py` writes to `data/truce_hazards.json`.

Importing this module loads numpy only; scipy is imported by the functions that fit.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

ROOT = Path(__file__).resolve().parents[2]
TRUCES_CSV = ROOT / "data" / "truces.csv"
HAZARDS_JSON = ROOT / "data" / "truce_hazards.json"

TRUCE_TYPES = ("partial", "ceasefire")
# Rows must end (or be censored) by this date; the model's baseline knows the world as of BASELINE_DATE.
CUTOFF = dt.date(2024, 12, 31)
BASELINE_DATE = dt.date(2025, 3, 11)
END_RULES = ("withdrawn", "collapsed", "superseded", "expired", "completed", "in_force")
CENSORING_END_RULES = ("expired", "completed", "in_force")
SPECIFICITY = ("low", "high")
MONITORING = ("none", "osce_smm", "osce_smm+jccc", "jcc_turkey_un", "un_icrc", "icrc")
REQUIRED_COLUMNS = (
    "id",
    "name",
    "parties",
    "type",
    "scope",
    "start",
    "term_end",
    "end",
    "duration_days",
    "censored",
    "end_rule",
    "monitoring",
    "specificity",
    "how_ended",
    "source",
    "notes",
)

CONFIDENCE = 0.95
CHECKPOINT_DAYS = (7, 28, 91, 364)
HAZARD_WEEKS = (1, 4, 13, 52)
HAZARD_CURVE_WEEKS = 104
BOOTSTRAP_REPLICATES = 2000
BOOTSTRAP_SEED = 20250311
DAYS_PER_WEEK = 7.0


@dataclass(frozen=True)
class Truce:
    """One row of data/truces.csv, parsed and checked."""

    id: str
    name: str
    type: str
    start: dt.date
    end: dt.date | None
    term_end: dt.date | None
    duration_days: int
    censored: bool
    end_rule: str
    monitoring: str
    specificity: str
    source: str

    @property
    def censor_limit_days(self) -> int:
        """Longest duration this truce could have been observed for: to its fixed term, else to the cut-off."""
        limit = self.term_end if self.term_end is not None else CUTOFF
        return max(1, (limit - self.start).days)


def _date(text: str, field: str, row_id: str) -> dt.date | None:
    if text.strip() == "":
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as err:
        raise ValueError(f"truce {row_id!r}: {field} {text!r} is not an ISO date (YYYY-MM-DD)") from err


def parse_truce(row: dict[str, str]) -> Truce:
    """Parse one CSV row; raise ValueError naming the truce and the field for anything malformed."""
    row_id = (row.get("id") or "").strip() or "<no id>"
    missing = [c for c in REQUIRED_COLUMNS if c not in row]
    if missing:
        raise ValueError(f"truce {row_id!r}: missing columns {missing}")
    if row["type"] not in TRUCE_TYPES:
        raise ValueError(f"truce {row_id!r}: type {row['type']!r} is not one of {TRUCE_TYPES}")
    if row["end_rule"] not in END_RULES:
        raise ValueError(f"truce {row_id!r}: end_rule {row['end_rule']!r} is not one of {END_RULES}")
    if row["specificity"] not in SPECIFICITY:
        raise ValueError(f"truce {row_id!r}: specificity {row['specificity']!r} is not one of {SPECIFICITY}")
    if row["monitoring"] not in MONITORING:
        raise ValueError(f"truce {row_id!r}: monitoring {row['monitoring']!r} is not one of {MONITORING}")
    if not row["source"].strip():
        raise ValueError(f"truce {row_id!r}: no source")
    if row["censored"] not in ("0", "1"):
        raise ValueError(f"truce {row_id!r}: censored must be 0 or 1, got {row['censored']!r}")
    start = _date(row["start"], "start", row_id)
    if start is None:
        raise ValueError(f"truce {row_id!r}: no start date")
    end = _date(row["end"], "end", row_id)
    term_end = _date(row["term_end"], "term_end", row_id)
    censored = row["censored"] == "1"
    if censored != (row["end_rule"] in CENSORING_END_RULES):
        raise ValueError(f"truce {row_id!r}: censored={int(censored)} contradicts end_rule {row['end_rule']!r} (censoring rules: {CENSORING_END_RULES})")
    observed_end = end if end is not None else CUTOFF
    if end is None and not censored:
        raise ValueError(f"truce {row_id!r}: an uncensored truce needs an end date")
    if observed_end < start:
        raise ValueError(f"truce {row_id!r}: end {observed_end} is before start {start}")
    if term_end is not None and term_end < start:
        raise ValueError(f"truce {row_id!r}: term_end {term_end} is before start {start}")
    if observed_end > CUTOFF:
        raise ValueError(f"truce {row_id!r}: end {observed_end} is after the cut-off {CUTOFF}")
    expected = max(1, (observed_end - start).days)
    try:
        duration = int(row["duration_days"])
    except ValueError as err:
        raise ValueError(f"truce {row_id!r}: duration_days {row['duration_days']!r} is not an integer") from err
    if duration != expected:
        raise ValueError(f"truce {row_id!r}: duration_days {duration} != max(1, end - start) = {expected}")
    return Truce(
        id=row_id,
        name=row["name"],
        type=row["type"],
        start=start,
        end=end,
        term_end=term_end,
        duration_days=duration,
        censored=censored,
        end_rule=row["end_rule"],
        monitoring=row["monitoring"],
        specificity=row["specificity"],
        source=row["source"],
    )


def load_truces(path: Path | str = TRUCES_CSV) -> list[Truce]:
    """Read and check data/truces.csv (or `path`); ids must be unique."""
    with open(path, newline="", encoding="utf-8") as handle:
        truces = [parse_truce(row) for row in csv.DictReader(handle)]
    ids = [t.id for t in truces]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate truce ids: {duplicates}")
    return truces


def durations_of(truces: list[Truce], truce_type: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(days, event, censor_limit_days) for the truces of one type; event is False where censored."""
    chosen = [t for t in truces if t.type == truce_type]
    days = np.array([t.duration_days for t in chosen], dtype=np.float64)
    event = np.array([not t.censored for t in chosen], dtype=bool)
    limit = np.array([t.censor_limit_days for t in chosen], dtype=np.float64)
    return days, event, limit


# --- survival estimates -----------------------------------------------------------------


def _censored_data(days: ArrayLike, event: ArrayLike) -> Any:
    from scipy.stats import CensoredData

    days = np.asarray(days, dtype=np.float64)
    event = np.asarray(event, dtype=bool)
    return CensoredData(uncensored=days[event], right=days[~event])


def _sf_band(result: Any, confidence: float) -> Any:
    # scipy warns where the log-log band is undefined (S = 1 or 0); those points are filled below.
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return result.sf.confidence_interval(confidence_level=confidence, method="log-log")


def kaplan_meier(days: ArrayLike, event: ArrayLike, confidence: float = CONFIDENCE) -> dict[str, Any]:
    """Kaplan-Meier survival at each distinct observed time (breakdown or censoring), with a pointwise log-log band.

    Kaplan & Meier (1958), JASA 53, 457-481; Greenwood's variance on the log(-log S) scale,
    via `scipy.stats.ecdf(...).sf.confidence_interval(method="log-log")`. Returns lists
    `days`, `survival`, `low`, `high`, `at_risk` (truces still in force just before that day).
    Where S = 0 the band is undefined; it is reported as [0, the previous upper bound].
    """
    from scipy.stats import ecdf

    days = np.asarray(days, dtype=np.float64)
    event = np.asarray(event, dtype=bool)
    if not event.any():
        return {"days": [], "survival": [], "low": [], "high": [], "at_risk": []}
    result = ecdf(_censored_data(days, event))
    band = _sf_band(result, confidence)
    times = result.sf.quantiles
    at_risk = np.array([(days >= t).sum() for t in times])
    low = band.low.probabilities.copy()
    high = band.high.probabilities.copy()
    # The log-log band is undefined where S = 0 (the last breakdown with no one left at
    # risk): there the lower bound is 0 and the upper bound is carried over from the
    # previous time, since the band cannot rise.
    for i in range(times.size):
        if not np.isfinite(low[i]):
            low[i] = 0.0
        if not np.isfinite(high[i]):
            high[i] = high[i - 1] if i > 0 else 1.0
    return {
        "days": times.tolist(),
        "survival": result.sf.probabilities.tolist(),
        "low": low.tolist(),
        "high": high.tolist(),
        "at_risk": at_risk.tolist(),
    }


def _weibull_profile_loglik(log_shape: float, days: np.ndarray, event: np.ndarray) -> float:
    # For a fixed shape k the likelihood is maximised by scale^k = sum(t^k) / d (d events);
    # substituting it leaves a function of k alone.
    k = math.exp(log_shape)
    d = event.sum()
    t_k = days**k
    theta = t_k.sum() / d
    return float(d * math.log(k) - d * math.log(theta) + (k - 1.0) * np.log(days[event]).sum() - d)


def weibull_mle(days: ArrayLike, event: ArrayLike) -> tuple[float, float]:
    """Maximum-likelihood Weibull (shape, scale in days) for right-censored durations, by profiling out the scale.

    Fast and deterministic (one bounded 1-d search over log shape); used for the bootstrap.
    `weibull_fit` checks it against `scipy.stats.weibull_min.fit`.
    """
    from scipy.optimize import minimize_scalar

    days = np.asarray(days, dtype=np.float64)
    event = np.asarray(event, dtype=bool)
    if not event.any():
        raise ValueError("a Weibull fit needs at least one observed breakdown")
    # Rescale so that t^k stays finite for any shape in the search interval.
    unit = float(np.exp(np.mean(np.log(days))))
    scaled = days / unit
    found = minimize_scalar(
        lambda s: -_weibull_profile_loglik(s, scaled, event),
        bounds=(math.log(0.02), math.log(50.0)),
        method="bounded",
        options={"xatol": 1e-10},
    )
    k = math.exp(found.x)
    scale = unit * (float((scaled**k).sum() / event.sum())) ** (1.0 / k)
    return k, scale


def weibull_loglik(days: ArrayLike, event: ArrayLike, shape: float, scale: float) -> float:
    """Log-likelihood of right-censored durations under a Weibull(shape, scale)."""
    days = np.asarray(days, dtype=np.float64)
    event = np.asarray(event, dtype=bool)
    z = days / scale
    log_density = math.log(shape / scale) + (shape - 1.0) * np.log(z[event]) - z[event] ** shape
    return float(log_density.sum() - (z[~event] ** shape).sum())


def weibull_fit(days: ArrayLike, event: ArrayLike) -> tuple[float, float]:
    """Weibull (shape, scale) by `scipy.stats.weibull_min.fit` on CensoredData with floc=0.

    Started from the profile-likelihood estimate; whichever of the two has the higher
    likelihood is returned (they agree to optimiser tolerance).
    """
    from scipy.stats import weibull_min

    k0, s0 = weibull_mle(days, event)
    shape, _, scale = weibull_min.fit(_censored_data(days, event), k0, floc=0, scale=s0)
    if weibull_loglik(days, event, shape, scale) >= weibull_loglik(days, event, k0, s0):
        return float(shape), float(scale)
    return k0, s0


def weibull_survival(days: ArrayLike, shape: float, scale: float) -> np.ndarray:
    """S(t) = exp(-(t/scale)^shape)."""
    return np.exp(-((np.asarray(days, dtype=np.float64) / scale) ** shape))


def weibull_weekly_hazard(weeks: ArrayLike, shape: float, scale: float) -> np.ndarray:
    """P(breakdown in week w | in force at the start of week w) = 1 - S(7w)/S(7(w-1)), weeks counted from 1."""
    w = np.asarray(weeks, dtype=np.float64)
    if np.any(w < 1):
        raise ValueError("weeks are counted from 1")
    a = (DAYS_PER_WEEK * (w - 1.0) / scale) ** shape
    b = (DAYS_PER_WEEK * w / scale) ** shape
    return -np.expm1(-(b - a))


def weibull_median(shape: float, scale: float) -> float:
    """Median duration in days: scale * (ln 2)^(1/shape)."""
    return float(scale * math.log(2.0) ** (1.0 / shape))


def exponential_fit(days: ArrayLike, event: ArrayLike, confidence: float = CONFIDENCE) -> dict[str, Any]:
    """Constant-hazard model: rate = events / total days at risk, with a chi-square interval.

    The interval [chi2(a/2; 2d) / 2T, chi2(1 - a/2; 2d + 2) / 2T] is exact for a Poisson
    count of d events in exposure T and a close approximation under right censoring.
    """
    from scipy.stats import chi2

    days = np.asarray(days, dtype=np.float64)
    event = np.asarray(event, dtype=bool)
    d = int(event.sum())
    exposure = float(days.sum())
    rate = d / exposure
    alpha = 1.0 - confidence
    low = chi2.ppf(alpha / 2.0, 2 * d) / (2.0 * exposure) if d > 0 else 0.0
    high = chi2.ppf(1.0 - alpha / 2.0, 2 * d + 2) / (2.0 * exposure)
    loglik = d * math.log(rate) - rate * exposure if d > 0 else 0.0
    weekly = -math.expm1(-rate * DAYS_PER_WEEK)
    return {
        "rate_per_day": rate,
        "rate_ci": [float(low), float(high)],
        "weekly_hazard": weekly,
        "weekly_hazard_ci": [-math.expm1(-low * DAYS_PER_WEEK), -math.expm1(-high * DAYS_PER_WEEK)],
        "mean_days": 1.0 / rate if d > 0 else math.inf,
        "loglik": loglik,
        "aic": 2.0 * 1 - 2.0 * loglik,
    }


def _derived(shape: float, scale: float) -> np.ndarray:
    """The quantities given intervals, in a fixed order: median, S at checkpoints, hazards at weeks."""
    return np.concatenate(
        (
            [weibull_median(shape, scale)],
            weibull_survival(CHECKPOINT_DAYS, shape, scale),
            weibull_weekly_hazard(HAZARD_WEEKS, shape, scale),
        )
    )


def bootstrap_weibull(
    days: ArrayLike, event: ArrayLike, censor_limit: ArrayLike, shape: float, scale: float, replicates: int, seed: int
) -> tuple[np.ndarray, int]:
    """Parametric bootstrap: (replicates x [shape, scale, derived...]) and the number of samples skipped.

    Each replicate redraws every truce's duration from Weibull(shape, scale), censors it at
    that truce's `censor_limit` (its fixed term, or the cut-off) and refits by maximum
    likelihood. A replicate with no breakdown cannot be fitted and is skipped.
    """
    rng = np.random.default_rng(seed)
    limit = np.asarray(censor_limit, dtype=np.float64)
    rows = []
    skipped = 0
    for _ in range(replicates):
        draw = scale * rng.weibull(shape, size=limit.size)
        observed = np.minimum(draw, limit)
        broke = draw <= limit
        if not broke.any():
            skipped += 1
            continue
        k, s = weibull_mle(np.maximum(observed, 1e-9), broke)
        rows.append(np.concatenate(([k, s], _derived(k, s))))
    return np.array(rows), skipped


def _interval(samples: np.ndarray, confidence: float) -> list[float]:
    alpha = 1.0 - confidence
    low, high = np.quantile(samples, [alpha / 2.0, 1.0 - alpha / 2.0])
    return [float(low), float(high)]


def fit_type(
    truces: list[Truce],
    truce_type: str,
    replicates: int = BOOTSTRAP_REPLICATES,
    seed: int = BOOTSTRAP_SEED,
    confidence: float = CONFIDENCE,
) -> dict[str, Any]:
    """Kaplan-Meier, Weibull (with bootstrap intervals) and exponential fits for one truce type, as a JSON-ready dict."""
    days, event, limit = durations_of(truces, truce_type)
    if days.size == 0 or not event.any():
        raise ValueError(f"no observed breakdowns of type {truce_type!r} to fit")
    shape, scale = weibull_fit(days, event)
    boot, skipped = bootstrap_weibull(days, event, limit, shape, scale, replicates, seed)
    point = _derived(shape, scale)
    n_check = len(CHECKPOINT_DAYS)
    loglik = weibull_loglik(days, event, shape, scale)
    weekly = {}
    for j, week in enumerate(HAZARD_WEEKS):
        col = 3 + n_check + j
        weekly[str(week)] = {"estimate": float(point[1 + n_check + j]), "ci": _interval(boot[:, col], confidence)}
    survival = {}
    for j, day in enumerate(CHECKPOINT_DAYS):
        survival[str(day)] = {"estimate": float(point[1 + j]), "ci": _interval(boot[:, 3 + j], confidence)}
    return {
        "n": int(days.size),
        "events": int(event.sum()),
        "censored": int((~event).sum()),
        "ids": [t.id for t in truces if t.type == truce_type],
        "kaplan_meier": kaplan_meier(days, event, confidence),
        "weibull": {
            "shape": shape,
            "shape_ci": _interval(boot[:, 0], confidence),
            "scale_days": scale,
            "scale_ci": _interval(boot[:, 1], confidence),
            "loglik": loglik,
            "aic": 2.0 * 2 - 2.0 * loglik,
        },
        "exponential": exponential_fit(days, event, confidence),
        "median_days": {"estimate": float(point[0]), "ci": _interval(boot[:, 2], confidence)},
        "survival": survival,
        "weekly_hazard": weekly,
        "weekly_hazard_curve": weibull_weekly_hazard(np.arange(1, HAZARD_CURVE_WEEKS + 1), shape, scale).tolist(),
        "bootstrap_skipped": skipped,
    }


def _round(value: Any, digits: int = 6) -> Any:
    """Round floats to `digits` significant digits, recursively, so the JSON is stable and readable."""
    if isinstance(value, float):
        if not math.isfinite(value) or value == 0.0:
            return value
        return float(f"{value:.{digits}g}")
    if isinstance(value, dict):
        return {k: _round(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v, digits) for v in value]
    return value


def fit_all(
    path: Path | str = TRUCES_CSV,
    replicates: int = BOOTSTRAP_REPLICATES,
    seed: int = BOOTSTRAP_SEED,
) -> dict[str, Any]:
    """Fit every truce type in the CSV; the dict written to data/truce_hazards.json (floats to 6 significant digits)."""
    path = Path(path)
    truces = load_truces(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    types = {}
    for k, truce_type in enumerate(TRUCE_TYPES):
        # One seed per type, so adding rows of one type leaves the other's intervals unchanged.
        types[truce_type] = fit_type(truces, truce_type, replicates, seed + k)
    meta = {
        "data": "data/truces.csv",
        "data_sha256": digest,
        "cutoff": CUTOFF.isoformat(),
        "baseline_date": BASELINE_DATE.isoformat(),
        "confidence": CONFIDENCE,
        "time_unit": "days",
        "checkpoint_days": list(CHECKPOINT_DAYS),
        "hazard_weeks": list(HAZARD_WEEKS),
        "weekly_hazard": "P(breakdown in week w | in force at the start of week w) = 1 - S(7w)/S(7(w-1))",
        "kaplan_meier_band": "pointwise, Greenwood variance on the log(-log S) scale",
        "weibull_intervals": (
            "parametric bootstrap: durations redrawn from the fitted Weibull, censored at each "
            "truce's fixed term or the cut-off, refitted by maximum likelihood; percentile intervals"
        ),
        "bootstrap_replicates": replicates,
        "bootstrap_seed": seed,
        "generated_by": "scripts/fit_truces.py",
    }
    rounded: dict[str, Any] = _round({"meta": meta, "types": types})
    return rounded


# --- reading the fitted hazards ----------------------------------------------------------


def load_hazards(path: Path | str = HAZARDS_JSON) -> dict[str, Any]:
    """Read data/truce_hazards.json: {"meta": {...}, "types": {"partial": {...}, "ceasefire": {...}}}."""
    with open(path, encoding="utf-8") as handle:
        hazards: dict[str, Any] = json.load(handle)
    return hazards


def _type_fit(fit: dict[str, Any], truce_type: str) -> dict[str, Any]:
    if "types" in fit:
        if truce_type not in fit["types"]:
            raise ValueError(f"no fit for truce type {truce_type!r}; have {sorted(fit['types'])}")
        one: dict[str, Any] = fit["types"][truce_type]
        return one
    return fit


def weekly_hazard(hazards: dict[str, Any], truce_type: str, weeks: ArrayLike) -> np.ndarray:
    """Fitted Weibull weekly breakdown hazard of a truce of `truce_type` in its week(s) `weeks` (1 = first week)."""
    fit = _type_fit(hazards, truce_type)["weibull"]
    return weibull_weekly_hazard(weeks, fit["shape"], fit["scale_days"])


def constant_weekly_hazard(hazards: dict[str, Any], truce_type: str) -> float:
    """Fitted exponential (constant) weekly breakdown hazard of a truce of `truce_type`: 1 - exp(-7 * rate)."""
    return float(_type_fit(hazards, truce_type)["exponential"]["weekly_hazard"])


# --- the check of simulated durations -----------------------------------------------------


@dataclass(frozen=True)
class CheckpointResult:
    """Simulated against fitted survival at one day: `inside` is None when the simulation cannot say (beyond its horizon)."""

    day: int
    simulated: float
    simulated_low: float
    simulated_high: float
    fitted: float
    fitted_low: float
    fitted_high: float
    inside: bool | None


@dataclass(frozen=True)
class DurationCheck:
    """Outcome of `durations_within_fit`: `consistent` is the verdict, the rest says why."""

    truce_type: str
    consistent: bool
    n: int
    breakdowns: int
    checkpoints: tuple[CheckpointResult, ...]
    simulated_median_days: float | None
    fitted_median_days: float
    fitted_median_ci: tuple[float, float]
    reason: str

    def table(self) -> str:
        """A few lines for a terminal: one per checkpoint."""
        lines = [f"{self.truce_type}: {'consistent' if self.consistent else 'NOT consistent'} ({self.reason})"]
        for c in self.checkpoints:
            verdict = {True: "inside", False: "OUTSIDE", None: "not checked"}[c.inside]
            lines.append(
                f"  day {c.day:>4}: simulated S {c.simulated:.3f} [{c.simulated_low:.3f}, {c.simulated_high:.3f}]"
                f"  fitted {c.fitted:.3f} [{c.fitted_low:.3f}, {c.fitted_high:.3f}]  {verdict}"
            )
        return "\n".join(lines)


def durations_within_fit(
    simulated_days: np.ndarray, censored: np.ndarray, truce_type: str, fit: dict[str, Any], confidence: float = CONFIDENCE
) -> DurationCheck:
    """Are simulated truce durations consistent with the reference-class fit for `truce_type`?

    `simulated_days`: each simulated truce's duration in days (weeks x 7 for the weekly
    model); `censored`: True where the truce was still in force at the horizon (its duration
    is then the time it was observed). `fit` is `load_hazards()` or one type's entry of it.

    Rule: at each checkpoint (days 7, 28, 91, 364) the Kaplan-Meier estimate of the
    simulated durations, with its own 95% log-log band, must overlap the fitted Weibull's
    95% bootstrap band of S(day). A checkpoint beyond the last simulated observation is not
    checked. Consistent iff at least one checkpoint is checked and none is outside. The band
    overlap makes the check fair to small simulations; with many replications it reduces to
    "the simulated survival lies inside the fitted band". The simulated median is reported
    beside the fitted median and its interval but is not part of the verdict: with a
    one-year horizon most simulated ceasefires are censored before their median.
    """
    from scipy.stats import ecdf

    days = np.asarray(simulated_days, dtype=np.float64).ravel()
    cens = np.asarray(censored, dtype=bool).ravel()
    if days.shape != cens.shape:
        raise ValueError(f"simulated_days and censored differ in shape: {days.shape} vs {cens.shape}")
    if days.size == 0:
        raise ValueError("no simulated durations to check")
    if np.any(~np.isfinite(days)) or np.any(days < 0):
        raise ValueError("simulated durations must be finite and non-negative")
    type_fit = _type_fit(fit, truce_type)
    events = ~cens
    checks: list[CheckpointResult] = []
    horizon = float(days.max())
    if events.any():
        result = ecdf(_censored_data(np.maximum(days, 1e-9), events))
        band = _sf_band(result, confidence)
    for day in CHECKPOINT_DAYS:
        fitted = type_fit["survival"][str(day)]
        f_low, f_high = fitted["ci"]
        if events.any():
            s = float(result.sf.evaluate(day))
            lo = float(np.nan_to_num(band.low.evaluate(day), nan=0.0))
            hi = float(np.nan_to_num(band.high.evaluate(day), nan=1.0))
            if s == 1.0:
                # No simulated breakdown yet: the log-log band is degenerate; use the
                # exact one-sided bound for zero events among those at risk.
                at_risk = int((days >= min(day, horizon)).sum())
                lo = (1.0 - confidence) ** (1.0 / max(at_risk, 1)) if at_risk else 0.0
        else:
            s, hi = 1.0, 1.0
            lo = (1.0 - confidence) ** (1.0 / days.size)
        if day > horizon:
            inside = None
        else:
            inside = bool(hi >= f_low and lo <= f_high)
        checks.append(CheckpointResult(day, s, lo, hi, float(fitted["estimate"]), f_low, f_high, inside))
    checked = [c for c in checks if c.inside is not None]
    outside = [c.day for c in checked if not c.inside]
    if not checked:
        consistent, reason = False, f"no checkpoint within the simulated horizon ({horizon:g} days)"
    elif outside:
        consistent, reason = False, f"simulated survival outside the fitted band at day(s) {outside}"
    else:
        consistent, reason = True, f"inside the fitted band at day(s) {[c.day for c in checked]}"
    median = None
    if events.any():
        below = result.sf.probabilities <= 0.5
        if below.any():
            median = float(result.sf.quantiles[np.argmax(below)])
    med = type_fit["median_days"]
    return DurationCheck(
        truce_type=truce_type,
        consistent=consistent,
        n=int(days.size),
        breakdowns=int(events.sum()),
        checkpoints=tuple(checks),
        simulated_median_days=median,
        fitted_median_days=float(med["estimate"]),
        fitted_median_ci=(float(med["ci"][0]), float(med["ci"][1])),
        reason=reason,
    )
