"""PNG plots of an experiment's results, deterministic byte for byte for the same inputs.

Figures are built with `matplotlib.figure.Figure` on the Agg canvas (no pyplot, so no
global figure state), under matplotlib's default style so a user's matplotlibrc does not
change them, and saved without the software-version metadata that would change the bytes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib.style
import numpy as np
import pyarrow as pa
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.analysis.aggregate import AGREEMENT_TYPES, STATUSES, Aggregates
from sim.analysis.survival import survival_from_aggregates
from sim.analysis.tables import label

PLOT_FILES: tuple[str, ...] = (
    "outcome_shares.png",
    "time_to_agreement.png",
    "weekly_status.png",
    "front_fan.png",
)
"""File names written by `write_plots`, in order."""

STATUS_COLOURS = {
    "war": "#b2182b",
    "partial_truce": "#f4a582",
    "ceasefire": "#92c5de",
    "settlement": "#2166ac",
}
AGREEMENT_COLOURS = {"none": "#999999", **{k: v for k, v in STATUS_COLOURS.items() if k != "war"}}

FRONT_AXIS_LABEL = "Front line on the territory scale\n(0 = pre-2014 borders, 0.5 = front frozen at 11 Mar 2025 line,\n1 = four claimed oblasts ceded)"
DPI = 100
# PNG text chunks: drop "Software" (the matplotlib version) so bytes depend on the inputs only.
PNG_METADATA = {"Software": None}


def _new_figure(width: float = 7.0, height: float = 4.5) -> Figure:
    """A figure attached to its own Agg canvas, outside pyplot's figure manager."""
    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Figure, path: Path) -> Path:
    """Save a figure as PNG without version metadata."""
    figure.savefig(path, format="png", dpi=DPI, metadata=PNG_METADATA)
    return path


def _bars_with_whiskers(ax: Axes, entries: dict[str, Any], names: Sequence[str], colours: dict[str, str], title: str) -> None:
    """Bar chart of shares (percent) with Wilson-interval whiskers."""
    shares = np.array([np.nan if entries[k]["share"] is None else entries[k]["share"] for k in names])
    low = np.array([np.nan if entries[k]["low"] is None else entries[k]["low"] for k in names])
    high = np.array([np.nan if entries[k]["high"] is None else entries[k]["high"] for k in names])
    x = np.arange(len(names))
    ax.bar(x, 100 * shares, color=[colours[k] for k in names], edgecolor="black", linewidth=0.5)
    errors = 100 * np.vstack([shares - low, high - shares])
    ax.errorbar(x, 100 * shares, yerr=np.nan_to_num(errors), fmt="none", ecolor="black", capsize=4)
    ax.set_xticks(x, [label(k) for k in names], rotation=15)
    ax.set_ylim(0, 100)
    ax.set_ylabel("Share of replications (%)")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)


def plot_outcome_shares(summary: dict[str, Any], path: Path) -> Path:
    """Bars of status shares at the horizon and of first-agreement types, with 95% whiskers."""
    figure = _new_figure(10.0, 4.5)
    left, right = figure.subplots(1, 2)
    _bars_with_whiskers(left, summary["status_at_horizon"], STATUSES, STATUS_COLOURS, f"Status at the horizon (week {summary['horizon']})")
    _bars_with_whiskers(right, summary["first_agreement"], AGREEMENT_TYPES, AGREEMENT_COLOURS, "First agreement")
    confidence = round(100 * summary.get("confidence", 0.95))
    figure.suptitle(f"Outcomes, n = {summary['n']} replications ({confidence}% Wilson intervals)")
    figure.tight_layout()
    return _save(figure, path)


def plot_time_to_agreement(agg: Aggregates, path: Path) -> Path:
    """Kaplan-Meier step curve of P(no agreement yet) by week, with its Greenwood band."""
    curve = survival_from_aggregates(agg)
    figure = _new_figure()
    ax = figure.subplots()
    confidence = round(100 * curve.confidence)
    ax.fill_between(curve.weeks, curve.lower, curve.upper, step="post", alpha=0.3, color="#2166ac", label=f"{confidence}% band (Greenwood, log-log)")
    ax.step(curve.weeks, curve.survival, where="post", color="#2166ac", label="Kaplan-Meier")
    ax.set_xlim(0, agg.horizon)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Week")
    ax.set_ylabel("Share without any agreement yet")
    ax.set_title(f"Time to first agreement (censored at week {agg.horizon}), n = {agg.n}")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    figure.tight_layout()
    return _save(figure, path)


def draw_weekly_status(ax: Axes, weeks: np.ndarray, shares: np.ndarray, horizon: int | None = None, title: str = "Status by week") -> None:
    """Stacked area of the weekly share of replications in each status; `shares` has one column per status.

    Shared by the result plots and the browser app (which draws the weeks stepped so far)."""
    weeks = np.asarray(weeks)
    if len(weeks) > 1:
        ax.stackplot(weeks, *np.asarray(shares, dtype=float).T, labels=[label(s) for s in STATUSES], colors=[STATUS_COLOURS[s] for s in STATUSES], alpha=0.9)
    else:  # one week (the start): a stack of one point would draw nothing
        ax.bar([0], [1.0], color=STATUS_COLOURS["war"], width=0.8, label=label("war"))
    ax.set_xlim(0, horizon if horizon is not None else max(int(weeks.max()), 1))
    ax.set_ylim(0, 1)
    ax.set_xlabel("Week")
    ax.set_ylabel("Share of replications")
    ax.set_title(title)


def draw_front_fan(ax: Axes, weeks: np.ndarray, quantiles: np.ndarray, start: float, horizon: int | None = None, title: str = "Front line by week") -> None:
    """Fan of the front line by week: 5-95% and 25-75% bands and the median (`quantiles` columns
    q05, q25, q50, q75, q95), with the line the front started from."""
    weeks = np.asarray(weeks)
    q = np.asarray(quantiles, dtype=float)
    ax.fill_between(weeks, q[:, 0], q[:, 4], color="#8c6d31", alpha=0.25, label="5–95%")
    ax.fill_between(weeks, q[:, 1], q[:, 3], color="#8c6d31", alpha=0.45, label="25–75%")
    ax.plot(weeks, q[:, 2], color="#543005", label="median", marker="o" if len(weeks) == 1 else None)
    ax.axhline(start, color="black", linestyle="--", linewidth=0.8, label="line at the start (11 Mar 2025 = 0.5)")
    ax.set_xlim(0, horizon if horizon is not None else max(int(weeks.max()), 1))
    finite = np.concatenate([q[:, 0], q[:, 4], [start]])
    finite = finite[np.isfinite(finite)]
    low, high = finite.min(), finite.max()
    pad = max(0.02, 0.1 * (high - low))
    ax.set_ylim(max(0.0, low - pad), min(1.0, high + pad))
    ax.set_xlabel("Week")
    ax.set_ylabel(FRONT_AXIS_LABEL, fontsize="small")
    ax.set_title(title)
    ax.grid(alpha=0.3)


def plot_weekly_status(weekly: pa.Table, path: Path) -> Path:
    """Stacked area of the weekly share of replications in each status."""
    weeks = weekly.column("week").to_numpy()
    shares = np.stack([np.asarray(weekly.column(f"share_{s}").to_numpy(), dtype=float) for s in STATUSES], axis=1)
    figure = _new_figure()
    ax = figure.subplots()
    draw_weekly_status(ax, weeks, shares)
    ax.legend(loc="upper left", fontsize="small")
    figure.tight_layout()
    return _save(figure, path)


def plot_front_fan(weekly: pa.Table, path: Path) -> Path:
    """Fan chart of the front line by week: 5-95% and 25-75% bands and the median."""
    weeks = weekly.column("week").to_numpy()
    q = np.stack([np.asarray(weekly.column(f"front_{name}").to_numpy(), dtype=float) for name in ("q05", "q25", "q50", "q75", "q95")], axis=1)
    figure = _new_figure(7.5, 5.0)
    ax = figure.subplots()
    draw_front_fan(ax, weeks, q, start=0.5)
    ax.legend(loc="best", fontsize="small")
    figure.tight_layout()
    return _save(figure, path)


def write_plots(summary: dict[str, Any], weekly_table: pa.Table, agg: Aggregates, folder: Path, part: int = 0, parts: int = 1) -> list[Path]:
    """Write the experiment's PNG plots into `folder` (which must exist); return their paths.

    With `parts` > 1, only the plots whose place in `PLOT_FILES` is `part` modulo `parts`: that many processes,
    one part each, draw them all side by side (`sim.experiment.plots.draw`)."""
    folder = Path(folder)
    drawers: list[Callable[[Path], Path]] = [
        functools.partial(plot_outcome_shares, summary),
        functools.partial(plot_time_to_agreement, agg),
        functools.partial(plot_weekly_status, weekly_table),
        functools.partial(plot_front_fan, weekly_table),
    ]
    with matplotlib.style.context("default"):
        return [drawer(folder / name) for i, (drawer, name) in enumerate(zip(drawers, PLOT_FILES, strict=True)) if i % parts == part]
