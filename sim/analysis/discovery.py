"""Scenario discovery over a finished result folder: PRIM boxes, CART boxes and feature scores.

Which conditions (parameter values) make an outcome likely? Each replication is a case:
its parameters are the varied parameters of its sweep variant (`variants.parquet`) and the
parameters drawn for it (`param__*` columns of `runs.parquet`); its outcome is an
expression on result columns (`sim.analysis.outcome_expr`), true for the cases of interest.

The algorithms are the EMA Workbench's (Kwakkel 2017, Environmental Modelling & Software
96, 239-250; `ema_workbench.analysis`), used as a library:

- PRIM, the patient rule induction method (Friedman & Fisher 1999, Statistics and
  Computing 9, 123-143), as adapted to scenario discovery by Bryant & Lempert (2010,
  Technological Forecasting & Social Change 77, 34-49): boxes peeled `peel_alpha` of the
  cases at a time down to `mass_min`, then pasted back; the peeling trajectory of
  coverage (share of all cases of interest inside the box) against density (share of the
  box's cases that are of interest) with the number of restricted dimensions; each
  restricted limit's quasi-p-value (a one-sided binomial test of the box against the box
  without that limit, Bryant & Lempert 2010).
- CART (Breiman et al. 1984) via the workbench's wrapper of scikit-learn's decision
  tree: one box per leaf.
- Feature scores: impurity importances of an extremely randomised trees forest (Geurts,
  Ernst & Wehenkel 2006), via the workbench's `get_ex_feature_scores`.

Default box: the one of the trajectory (or the CART leaf) with the largest harmonic mean of
its coverage and its lift over the base rate (density rescaled so that the base rate is 0
and 1 is 1), ties to fewer restricted dimensions (`default_box`); `box=` picks another.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.analysis.columns import current_name, is_drawn, with_current_names
from sim.analysis.outcome_expr import OutcomeExpressionError, column_values, labels_of, parse_outcome
from sim.errors import did_you_mean
from sim.names import DISCOVERY_METHODS

if TYPE_CHECKING:
    import pandas as pd

METHODS = DISCOVERY_METHODS
DEFAULT_MAX_CASES = 100_000
SAMPLE_SEED = 20250311
_NOT_PARAMETERS = ("variant", "seed", "scenario_hash", "overrides")


class DiscoveryError(ValueError):
    """Input that scenario discovery cannot work with; `field` names the option, the message says what was expected."""

    def __init__(self, field: str | None, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(message)


@dataclass
class Cases:
    """The cases of a result folder: parameter columns (x) and every column an outcome can name."""

    folder: Path
    kind: str  # "sweep" or "run"
    x: Any  # pandas.DataFrame, one column per parameter (float, or category for labels and yes/no)
    columns: dict[str, np.ndarray]  # result and parameter columns, one entry per case
    kinds: dict[str, str]  # column -> "number" | "label" | "bool"
    labels: dict[str, tuple[str, ...]]
    total: int  # cases in the folder (before any sampling)
    dropped: list[str] = field(default_factory=list)  # parameter columns left out (constant, or missing in some cases)


def load_cases(folder: Path, max_cases: int | None = DEFAULT_MAX_CASES, seed: int = SAMPLE_SEED, drawn: bool = True) -> Cases:
    """Read runs.parquet (and a sweep's variants.parquet) of `folder` into cases.

    Parameters: a sweep's varied parameters, and (with `drawn`) the `param__*` columns drawn per replication.
    Older folders' dotted column names are read as today's (`sim.analysis.columns`).

    More than `max_cases` replications are subsampled (without replacement, fixed seed), so
    that PRIM stays fast; `Cases.total` keeps the full count.
    """
    import pandas as pd

    folder = Path(folder)
    runs_path = folder / "runs.parquet"
    if not folder.is_dir():
        raise DiscoveryError(str(folder), "expected a result folder (results/<name>/<run id>/), not found")
    if not runs_path.exists():
        raise DiscoveryError(str(folder), "expected a finished result folder holding runs.parquet (a sweep still running has none)")
    try:
        runs = with_current_names(pq.read_table(runs_path))
    except Exception as exc:
        raise DiscoveryError(str(runs_path), f"expected a readable Parquet file: {exc}") from None
    total = runs.num_rows
    if total == 0:
        raise DiscoveryError(str(runs_path), "expected replications, got none")
    rows = np.arange(total)
    if max_cases is not None and total > max_cases:
        rows = np.sort(np.random.default_rng(seed).choice(total, size=max_cases, replace=False))
        runs = runs.take(pa.array(rows))
    columns: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    for name in runs.column_names:
        columns[name], kinds[name] = column_values(runs.column(name))

    parameters: list[str] = [n for n in runs.column_names if is_drawn(n)] if drawn else []
    kind = "run"
    variants_path = folder / "variants.parquet"
    if variants_path.exists() and "variant" in runs.column_names:
        kind = "sweep"
        variants = with_current_names(pq.read_table(variants_path))
        index = {int(v): i for i, v in enumerate(variants.column("variant").to_pylist())}
        try:
            take = np.array([index[int(v)] for v in columns["variant"]], dtype=np.int64)
        except KeyError as exc:
            raise DiscoveryError(str(variants_path), f"expected every variant of runs.parquet, variant {exc.args[0]} is missing") from None
        varied = [n for n in variants.column_names if n not in _NOT_PARAMETERS]
        for name in varied:
            values, k = column_values(variants.column(name))
            columns[name], kinds[name] = values[take], k
        parameters = varied + parameters

    x: dict[str, Any] = {}
    dropped = []
    for name in parameters:
        values, k = columns[name], kinds[name]
        if k == "number":
            if np.isnan(values).any() or np.ptp(values) == 0:
                dropped.append(name)
                continue
            x[name] = values.astype(float)
        elif k in ("bool", "label"):
            if any(v is None for v in values.tolist()) or len(set(values.tolist())) < 2:
                dropped.append(name)
                continue
            x[name] = pd.Categorical([("yes" if v else "no") if k == "bool" else str(v) for v in values.tolist()])
        else:
            dropped.append(name)
    if not x:
        what = "parameters that vary" if parameters else "parameters"
        raise DiscoveryError(
            str(folder),
            f"expected {what}: a sweep (variants.parquet) or a run whose runs.parquet has drawn "
            "param__* columns (a scenario with distributions); found " + ("only constant ones" if parameters else "none"),
        )
    return Cases(folder, kind, pd.DataFrame(x), columns, kinds, labels_of(columns, kinds), total, dropped)


def outcome_of(cases: Cases, expression: str) -> tuple[np.ndarray, Any]:
    """The cases of interest (bool per case) and the checked expression; DiscoveryError for bad or empty selections."""
    try:
        expr = parse_outcome(expression, list(cases.columns), cases.labels, cases.kinds)
    except OutcomeExpressionError as exc:
        raise DiscoveryError("--outcome", str(exc)) from None
    y = expr.evaluate(cases.columns)
    k = int(y.sum())
    if k == 0:
        raise DiscoveryError("--outcome", f"expected some cases of interest, no case of {y.size} satisfies {expression!r}")
    if k == y.size:
        raise DiscoveryError("--outcome", f"expected some cases outside the outcome, all {y.size} cases satisfy {expression!r}")
    return y, expr


# ---------------------------------------------------------------------- results
@dataclass
class Limit:
    """A box's limit on one dimension; `categories` for labels, `low`/`high` for numbers."""

    dimension: str
    restricted: bool
    low: float | None = None
    high: float | None = None
    categories: list[str] | None = None
    range_low: float | None = None
    range_high: float | None = None
    qp_low: float | None = None
    qp_high: float | None = None

    def describe(self) -> str:
        if self.categories is not None:
            return "in {" + ", ".join(self.categories) + "}"
        return f"{_num(self.low)} to {_num(self.high)}"

    def interval(self) -> tuple[float, float, float, float]:
        """(low, high, range_low, range_high) of a numeric limit."""
        if self.low is None or self.high is None or self.range_low is None or self.range_high is None:
            raise ValueError(f"expected a numeric limit on {self.dimension}, got {self.describe()}")
        return self.low, self.high, self.range_low, self.range_high


@dataclass
class Box:
    index: int
    coverage: float
    density: float
    mass: float
    n: int
    k: int
    res_dim: int
    limits: list[Limit]  # restricted dimensions first (most significant first), then the rest

    @property
    def restricted(self) -> list[Limit]:
        return [lim for lim in self.limits if lim.restricted]


@dataclass
class Discovery:
    """What `discover` found: the method, the outcome, the cases, the boxes (PRIM, CART) or scores."""

    method: str
    outcome: str
    folder: str
    kind: str
    cases: int
    cases_total: int
    of_interest: int
    dimensions: list[str]
    dropped: list[str]
    boxes: list[Box] = field(default_factory=list)  # PRIM: the peeling trajectory; CART: the leaves
    selected: int | None = None
    scores: list[tuple[str, float]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def base_rate(self) -> float:
        return self.of_interest / self.cases

    @property
    def box(self) -> Box | None:
        return None if self.selected is None else self.boxes[self.selected]

    def to_json(self) -> dict[str, Any]:
        box = self.box
        return {
            "method": self.method,
            "outcome": self.outcome,
            "folder": self.folder,
            "kind": self.kind,
            "cases": self.cases,
            "cases_total": self.cases_total,
            "cases_of_interest": self.of_interest,
            "base_rate": self.base_rate,
            "dimensions": self.dimensions,
            "dropped": self.dropped,
            "settings": self.settings,
            "selected_box": None
            if box is None
            else {
                "index": box.index,
                "coverage": box.coverage,
                "density": box.density,
                "mass": box.mass,
                "n": box.n,
                "k": box.k,
                "restricted_dimensions": box.res_dim,
                "limits": [_clean(lim.__dict__) for lim in box.limits],
            },
            "trajectory" if self.method == "prim" else "boxes": [
                {"index": b.index, "coverage": b.coverage, "density": b.density, "mass": b.mass, "n": b.n, "k": b.k, "restricted_dimensions": b.res_dim}
                for b in self.boxes
            ],
            "scores": [{"dimension": d, "score": s} for d, s in self.scores],
        }

    def to_table(self) -> pa.Table:
        """discovery.parquet: PRIM/CART one row per box (stats, then `low__<dim>`/`high__<dim>` or `in__<dim>`); scores one row per dimension."""
        if self.method == "scores":
            return pa.table(
                {
                    "dimension": pa.array([d for d, _ in self.scores], pa.string()),
                    "score": pa.array([s for _, s in self.scores], pa.float64()),
                    "rank": pa.array(list(range(1, len(self.scores) + 1)), pa.int32()),
                }
            )
        cols: dict[str, pa.Array] = {
            "box": pa.array([b.index for b in self.boxes], pa.int32()),
            "selected": pa.array([b.index == self.selected for b in self.boxes], pa.bool_()),
            "coverage": pa.array([b.coverage for b in self.boxes], pa.float64()),
            "density": pa.array([b.density for b in self.boxes], pa.float64()),
            "mass": pa.array([b.mass for b in self.boxes], pa.float64()),
            "n": pa.array([b.n for b in self.boxes], pa.int64()),
            "k": pa.array([b.k for b in self.boxes], pa.int64()),
            "restricted_dimensions": pa.array([b.res_dim for b in self.boxes], pa.int32()),
        }
        for d in self.dimensions:
            lims = [next(lim for lim in b.limits if lim.dimension == d) for b in self.boxes]
            if lims and lims[0].categories is not None:
                cols[f"in__{d}"] = pa.array([", ".join(lim.categories or []) for lim in lims], pa.string())
            else:
                cols[f"low__{d}"] = pa.array([lim.low for lim in lims], pa.float64())
                cols[f"high__{d}"] = pa.array([lim.high for lim in lims], pa.float64())
        return pa.table(cols)


def _num(v: float | None) -> str:
    return "—" if v is None else f"{v:.4g}"


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


# ---------------------------------------------------------------------- the algorithms
def _quiet() -> warnings.catch_warnings[None]:
    """The workbench warns at import (optional parallel back ends) and logs progress; keep the terminal clean."""
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("ignore")
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return ctx


def _ema() -> tuple[Any, Any, Any, Any]:
    ctx = _quiet()
    try:
        from ema_workbench.analysis import cart, feature_scoring, prim
        from ema_workbench.analysis import scenario_discovery_util as sdutil
    finally:
        ctx.__exit__(None, None, None)
    return prim, cart, feature_scoring, sdutil


def _limits(box_lim: pd.DataFrame, box_init: pd.DataFrame, restricted: list[str], qp: dict[str, Any], x: pd.DataFrame) -> list[Limit]:
    out = []
    order = list(restricted) + [d for d in x.columns if d not in restricted]
    for d in order:
        lo, hi = box_lim.loc[0, d], box_lim.loc[1, d]
        q = qp.get(d, [None, None])
        qlo, qhi = (None if v is None or v < 0 else float(v) for v in q)
        if isinstance(lo, (set, frozenset)):
            out.append(Limit(d, d in restricted, categories=sorted(str(c) for c in lo), qp_low=qlo, qp_high=qhi))
        else:
            out.append(
                Limit(
                    d, d in restricted, float(lo), float(hi), range_low=float(box_init.loc[0, d]), range_high=float(box_init.loc[1, d]), qp_low=qlo, qp_high=qhi
                )
            )
    return out


def default_box(boxes: list[Box], base_rate: float) -> int:
    """The box with the best balance of coverage and lift: the largest harmonic mean of its coverage and its density
    rescaled so that the base rate is 0 and 1 is 1 ((density - base) / (1 - base)).

    Rescaling keeps the whole space (density = base rate, coverage 1) from winning when the outcome is common;
    ties go to fewer restricted dimensions, then to the earlier box.
    """

    def score(b: Box) -> float:
        lift = (b.density - base_rate) / (1 - base_rate) if base_rate < 1 else 0.0
        if lift <= 0 or b.coverage <= 0:
            return 0.0
        return 2 * b.coverage * lift / (b.coverage + lift)

    return max(range(len(boxes)), key=lambda i: (round(score(boxes[i]), 12), -boxes[i].res_dim, -i))


def prim_discovery(
    x: pd.DataFrame, y: np.ndarray, peel_alpha: float = 0.05, paste_alpha: float = 0.05, mass_min: float = 0.05, box: int | None = None
) -> tuple[list[Box], int]:
    """PRIM with peeling and pasting (EMA Workbench): the trajectory's boxes and the selected index, with qp-values of the selected one."""
    prim, _, _, sdutil = _ema()
    ctx = _quiet()
    try:
        # The workbench's threshold does two things: cases with y >= threshold are the cases of interest, and a
        # final box whose density is under it is replaced by the whole space. A threshold just above 0 counts
        # y == 1 and keeps every trajectory; the box is chosen from the trajectory afterwards.
        p = prim.Prim(x, y.astype(int), threshold=1e-9, peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min)
        found = p.find_box()
        traj = found.peeling_trajectory
        boxes = []
        for i in range(len(traj)):
            row = traj.iloc[i]
            lim = found.box_lims[i]
            restricted = list(sdutil._determine_restricted_dims(lim, p.box_init))
            boxes.append(
                Box(
                    i,
                    float(row["coverage"]),
                    float(row["density"]),
                    float(row["mass"]),
                    int(row["n"]),
                    int(row["k"]),
                    int(row["res_dim"]),
                    _limits(lim, p.box_init, restricted, {}, x),
                )
            )
        selected = default_box(boxes, float(y.mean())) if box is None else _check_box(box, len(boxes))
        lim = found.box_lims[selected]
        restricted = list(sdutil._determine_restricted_dims(lim, p.box_init))
        qp = found._calculate_quasi_p(selected, restricted) if restricted else {}
        limits = _limits(lim, p.box_init, restricted, qp, x)
        # Most significant restriction first (the smaller of its two quasi-p-values), as the workbench lists them.
        limits.sort(key=lambda L: (not L.restricted, min([q for q in (L.qp_low, L.qp_high) if q is not None], default=1.0)))
        boxes[selected].limits = limits
    finally:
        ctx.__exit__(None, None, None)
    return boxes, selected


def cart_discovery(x: pd.DataFrame, y: np.ndarray, mass_min: float = 0.05, box: int | None = None) -> tuple[list[Box], int]:
    """CART leaves (EMA Workbench's wrapper of scikit-learn's tree) as boxes, and the selected one."""
    _, cart, _, sdutil = _ema()
    ctx = _quiet()
    try:
        c = cart.CART(x, y.astype(int), mass_min=mass_min)
        c.build_tree()
        init = sdutil._make_box(x)
        boxes = []
        n_all = len(y)
        for i, (lim, stats) in enumerate(zip(c.boxes, c.stats)):
            restricted = list(sdutil._determine_restricted_dims(lim, init))
            inside = np.asarray(sdutil._in_box(x, lim), dtype=bool)
            n = int(inside.sum())
            k = int(y[inside].sum())
            boxes.append(Box(i, float(stats["coverage"]), float(stats["density"]), n / n_all, n, k, len(restricted), _limits(lim, init, restricted, {}, x)))
    finally:
        ctx.__exit__(None, None, None)
    selected = default_box(boxes, float(y.mean())) if box is None else _check_box(box, len(boxes))
    return boxes, selected


def feature_scores(x: pd.DataFrame, y: np.ndarray, seed: int = SAMPLE_SEED, trees: int = 100) -> list[tuple[str, float]]:
    """Extra-trees impurity importances (EMA Workbench's `get_ex_feature_scores`), highest first."""
    _, _, fs, _ = _ema()
    coded = x.copy()
    for name in coded.columns:
        if str(coded[name].dtype) == "category":
            coded[name] = coded[name].cat.codes.astype(float)
    ctx = _quiet()
    try:
        scores, _forest = fs.get_ex_feature_scores(coded, y.astype(int), nr_trees=trees, random_state=seed % 2**32)
    finally:
        ctx.__exit__(None, None, None)
    series = scores.iloc[:, 0]
    return sorted(((str(k), float(v)) for k, v in series.items()), key=lambda kv: (-kv[1], kv[0]))


def _check_box(box: int, count: int) -> int:
    if not 0 <= box < count:
        raise DiscoveryError("--box", f"expected a box index from 0 to {count - 1}, got {box}")
    return box


def discover(
    folder: Path,
    outcome: str,
    method: str = "prim",
    box: int | None = None,
    max_cases: int | None = DEFAULT_MAX_CASES,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    dimensions: list[str] | None = None,
    drawn: bool = True,
) -> tuple[Discovery, Cases, np.ndarray]:
    """Scenario discovery on a result folder; DiscoveryError (one line) for bad input."""
    if method not in METHODS:
        raise DiscoveryError("--method", f"expected one of {', '.join(METHODS)}, got {method!r}" + did_you_mean(method, METHODS, listing=None))
    cases = load_cases(folder, max_cases, drawn=drawn)
    if dimensions:
        dimensions = [current_name(d) for d in dimensions]  # a dotted path names its column too
        unknown = [d for d in dimensions if d not in cases.x.columns]
        if unknown:
            raise DiscoveryError("--dimension", f"unknown parameter {unknown[0]!r}" + did_you_mean(unknown[0], cases.x.columns))
        cases.x = cases.x[list(dimensions)]
    y, _ = outcome_of(cases, outcome)
    result = Discovery(
        method,
        outcome,
        str(folder),
        cases.kind,
        int(y.size),
        cases.total,
        int(y.sum()),
        list(cases.x.columns),
        cases.dropped,
        settings={
            "peel_alpha": peel_alpha,
            "paste_alpha": paste_alpha,
            "mass_min": mass_min,
            "max_cases": max_cases,
            "sample_seed": SAMPLE_SEED,
            "drawn": drawn,
        },
    )
    if method == "prim":
        result.boxes, result.selected = prim_discovery(cases.x, y, peel_alpha, paste_alpha, mass_min, box)
    elif method == "cart":
        result.boxes, result.selected = cart_discovery(cases.x, y, mass_min, box)
    else:
        if box is not None:
            raise DiscoveryError("--box", "expected no --box with --method scores (scores rank dimensions, they have no boxes)")
        result.scores = feature_scores(cases.x, y)
    return result, cases, y
