"""PNG plots of a scenario discovery: PRIM's peeling trajectory, a box's limits, pairwise scatter of its dimensions.

Drawn with matplotlib on the project's own canvases (`sim.report.plots`), not with the
EMA Workbench's seaborn figures, so the files look like the project's other plots and the
same discovery gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pyarrow as pa

from sim.analysis.columns import column_path
from sim.analysis.discovery import Cases, Discovery
from sim.report.plots import _new_figure, _save

INTEREST = "#b2182b"
OTHER = "#9e9e9e"
BOX = "#2166ac"
MAX_SCATTER = 4000


def trajectory_plot(result: Discovery, path: Path) -> Path:
    """Coverage against density for every box of the trajectory, coloured by restricted dimensions; the selected box marked."""
    fig = _new_figure(7.0, 4.8)
    ax = fig.add_subplot(1, 1, 1)
    cov = np.array([b.coverage for b in result.boxes])
    den = np.array([b.density for b in result.boxes])
    dims = np.array([b.res_dim for b in result.boxes])
    from matplotlib.colors import BoundaryNorm
    from matplotlib.ticker import MaxNLocator

    top = int(dims.max()) if dims.size else 0
    cmap = matplotlib.colormaps["viridis"]
    norm = BoundaryNorm(np.arange(-0.5, top + 1.5), cmap.N)  # whole numbers of dimensions, one colour each
    points = ax.scatter(cov, den, c=dims, cmap=cmap, norm=norm, s=22, edgecolor="black", linewidth=0.3)
    if result.method == "prim":
        ax.plot(cov, den, color="#bbbbbb", linewidth=0.8, zorder=0)
    box = result.box
    if box is not None:
        ax.scatter(
            [box.coverage],
            [box.density],
            s=140,
            facecolor="none",
            edgecolor=INTEREST,
            linewidth=1.6,
            label=f"box {box.index}: coverage {box.coverage:.2f}, density {box.density:.2f}",
        )
        ax.legend(loc="lower left", fontsize=8)
    bar = fig.colorbar(points, ax=ax, ticks=MaxNLocator(integer=True))
    bar.set_label("restricted dimensions")
    ax.axhline(result.base_rate, color=OTHER, linestyle=":", linewidth=1)
    ax.set_xlabel("coverage (share of the cases of interest inside the box)")
    ax.set_ylabel("density (share of the box's cases of interest)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    title = "PRIM peeling trajectory" if result.method == "prim" else "CART leaves"
    ax.set_title(f"{title}: {result.outcome}", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def limits_plot(result: Discovery, path: Path) -> Path:
    """The selected box's limits on each restricted dimension, as a share of the dimension's range, with quasi-p-values."""
    box = result.box
    if box is None:
        raise ValueError("expected a discovery result with a selected box")
    lims = [lim for lim in box.restricted] or box.limits[:1]
    fig = _new_figure(7.0, 1.2 + 0.5 * len(lims))
    ax = fig.add_subplot(1, 1, 1)
    for i, lim in enumerate(lims):
        y = len(lims) - 1 - i
        ax.plot([0, 1], [y, y], color="#dddddd", linewidth=6, solid_capstyle="butt")
        if lim.categories is not None:
            ax.text(0.5, y, "in {" + ", ".join(lim.categories) + "}", ha="center", va="center", fontsize=8)
            continue
        low, high, range_low, range_high = lim.interval()
        span = (range_high - range_low) or 1.0
        a, b = (low - range_low) / span, (high - range_low) / span
        ax.plot([a, b], [y, y], color=BOX, linewidth=6, solid_capstyle="butt")
        ax.text(a, y + 0.28, f"{low:.3g}", ha="center", fontsize=7)
        ax.text(b, y + 0.28, f"{high:.3g}", ha="center", fontsize=7)
        qps = [q for q in (lim.qp_low, lim.qp_high) if q is not None]
        if qps:
            ax.text(1.02, y, f"qp {max(qps):.1e}", va="center", fontsize=7)
    ax.set_yticks(range(len(lims)))
    ax.set_yticklabels([lim.dimension for lim in reversed(lims)], fontsize=8)
    ax.set_xlim(-0.02, 1.2)
    ax.set_ylim(-0.7, len(lims) - 0.3)
    ax.set_xticks([0, 0.5, 1])
    ax.set_xticklabels(["range low", "", "range high"], fontsize=8)
    ax.set_title(f"Box {box.index}: coverage {box.coverage:.2f}, density {box.density:.2f}, {box.res_dim} restricted", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def pairs_plot(result: Discovery, cases: Cases, y: np.ndarray, path: Path, dimensions: int = 4) -> Path | None:
    """Pairwise scatter of the box's (numeric) restricted dimensions, cases of interest in colour, the box drawn."""
    box = result.box
    if box is None:
        raise ValueError("expected a discovery result with a selected box")
    dims = [lim for lim in box.restricted if lim.categories is None][:dimensions]
    if len(dims) < 2:
        return None
    n = len(y)
    rows = np.arange(n)
    if n > MAX_SCATTER:  # a fixed subsample keeps the file small and the plot readable
        rows = np.sort(np.random.default_rng(0).choice(n, MAX_SCATTER, replace=False))
    k = len(dims)
    colour_bar = None
    fig = _new_figure(max(5.0, 2.4 * (k - 1) + 1.0), max(4.0, 2.4 * (k - 1) + 0.6))
    for i in range(1, k):
        for j in range(k - 1):
            if j >= i:
                continue
            ax = fig.add_subplot(k - 1, k - 1, (i - 1) * (k - 1) + j + 1)
            xs = cases.x[dims[j].dimension].to_numpy()
            ys = cases.x[dims[i].dimension].to_numpy()
            points, inverse = np.unique(np.column_stack([xs, ys]), axis=0, return_inverse=True)
            if len(points) <= n // 2:
                # A sweep: many replications share a variant's point; show each point once, coloured by its share of interest.
                share = np.bincount(inverse.ravel(), weights=y.astype(float), minlength=len(points)) / np.bincount(inverse.ravel(), minlength=len(points))
                shown = ax.scatter(points[:, 0], points[:, 1], c=share, cmap="RdGy_r", vmin=0, vmax=1, s=14, edgecolor="black", linewidth=0.3)
                colour_bar = shown
            else:
                yy = y[rows]
                ax.scatter(xs[rows][~yy], ys[rows][~yy], s=3, color=OTHER, alpha=0.5, linewidth=0)
                ax.scatter(xs[rows][yy], ys[rows][yy], s=3, color=INTEREST, alpha=0.6, linewidth=0)
            (x0, x1, _, _), (y0, y1, _, _) = dims[j].interval(), dims[i].interval()
            ax.plot([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0], color=BOX, linewidth=1.4)
            ax.tick_params(labelsize=6)
            if i == k - 1:
                ax.set_xlabel(_short(dims[j].dimension), fontsize=7)
            if j == 0:
                ax.set_ylabel(_short(dims[i].dimension), fontsize=7)
    what = "colour: share of" if colour_bar is not None else "red:"
    fig.suptitle(f"Box {box.index} on its restricted dimensions\n({what} {result.outcome})", fontsize=9)
    fig.tight_layout()
    if colour_bar is not None:
        fig.colorbar(colour_bar, ax=fig.axes, shrink=0.6, label="share of cases of interest")
    return _save(fig, path)


def scores_plot(result: Discovery, path: Path, top: int = 20) -> Path:
    scores = result.scores[:top]
    fig = _new_figure(7.0, 1.0 + 0.32 * len(scores))
    ax = fig.add_subplot(1, 1, 1)
    ax.barh(range(len(scores))[::-1], [s for _, s in scores], color=BOX)
    ax.set_yticks(range(len(scores))[::-1])
    ax.set_yticklabels([_short(d) for d, _ in scores], fontsize=8)
    ax.set_xlabel("extra-trees feature score (impurity importance)")
    ax.set_title(f"Feature scores: {result.outcome}", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def _short(name: str) -> str:
    return column_path(name).removeprefix("actors.")


def write_discovery_plots(result: Discovery, cases: Cases, y: np.ndarray, folder: Path) -> list[Path]:
    """Write the plots of `result` into `folder` (created); return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    if result.method == "scores":
        written.append(scores_plot(result, folder / "feature_scores.png"))
        return written
    prefix = result.method
    written.append(trajectory_plot(result, folder / ("prim_trajectory.png" if prefix == "prim" else "cart_leaves.png")))
    written.append(limits_plot(result, folder / f"{prefix}_box_limits.png"))
    pairs = pairs_plot(result, cases, y, folder / f"{prefix}_box_pairs.png")
    if pairs is not None:
        written.append(pairs)
    return written


def drivers_plot(table: pa.Table, path: Path, outcomes: tuple[str, ...], labels: dict[str, str], top: int = 15) -> Path:
    """`sim drivers`: first-order (S1) and total (ST) Sobol indices with 95% intervals, one panel per outcome, top inputs by rank."""
    rows = table.to_pylist()
    ranked = []
    for r in sorted(rows, key=lambda r: r["rank"]):
        if r["input"] not in ranked:
            ranked.append(r["input"])
    ranked = ranked[:top]
    names = {r["input"]: r["label"] for r in rows}
    fig = _new_figure(4.2 * len(outcomes) + 2.5, 1.2 + 0.34 * len(ranked))
    for j, name in enumerate(outcomes):
        ax = fig.add_subplot(1, len(outcomes), j + 1)
        by_input = {r["input"]: r for r in rows if r["outcome"] == name}
        y = np.arange(len(ranked))[::-1]
        for offset, key, colour in ((0.18, "ST", BOX), (-0.18, "S1", "#92c5de")):
            vals = np.array([by_input[i][key] if i in by_input else np.nan for i in ranked], dtype=float)
            lo = np.array([by_input[i][f"{key}_low"] if i in by_input else np.nan for i in ranked], dtype=float)
            hi = np.array([by_input[i][f"{key}_high"] if i in by_input else np.nan for i in ranked], dtype=float)
            err = np.vstack([np.clip(vals - lo, 0, None), np.clip(hi - vals, 0, None)])
            ax.barh(y + offset, np.nan_to_num(vals), height=0.34, color=colour, label=key, xerr=np.nan_to_num(err), error_kw={"linewidth": 0.7, "capsize": 1.5})
        ax.axvline(0, color="black", linewidth=0.6)
        if not any(i in by_input and by_input[i]["ST"] == by_input[i]["ST"] for i in ranked):
            ax.text(0.5, 0.5, "did not vary across the design", transform=ax.transAxes, ha="center", fontsize=8, color="#555555")
        ax.set_yticks(np.arange(len(ranked))[::-1])
        ax.set_yticklabels([names[i] for i in ranked] if j == 0 else [], fontsize=7)
        ax.set_title(labels.get(name, name), fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        if j == 0:
            ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("Sobol indices (bars: estimate; whiskers: 95% bootstrap interval)", fontsize=9)
    fig.tight_layout()
    return _save(fig, path)
