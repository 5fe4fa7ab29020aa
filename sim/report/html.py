"""Self-contained HTML pages: one file, plots embedded as data URIs, no scripts, no network.

`page()` wraps a body in the project's page (inline CSS); `report()` writes the report of
a result folder: a single run fully (what was run, the assumptions table with the
statements behind every derived position, the outcome tables with intervals, the plots,
how to reproduce it), and any other layout (a sweep, a comparison) as well as its files
allow: its manifest, its tables and its plots, so the page is always valid.
"""

from __future__ import annotations

import base64
import html
import json
import math
import shlex
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.analysis.tables import format_percent

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 72rem;
       padding: 0 1rem; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ccc; }
h3 { margin-bottom: .3rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #d0d0d0; padding: .25rem .5rem; vertical-align: top; text-align: left; }
th { background: #f2f2f2; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.group td { background: #fafafa; font-style: italic; }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(30rem, 1fr)); gap: 1rem; }
figure { margin: 1rem 0; } figure img { max-width: 100%; border: 1px solid #e0e0e0; }
figcaption { font-size: .85rem; color: #555; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; }
details { margin: .4rem 0; } summary { cursor: pointer; }
.note, .intro { color: #444; } .folded { color: #555; margin: .3rem 0; }
li.outcome { font-weight: 600; } li.detail { color: #333; } li.quiet { color: #666; }
.quote { color: #333; font-style: italic; }
"""


def esc(text: Any) -> str:
    """HTML-escaped text."""
    return html.escape(str(text), quote=True)


def page(title: str, body: str) -> str:
    """A whole HTML document with the project's inline style."""
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def data_uri(path: Path) -> str:
    """A PNG (or SVG) file as a data URI, so the page needs no other file."""
    mime = "image/svg+xml" if path.suffix.lower() == ".svg" else "image/png"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def table(headers: Iterable[str], rows: Iterable[Iterable[Any]], table_id: str | None = None, numeric: Iterable[int] = (), caption: str | None = None) -> str:
    """An HTML table; cells are escaped unless given as `Raw`."""
    numeric = set(numeric)
    out = [f"<table{f' id={table_id!r}' if table_id else ''}>"]
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr></thead><tbody>")
    for row in rows:
        if isinstance(row, Group):
            out.append(f"<tr class='group'><td colspan='{row.span}'>{esc(row.text)}</td></tr>")
            continue
        cells = []
        for j, cell in enumerate(row):
            cls = " class='num'" if j in numeric else ""
            cells.append(f"<td{cls}>{cell.html if isinstance(cell, Raw) else esc(cell)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


class Raw:
    """Cell content that is already HTML."""

    def __init__(self, html_text: str) -> None:
        self.html = html_text


class Group:
    """A full-width group row of a table."""

    def __init__(self, text: str, span: int) -> None:
        self.text, self.span = text, span


# ---------------------------------------------------------------------- formatting
percent = format_percent  # '18.3% (16.1–20.6)' from a proportion dict of summary.json


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return f"{value:.4g}"
    return str(value)


def label(name: str) -> str:
    return name.replace("_", " ").capitalize()


# ---------------------------------------------------------------------- the report
def report(folder: Path) -> str:
    """The HTML page of a result folder: a single run in full, other layouts as far as their files allow."""
    folder = Path(folder)
    manifest = _read_json(folder / "manifest.json")
    summary = _read_json(folder / "summary.json")
    if manifest is not None and summary is not None and "resolved_scenario" in manifest:
        return _run_report(folder, manifest, summary)
    return _generic_report(folder, manifest)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _run_report(folder: Path, manifest: dict[str, Any], summary: dict[str, Any]) -> str:
    from sim.scenario.schema import Scenario

    scenario = None
    scenario_problem = ""
    try:
        scenario = Scenario.model_validate(manifest["resolved_scenario"])
    except Exception as exc:  # an old or hand-edited manifest: the rest of the page still stands
        scenario_problem = f"The manifest's resolved scenario could not be read ({type(exc).__name__}); the assumptions are left out."
    title = manifest.get("title") or manifest.get("scenario", folder.name)
    body = [f"<h1>{esc(title)}</h1>"]
    body.append(
        f"<p class='note'>Report of the run <code>{esc(manifest.get('run_id', folder.name))}</code> "
        f"of scenario <code>{esc(manifest.get('scenario', ''))}</code>.</p>"
    )
    if scenario is not None and scenario.description:
        body.append(f"<p>{esc(' '.join(scenario.description.split()))}</p>")
    body.append(_what_was_run(manifest))
    body.append("<h2 id='outcomes-heading'>Outcomes</h2>")
    body.append(outcome_table_html(summary))
    body.append(_plots(folder / "plots"))
    body.append(discovery_html(folder))
    body.append("<h2>Assumptions</h2>")
    if scenario is not None:
        body.append(assumptions_html(scenario))
    else:
        body.append(f"<p class='note'>{esc(scenario_problem)}</p>")
    body.append(_reproduce(folder, manifest))
    return page(f"{title}: report", "\n".join(body))


def _what_was_run(manifest: dict[str, Any]) -> str:
    times = manifest.get("times") or {}
    rows = [
        ("Scenario", f"{manifest.get('scenario', '')}: {manifest.get('title', '')}"),
        ("Scenario file", manifest.get("scenario_file", "")),
        ("Extends", " → ".join(Path(p).name for p in manifest.get("extends_chain", [])) or "—"),
        ("Scenario hash (SHA-256 of the resolved scenario)", manifest.get("scenario_hash", "")),
        ("Replications", manifest.get("runs", "")),
        ("Horizon", f"{manifest.get('weeks', '')} weeks"),
        ("Seed", manifest.get("seed", "")),
        (
            "Chunks × size, workers",
            f"{manifest.get('chunks', '')} × {manifest.get('chunk_size', '')}, {manifest.get('workers', '')} (results do not depend on them)",
        ),
        ("Package version, Python", f"{manifest.get('package_version', '')}, {manifest.get('python', '')}"),
        ("Started, finished (UTC)", f"{times.get('started', '')}, {times.get('finished', '')} ({times.get('seconds', '')} s)"),
    ]
    return "<h2>What was run</h2>\n" + table(("", ""), rows, table_id="run")


def outcome_table_html(summary: dict[str, Any]) -> str:
    """The outcome table of summary.json: shares with their intervals, weeks to agreement, durability, terms."""
    from sim.analysis.aggregate import AGREEMENT_TYPES, STATUSES

    confidence = round(100 * summary.get("confidence", 0.95))
    rows: list[Any] = [Group("Status at the horizon", 2)]
    rows += [(f"  {label(s)}", percent(summary["status_at_horizon"].get(s))) for s in STATUSES]
    rows.append(Group("First agreement", 2))
    rows += [(f"  {label(k)}", percent(summary["first_agreement"].get(k))) for k in AGREEMENT_TYPES]
    rows.append(Group("Timing and durability", 2))
    if summary.get("any_agreement"):
        rows.append(("Any agreement", percent(summary["any_agreement"])))
    weeks = summary.get("weeks_to_first_agreement") or {}
    rows.append(
        ("Weeks to first agreement, median (IQR)", "no agreement" if weeks.get("median") is None else f"{weeks['median']} ({weeks['q25']}–{weeks['q75']})")
    )
    rows.append(("Truces broken down (of those with an agreement)", percent(summary.get("truce_broken_down"))))
    if summary.get("mean_breakdowns") is not None:
        rows.append(("Mean breakdowns per replication", f"{summary['mean_breakdowns']:.2f}"))
    terms = summary.get("median_terms") or {}
    if summary.get("issues") and terms:
        rows.append(Group("Median agreed terms (0–1 scale): settlements / all agreements", 2))
        for issue in summary["issues"]:
            a, b = terms.get("settlement", {}).get(issue), terms.get("any_agreement", {}).get(issue)
            rows.append((f"  {label(issue)}", f"{'—' if a is None else f'{a:.2f}'} / {'—' if b is None else f'{b:.2f}'}"))
    caption = f"n = {summary['n']} replications, horizon {summary['horizon']} weeks; shares with {confidence}% Wilson intervals in brackets."
    return table(("Outcome", f"Share ({confidence}% interval)"), rows, table_id="outcomes", numeric=(1,), caption=caption)


PLOT_CAPTIONS = {
    "outcome_shares.png": "Status at the horizon and first agreement by type, with 95% Wilson whiskers.",
    "time_to_agreement.png": "Kaplan–Meier curve of the share still without any agreement, censored at the horizon.",
    "weekly_status.png": "Share of replications in each status, week by week.",
    "front_fan.png": "Front line by week: median, 25–75% and 5–95% bands.",
}


def _plots(plots: Path, heading: str = "Plots") -> str:
    files = sorted(plots.glob("*.png"), key=lambda p: (list(PLOT_CAPTIONS).index(p.name) if p.name in PLOT_CAPTIONS else 99, p.name)) if plots.is_dir() else []
    if not files:
        return f"<h2>{esc(heading)}</h2><p class='note'>No plots in this folder.</p>"
    out = [f"<h2>{esc(heading)}</h2><div class='plots'>"]
    for path in files:
        caption = PLOT_CAPTIONS.get(path.name, path.stem.replace("_", " "))
        out.append(f"<figure><img src='{data_uri(path)}' alt='{esc(caption)}'><figcaption>{esc(caption)}</figcaption></figure>")
    out.append("</div>")
    return "\n".join(out)


def assumptions_html(scenario: Scenario) -> str:
    """The derived positions with the statements behind them, then capabilities and rule parameters."""
    from sim.report.assumptions import capability_rows, position_rows, rule_parameter_rows

    statements = scenario.statements
    rows = []
    for r in position_rows(scenario):
        quotes = []
        for sid in r.statements:
            st = statements.get(sid)
            if st is None:
                quotes.append(f"<code>{esc(sid)}</code>")
                continue
            quotes.append(
                f"<details><summary><code>{esc(sid)}</code>: {esc(st.speaker)}, {esc(st.date)} ({esc(st.strength.replace('_', ' '))})</summary>"
                f"<span class='quote'>“{esc(st.quote)}”</span> <small>{esc(st.source)}</small></details>"
            )
        red = "—" if r.red_line_low <= 0 and r.red_line_high >= 1 else f"{r.red_line_low:.2f}–{r.red_line_high:.2f}"
        rows.append(
            (
                scenario.actors.__getattribute__(r.actor).label,
                scenario.issues[r.issue].label,
                f"{r.position:.2f} ± {r.spread:.2f}",
                f"{r.salience:.2f}",
                red,
                r.rule,
                Raw("".join(quotes) or "—"),
            )
        )
    out = [
        "<h3>Positions derived from stated positions</h3>",
        "<p class='note'>Each actor's position on each issue (mean ± Monte Carlo spread), its normalised salience, "
        "the interval its red lines leave, the derivation rule, and the statements behind them (click to read the quote).</p>",
        table(("Actor", "Issue", "Position", "Salience", "Acceptable", "Rule", "Statements"), rows, table_id="assumptions", numeric=(2, 3, 4)),
    ]
    params = [(p.path, p.value, p.unit, p.description, p.source or "assumption") for p in capability_rows(scenario)]
    out += [
        "<details><summary><b>Capabilities and actor parameters</b></summary>",
        table(("Parameter", "Value", "Unit", "Meaning", "Source"), params, numeric=(1,)),
        "</details>",
    ]
    rules = [(p.path, p.value, p.unit, p.description, p.source or "assumption") for p in rule_parameter_rows(scenario)]
    out += [
        "<details><summary><b>Battlefield, negotiation and breakdown parameters</b></summary>",
        table(("Parameter", "Value", "Unit", "Meaning", "Source"), rules, numeric=(1,)),
        "</details>",
    ]
    return "\n".join(out)


def _reproduce(folder: Path, manifest: dict[str, Any]) -> str:
    command = manifest.get("command")
    given = shlex.join(str(c) for c in command) if isinstance(command, list) and command else ""
    scenario_file = manifest.get("scenario_file", "SCENARIO.toml")
    rerun = shlex.join(["sim", "run", str(scenario_file), "--runs", str(manifest.get("runs", "")), "--seed", str(manifest.get("seed", ""))])
    resolved = json.dumps(manifest.get("resolved_scenario", {}), indent=2, sort_keys=True, ensure_ascii=False)
    out = [
        "<h2 id='reproduce'>How to reproduce it</h2>",
        f"<p>The command as given:</p><pre>{esc(given or '(not recorded)')}</pre>",
        f"<p>The same numbers again (same package version, same scenario: check that its hash is "
        f"<code>{esc(manifest.get('scenario_hash', ''))}</code> in the new manifest; the chunk size and number of "
        "workers do not change the results):</p>",
        f"<pre>{esc(rerun)}</pre>",
        "<p>Replay any replication of this run exactly, week by week:</p>",
        f"<pre>{esc(shlex.join(['sim', 'story', '--from', str(folder), '--replication', '0']))}</pre>",
        "<details><summary>The resolved scenario (every field, after <code>extends</code> and <code>--set</code>)</summary>"
        f"<pre>{esc(resolved)}</pre></details>",
    ]
    return "\n".join(out)


# ---------------------------------------------------------------------- other layouts
MAX_ROWS = 200


def _generic_report(folder: Path, manifest: dict[str, Any] | None) -> str:
    """A sweep, a comparison or any other folder: its manifest, its tables, its plots; always a valid page."""
    manifest = manifest or {}
    kind = manifest.get("kind") or ("sweep" if (folder / "variants.parquet").exists() else "result folder")
    title = manifest.get("title") or manifest.get("sweep") or manifest.get("name") or manifest.get("scenario") or folder.name
    body = [f"<h1>{esc(title)}</h1>", f"<p class='note'>Report of the {esc(kind)} <code>{esc(folder)}</code>.</p>"]
    if manifest:
        skip = ("resolved_scenario", "resolved_scenarios", "sweep_spec", "chunks", "times", "command", "resume")
        rows = [(k, _short(v)) for k, v in manifest.items() if k not in skip]
        times = manifest.get("times")
        if isinstance(times, dict):
            rows.append(("times", _short(", ".join(f"{k} {v}" for k, v in times.items() if k != "sessions"))))
        body.append("<h2>What was run</h2>")
        body.append(table(("", ""), rows, table_id="run"))
    else:
        body.append("<p class='note'>This folder has no manifest.json.</p>")
    summary = _read_json(folder / "summary.json")
    tables = [p for p in ("summary.parquet", "comparison.parquet", "differences.parquet", "variants.parquet") if (folder / p).exists()]
    tables += sorted(
        p.name for p in folder.glob("*.parquet") if p.name not in tables and p.name not in ("runs.parquet", "weekly.parquet") and not _is_discovery(p)
    )
    main_done = False
    if summary and "status_at_horizon" in summary:
        body.append("<h2>Outcomes</h2>" + outcome_table_html(summary))
        main_done = True
    for name in tables:
        try:
            t = pq.read_table(folder / name)
        except Exception as exc:
            body.append(f"<p class='note'>{esc(name)} could not be read: {esc(type(exc).__name__)}.</p>")
            continue
        heading = "Outcomes by variant" if name == "summary.parquet" else label(Path(name).stem)
        body.append(f"<h2>{esc(heading)}</h2>")
        body.append(interval_table_html(t, None if main_done else "outcomes"))
        main_done = True
    if not main_done:
        body.append("<h2>Outcomes</h2><p class='note'>No outcome table in this folder.</p>" + table(("Outcome", "Share"), [], table_id="outcomes"))
    body.append(_plots(folder / "plots"))
    body.append(discovery_html(folder))
    subruns = sorted(p for p in folder.iterdir() if p.is_dir() and (p / "summary.json").exists()) if folder.is_dir() else []
    if subruns:
        body.append("<h2>Runs in this folder</h2>")
        run_rows: list[tuple[Any, ...]] = []
        for sub in subruns:
            s = _read_json(sub / "summary.json") or {}
            st = s.get("status_at_horizon", {})
            run_rows.append((sub.name, *(percent(st.get(k)) for k in ("war", "partial_truce", "ceasefire", "settlement"))))
        body.append(table(("Run", "War", "Partial truce", "Ceasefire", "Settlement"), run_rows, numeric=(1, 2, 3, 4)))
    base = manifest.get("base_scenario")
    if isinstance(base, dict) and base.get("file"):
        body.append("<h2>Assumptions</h2>")
        try:
            from sim.experiment.load import load

            scenario = load(base["file"]).scenario
            body.append(
                f"<p class='note'>Of the base scenario <code>{esc(base['file'])}</code> as it is now"
                + (" (its hash differs from the one the run recorded: the file changed since)" if base.get("hash") and _hash(scenario) != base["hash"] else "")
                + "; the variants change the parameters listed above.</p>"
            )
            body.append(assumptions_html(scenario))
        except Exception as exc:  # the base file moved or no longer validates: say so, keep the page
            body.append(f"<p class='note'>The base scenario {esc(base['file'])} could not be loaded ({esc(type(exc).__name__)}).</p>")
    command = manifest.get("command")
    if isinstance(command, list) and command:
        body.append(f"<h2 id='reproduce'>How to reproduce it</h2><pre>{esc(shlex.join(str(c) for c in command))}</pre>")
        if manifest.get("resume"):
            body.append(f"<p>Finish it if it was interrupted:</p><pre>{esc(manifest['resume'])}</pre>")
    return page(f"{title}: report", "\n".join(body))


# ---------------------------------------------------------------------- scenario discovery (sim discover)
def _is_discovery(path: Path) -> bool:
    """A file written by `sim discover`: discovery.parquet/.json or discovery-<n>.parquet/.json."""
    stem = path.stem
    return stem == "discovery" or (stem.startswith("discovery-") and stem.removeprefix("discovery-").isdigit())


def _discovery_files(folder: Path) -> list[Path]:
    files = [p for p in folder.glob("discovery*.json") if _is_discovery(p)] if folder.is_dir() else []
    return sorted(files, key=lambda p: int(p.stem.removeprefix("discovery-")) if p.stem != "discovery" else 1)


def discovery_html(folder: Path) -> str:
    """A section per `sim discover` result in the folder: the outcome, the selected box with its limits (or the scores), the plots."""
    files = _discovery_files(folder)
    if not files:
        return ""
    out = [
        "<h2 id='discovery'>Scenario discovery</h2>",
        "<p class='note'>Written by <code>sim discover</code>: the parameter values under which the outcome is likely. "
        "Coverage: the share of the cases of interest inside the box; density: the share of the box's cases that are of "
        "interest; qp: the quasi-p-value of a limit (Bryant &amp; Lempert 2010).</p>",
    ]
    for path in files:
        data = _read_json(path)
        if data is None:
            out.append(f"<p class='note'>{esc(path.name)} could not be read.</p>")
            continue
        method = str(data.get("method", ""))
        out.append(
            f"<h3>{esc(path.stem)}: {esc(method.upper() if method != 'scores' else 'feature scores')} for <code>{esc(data.get('outcome', ''))}</code></h3>"
        )
        cases, interest = data.get("cases"), data.get("cases_of_interest")
        total = data.get("cases_total")
        sampled = f" (a sample of {total})" if isinstance(total, int) and isinstance(cases, int) and total > cases else ""
        out.append(
            f"<p>{esc(cases)} cases{esc(sampled)}, {esc(interest)} of interest "
            f"({_percent_of(data.get('base_rate'))}); parameters: {esc(len(data.get('dimensions') or []))}.</p>"
        )
        box = data.get("selected_box")
        if isinstance(box, dict):
            out.append(
                f"<p>Box {esc(box.get('index'))}: coverage {_fixed(box.get('coverage'))}, density "
                f"{_fixed(box.get('density'))}, {esc(box.get('n'))} cases, {esc(box.get('restricted_dimensions'))} "
                "restricted dimensions.</p>"
            )
            rows: list[tuple[Any, ...]] = []
            for lim in box.get("limits") or []:
                if not isinstance(lim, dict) or not lim.get("restricted"):
                    continue
                if lim.get("categories") is not None:
                    limits, span = "in {" + ", ".join(map(str, lim["categories"])) + "}", ""
                else:
                    limits = f"{_g(lim.get('low'))} to {_g(lim.get('high'))}"
                    span = f"{_g(lim.get('range_low'))} to {_g(lim.get('range_high'))}"
                qps = [q for q in (lim.get("qp_low"), lim.get("qp_high")) if isinstance(q, (int, float))]
                rows.append((lim.get("dimension", ""), limits, span, f"{max(qps):.1e}" if qps else "—"))
            out.append(table(("Dimension", "Box", "Range", "qp"), rows, table_id=f"{path.stem}-box", numeric=(1, 2, 3)))
        scores = data.get("scores") or []
        if scores:
            rows = [(i, s.get("dimension"), _fixed(s.get("score"), 3)) for i, s in enumerate(scores[:20], 1) if isinstance(s, dict)]
            out.append(table(("#", "Dimension", "Score"), rows, table_id=f"{path.stem}-scores", numeric=(0, 2)))
        figures = []
        for rel in data.get("plots") or []:
            plot = folder / str(rel)
            # Only files inside the folder (the json is a user-editable file).
            if plot.suffix == ".png" and plot.is_file() and folder.resolve() in plot.resolve().parents:
                figures.append(
                    f"<figure><img src='{data_uri(plot)}' alt='{esc(plot.stem)}'><figcaption>{esc(plot.stem.replace('_', ' '))}</figcaption></figure>"
                )
        if figures:
            out.append("<div class='plots'>" + "".join(figures) + "</div>")
    return "\n".join(out)


def _percent_of(share: Any) -> str:
    return f"{100 * share:.1f}%" if isinstance(share, (int, float)) and math.isfinite(share) else "—"


def _fixed(value: Any, digits: int = 2) -> str:
    return f"{value:.{digits}f}" if isinstance(value, (int, float)) and math.isfinite(value) else "—"


def _g(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, (int, float)) and math.isfinite(value) else "—"


def _hash(scenario: Scenario) -> str:
    from sim.scenario.load import scenario_hash

    return scenario_hash(scenario)


def interval_table_html(t: pa.Table, table_id: str | None = None) -> str:
    """A table whose `<x>_share`, `<x>_low`, `<x>_high` columns are shown as one column 'x% (low–high)'."""
    names = t.column_names
    triplets = [n[: -len("_share")] for n in names if n.endswith("_share") and f"{n[:-6]}_low" in names and f"{n[:-6]}_high" in names]
    if not triplets:
        return arrow_table_html(t, table_id)
    hidden = {f"{x}_{s}" for x in triplets for s in ("share", "low", "high")}
    plain = [n for n in names if n not in hidden and n not in ("weeks_q25", "weeks_q75")]
    rows = []
    for r in t.slice(0, MAX_ROWS).to_pylist():
        row = [_cell(r[n]) for n in plain]
        row += [percent({"share": r[f"{x}_share"], "low": r[f"{x}_low"], "high": r[f"{x}_high"]}) for x in triplets]
        rows.append(row)
    headers = plain + [label(x) for x in triplets]
    numeric = [j for j, n in enumerate(plain) if pa.types.is_floating(t.schema.field(n).type) or pa.types.is_integer(t.schema.field(n).type)]
    numeric += list(range(len(plain), len(headers)))
    out = table(headers, rows, table_id=table_id, numeric=numeric, caption="Shares with 95% Wilson intervals in brackets.")
    if t.num_rows > MAX_ROWS:
        out += f"<p class='note'>First {MAX_ROWS} of {t.num_rows} rows.</p>"
    return out


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 300 else text[:297] + "…"


def arrow_table_html(t: pa.Table, table_id: str | None = None) -> str:
    """A pyarrow table as HTML (at most MAX_ROWS rows)."""
    names = t.column_names
    rows = t.slice(0, MAX_ROWS).to_pylist()
    numeric = [j for j, f in enumerate(t.schema) if pa.types.is_floating(f.type) or pa.types.is_integer(f.type)]
    body = table(names, ([_cell(r[n]) for n in names] for r in rows), table_id=table_id, numeric=numeric)
    if t.num_rows > MAX_ROWS:
        body += f"<p class='note'>First {MAX_ROWS} of {t.num_rows} rows.</p>"
    return body
