"""The plot of `sim forecast`: every actor's position by round with the median and mean forecasts."""

from __future__ import annotations

from pathlib import Path

import numpy as np


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
