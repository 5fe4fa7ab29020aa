"""`sim discover RESULT_DIR --outcome EXPR`: under which parameter values is an outcome likely (PRIM, CART, feature scores)?"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box as rich_box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sim.errors import InputError
from sim.names import DiscoveryMethod

if TYPE_CHECKING:
    import numpy as np

    from sim.analysis.discovery import Cases, Discovery, Limit

MAX_STEMS = 1000


def discovery_stem(folder: Path) -> str:
    """`discovery`, else `discovery-2`, `discovery-3`, ...: the first name whose .json, .parquet and plots are all free."""
    for i in range(1, MAX_STEMS + 1):
        stem = "discovery" if i == 1 else f"discovery-{i}"
        if not any(p.exists() for p in (folder / f"{stem}.json", folder / f"{stem}.parquet", folder / "plots" / stem)):
            return stem
    raise InputError(str(folder), None, f"expected fewer than {MAX_STEMS} discoveries in one folder; remove some discovery-* files")


def write_discovery(result: Discovery, cases: Cases, y: np.ndarray, folder: Path) -> tuple[str, list[Path]]:
    """Write `<stem>.parquet`, the plots under plots/<stem>/, then `<stem>.json` (last: a json file means a whole discovery)."""
    from sim.experiment.store import write_json_atomic, write_parquet_atomic
    from sim.report.discovery_plots import write_discovery_plots

    stem = discovery_stem(folder)
    written = [write_parquet_atomic(folder / f"{stem}.parquet", result.to_table())]
    plots = write_discovery_plots(result, cases, y, folder / "plots" / stem)
    data = result.to_json()
    data["plots"] = [str(p.relative_to(folder)) for p in plots]
    data["files"] = {"table": f"{stem}.parquet", "json": f"{stem}.json"}
    written += plots
    written.append(write_json_atomic(folder / f"{stem}.json", data, sort_keys=False))
    return stem, written


def _pvalue(lim: Limit) -> str:
    qps = [q for q in (lim.qp_low, lim.qp_high) if q is not None]
    return "—" if not qps else f"{max(qps):.1e}"


def box_table(result: Discovery) -> Table:
    box = result.box
    assert box is not None  # PRIM and CART select a box; only scores have none (shown by scores_table)
    what = "PRIM box" if result.method == "prim" else "CART leaf"
    table = Table(
        title=f"{what} {box.index} for {escape(result.outcome)}: coverage {box.coverage:.2f}, density {box.density:.2f}, "
        f"{box.n} of {result.cases} cases (base rate {result.base_rate:.2f})",
        box=rich_box.SIMPLE_HEAD,
        caption="qp: quasi-p-value of the limit (Bryant & Lempert 2010), the larger of its two sides; unrestricted dimensions are not shown."
        if result.method == "prim"
        else "Unrestricted dimensions are not shown.",
    )
    table.add_column("Dimension")
    table.add_column("Box", justify="right")
    table.add_column("Range", justify="right", style="dim")
    if result.method == "prim":
        table.add_column("qp", justify="right")
    for lim in box.restricted:
        rng = "" if lim.categories is not None else f"{lim.range_low:.4g} to {lim.range_high:.4g}"
        cells = [escape(lim.dimension), escape(lim.describe()), rng]
        if result.method == "prim":
            cells.append(_pvalue(lim))
        table.add_row(*cells)
    if not box.restricted:
        table.add_row("(none: the whole space)", "", "", *([""] if result.method == "prim" else []))
    return table


def trajectory_table(result: Discovery, limit: int = 25) -> Table:
    what = "Peeling trajectory" if result.method == "prim" else "CART leaves"
    table = Table(title=f"{what} (select with --box N)", box=rich_box.SIMPLE_HEAD)
    for name in ("Box", "Coverage", "Density", "Mass", "Restricted"):
        table.add_column(name, justify="right")
    boxes = result.boxes
    assert result.selected is not None  # as in box_table
    step = max(1, len(boxes) // limit)
    shown = sorted(set(list(range(0, len(boxes), step)) + [len(boxes) - 1, result.selected]))
    for i in shown:
        b = boxes[i]
        style = "bold" if i == result.selected else None
        table.add_row(str(b.index), f"{b.coverage:.2f}", f"{b.density:.2f}", f"{b.mass:.3f}", str(b.res_dim), style=style)
    return table


def scores_table(result: Discovery, limit: int = 25) -> Table:
    table = Table(title=f"Feature scores for {escape(result.outcome)} (extra trees)", box=rich_box.SIMPLE_HEAD)
    table.add_column("#", justify="right")
    table.add_column("Dimension")
    table.add_column("Score", justify="right")
    for i, (d, s) in enumerate(result.scores[:limit], 1):
        table.add_row(str(i), escape(d), f"{s:.3f}")
    return table


def discover(
    folder: Annotated[
        Path, typer.Argument(metavar="RESULT_DIR", help="A finished sweep folder, or a run folder whose runs.parquet has drawn param__* columns.")
    ],
    outcome: Annotated[
        str,
        typer.Option(
            "--outcome", metavar="EXPR", help="The cases of interest, e.g. 'status == \"settlement\"', 'first_agreement_week <= 12 and not breakdown'."
        ),
    ],
    method: Annotated[
        DiscoveryMethod, typer.Option("--method", "-m", help="prim (boxes by peeling and pasting), cart (tree leaves) or scores (extra-trees feature scores).")
    ] = DiscoveryMethod.prim,
    box: Annotated[
        int | None,
        typer.Option(
            "--box", metavar="INDEX", min=0, help="Box of the trajectory (PRIM) or leaf (CART) to show (default: the best balance of coverage and density)."
        ),
    ] = None,
    dimension: Annotated[
        list[str] | None,
        typer.Option("--dimension", "-d", metavar="PARAMETER", help="Only these parameters (repeatable; default: every parameter that varies)."),
    ] = None,
    drawn: Annotated[
        bool,
        typer.Option(
            "--drawn/--no-drawn", help="Include the parameters drawn per replication (param__* columns); --no-drawn keeps a sweep's varied parameters only."
        ),
    ] = True,
    mass_min: Annotated[float, typer.Option("--mass-min", metavar="SHARE", min=0.0, max=1.0, help="Smallest box, as a share of the cases.")] = 0.05,
    peel_alpha: Annotated[
        float, typer.Option("--peel-alpha", metavar="SHARE", min=0.001, max=0.5, help="PRIM: share of the box's cases peeled off per step.")
    ] = 0.05,
    paste_alpha: Annotated[float, typer.Option("--paste-alpha", metavar="SHARE", min=0.001, max=0.5, help="PRIM: share of cases pasted back per step.")] = 0.05,
    max_cases: Annotated[
        int, typer.Option("--max-cases", metavar="N", min=100, help="Use a fixed random sample of this many replications when there are more.")
    ] = 100_000,
    write: Annotated[bool, typer.Option("--write/--no-write", help="Write discovery.json, discovery.parquet and plots into RESULT_DIR.")] = True,
) -> None:
    """Scenario discovery: the parameter box (or the parameters) that make an outcome likely, from a finished sweep or run."""
    from sim.analysis.discovery import DiscoveryError
    from sim.analysis.discovery import discover as run_discovery

    console = Console(width=None if sys.stdout.isatty() else 150)
    if write and folder.is_dir():
        from sim.experiment.store import UnwritableOutput, check_writable

        try:
            check_writable(folder)
        except UnwritableOutput as exc:
            raise InputError(str(folder), None, f"expected a writable result folder (or --no-write): {exc}") from None
    try:
        result, cases, y = run_discovery(
            folder,
            outcome,
            method=method.value,
            box=box,
            max_cases=max_cases,
            peel_alpha=peel_alpha,
            paste_alpha=paste_alpha,
            mass_min=mass_min,
            dimensions=dimension,
            drawn=drawn,
        )
    except DiscoveryError as exc:
        raise InputError(exc.field, None, exc.message) from None
    sampled = f" (a sample of {result.cases} of {result.cases_total})" if result.cases < result.cases_total else ""
    console.print(
        f"[dim]{escape(str(folder))}: {result.cases} cases{sampled}, {result.of_interest} of interest "
        f"({100 * result.base_rate:.1f}%), {len(result.dimensions)} parameters"
        + (f"; left out (constant or not drawn everywhere): {escape(', '.join(result.dropped))}" if result.dropped else "")
        + "[/dim]"
    )
    if result.method == "scores":
        console.print(scores_table(result))
    else:
        console.print(box_table(result))
        console.print(trajectory_table(result))
    if write:
        stem, written = write_discovery(result, cases, y, folder)
        console.print(f"[dim]wrote {escape(str(folder / (stem + '.json')))}, {stem}.parquet and {len(written) - 2} plot(s) in plots/{stem}/[/dim]")


def register(app: typer.Typer) -> None:
    app.command("discover")(discover)
