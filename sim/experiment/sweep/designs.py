"""Sweep designs: how the variants' parameter values are chosen, one class per design behind one interface.

A design is built from the `[design]` table of a sweep file and its `[[parameters]]`
(anything with their fields: `DesignSettings`, `ParameterSpec`); it checks them
(`check`, raising `DesignError`), says how many variants it has from its counts alone
(`count`, before any variant is built), samples its points (`sample`, then `points`
rounds integer fields), and, for sensitivity designs, gives SALib's problem definition
and analyses the outcome shares once every variant has run (`analyse`). Designs register
by name (`@register`); `design_for(kind, ...)` builds one. Adding a design is one class.

- grid: the full factorial over value lists (numbers, labels, yes/no, distribution tables)
  or ranges cut into `steps` values;
- latin_hypercube: `samples` points, one per stratum of every range (scipy.stats.qmc);
- sobol: Saltelli's extension of the Sobol sequence, N x (D + 2) points (N x (2D + 2) with
  second-order indices), analysed into Sobol indices (`sim.analysis.sensitivity`);
- morris: N trajectories of D + 1 points on a `levels`-level grid, analysed into elementary effects.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from sim.analysis.sensitivity import analyse as analyse_sensitivity
from sim.analysis.sensitivity import salib_problem, salib_sample
from sim.experiment.sizes import grid_size

if TYPE_CHECKING:
    import pyarrow as pa


class ParameterSpec(Protocol):
    """What a design reads of a varied parameter (`sim.experiment.sweep.format.SweepParameter`)."""

    @property
    def path(self) -> str: ...
    @property
    def values(self) -> list[Any] | None: ...
    @property
    def range(self) -> tuple[float, float] | None: ...
    @property
    def steps(self) -> int | None: ...


class DesignSettings(Protocol):
    """What a design reads of the `[design]` table (`sim.experiment.sweep.format.SweepDesign`)."""

    @property
    def samples(self) -> int | None: ...
    @property
    def levels(self) -> int: ...
    @property
    def second_order(self) -> bool: ...
    @property
    def seed(self) -> int | None: ...


class DesignError(ValueError):
    """A design that cannot be built from the file: `where` is the field path in the sweep file."""

    def __init__(self, where: str, message: str):
        super().__init__(message)
        self.where = where
        self.message = message


@dataclass(frozen=True)
class DesignPoints:
    """The sampled variants: one row of parameter values per variant, and the sample matrix analysis needs."""

    rows: list[list[Any]]
    matrix: np.ndarray | None = None  # sensitivity designs: the points as sampled, one row per variant


def sampling_seed(own: int | None, seed: int) -> int:
    """The seed of a design's sampling: its own, else derived from the sweep's seed."""
    if own is not None:
        return own
    digest = hashlib.blake2b(f"sweep-design:{int(seed)}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "little")


class Design(ABC):
    """How a sweep chooses its variants."""

    name: ClassVar[str]
    #: Analysed after the runs into sensitivity.parquet (Sobol indices, Morris effects).
    sensitivity: ClassVar[bool] = False

    def __init__(self, settings: DesignSettings, parameters: Sequence[ParameterSpec]):
        self.settings = settings
        self.parameters = list(parameters)

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.parameters]

    def check(self) -> None:
        """Raise DesignError naming the first field this design cannot work with."""
        for i, p in enumerate(self.parameters):
            self.check_parameter(f"parameters[{i}]", p)

    @abstractmethod
    def check_parameter(self, where: str, p: ParameterSpec) -> None:
        """Raise DesignError when parameter `p` (at `where`) does not suit this design."""

    @abstractmethod
    def count(self) -> int:
        """How many variants the design has, from its counts alone (exact, however large)."""

    @abstractmethod
    def sample(self, seed: int) -> list[list[Any]] | np.ndarray:
        """The design's points, one row per variant, before rounding (`seed`: the sampling seed)."""

    def points(self, integer: Sequence[bool], seed: int) -> DesignPoints:
        """The variants' parameter values (integer fields rounded), and for sensitivity designs the sample matrix."""
        sampled = self.sample(seed)
        if isinstance(sampled, list):
            return DesignPoints(sampled)
        rows = [[float(round(float(x))) if whole else float(x) for whole, x in zip(integer, row)] for row in sampled]
        return DesignPoints(rows, sampled if self.sensitivity else None)

    def problem(self) -> dict[str, Any] | None:
        """SALib's problem definition (sensitivity designs), else None."""
        return None

    def analyse(self, matrix: np.ndarray | None, summary: pa.Table, seed: int) -> pa.Table | None:
        """Sensitivity indices of the outcome shares in `summary` (rows in design order, `matrix` the points as sampled);
        None for designs without an analysis."""
        return None

    def ranges(self) -> np.ndarray:
        return np.array([p.range for p in self.parameters], dtype=float)


DESIGNS: dict[str, type[Design]] = {}
"""The designs by name, in the order they were registered."""


def register(cls: type[Design]) -> type[Design]:
    """Class decorator: make a design available to sweep files under `cls.name`."""
    if cls.name in DESIGNS:
        raise ValueError(f"a design named {cls.name!r} is already registered")
    DESIGNS[cls.name] = cls
    return cls


def design_for(kind: str, settings: DesignSettings, parameters: Sequence[ParameterSpec]) -> Design:
    """The design `kind` over `parameters` (KeyError for a name no design has)."""
    return DESIGNS[kind](settings, parameters)


@register
class Grid(Design):
    """The full factorial: every combination of each parameter's values (a list, or a range cut into `steps`)."""

    name = "grid"

    def check_parameter(self, where: str, p: ParameterSpec) -> None:
        if (p.values is None) == (p.range is None):
            raise DesignError(where, "expected either values = [...] or range = [low, high] with steps in a grid design")
        if p.range is not None and p.steps is None:
            raise DesignError(f"{where}.steps", "expected the number of grid values on the range, which is missing")
        for j, value in enumerate(p.values or []):
            if isinstance(value, (list, dict)) and not (isinstance(value, dict) and "dist" in value):
                raise DesignError(f"{where}.values[{j}]", f"expected a number, string, boolean or distribution table, got {value!r}")
            if isinstance(value, float) and not math.isfinite(value):
                raise DesignError(f"{where}.values[{j}]", f"expected a finite number, got {value!r}")

    def axes(self) -> list[list[Any]]:
        """Each parameter's values: its list, or its range cut into `steps` equally spaced values."""
        out: list[list[Any]] = []
        for p in self.parameters:
            if p.values is not None:
                out.append(list(p.values))
            else:
                assert p.range is not None and p.steps is not None  # checked
                out.append([float(x) for x in np.linspace(p.range[0], p.range[1], p.steps)])
        return out

    def count(self) -> int:
        return grid_size([len(p.values) if p.values is not None else (p.steps or 1) for p in self.parameters])

    def sample(self, seed: int) -> list[list[Any]]:
        return [list(point) for point in itertools.product(*self.axes())]

    def points(self, integer: Sequence[bool], seed: int) -> DesignPoints:
        axes = self.axes()
        for k, (p, whole) in enumerate(zip(self.parameters, integer)):
            if p.values is None and whole:  # a range on an integer field: its grid values rounded
                axes[k] = [float(round(x)) for x in axes[k]]
        return DesignPoints([list(point) for point in itertools.product(*axes)])


class SampledDesign(Design):
    """A design that samples `samples` points (or N trajectories) from the parameters' ranges."""

    #: At least this many parameters (a sensitivity analysis of one parameter says nothing).
    min_parameters: ClassVar[int] = 1

    def check(self) -> None:
        if self.settings.samples is None:
            raise DesignError("design.samples", f"expected the number of samples of the {self.name} design, which is missing")
        super().check()
        if len(self.parameters) < self.min_parameters:
            raise DesignError("parameters", f"expected at least {self.min_parameters} parameters for a {self.name} sensitivity analysis")

    def check_parameter(self, where: str, p: ParameterSpec) -> None:
        if p.values is not None or p.range is None:
            raise DesignError(where, f"expected range = [low, high] in a {self.name} design (categorical values work in grid designs)")
        if p.steps is not None:
            raise DesignError(f"{where}.steps", f"expected no steps in a {self.name} design (steps cut a range into grid values)")

    @property
    def samples(self) -> int:
        samples = self.settings.samples
        if samples is None:
            raise DesignError("design.samples", f"expected the number of samples of the {self.name} design, which is missing")
        return samples


@register
class LatinHypercube(SampledDesign):
    """`samples` points, each range cut into `samples` strata and each stratum sampled once (McKay et al. 1979)."""

    name = "latin_hypercube"

    def count(self) -> int:
        return self.samples

    def sample(self, seed: int) -> np.ndarray:
        from scipy.stats import qmc  # scipy.stats takes a second to import: only when a sweep samples

        try:
            sampler = qmc.LatinHypercube(d=len(self.parameters), rng=np.random.default_rng(seed))
        except TypeError:  # scipy < 1.15 names it `seed`
            sampler = qmc.LatinHypercube(d=len(self.parameters), seed=np.random.default_rng(seed))
        ranges = self.ranges()
        return np.asarray(qmc.scale(sampler.random(self.samples), ranges[:, 0], ranges[:, 1]))


class SalibDesign(SampledDesign):
    """A design sampled by SALib and analysed by it once every variant's outcome shares are known."""

    sensitivity = True
    min_parameters = 2

    def problem(self) -> dict[str, Any]:
        return salib_problem(self.paths, self.ranges())

    def sample(self, seed: int) -> np.ndarray:
        return salib_sample(self.name, self.problem(), self.samples, seed=seed, levels=self.settings.levels, second_order=self.settings.second_order)

    def analyse(self, matrix: np.ndarray | None, summary: pa.Table, seed: int) -> pa.Table:
        if matrix is None:
            raise ValueError(f"a {self.name} design's analysis needs its sample matrix")
        return analyse_sensitivity(self.name, self.problem(), matrix, summary, seed=seed, levels=self.settings.levels, second_order=self.settings.second_order)


@register
class Sobol(SalibDesign):
    """Saltelli's sampling for Sobol indices: base sample N (a power of 2), N x (D + 2) variants (2D + 2 with second order)."""

    name = "sobol"

    def check(self) -> None:
        n = self.settings.samples
        if n is not None and (n < 1 or n & (n - 1)):
            below = 1 << max(0, n.bit_length() - 1)
            raise DesignError("design.samples", f"expected a power of 2 for a sobol design (Saltelli sampling), got {n} (nearest: {below} or {below * 2})")
        super().check()

    def count(self) -> int:
        d = len(self.parameters)
        return self.samples * (2 * d + 2 if self.settings.second_order else d + 2)


@register
class Morris(SalibDesign):
    """Morris's elementary effects: N trajectories of D + 1 points on a `levels`-level grid."""

    name = "morris"

    def count(self) -> int:
        return self.samples * (len(self.parameters) + 1)


__all__ = [
    "DESIGNS",
    "Design",
    "DesignError",
    "DesignPoints",
    "DesignSettings",
    "Grid",
    "LatinHypercube",
    "Morris",
    "ParameterSpec",
    "SalibDesign",
    "SampledDesign",
    "Sobol",
    "design_for",
    "register",
    "sampling_seed",
]
