"""`sim story`: replay one replication exactly, with full tracing, and tell it week by week."""

from __future__ import annotations

import json
import shutil
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sim.cli.limits import MAX_INDEX, MAX_WEEKS
from sim.cli.options import seed_option, set_option
from sim.cli.paths import output_path
from sim.errors import InputError
from sim.experiment.store import check_not_temporary

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario


class StoryFormat(StrEnum):
    """How a story is written (`--format`): for a terminal, as Markdown, or as one self-contained HTML page."""

    terminal = "terminal"
    markdown = "markdown"
    html = "html"


def load_result(folder: Path) -> tuple[Scenario, int, int, dict[str, Any]]:
    """(scenario, seed, runs, manifest) of a result folder, the scenario validated and its rules registered."""
    from pydantic import ValidationError

    from sim.model.rulebook import check_rules
    from sim.scenario.schema import Scenario, ScenarioPathError

    manifest_path = folder / "manifest.json"
    if not folder.is_dir():
        raise InputError("--from", str(folder), "expected a result folder (results/<scenario>/<run id>/), not found")
    from sim.input_files import read_input_text

    check_not_temporary("--from", folder)
    if folder.is_dir() and manifest_path.exists():
        from sim.cli.report import check_result_folder

        try:
            kind = check_result_folder(folder)  # a damaged run (truncated runs.parquet, ...) says what is wrong
        except InputError as exc:
            raise InputError("--from", None, exc.line()) from None
        if kind != "run":
            raise InputError("--from", str(folder), f"expected the result folder of one run of `sim run`, got a {kind} folder")
    if not manifest_path.exists():
        raise InputError("--from", str(folder), "expected a result folder holding manifest.json (one run of `sim run`)")
    try:
        manifest = json.loads(read_input_text(manifest_path, "manifest (JSON)"))
    except ValueError as exc:
        raise InputError(str(manifest_path), None, f"expected a JSON manifest: {exc}") from None
    if not isinstance(manifest, dict) or "resolved_scenario" not in manifest or "seed" not in manifest:
        raise InputError(str(manifest_path), "resolved_scenario", "expected the manifest of one run, with resolved_scenario and seed")
    try:
        scenario = Scenario.model_validate(_issues_in_run_order(manifest["resolved_scenario"], folder))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in ("resolved_scenario", *err["loc"]))
        raise InputError(str(manifest_path), where, err["msg"]) from None
    base = Path(manifest.get("scenario_file") or ".").parent
    try:
        check_rules(scenario, base)
    except ScenarioPathError as exc:
        raise InputError(str(manifest_path), "resolved_scenario." + ".".join(map(str, exc.path)), exc.message) from None
    return scenario, int(manifest["seed"]), int(manifest.get("runs", 0)), manifest


def _issues_in_run_order(resolved: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The resolved scenario with its issues in the run's order.

    The manifest is written with sorted keys, which loses the order of the issues (the
    order of the model's issue arrays and of the terms columns); runs.parquet keeps it in
    its `terms_<issue>` columns, so the replay and its story list the issues as the run did.
    """
    issues = resolved.get("issues") if isinstance(resolved, dict) else None
    runs_path = folder / "runs.parquet"
    if not isinstance(issues, dict) or not runs_path.is_file():
        return resolved
    try:
        import pyarrow.parquet as pq

        names = pq.read_schema(runs_path).names
    except Exception:
        return resolved
    order = [n.removeprefix("terms_") for n in names if n.startswith("terms_")]
    if sorted(order) != sorted(issues):
        return resolved
    return {**resolved, "issues": {k: issues[k] for k in order}}


def story(
    scenario_file: Annotated[Path | None, typer.Argument(metavar="SCENARIO", help="A scenario file, or a shipped scenario by name (or use --from).")] = None,
    from_: Annotated[Path | None, typer.Option("--from", metavar="RESULT_DIR", help="A result folder of `sim run`: replay one of its replications.")] = None,
    replication: Annotated[
        int | None, typer.Option("--replication", "-r", metavar="INDEX", min=0, max=MAX_INDEX, help="Replication index (default 0).")
    ] = None,
    find: Annotated[
        str | None,
        typer.Option(
            "--find",
            metavar="CONDITION",
            help="With --from: the first replication meeting a condition (the expressions of `sim discover "
            "--outcome`), e.g. breakdown, settlement, 'status=settlement and territory>0.6', 'week<10 or not agreement'.",
        ),
    ] = None,
    nth: Annotated[int, typer.Option("--nth", metavar="N", min=1, max=MAX_INDEX, help="With --find: take the n-th match instead of the first.")] = 1,
    seed: Annotated[int | None, seed_option("Seed (with SCENARIO; default as `sim run`).")] = None,
    weeks: Annotated[int | None, typer.Option("--weeks", "-w", metavar="WEEKS", min=1, max=MAX_WEEKS, help="Horizon in weeks (with SCENARIO).")] = None,
    set_: Annotated[list[str] | None, set_option("Override a field (with SCENARIO): dotted.path=value (repeatable).")] = None,
    fmt: Annotated[StoryFormat, typer.Option("--format", "-f", help="How to write the story (html: one self-contained page).")] = StoryFormat.terminal,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", parser=output_path, metavar="FILE", help="Write the story to this file instead of the terminal.")
    ] = None,
) -> None:
    """Replay one replication exactly and tell it week by week; quiet weeks are folded."""
    from sim.analysis.outcome_expr import OutcomeExpressionError, matching_replications
    from sim.report.story import render, tell

    if (scenario_file is None) == (from_ is None):
        raise InputError(None, None, "expected a SCENARIO file or --from RESULT_DIR (one of them)")
    if find is not None and from_ is None:
        raise InputError("--find", None, "expected --from RESULT_DIR: --find picks a replication from a run's runs.parquet")
    if find is not None and replication is not None:
        raise InputError("--find", None, "expected either --find or --replication, not both")
    note = ""
    if from_ is not None:
        if seed is not None or weeks is not None or set_:
            raise InputError("--from", None, "the run's manifest fixes the scenario, seed and horizon: drop --seed, --weeks and --set")
        scenario, seed_value, runs, _ = load_result(from_)
        source = str(from_)
        if find is not None:
            import pyarrow.parquet as pq

            runs_path = from_ / "runs.parquet"
            if not runs_path.is_file():
                raise InputError("--from", str(from_), "expected runs.parquet in the result folder")
            try:
                matches = matching_replications(pq.read_table(runs_path), find)
            except OutcomeExpressionError as exc:
                raise InputError("--find", find, str(exc)) from None
            if len(matches) < nth:
                raise InputError(
                    "--find", find, f"expected a matching replication, found {len(matches)} of {runs}" + (f" (asked for match {nth})" if nth > 1 else "")
                )
            replication = matches[nth - 1]
            note = f"--find {find!r}: replication {replication}, match {nth} of {len(matches)} among {runs} replications"
        replication = 0 if replication is None else replication
        if runs and replication >= runs:
            raise InputError("--replication", str(replication), f"expected an index below {runs}, the number of replications of this run")
    else:
        from sim.defaults import DEFAULT_SEED
        from sim.experiment.load import load

        overrides = list(set_ or []) + ([f"horizon_weeks={weeks}"] if weeks is not None else [])
        assert scenario_file is not None  # exactly one of SCENARIO and --from, checked above
        scenario = load(scenario_file, overrides).scenario
        seed_value = DEFAULT_SEED if seed is None else seed
        source = str(scenario_file)
        replication = 0 if replication is None else replication
    told = tell(scenario, seed_value, replication, source=source)
    told.note = note
    width = max(60, min(120, shutil.get_terminal_size((100, 24)).columns)) if sys.stdout.isatty() else 100
    text = render(told, fmt.value, width)
    if note and fmt is StoryFormat.terminal:
        typer.echo(note, err=True)
    if output is not None:
        from sim.experiment.store import UnsafeOutput, atomic_write, check_output_file

        try:
            check_output_file(output)
            atomic_write(output, lambda name: Path(name).write_text(text, encoding="utf-8"))
        except UnsafeOutput as exc:
            raise InputError("--output", str(output), f"expected a regular file to write: {exc}") from None
        except OSError as exc:
            raise InputError("--output", str(output), f"expected a writable file: {exc.strerror or exc}") from None
        typer.echo(f"wrote {output}", err=True)
    else:
        typer.echo(text, nl=False)


def register(app: typer.Typer) -> None:
    app.command("story")(story)
