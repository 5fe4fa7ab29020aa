"""The plots the commands draw into their result folders: the report layer's functions, named for the experiment
layer (which imports no plotting code and imports these modules in the background while the workers compute)."""

from __future__ import annotations

from sim.experiment.plots import Plots

RUN_PLOTS = Plots("sim.report.plots", "write_plots")
"""`sim run`: the outcome shares, the weekly shares and the first agreements (`plots/`)."""

SWEEP_PLOTS = Plots("sim.report.sweep_plots", "write_sweep_plots")
"""`sim sweep` and `sim drivers`: the shares by variant and the sensitivity indices (`plots/`)."""
