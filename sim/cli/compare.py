"""`sim compare A B [C ...]`: outcome shares side by side, with the difference to the first and its 95% interval.

Each of A, B, ... is a result folder of `sim run`, a variant of a sweep result folder
(`FOLDER#3` for variant 3), or a scenario file (run on the spot, all with the same seed on
the same replications). When two experiments share seed and replication indices their
replications are matched pairs (common random numbers) and the interval is the paired one
(`sim.analysis.paired`), much narrower than the interval for independent samples.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from sim.cli.options import (
    DEFAULT_CHUNK,
    DEFAULT_RUNS,
    DEFAULT_SEED,
    ChunkSizeOption,
    Executor,
    ExecutorOption,
    JsonOption,
    SchedulerOption,
    WeeksOption,
    WorkersOption,
    executor_spec,
    print_json,
    progress_bar,
    runs_option,
    seed_option,
    stderr_console,
    stdout_console,
)
from sim.errors import InputError

if TYPE_CHECKING:
    import pyarrow as pa
    from rich.console import Console
    from rich.table import Table

    from sim.analysis.paired import Codes, Difference, Outcome
    from sim.experiment.executors import ExecutorSpec


@dataclass
class Experiment:
    """One column of a comparison: a label, its seed, horizon, outcome codes and weeks to agreement."""

    label: str
    seed: int
    horizon: int
    codes: Codes
    weeks: list[int | None]  # [q25, median, q75] of the week of the first agreement
    source: str


def _weeks_from_table(table: pa.Table) -> list[int | None]:
    import numpy as np

    from sim.analysis.survival import week_quantiles

    weeks = table.column("first_agreement_week").to_numpy(zero_copy_only=False)
    weeks = np.asarray(weeks, dtype=float)
    weeks = weeks[~np.isnan(weeks)].astype(np.int64)
    hist = np.bincount(weeks) if weeks.size else np.zeros(1, dtype=np.int64)
    return week_quantiles(hist, (0.25, 0.5, 0.75))


def read_run_folder(target: str) -> Experiment:
    """A `sim run` result folder, or `FOLDER#k` for variant k of a sweep folder."""
    match = re.fullmatch(r"(.+)#(\d+)", target)
    folder = Path(match.group(1) if match and not Path(target).exists() else target)
    variant = int(match.group(2)) if match and not Path(target).exists() else None
    import pyarrow.parquet as pq

    from sim.analysis.paired import CODE_COLUMNS, Codes
    from sim.experiment.store import check_not_temporary
    from sim.input_files import check_input_file, read_input_text

    check_not_temporary(target, folder)
    if not (folder / "manifest.json").exists():
        raise InputError(target, None, "expected a result folder holding manifest.json")
    from sim.cli.report import check_result_folder

    check_result_folder(folder)  # a damaged folder (truncated runs.parquet, ...) says what is wrong, naming it
    try:
        manifest = json.loads(read_input_text(folder / "manifest.json", "manifest (JSON)"))
        if not isinstance(manifest, dict):
            raise ValueError("expected a JSON object")
    except ValueError as exc:
        raise InputError(target, None, f"expected a result folder with a readable manifest.json: {exc}") from None
    runs_file = folder / "runs.parquet"
    if manifest.get("kind") == "sweep":
        if manifest.get("status") != "complete":
            raise InputError(target, None, f"expected a complete sweep; resume it first: sim sweep --resume {folder}")
        if variant is None:
            raise InputError(target, None, f"expected one variant of the sweep: {folder}#<variant> (see its variants.parquet)")
        variants = pq.read_table(folder / "variants.parquet").to_pylist()
        if not 0 <= variant < len(variants):
            raise InputError(target, None, f"expected a variant within 0..{len(variants) - 1}, got {variant}")
        table = pq.read_table(runs_file, columns=["variant", *CODE_COLUMNS, "first_agreement_week"], filters=[("variant", "=", variant)])
        row = variants[variant]
        label = f"{manifest['sweep']}#{variant}: " + row["overrides"].replace("; ", ", ")
        seed = int(row["seed"])
    else:
        if variant is not None:
            raise InputError(target, None, "expected a sweep folder before #<variant>")
        if not runs_file.exists():
            raise InputError(target, None, "expected a result folder holding runs.parquet")
        check_input_file(runs_file, "Parquet table", limit=1 << 62)  # a regular file: a FIFO would hang the reader
        table = pq.read_table(runs_file, columns=[*CODE_COLUMNS, "first_agreement_week"])
        label = f"{manifest.get('scenario', folder.parent.name)} ({folder.name})"
        seed = int(manifest["seed"])
    return Experiment(label, seed, int(manifest.get("weeks") or 0), Codes.from_table(table), _weeks_from_table(table), target)


def is_scenario(target: str) -> bool:
    """A scenario file (`*.toml`), or the name of a shipped scenario (`baseline`) when no such folder exists."""
    from sim.scenario.shipped import shipped_path

    if target.endswith(".toml"):
        return True
    try:
        if Path(target).exists():
            return False
    except (OSError, ValueError):
        return False
    found = shipped_path(target)
    return found is not None and found.is_file()


def load_experiments(
    targets: list[str], runs: int | None, seed: int | None, weeks: int | None, spec: ExecutorSpec, chunk_size: int, console: Console
) -> tuple[list[Experiment], int, int]:
    """Read folders and run scenarios (together, with one seed); returns experiments in the order given."""
    from sim.analysis.survival import week_quantiles
    from sim.experiment.executors import ExecutorUnavailable
    from sim.experiment.load import load
    from sim.experiment.run import run_in_memory

    folders = {t: read_run_folder(t) for t in targets if not is_scenario(t)}
    first = next(iter(folders.values()), None)
    seed = seed if seed is not None else (first.seed if first else DEFAULT_SEED)
    runs = runs if runs is not None else (first.codes.n if first else DEFAULT_RUNS)
    scenario_targets = [t for t in targets if is_scenario(t)]
    if weeks is None and first is not None and scenario_targets:
        weeks = first.horizon or None
    loaded = [load(t, [f"horizon_weeks={weeks}"] if weeks is not None else []) for t in scenario_targets]
    ran: dict[str, Experiment] = {}
    if loaded:
        with progress_bar(console) as progress:
            bar = progress.add_task(f"running {len(loaded)} scenario(s)", total=runs * len(loaded))
            try:
                results = run_in_memory(loaded, runs, seed, chunk_size=chunk_size, executor=spec, progress=lambda k: progress.advance(bar, k))
            except ExecutorUnavailable as exc:
                raise InputError("--executor", spec.kind, str(exc)) from None
        for target, item, result in zip(scenario_targets, loaded, results):
            hist = result.aggregates.first_agreement_week_hist
            ran[target] = Experiment(item.scenario.name, seed, item.scenario.horizon_weeks, result.codes, week_quantiles(hist, (0.25, 0.5, 0.75)), target)
    return [folders.get(t) or ran[t] for t in targets], runs, seed


def _pct(value: float, signed: bool = False) -> str:
    return f"{100 * value:+.1f}" if signed else f"{100 * value:.1f}%"


def share_cell(codes: Codes, o: Outcome) -> str:
    from sim.analysis.paired import share_with_interval

    count = int(o.indicator(codes).sum())
    share, low, high = share_with_interval(count, codes.n)
    return f"{_pct(share)}\n[dim]{100 * low:.1f}–{100 * high:.1f}[/dim]"


def difference_cell(d: Difference) -> str:
    return f"{_pct(d.difference, True)}\n[dim]{100 * d.low:+.1f} to {100 * d.high:+.1f}[/dim]"


def weeks_cell(weeks: list[int | None]) -> str:
    q25, median, q75 = weeks
    return "none" if median is None else f"{median} ({q25}–{q75})"


def comparison(experiments: list[Experiment]) -> tuple[Table, list[dict[str, Difference]]]:
    """The side-by-side table and, per experiment after the first, its differences to the first."""
    from rich import box
    from rich.table import Table

    from sim.analysis.paired import OUTCOMES, compare_codes

    first = experiments[0]
    diffs = [compare_codes(first.codes, e.codes, paired=e.seed == first.seed) for e in experiments[1:]]
    kinds = {d[OUTCOMES[0].name].paired for d in diffs}
    caption = "Shares with 95% Wilson intervals below; differences to the first in points (percentage points) with 95% intervals below: "
    if kinds == {True}:
        caption += "paired (same seed and replications: common random numbers; Newcombe 1998, method 10)."
    elif kinds == {False}:
        caption += "independent samples (different seeds or replications; Newcombe 1998, method 10)."
    else:
        caption += "paired where marked (same seed and replications), independent elsewhere (Newcombe 1998)."
    table = Table(title="Comparison", box=box.SIMPLE_HEAD, caption=caption)
    table.add_column("Outcome", style="bold")
    table.add_column(escape(first.label), justify="right")
    for e, d in zip(experiments[1:], diffs):
        table.add_column(escape(e.label), justify="right")
        paired = d[OUTCOMES[0].name].paired
        table.add_column(f"Δ vs first\n({'paired' if paired else 'independent'})", justify="right")
    for o in OUTCOMES:
        cells = [share_cell(first.codes, o)]
        for e, d in zip(experiments[1:], diffs):
            cells += [share_cell(e.codes, o), difference_cell(d[o.name])]
        table.add_row(o.label, *cells)
        table.add_section()
    weeks = [weeks_cell(first.weeks)]
    for e in experiments[1:]:
        weeks += [weeks_cell(e.weeks), ""]
    table.add_row("Weeks to first agreement, median (IQR)", *weeks)
    sizes = [f"{first.codes.n}\n[dim]seed {first.seed}[/dim]"]
    for e in experiments[1:]:
        sizes += [f"{e.codes.n}\n[dim]seed {e.seed}[/dim]", ""]
    table.add_row("Replications", *sizes)
    return table, diffs


def comparison_document(experiments: list[Experiment], diffs: list[dict[str, Difference]]) -> dict[str, Any]:
    """The comparison for `--json`: each experiment's outcome shares with 95% intervals and weeks to agreement, and
    each later experiment's differences to the first (`paired` says which interval)."""
    from sim.analysis.paired import OUTCOMES, share_with_interval

    def shares(codes: Codes) -> dict[str, Any]:
        out = {}
        for o in OUTCOMES:
            share, low, high = share_with_interval(int(o.indicator(codes).sum()), codes.n)
            out[o.name] = {"share": share, "low": low, "high": high}
        return out

    return {
        "experiments": [
            {
                "label": e.label,
                "source": e.source,
                "seed": e.seed,
                "horizon": e.horizon,
                "n": e.codes.n,
                "shares": shares(e.codes),
                "weeks_to_first_agreement": dict(zip(("q25", "median", "q75"), e.weeks)),
            }
            for e in experiments
        ],
        "differences": [
            {
                "first": experiments[0].label,
                "second": e.label,
                "outcomes": {name: {"difference": d.difference, "low": d.low, "high": d.high, "paired": d.paired} for name, d in diff.items()},
            }
            for e, diff in zip(experiments[1:], diffs)
        ],
    }


def compare(
    targets: Annotated[
        list[str],
        typer.Argument(
            metavar="EXPERIMENT", help="Two or more: result folders (RESULT_DIR, or SWEEP_DIR#variant), scenario files, or shipped scenarios by name."
        ),
    ],
    runs: Annotated[int | None, runs_option("Replications of scenarios run here (default: the first folder's, else 10000).")] = None,
    seed: Annotated[int | None, seed_option("Seed of scenarios run here (default: the first folder's).")] = None,
    weeks: WeeksOption = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = Executor.local,
    scheduler: SchedulerOption = None,
    chunk_size: ChunkSizeOption = DEFAULT_CHUNK,
    as_json: JsonOption = False,
) -> None:
    """Compare experiments: outcome shares side by side, differences to the first with 95% (paired) intervals."""
    if len(targets) < 2:
        raise InputError("compare", None, f"expected at least two result folders or scenario files, got {len(targets)}")
    spec = executor_spec(executor, workers, scheduler)
    err = stderr_console()  # progress goes to stderr, like every command's
    experiments, runs, seed = load_experiments(targets, runs, seed, weeks, spec, chunk_size, err)
    table, diffs = comparison(experiments)
    if as_json:
        print_json(comparison_document(experiments, diffs))
    else:
        stdout_console(160).print(table)


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)
