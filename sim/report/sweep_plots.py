"""PNG plots of a sweep: outcome shares against the varied parameters, heatmaps, sensitivity indices.

Which plots a sweep gets depends on its design:

- one varied parameter: every status share at the horizon against it, with 95% Wilson bands
  (`outcomes_by_<parameter>.png`);
- a grid over two parameters: the analysed outcome against the first, one line (and band)
  per value of the second (`<outcome>_by_<first>.png`), and heatmaps of the analysed
  outcome, war and partial truce over the two (`heatmap_<outcome>.png`);
- a Latin hypercube over several: the analysed outcome against each parameter
  (`scatter_<outcome>.png`);
- Sobol: first-order and total indices with their intervals (`sobol_<outcome>.png`);
  Morris: mu* with its interval, and mu* against sigma (`morris_<outcome>.png`).

Figures are built like `sim.report.plots` (own Agg canvas, default style, no version
metadata), so the same results give the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.style
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.axes import Axes

from sim.analysis.paired import outcome
from sim.report.plots import STATUS_COLOURS, _new_figure, _save

if TYPE_CHECKING:
    from sim.experiment.sweep import ParameterInfo, SweepPlan

Floats = npt.NDArray[np.float64]

STATUS_OUTCOMES = ("war", "partial_truce", "ceasefire", "settlement")
COLOURS = {**STATUS_COLOURS, "ceasefire_or_settlement": "#1b7837", "any_agreement": "#762a83", "agreement_broke_down": "#e08214"}
SERIES_COLOURS = ("#2166ac", "#b2182b", "#1b7837", "#762a83", "#e08214", "#35978f", "#8c510a", "#c51b7d")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def _column(table: pa.Table, name: str) -> npt.NDArray[Any]:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False))


def _axis_label(info: ParameterInfo) -> str:
    """The parameter's label, with its unit when the label is the bare path."""
    return f"{info.label} ({info.unit})" if info.unit and info.label == info.path else info.label


def _categorical(info: ParameterInfo) -> bool:
    return info.kind != "number"


def _positions(info: ParameterInfo, values: npt.NDArray[Any]) -> tuple[Floats, list[str] | None]:
    """x positions of parameter values: the values themselves, or indices for categories."""
    if not _categorical(info):
        return values.astype(float), None
    from sim.experiment.sweep import display_value

    categories = list(dict.fromkeys(values.tolist()))
    return np.array([categories.index(v) for v in values.tolist()], dtype=float), [display_value(c) for c in categories]


def plot_outcomes_by_parameter(info: ParameterInfo, summary: pa.Table, path: Path) -> Path:
    """Every status share at the horizon against one parameter, with 95% bands (whiskers for categories)."""
    x, ticks = _positions(info, _column(summary, info.column))
    order = np.argsort(x, kind="stable")
    figure = _new_figure(7.5, 4.8)
    ax = figure.subplots()
    for name in STATUS_OUTCOMES:
        share, low, high = (100 * _column(summary, f"{name}_{k}").astype(float)[order] for k in ("share", "low", "high"))
        xs = x[order]
        _share_series(ax, xs, share, low, high, COLOURS[name], outcome(name).label, ticks is not None, alpha=0.25)
    _finish_share_axes(ax, ticks, _axis_label(info), f"Status at the horizon against {info.label} (95% Wilson bands)")
    figure.tight_layout()
    return _save(figure, path)


def _share_series(
    ax: Axes, xs: Floats, share: Floats, low: Floats, high: Floats, colour: str, label: str, categorical: bool, alpha: float, offset: float = 0.0
) -> None:
    """One share series with its 95% interval: a band over a numeric parameter, whiskers over categories."""
    if not categorical:
        ax.fill_between(xs, low, high, color=colour, alpha=alpha, linewidth=0)
        ax.plot(xs, share, color=colour, marker="o", markersize=3, label=label)
    else:
        ax.errorbar(xs + offset, share, yerr=[share - low, high - share], color=colour, marker="o", capsize=4, linestyle="none", label=label)


def _finish_share_axes(ax: Axes, ticks: list[str] | None, xlabel: str, title: str) -> None:
    """Category ticks, the 0-100% axis, labels, grid and legend of a share plot."""
    if ticks is not None:
        ax.set_xticks(range(len(ticks)), ticks)
    ax.set_ylim(0, 100)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Share of replications (%)")
    ax.set_title(title, fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")


def plot_outcome_by_two(first: ParameterInfo, second: ParameterInfo, name: str, summary: pa.Table, path: Path) -> Path:
    """One outcome's share against the first parameter, one line with its band per value of the second."""
    x_all, ticks = _positions(first, _column(summary, first.column))
    groups = _column(summary, second.column)
    from sim.experiment.sweep import display_value

    figure = _new_figure(7.5, 4.8)
    ax = figure.subplots()
    for k, value in enumerate(dict.fromkeys(groups.tolist())):
        mask = np.array([g == value for g in groups.tolist()])
        order = np.argsort(x_all[mask], kind="stable")
        xs = x_all[mask][order]
        share, low, high = (100 * _column(summary, f"{name}_{q}").astype(float)[mask][order] for q in ("share", "low", "high"))
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        text = f"{second.label} = {display_value(value)}"
        _share_series(ax, xs, share, low, high, colour, text, ticks is not None, alpha=0.2, offset=0.08 * k)
    _finish_share_axes(ax, ticks, _axis_label(first), f"{outcome(name).label} (95% Wilson bands)")
    figure.tight_layout()
    return _save(figure, path)


def plot_heatmap(first: ParameterInfo, second: ParameterInfo, name: str, summary: pa.Table, path: Path) -> Path:
    """Heatmap of one outcome's share over a two-parameter grid, each cell labelled with its share and interval."""
    from sim.experiment.sweep import display_value

    a = _column(summary, first.column).tolist()
    b = _column(summary, second.column).tolist()
    rows = list(dict.fromkeys(a))
    cols = list(dict.fromkeys(b))
    grid = np.full((len(rows), len(cols)), np.nan)
    text = [["" for _ in cols] for _ in rows]
    share, low, high = (100 * _column(summary, f"{name}_{q}").astype(float) for q in ("share", "low", "high"))
    for k, (va, vb) in enumerate(zip(a, b)):
        i, j = rows.index(va), cols.index(vb)
        grid[i, j] = share[k]
        text[i][j] = f"{share[k]:.0f}%\n({low[k]:.0f}–{high[k]:.0f})"
    figure = _new_figure(2.2 + 1.4 * len(cols), 1.6 + 0.6 * len(rows))
    ax = figure.subplots()
    image = ax.imshow(grid, cmap="viridis", vmin=0, vmax=100, aspect="auto", origin="lower")
    for i in range(len(rows)):
        for j in range(len(cols)):
            value = grid[i, j]
            colour = "white" if np.isfinite(value) and value < 55 else "black"
            ax.text(j, i, text[i][j], ha="center", va="center", fontsize="x-small", color=colour)
    ax.set_xticks(range(len(cols)), [display_value(c) for c in cols])
    ax.set_yticks(range(len(rows)), [display_value(r) for r in rows])
    ax.set_xlabel(_axis_label(second))
    ax.set_ylabel(_axis_label(first))
    ax.set_title(f"{outcome(name).label}, % (95% interval)", fontsize="medium")
    figure.colorbar(image, ax=ax, label="Share of replications (%)")
    figure.tight_layout()
    return _save(figure, path)


#: Variants up to which a scatter plot draws each one's interval (beyond, the whiskers are a smear that costs seconds).
WHISKERS_UP_TO = 1000


def plot_scatter(params: Sequence[ParameterInfo], name: str, summary: pa.Table, path: Path) -> Path:
    """One outcome's share against each sampled parameter, with whiskers for the 95% interval (up to WHISKERS_UP_TO variants)."""
    count = len(params)
    cols = min(3, count)
    rows = (count + cols - 1) // cols
    figure = _new_figure(4.0 * cols, 3.3 * rows)
    axes = np.atleast_1d(figure.subplots(rows, cols)).ravel()
    share, low, high = (100 * _column(summary, f"{name}_{q}").astype(float) for q in ("share", "low", "high"))
    whiskers = len(share) <= WHISKERS_UP_TO
    for ax, info in zip(axes, params):
        x, ticks = _positions(info, _column(summary, info.column))
        if whiskers:
            ax.errorbar(
                x,
                share,
                yerr=[share - low, high - share],
                fmt="o",
                markersize=3,
                color=COLOURS.get(name, "#2166ac"),
                ecolor="#999999",
                elinewidth=0.8,
                capsize=0,
            )
        else:
            ax.plot(x, share, "o", markersize=2, alpha=0.4, color=COLOURS.get(name, "#2166ac"))
        if ticks is not None:
            ax.set_xticks(range(len(ticks)), ticks)
        ax.set_xlabel(_axis_label(info), fontsize="small")
        ax.set_ylabel("Share (%)")
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
    for ax in axes[count:]:
        ax.set_visible(False)
    figure.suptitle(f"{outcome(name).label}: one point per variant" + (" (95% Wilson whiskers)" if whiskers else ""))
    figure.tight_layout()
    return _save(figure, path)


def _labels(params: Sequence[ParameterInfo], names: list[str]) -> list[str]:
    by_path = {p.path: p.label for p in params}
    return [by_path.get(n, n) for n in names]


def plot_sobol(params: Sequence[ParameterInfo], sensitivity: pa.Table, name: str, path: Path) -> Path:
    """First-order (S1) and total (ST) Sobol indices of one outcome, with their 95% bootstrap intervals."""
    rows = sensitivity.filter(pc.equal(sensitivity.column("outcome"), name))
    names = rows.column("parameter").to_pylist()
    values = {k: _column(rows, k).astype(float) for k in ("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high")}
    y = np.arange(len(names))
    figure = _new_figure(8.0, 1.5 + 0.55 * len(names))
    ax = figure.subplots()
    for offset, key, colour, text in ((-0.2, "S1", "#2166ac", "first order (S1)"), (0.2, "ST", "#b2182b", "total (ST)")):
        v = np.nan_to_num(values[key])
        err = np.nan_to_num(np.vstack([values[key] - values[f"{key}_low"], values[f"{key}_high"] - values[key]]))
        ax.barh(y + offset, v, height=0.38, color=colour, label=text)
        ax.errorbar(v, y + offset, xerr=np.abs(err), fmt="none", ecolor="black", capsize=3)
    ax.set_yticks(y, _labels(params, names))
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("Sobol index (share of the variance of the outcome share)")
    ax.set_title(f"Sobol indices: {outcome(name).label} (95% bootstrap intervals)", fontsize="medium")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    figure.tight_layout()
    return _save(figure, path)


def plot_morris(params: Sequence[ParameterInfo], sensitivity: pa.Table, name: str, path: Path) -> Path:
    """Morris screening of one outcome: mu* with its 95% interval, and mu* against sigma."""
    rows = sensitivity.filter(pc.equal(sensitivity.column("outcome"), name))
    names = _labels(params, rows.column("parameter").to_pylist())
    mu_star, low, high, sigma = (100 * _column(rows, k).astype(float) for k in ("mu_star", "mu_star_low", "mu_star_high", "sigma"))
    figure = _new_figure(11.0, 1.8 + 0.5 * len(names))
    left, right = figure.subplots(1, 2)
    y = np.arange(len(names))
    left.barh(y, mu_star, color="#2166ac")
    left.errorbar(mu_star, y, xerr=np.abs(np.vstack([mu_star - low, high - mu_star])), fmt="none", ecolor="black", capsize=3)
    left.set_yticks(y, names)
    left.invert_yaxis()
    left.set_xlabel("mu* (points of share per parameter range)")
    left.set_title("Mean absolute elementary effect (95% interval)", fontsize="medium")
    left.grid(axis="x", alpha=0.3)
    right.scatter(mu_star, sigma, color="#b2182b")
    for k, text in enumerate(names):
        right.annotate(text, (mu_star[k], sigma[k]), fontsize="x-small", xytext=(3, 3), textcoords="offset points")
    top = max(float(np.nanmax(np.concatenate([mu_star, sigma, [1e-9]]))), 1e-9) * 1.1
    right.plot([0, top], [0, top], color="#999999", linestyle="--", linewidth=0.8)
    right.set_xlabel("mu*")
    right.set_ylabel("sigma (non-linearity or interactions)")
    right.set_title("mu* against sigma", fontsize="medium")
    right.grid(alpha=0.3)
    figure.suptitle(f"Morris screening: {outcome(name).label}")
    figure.tight_layout()
    return _save(figure, path)


def write_sweep_plots(plan: SweepPlan, summary: pa.Table, sensitivity: pa.Table | None, folder: Path) -> list[Path]:
    """Write the plots the sweep's design calls for into `folder` (which must exist); return their paths."""
    folder = Path(folder)
    params = plan.parameters
    kind = plan.spec.design.kind
    name = plan.spec.design.outcome
    written: list[Path] = []
    with matplotlib.style.context("default"):
        if len(params) == 1:
            written.append(plot_outcomes_by_parameter(params[0], summary, folder / f"outcomes_by_{_slug(params[0].path)}.png"))
        if kind == "grid" and len(params) == 2:
            first, second = params
            if _categorical(first) and not _categorical(second):
                first, second = second, first
            written.append(plot_outcome_by_two(first, second, name, summary, folder / f"{name}_by_{_slug(first.path)}.png"))
            for shown in dict.fromkeys((name, "war", "partial_truce")):
                written.append(plot_heatmap(params[0], params[1], shown, summary, folder / f"heatmap_{shown}.png"))
        if kind == "latin_hypercube" and len(params) > 1:
            written.append(plot_scatter(params, name, summary, folder / f"scatter_{name}.png"))
        if sensitivity is not None and kind == "sobol":
            written.append(plot_sobol(params, sensitivity, name, folder / f"sobol_{name}.png"))
            written.append(plot_scatter(params, name, summary, folder / f"scatter_{name}.png"))
        if sensitivity is not None and kind == "morris":
            written.append(plot_morris(params, sensitivity, name, folder / f"morris_{name}.png"))
    return written
