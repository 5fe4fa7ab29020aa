"""One replication told week by week, from an exact, fully traced replay.

Every draw of the model is a function of (seed, replication index, week, name), so
`CeasefireModel(scenario, seed, [i], trace=True)` replays replication i of any run alone
and exactly; its trace (`model.events`) holds every decision of that replication. This
module turns the trace into a `Story`: a header (what was replayed, what was drawn),
where the sides start (positions, red lines, the bargaining range), one section per
eventful week (aid and pressure, force commitments, the front, beliefs, proposals with
their terms, each side's utility of accepting against fighting on and its answer,
agreements, truce breakdowns), folded spans of weeks with nothing new, and the outcome:
the replication's row of `runs.parquet`, recomputed by the replay.

Renderers: plain text for the terminal, Markdown and a self-contained HTML page.
"""

from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.analysis.aggregate import AGREEMENT_TYPES, CEASEFIRE, PARTIAL_TRUCE, SETTLEMENT, STATUSES, WAR
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from sim.model.model import CeasefireModel

TYPE_NAMES = {
    PARTIAL_TRUCE: "partial truce (air, sea and energy)",
    CEASEFIRE: "general ceasefire",
    SETTLEMENT: "settlement",
}
STATUS_NAMES = {WAR: "war", PARTIAL_TRUCE: "partial truce", CEASEFIRE: "general ceasefire", SETTLEMENT: "settlement"}
MEDIATOR_NAMES = {"us": "the United States", "turkey": "Turkey"}
MEDIATOR_LABELS = ("us", "turkey")  # runs.parquet's first_mediator labels by code
SIDE_NAMES = {"russia": "Russia", "ukraine": "Ukraine"}

# Events that make a week worth telling in full; the rest (the front's weekly move, belief
# updates, concessions, a truce holding, Europe's aid ramp) are folded into spans.
NEWS = {"member_commits", "force", "proposal", "decision", "agreement", "rejected", "breakdown"}


# ---------------------------------------------------------------------- structure
@dataclass
class Line:
    """One sentence of the story; `depth` 1 lines belong to the line above them."""

    text: str
    depth: int = 0
    kind: str = "event"  # event, detail, quiet, outcome


@dataclass
class Section:
    """A week told in full, a folded span of quiet weeks, or a header section."""

    title: str
    lines: list[Line]
    weeks: tuple[int, int] | None = None  # first and last week covered
    folded: bool = False


@dataclass
class Story:
    """A replayed replication: its sections and its outcome (the row of runs.parquet)."""

    title: str
    scenario: str
    seed: int
    replication: int
    horizon: int
    source: str
    intro: list[Line]
    start: list[Line]
    sections: list[Section]
    outcome_lines: list[Line]
    outcome: dict[str, Any]
    derived: dict[str, Any] = field(default_factory=dict)  # the outcome as read from the trace alone
    note: str = ""


# ---------------------------------------------------------------------- replay
def replay(scenario: Scenario, seed: int, replication: int, weeks: int | None = None) -> CeasefireModel:
    """Build the one-replication model with full tracing and its state at week 0 (not yet run)."""
    from sim.model.model import CeasefireModel

    if replication < 0:
        raise ValueError(f"expected a replication index >= 0, got {replication}")
    return CeasefireModel(scenario, seed, np.array([replication], dtype=np.int64), weeks=weeks, trace=True)


def _forget(model: CeasefireModel) -> None:
    """Release a finished model (mesa 3.3 keeps every model as a key of `Agent._ids`)."""
    import mesa

    for agent in list(model.agents):
        agent.remove()
    getattr(mesa.Agent, "_ids", {}).pop(model, None)


def outcome_row(model: CeasefireModel) -> dict[str, Any]:
    """The replication's outcome with the columns and values of its row in runs.parquet (the same conversion)."""
    from sim.experiment.chunks import runs_batch

    runs = {name: np.asarray(values)[:1] for name, values in model.outcome().runs.items()}
    row: dict[str, Any] = runs_batch(runs).to_pylist()[0]
    return row


def snapshot(model: CeasefireModel) -> dict[str, Any]:
    """The state of a freshly built model that a story starts from (take it before the first step)."""
    return _snapshot(model)


def story_so_far(model: CeasefireModel, start: dict[str, Any], source: str = "") -> Story:
    """The story of a traced one-replication model up to the week it has reached (for the browser app)."""
    return _build(model, start, source)


def tell(scenario: Scenario, seed: int, replication: int, weeks: int | None = None, source: str = "") -> Story:
    """Replay replication `replication` of (scenario, seed) exactly and tell it week by week."""
    model = replay(scenario, seed, replication, weeks)
    try:
        start = _snapshot(model)
        model.run()
        return _build(model, start, source)
    finally:
        _forget(model)


# ---------------------------------------------------------------------- helpers
def _scalar(value: float | np.ndarray) -> float:
    """The first replication's value of a parameter (a float, or an array over replications)."""
    return float(np.ravel(np.asarray(value, dtype=float))[0])


def _signed(x: float, digits: int = 3) -> str:
    return f"{x:+.{digits}f}"


def _pct(p: float) -> str:
    if p <= 0:
        return "0%"
    if p >= 1:
        return "100%"
    if p < 0.001:
        return "under 0.1%"
    if p > 0.999:
        return "over 99.9%"
    return f"{100 * p:.0f}%" if p >= 0.1 else f"{100 * p:.2g}%"


def _troops(x: float) -> str:
    return f"{x:,.0f}"


def _issue_label(scenario: Scenario, issue: str) -> str:
    """An issue's short name (its id in words: 'military limits'), as the terms columns of runs.parquet name it."""
    return issue.replace("_", " ")


def _terms(scenario: Scenario, terms: dict[str, float]) -> str:
    return ", ".join(f"{_issue_label(scenario, k)} {v:.2f}" for k, v in terms.items())


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _direction(delta: float, tolerance: float = 5e-4) -> str:
    if abs(delta) < tolerance:
        return "no change"
    return "toward Russia" if delta > 0 else "toward Ukraine"


def _snapshot(model: CeasefireModel) -> dict[str, Any]:
    """What the sides bring to week 1 (positions move later; the story starts from these)."""
    out: dict[str, Any] = {}
    for side in (model.russia, model.ukraine):
        out[side.actor_id] = {
            "position": side.position[0].copy(),
            "low": side.low[0].copy(),
            "high": side.high[0].copy(),
            "salience": side.salience[0].copy(),
            "belief": float(side.belief_mean[0]),
        }
    out["front"] = float(model.front[0])
    out["drift"] = float(model.true_drift_start[0])
    return out


def _interval(lo: float, hi: float) -> str:
    if lo <= 1e-9 and hi >= 1 - 1e-9:
        return "no red line"
    if lo <= 1e-9:
        return f"nothing above {hi:.2f}"
    if hi >= 1 - 1e-9:
        return f"nothing below {lo:.2f}"
    return f"only {lo:.2f}–{hi:.2f}"


# ---------------------------------------------------------------------- building
def _build(model: CeasefireModel, start: dict[str, Any], source: str) -> Story:
    scenario: Scenario = model.scenario
    issues = model.issue_ids
    p = model.params.values
    lookahead = _scalar(model.lookahead)
    outcome = outcome_row(model)

    intro = [
        Line(f"Scenario {scenario.name}: {scenario.title}.", kind="detail"),
        Line(
            f"Replication {int(model.replications[0])} of seed {model.seed_value}, replayed exactly "
            f"(every draw depends only on the seed, the replication, the week and the draw's name); "
            f"{model.horizon} weeks from {scenario.start_date:%d %B %Y}." + (f" Source: {source}." if source else ""),
            kind="detail",
        ),
        Line(
            "Drawn for this replication: troops Russia "
            f"{_troops(_scalar(p['actors.russia.troops']))}, Ukraine {_troops(_scalar(p['actors.ukraine.troops']))}; "
            f"weekly war cost Russia {_scalar(p['actors.russia.weekly_cost']):.4f}, Ukraine {_scalar(p['actors.ukraine.weekly_cost']):.4f} "
            f"(share of the whole prize); rationality (logit precision) Russia {_scalar(p['actors.russia.rationality']):.0f}, "
            f"Ukraine {_scalar(p['actors.ukraine.rationality']):.0f}.",
            kind="detail",
        ),
        Line(
            f"The front line lives on the {scenario.issues[issues[model.i_territory]].label.lower()} scale ("
            + ", ".join(f"{v:g} = {k.replace('_', ' ')}" for k, v in sorted(scenario.issues[issues[model.i_territory]].anchors.items(), key=lambda kv: kv[1]))
            + "); a rise is a Russian gain.",
            kind="detail",
        ),
    ]

    from sim.scenario.derive import readings_of

    for sid, options in readings_of(scenario).items():
        drawn = model.params.random_columns.get("reading." + sid)
        if drawn is not None:
            label, weight = options[int(drawn[0])]
            st = scenario.statements[sid]
            intro.append(
                Line(
                    f"Reading drawn for {st.speaker}'s \u201c{st.quote}\u201d ({sid}): {label} (probability {weight:.2f}).",
                    kind="detail",
                )
            )

    start_lines: list[Line] = []
    for side in ("russia", "ukraine"):
        s = start[side]
        parts = [f"{_issue_label(scenario, k)} {s['position'][j]:.2f} ({_interval(s['low'][j], s['high'][j])})" for j, k in enumerate(issues)]
        start_lines.append(Line(f"{SIDE_NAMES[side]} wants: " + "; ".join(parts) + "."))
    joint = []
    for j, k in enumerate(issues):
        lo = max(start["russia"]["low"][j], start["ukraine"]["low"][j])
        hi = min(start["russia"]["high"][j], start["ukraine"]["high"][j])
        joint.append((k, lo, hi))
    empty = [k for k, lo, hi in joint if lo > hi + 1e-12]
    if empty:
        start_lines.append(
            Line(
                "No bargaining range on "
                + ", ".join(_issue_label(scenario, k) for k in empty)
                + ": what one side requires, the other's red lines rule out, so any settlement makes at least one side "
                "cross a public red line and pay its audience cost (unless its red lines are vetoes)."
            )
        )
    else:
        start_lines.append(
            Line(
                "Their red lines leave room on every issue (outside it a deal costs a side its audience cost): "
                + "; ".join(f"{_issue_label(scenario, k)} {lo:.2f}–{hi:.2f}" for k, lo, hi in joint)
                + "."
            )
        )
    start_lines.append(
        Line(
            f"The front drifts {_signed(start['drift'], 4)} a week at the start ({_direction(start['drift'], 1e-6)}); "
            f"Russia believes {_signed(start['russia']['belief'], 4)}, Ukraine {_signed(start['ukraine']['belief'], 4)}: "
            "each is optimistic in its own favour and learns from what the front does."
        )
    )
    sanctions = _scalar(model.europe.sanctions)
    if sanctions > 0 and _scalar(model.russia.pressure_sensitivity) * _scalar(p["battlefield.sanctions_cost"]) > 0:
        # The same pressure as phase 1 of the model (sim.model.model.CeasefireModel.phase_support).
        ru_pressure = 1.0 + _scalar(model.russia.pressure_sensitivity) * _scalar(p["battlefield.sanctions_cost"]) * sanctions
        start_lines.append(Line(f"European sanctions (level {sanctions:.2f}) raise Russia's weekly war cost ×{ru_pressure:.2f}."))

    weeks: dict[int, list[dict[str, Any]]] = {}
    for e in model.events:
        weeks.setdefault(e["week"], []).append(e)

    state = {"status": WAR, "us_mediating": True, "last_settlement": None, "us_aid": None}
    derived = {
        "agreements": 0,
        "breakdowns": 0,
        "first_agreement": None,
        "first_agreement_week": None,
        "first_mediator": None,
        "front_final": start["front"],
        "status": STATUSES[WAR],
    }
    sections: list[Section] = []
    quiet: list[int] = []
    quiet_info: dict[int, dict[str, Any]] = {}

    def flush_quiet() -> None:
        if quiet:
            sections.append(_fold(scenario, quiet, quiet_info))
            quiet.clear()

    for week in range(1, model.week + 1):
        events = weeks.get(week, [])
        kinds = {e["event"] for e in events}
        aid = next((e for e in events if e["event"] == "aid"), None)
        aid_changed = aid is not None and (abs(aid["us_aid"] - aid["us_aid_before"]) > 1e-12 or aid["us_mediating"] != state["us_mediating"])
        info = _week_info(events)
        for e in events:  # derive the outcome from the trace alone (checked against the model's by the tests)
            if e["event"] == "agreement":
                derived["agreements"] += 1
                if derived["first_agreement"] is None:
                    derived["first_agreement"] = AGREEMENT_TYPES[e["type"]]
                    derived["first_agreement_week"] = week
                    derived["first_mediator"] = e["mediator"]
                derived["status"] = STATUSES[e["type"]]
            elif e["event"] == "breakdown":
                derived["breakdowns"] += 1
                derived["status"] = STATUSES[WAR]
            elif e["event"] == "lapsed":
                derived["status"] = STATUSES[WAR]
            elif e["event"] == "front":
                derived["front_final"] = e["after"]
        if week == 1 or aid_changed or kinds & NEWS:
            flush_quiet()
            sections.append(Section(f"Week {week}", _tell_week(model, events, state, lookahead, full=(week == 1)), (week, week)))
        else:
            quiet.append(week)
            quiet_info[week] = info
            _advance(state, events)
    flush_quiet()

    lines = _outcome_lines(scenario, outcome, model.week, model.horizon)
    return Story(
        title=f"replication {int(model.replications[0])} — {scenario.title}",
        scenario=scenario.name,
        seed=model.seed_value,
        replication=int(model.replications[0]),
        horizon=model.horizon,
        source=source,
        intro=intro,
        start=start_lines,
        sections=sections,
        outcome_lines=lines,
        outcome=outcome,
        derived=derived,
    )


def _week_info(events: list[dict[str, Any]]) -> dict[str, Any]:
    info: dict[str, Any] = {"concession": {}}
    for e in events:
        if e["event"] == "front":
            info["front"] = (e["before"], e["after"], e["fighting"])
        elif e["event"] == "beliefs":
            info["beliefs"] = (e["russia"], e["ukraine"])
        elif e["event"] == "holds":
            info["holds"] = (e["type"], e["hazard"])
        elif e["event"] == "concession":
            info["concession"][e["side"]] = e["moved"]
        elif e["event"] == "aid":
            info["aid"] = (e["us_aid"], e["europe_aid"], e["aid_index"])
    return info


def _advance(state: dict[str, Any], events: list[dict[str, Any]]) -> None:
    """Keep the running state (status, US mediation, last aid) up to date through folded weeks."""
    for e in events:
        if e["event"] == "aid":
            state["us_mediating"] = e["us_mediating"]
            state["us_aid"] = e["us_aid"]
        elif e["event"] == "agreement":
            state["status"] = e["type"]
        elif e["event"] == "breakdown":
            state["status"] = WAR


def _fold(scenario: Scenario, weeks: list[int], info: dict[int, dict[str, Any]]) -> Section:
    """Quiet weeks as one section: the front's path, where the beliefs ended, truces holding, concessions."""
    first, last = weeks[0], weeks[-1]
    title = f"Week {first}" if first == last else f"Weeks {first}–{last}"
    parts = []
    fronts = [info[w]["front"] for w in weeks if "front" in info[w]]
    moving = [f for f in fronts if f[2]]
    if moving:
        a, b = moving[0][0], moving[-1][1]
        parts.append(f"the front moves {a:.3f} → {b:.3f} ({_direction(b - a)})")
    elif fronts:
        parts.append(f"the front stays at {fronts[-1][1]:.3f}")
    held = [info[w]["holds"] for w in weeks if "holds" in info[w]]
    if held:
        kinds = sorted({STATUS_NAMES[t] for t, _ in held})
        hz = [h for _, h in held]
        span = _pct(min(hz)) if math.isclose(min(hz), max(hz), rel_tol=0.05) else f"{_pct(min(hz))}–{_pct(max(hz))}"
        parts.append(f"the {' then '.join(kinds)} holds (breakdown hazard {span} a week)")
    elif moving:
        parts.append("the war goes on")
    beliefs = [info[w]["beliefs"] for w in weeks if "beliefs" in info[w]]
    if beliefs and moving:
        r, u = beliefs[-1]
        parts.append(f"beliefs about the weekly drift end at Russia {_signed(r, 4)}, Ukraine {_signed(u, 4)}")
    conceded: dict[str, float] = {}
    for w in weeks:
        for side, moved in info[w]["concession"].items():
            conceded[side] = conceded.get(side, 0.0) + moved
    if conceded:
        parts.append("toward the last settlement proposal " + ", ".join(f"{SIDE_NAMES[s]} concedes {m:.3f}" for s, m in conceded.items()) + " in all")
    text = "Nothing new: " + "; ".join(parts) + "." if parts else "Nothing new."
    return Section(title, [Line(text, kind="quiet")], (first, last), folded=True)


def _tell_week(model: CeasefireModel, events: list[dict[str, Any]], state: dict[str, Any], lookahead: float, full: bool) -> list[Line]:
    scenario: Scenario = model.scenario
    lines: list[Line] = []
    sens = _scalar(model.ukraine.pressure_sensitivity)
    for e in events:
        ev = e["event"]
        if ev == "aid":
            changed = abs(e["us_aid"] - e["us_aid_before"]) > 1e-12
            if full or changed:
                policy = {
                    "conditional": "conditional: suspended while Ukraine rejects US proposals, restored when it accepts",
                    "full": "full, whatever Ukraine answers",
                    "cut": "cut for good",
                }.get(model.us.policy, model.us.policy)
                policy = policy if full else model.us.policy
                if changed:
                    up = e["us_aid"] > e["us_aid_before"]
                    why = ""
                    if model.us.policy == "conditional":
                        why = " after Ukraine accepted a US proposal" if up else " after Ukraine rejected a US proposal"
                    head = f"The United States {'restores' if up else 'suspends' if e['us_aid'] <= 0 else 'cuts'} military aid{why}: "
                else:
                    head = "US military aid: "
                pressure = max(1.0 + sens * (1.0 - e["aid_index"]), 0.0)
                lines.append(
                    Line(
                        f"{head}{e['us_aid']:.2f} of its 2022-24 flow (policy {policy}); Europe gives {e['europe_aid']:.2f} of its own. "
                        f"Aid index {e['aid_index']:.2f}: the pressure of missing aid multiplies Ukraine's weekly war cost ×{pressure:.2f}."
                    )
                )
            if e["us_mediating"] != state["us_mediating"]:
                lines.append(
                    Line(
                        "The United States' patience runs out: it stops tabling proposals."
                        if not e["us_mediating"]
                        else "The United States takes up mediation again."
                    )
                )
            state["us_mediating"] = e["us_mediating"]
            state["us_aid"] = e["us_aid"]
        elif ev == "member_commits":
            member = scenario.actors.europe.members.get(e["member"])
            name = member.label if member else e["member"]
            lines.append(Line(f"{name} commits {_troops(e['troops'])} troops to the European reassurance force."))
        elif ev == "force":
            if e["size"] > 0 and e["before"] <= 0:
                lines.append(Line(f"The reassurance force exists: {_troops(e['size'])} troops committed (its minimum is reached)."))
            elif e["size"] > 0:
                lines.append(Line(f"The reassurance force grows to {_troops(e['size'])} troops."))
            else:
                lines.append(Line("The reassurance force falls below its minimum and no longer counts."))
        elif ev == "front":
            if e["fighting"]:
                state.setdefault("fighting_weeks", set()).add(e["week"])
                delta = e["after"] - e["before"]
                moved = f"{_signed(delta)}, {_direction(delta)}" if abs(delta) >= 5e-4 else "no change"
                lines.append(
                    Line(
                        f"Front: {e['before']:.3f} → {e['after']:.3f} ({moved}; the expected drift "
                        f"was {_signed(e['drift'], 4)}). War costs this week: Russia {e['cost_russia']:.4f}, Ukraine {e['cost_ukraine']:.4f}.",
                        kind="detail",
                    )
                )
            else:
                lines.append(Line(f"Front: quiet at {e['after']:.3f} under the {STATUS_NAMES[state['status']]}.", kind="detail"))
        elif ev == "beliefs":
            if not (e.get("week") in state.get("fighting_weeks", ()) or any(x["event"] == "decision" for x in events)):
                continue  # beliefs only move with the front; without a decision to inform they add nothing
            front = model.weekly_front[e["week"], 0]
            r = min(max(front + e["russia"] * lookahead, 0.0), 1.0)
            u = min(max(front + e["ukraine"] * lookahead, 0.0), 1.0)
            lines.append(
                Line(
                    f"Beliefs about the weekly drift: Russia {_signed(e['russia'], 4)}, Ukraine {_signed(e['ukraine'], 4)} "
                    f"(gap {e['gap']:.4f}); so in {lookahead:.0f} weeks Russia expects the front at {r:.2f}, Ukraine at {u:.2f}.",
                    kind="detail",
                )
            )
        elif ev == "proposal":
            kind = e["type"]
            what = TYPE_NAMES[kind]
            lines.append(Line(f"{_capital(MEDIATOR_NAMES[e['mediator']])} tables a {what}: {_terms(scenario, e['terms'])}."))
            if kind == SETTLEMENT:
                state["last_settlement"] = e["terms"]
                withheld = int(e.get("withheld", 0) or 0)
                parties = [name for bit, name in ((1, "Europe"), (2, "the United States")) if withheld & bit]
                if parties:
                    lines.append(
                        Line(
                            " and ".join(parties)
                            + (" withholds consent to the terms it controls" if len(parties) == 1 else " withhold consent to the terms they control")
                            + " (a share of the sanctions relief; for Europe also a guarantee resting on its force): the "
                            "settlement on the table delivers only what is consented to.",
                            depth=1,
                        )
                    )
                else:
                    lines.append(Line("Europe and the United States consent to the terms they control.", depth=1, kind="detail"))
        elif ev == "decision":
            side = SIDE_NAMES[e["side"]]
            crossed = e.get("red_lines_crossed") or []
            where = (
                (" It would cross its red line on " + ", ".join(_issue_label(scenario, k) for k in crossed) + " (an audience cost, counted in the gain).")
                if crossed
                else ""
            )
            risk = f", breakdown risk within its look-ahead {_pct(e['breakdown_risk'])}" if "breakdown_risk" in e else ""
            if e["probability"] <= 0.0 and crossed:
                lines.append(
                    Line(
                        f"{side}: accepting is worth {e['value_agreement']:+.3f} against {e['value_war']:+.3f} for fighting on"
                        f"{risk}, but its red line on " + ", ".join(_issue_label(scenario, k) for k in crossed) + " is a veto: rejects.",
                        depth=1,
                    )
                )
            else:
                answer = "accepts" if e["accepted"] else "rejects"
                lines.append(
                    Line(
                        f"{side}: accepting is worth {e['value_agreement']:+.3f} against {e['value_war']:+.3f} for fighting on"
                        f"{risk}; net gain {e['gain']:+.3f}, chance of accepting {_pct(e['probability'])}: it {answer}.{where}",
                        depth=1,
                    )
                )
        elif ev == "agreement":
            before = state["status"]
            state["status"] = e["type"]
            extra = f", replacing the {STATUS_NAMES[before]}" if before != WAR else ""
            lines.append(Line(f"Agreed: a {TYPE_NAMES[e['type']]} is in force from this week{extra}.", kind="outcome"))
        elif ev == "rejected":
            lines.append(Line(f"No agreement: the {STATUS_NAMES[e['type']]} is rejected.", depth=1, kind="detail"))
        elif ev == "concession":
            lines.append(Line(f"{SIDE_NAMES[e['side']]} concedes {e['moved']:.3f} toward the last proposal, on the issues it fixed.", kind="detail"))
        elif ev == "event":
            lines.append(Line(f"Scheduled event: {e['label']}.", kind="outcome"))
        elif ev == "renewed":
            lines.append(Line(f"The {STATUS_NAMES[e['type']]} reaches the end of its term and both sides renew it."))
        elif ev == "lapsed":
            state["status"] = WAR
            lines.append(Line(f"The {STATUS_NAMES[e['type']]} reaches the end of its term and is not renewed: it lapses, and the war resumes.", kind="outcome"))
        elif ev == "holds":
            lines.append(
                Line(
                    f"The {STATUS_NAMES[e['type']]} holds (breakdown hazard this week {_pct(e['hazard'])}, enforcement {_pct(e['enforcement'])}).",
                    kind="detail",
                )
            )
        elif ev == "breakdown":
            state["status"] = WAR
            gain = e["resume_gain"]
            motive = f"; the side keenest to resume gains {gain:+.3f} by it" if gain > 0 else ""
            lines.append(
                Line(
                    f"The {STATUS_NAMES[e['type']]} breaks down (hazard this week {_pct(e['hazard'])}, enforcement "
                    f"{_pct(e['enforcement'])}{motive}): the war and the negotiation resume.",
                    kind="outcome",
                )
            )
    return lines


def _outcome_lines(scenario: Scenario, row: dict[str, Any], week: int, horizon: int) -> list[Line]:
    status = row["status"].replace("_", " ")
    if week >= horizon:
        lines = [Line(f"Status at the horizon (week {horizon}): {status}.", kind="outcome")]
    else:
        lines = [Line(f"Status after week {week} of {horizon}: {status}.", kind="outcome")]
    if row["first_agreement"] is None:
        lines.append(Line("No agreement was ever reached."))
    else:
        lines.append(
            Line(
                f"First agreement: {row['first_agreement'].replace('_', ' ')} in week {row['first_agreement_week']}, "
                f"tabled by {MEDIATOR_NAMES[row['first_mediator']]}."
            )
        )
        lines.append(Line(f"Agreements: {row['agreements']}; breakdowns: {row['breakdowns']}."))
        terms = {k.removeprefix("terms_"): v for k, v in row.items() if k.startswith("terms_")}
        lines.append(Line("Terms of the last agreement: " + _terms(scenario, terms) + "."))
    lines.append(Line(f"Front line {'at the horizon' if week >= horizon else 'now'}: {row['front_final']:.3f}."))
    lines.append(Line(f"Cumulative war costs: Russia {row['cost_russia']:.3f}, Ukraine {row['cost_ukraine']:.3f}."))
    lines.append(Line(f"Largest reassurance force: {_troops(row['force_size'])} troops; weeks with US aid: {row['us_aid_weeks']}."))
    return lines


# ---------------------------------------------------------------------- rendering
def render_text(story: Story, width: int = 100) -> str:
    """The story as plain text for a terminal, wrapped at `width` columns."""
    out: list[str] = []

    def emit(text: str, indent: str, hang: str) -> None:
        out.extend(textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=hang, break_on_hyphens=False) or [indent])

    out.append(f"Story of {story.title}")
    out.append("=" * min(width, len(out[-1])))
    for line in story.intro:
        emit(line.text, "", "  ")
    out.append("")
    out.append("Where they start")
    for line in story.start:
        emit(line.text, "  ", "    ")
    for section in story.sections:
        out.append("")
        if section.folded:
            emit(f"{section.title} · {section.lines[0].text}", "", "    ")
            continue
        out.append(section.title)
        for line in section.lines:
            indent = "  " + "  " * line.depth
            emit(line.text, indent, indent + "  ")
    out.append("")
    out.append("Outcome (this replication's row of runs.parquet)")
    for line in story.outcome_lines:
        emit(line.text, "  ", "    ")
    return "\n".join(out) + "\n"


def render_markdown(story: Story, newest_first: bool = False) -> str:
    """The story as Markdown, for handouts; `newest_first` (the browser's live pane) puts where it stands and the latest week on top."""
    if newest_first:
        return _markdown_newest_first(story)
    out = [f"# Story of {_md(story.title)}", ""]
    out += [_md(line.text) for line in story.intro]
    out = _paragraph_breaks(out)
    out += ["", "## Where they start", ""]
    out += [f"- {_md(line.text)}" for line in story.start]
    for section in story.sections:
        out.append("")
        if section.folded:
            out.append(f"**{section.title}** · _{_md(section.lines[0].text)}_")
            continue
        out += [f"## {section.title}", ""]
        for line in section.lines:
            text = f"**{_md(line.text)}**" if line.kind == "outcome" else _md(line.text)
            out.append("  " * line.depth + f"- {text}")
    out += ["", "## Outcome", "", "_This replication's row of runs.parquet._", ""]
    out += [f"- {_md(line.text)}" for line in story.outcome_lines]
    return "\n".join(out) + "\n"


def _markdown_section(section: Section) -> list[str]:
    if section.folded:
        return [f"**{section.title}** · _{_md(section.lines[0].text)}_"]
    out = [f"#### {section.title}", ""]
    for line in section.lines:
        text = f"**{_md(line.text)}**" if line.kind == "outcome" else _md(line.text)
        out.append("  " * line.depth + f"- {text}")
    return out


def _markdown_newest_first(story: Story) -> str:
    out = ["#### Now", ""] + [f"- {_md(line.text)}" for line in story.outcome_lines]
    for section in reversed(story.sections):
        out += [""] + _markdown_section(section)
    out += ["", "#### Where they start", ""] + [f"- {_md(line.text)}" for line in story.start]
    out += [""] + [_md(line.text) for line in story.intro]
    return "\n".join(_paragraph_breaks(out)) + "\n"


def _paragraph_breaks(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if out and out[-1] and line and not line.lstrip().startswith(("#", "- ")):
            out.append("")
        out.append(line)
    return out


def _md(text: str) -> str:
    return re.sub(r"([*_`\[\]<>|])", r"\\\1", text)


def story_html(story: Story, newest_first: bool = False) -> str:
    """The story as an HTML fragment (no scripts); `newest_first` puts where it stands and the latest week on top."""
    from sim.report.html import esc

    def section_html(section: Section) -> str:
        if section.folded:
            return f"<p class='folded'><b>{esc(section.title)}</b> · {esc(section.lines[0].text)}</p>"
        out = [f"<section class='week'><h3>{esc(section.title)}</h3><ul>"]
        depth = 0
        for line in section.lines:
            while line.depth > depth:
                out.append("<ul>")
                depth += 1
            while line.depth < depth:
                out.append("</ul>")
                depth -= 1
            out.append(f"<li class='{line.kind}'>{esc(line.text)}</li>")
        out.append("</ul>" * depth + "</ul></section>")
        return "".join(out)

    start = "<h2>Where they start</h2><ul>" + "".join(f"<li>{esc(line.text)}</li>" for line in story.start) + "</ul>"
    intro = "".join(f"<p class='intro'>{esc(line.text)}</p>" for line in story.intro)
    outcome_items = "".join(f"<li class='{line.kind}'>{esc(line.text)}</li>" for line in story.outcome_lines)
    if newest_first:
        body = [f"<h3>Now</h3><ul id='outcome'>{outcome_items}</ul>"]
        body += [section_html(s) for s in reversed(story.sections)]
        body += [start, intro]
    else:
        body = [f"<h1>Story of {esc(story.title)}</h1>", intro, start]
        body += [section_html(s) for s in story.sections]
        body.append(f"<h2>Outcome</h2><p class='note'>This replication's row of runs.parquet.</p><ul id='outcome'>{outcome_items}</ul>")
    return "\n".join(body)


def render_html(story: Story) -> str:
    """The story as one self-contained HTML page (no scripts, no network)."""
    from sim.report.html import page

    return page(f"Story of {story.title}", story_html(story))


def render(story: Story, fmt: str, width: int = 100) -> str:
    """The story in `fmt`: text (terminal), markdown or html."""
    if fmt == "markdown":
        return render_markdown(story)
    if fmt == "html":
        return render_html(story)
    return render_text(story, width)
