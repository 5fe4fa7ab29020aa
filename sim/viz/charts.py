"""Matplotlib figures of an `EnsembleView` as it steps: weekly status shares, the front-line fan, outcome shares.

Figures are built on their own Agg canvas (no pyplot state), in the colours of the
report's plots (`sim.report.plots`), with the x axis fixed to the horizon so a chart grows
week by week instead of rescaling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.analysis.aggregate import AGREEMENT_TYPES, STATUSES
from sim.analysis.tables import label
from sim.report.plots import AGREEMENT_COLOURS, STATUS_COLOURS, draw_front_fan, draw_weekly_status

if TYPE_CHECKING:
    from sim.viz.model import EnsembleView


def _figure(width: float = 6.0, height: float = 3.6) -> Figure:
    figure = Figure(figsize=(width, height), dpi=90)
    FigureCanvasAgg(figure)
    return figure


def status_chart(view: EnsembleView) -> Figure:
    """Stacked shares of replications in each status, week 0 to the current week."""
    shares = view.status_shares()
    figure = _figure()
    ax = figure.subplots()
    draw_weekly_status(ax, np.arange(shares.shape[0]), shares, view.horizon, f"Status by week (week {view.week} of {view.horizon})")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    figure.tight_layout()
    return figure


def front_chart(view: EnsembleView) -> Figure:
    """Fan of the front line: 5–95% and 25–75% bands and the median, by week."""
    q = view.front_quantiles()
    figure = _figure()
    ax = figure.subplots()
    start = view.ensemble.status_quo[view.ensemble.i_territory]
    draw_front_fan(ax, np.arange(q.shape[0]), q, start, view.horizon, "Front line")
    ax.legend(loc="upper left", fontsize="small")
    figure.tight_layout()
    return figure


def outcome_chart(view: EnsembleView) -> Figure:
    """Status now and first agreement so far, with 95% Wilson whiskers."""
    shares = view.outcome_shares()
    figure = _figure(7.0, 3.6)
    left, right = figure.subplots(1, 2)
    for ax, key, names, colours, title in (
        (left, "status", STATUSES, STATUS_COLOURS, f"Status after week {view.week}"),
        (right, "first_agreement", AGREEMENT_TYPES, AGREEMENT_COLOURS, "First agreement so far"),
    ):
        values = np.array([shares[key][n] for n in names], dtype=float)
        x = np.arange(len(names))
        ax.bar(x, 100 * values[:, 0], color=[colours[n] for n in names], edgecolor="black", linewidth=0.5)
        err = 100 * np.vstack([values[:, 0] - values[:, 1], values[:, 2] - values[:, 0]])
        ax.errorbar(x, 100 * values[:, 0], yerr=np.clip(err, 0, None), fmt="none", ecolor="black", capsize=3)
        ax.set_xticks(x, [label(n).replace("Partial truce", "Partial") for n in names], fontsize="small")
        ax.set_ylim(0, 100)
        ax.set_title(title, fontsize="medium")
        ax.grid(axis="y", alpha=0.3)
    left.set_ylabel("Share of replications (%)")
    figure.suptitle(f"n = {view.replications:,} replications, 95% Wilson intervals", fontsize="small")
    figure.tight_layout()
    return figure


def headline(view: EnsembleView) -> str:
    """One line of the status shares now, with intervals (shown above the charts)."""
    shares = view.outcome_shares()["status"]
    parts = [f"{label(s)} {100 * v[0]:.1f}% ({100 * v[1]:.1f}–{100 * v[2]:.1f})" for s, v in shares.items()]
    return f"Week {view.week} of {view.horizon}: " + " · ".join(parts)
