"""A sweep's tables: variants.parquet (one row per variant: seed, hash, typed parameter values, overrides) and
summary.parquet (per variant: its parameter values, then `sim.analysis.summary`'s row of outcomes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from sim.analysis.summary import summary_arrays
from sim.experiment.sweep.format import toml_literal
from sim.experiment.sweep.plan import ParameterInfo, SweepPlan


def _column_value(info: ParameterInfo, value: Any) -> Any:
    if info.kind == "number":
        return float(value)
    if info.kind == "bool":
        return bool(value)
    return value if isinstance(value, str) else toml_literal(value)


def _parameter_column(info: ParameterInfo, values: list[Any]) -> pa.Array:
    kind = {"number": pa.float64(), "bool": pa.bool_(), "string": pa.string()}[info.kind]
    return pa.array([_column_value(info, v) for v in values], type=kind)


def _parameter_columns(plan: SweepPlan) -> dict[str, pa.Array]:
    return {info.column: _parameter_column(info, [v.values[info.path] for v in plan.variants]) for info in plan.parameters}


def variants_table(plan: SweepPlan) -> pa.Table:
    """One row per variant: its index, seed, scenario hash and parameter values (typed), and its --set lines."""
    columns = {"variant": pa.array([v.index for v in plan.variants], type=pa.int32())}
    columns["seed"] = pa.array([v.seed for v in plan.variants], type=pa.int64())
    columns.update(_parameter_columns(plan))
    columns["scenario_hash"] = pa.array([v.scenario_hash for v in plan.variants], type=pa.string())
    columns["overrides"] = pa.array(["; ".join(v.sets) for v in plan.variants], type=pa.string())
    return pa.table(columns)


def summary_table(plan: SweepPlan, counts: Mapping[str, np.ndarray], confidence: float = 0.95) -> pa.Table:
    """summary.parquet: one row per variant, its parameter values then its outcomes, from its counts stacked
    (`sim.analysis.summary.SUMMARY_FIELDS`, one entry per variant); the same columns as a single run's summary."""
    columns = {"variant": pa.array([v.index for v in plan.variants], type=pa.int32())}
    columns.update(_parameter_columns(plan))
    columns.update(summary_arrays(counts, confidence))
    return pa.table(columns)


__all__ = ["summary_table", "variants_table"]
