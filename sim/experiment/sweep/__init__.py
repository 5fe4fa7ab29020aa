"""Scenario sweeps: a base scenario, parameters varied by dotted path, a design, replications per variant.

The package has one module per job, each importing only those above it:

- `designs`: how variants are chosen, one class per design (grid, latin_hypercube, sobol,
  morris) behind one `Design` interface, registered by name;
- `format`: the sweep file (TOML) and its one-line errors; values as `--set` text and in tables;
- `plan`: the variants, each validated (field by field when only numbers vary), hashed and
  grouped into batches (`plan_sweep`, `SweepPlan`);
- `tables`: variants.parquet and summary.parquet;
- `run`: running on an executor, chunk files, the manifest, resume, and the assembled results
  (`start_sweep`, `resume_sweep`).

The names other modules use are importable from here.
"""

from sim.defaults import DEFAULT_SEED
from sim.experiment.sweep.designs import DESIGNS, Design, DesignError, DesignPoints, design_for, register, sampling_seed
from sim.experiment.sweep.format import (
    DEFAULT_RUNS,
    SweepDesign,
    SweepParameter,
    SweepSpec,
    display_value,
    read_sweep_file,
    toml_literal,
)
from sim.experiment.sweep.plan import ParameterInfo, SweepPlan, Variant, batchable_paths, plan_sweep, variant_seed
from sim.experiment.sweep.run import (
    MANIFEST,
    SweepInterrupted,
    SweepOutcome,
    SweepProgress,
    describe_task,
    finish_sweep,
    new_sweep_dir,
    plan_for_resume,
    read_manifest,
    resume_sweep,
    start_sweep,
)
from sim.experiment.sweep.tables import summary_table, variants_table

__all__ = [
    "DEFAULT_RUNS",
    "DEFAULT_SEED",
    "DESIGNS",
    "MANIFEST",
    "Design",
    "DesignError",
    "DesignPoints",
    "ParameterInfo",
    "SweepDesign",
    "SweepInterrupted",
    "SweepOutcome",
    "SweepParameter",
    "SweepPlan",
    "SweepProgress",
    "SweepSpec",
    "Variant",
    "batchable_paths",
    "describe_task",
    "design_for",
    "display_value",
    "finish_sweep",
    "new_sweep_dir",
    "plan_for_resume",
    "plan_sweep",
    "read_manifest",
    "read_sweep_file",
    "register",
    "resume_sweep",
    "sampling_seed",
    "start_sweep",
    "summary_table",
    "toml_literal",
    "variant_seed",
    "variants_table",
]
