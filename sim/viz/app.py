"""The browser app (Mesa's SolaraViz), thin over `EnsembleView`: controls, live charts and one replication's story.

Started by `sim viz`, which runs `solara run sim.viz.app` on 127.0.0.1 with the scenario,
the number of replications and the seed in the environment (SIM_VIZ_SCENARIO,
SIM_VIZ_REPLICATIONS, SIM_VIZ_SEED). Nothing is built at import: each browser session
builds its own model when its page first renders, so students on one server do not step
each other's ensembles.

Controls change the model only when "Reset" is pressed (SolaraViz re-creates the model with
the new keyword arguments); "Step" advances every replication by one week, "▶" plays.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim.defaults import DEFAULT_SEED
from sim.report.html import esc
from sim.viz.charts import front_chart, headline, outcome_chart, status_chart
from sim.viz.model import AID_POLICIES, DEFAULT_REPLICATIONS, DEFAULT_SCENARIO, EnsembleView, load_base, scenario_mediation

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STORY_CHOICES = 1000  # the story pane can follow any of the first replications


@dataclass(frozen=True)
class Settings:
    """What `sim viz` fixed for this server: the scenario file, replications and seed."""

    scenario_path: str
    replications: int
    seed: int


def settings_from_env() -> Settings:
    return Settings(
        scenario_path=os.environ.get("SIM_VIZ_SCENARIO", str(DEFAULT_SCENARIO)),
        replications=int(os.environ.get("SIM_VIZ_REPLICATIONS", DEFAULT_REPLICATIONS)),
        seed=int(os.environ.get("SIM_VIZ_SEED", DEFAULT_SEED)),
    )


def model_params(settings: Settings) -> dict[str, Any]:
    """SolaraViz's controls (dicts with a type) and fixed arguments of `EnsembleView`; defaults from the scenario."""
    base = load_base(settings.scenario_path)
    return {
        "scenario_path": settings.scenario_path,
        "replications": settings.replications,
        "seed": settings.seed,
        "us_aid": {"type": "Select", "value": base.actors.us.aid_policy, "values": list(AID_POLICIES), "label": "US aid policy"},
        "reassurance_force": {"type": "Checkbox", "value": True, "label": "European reassurance force (members pledge troops)"},
        "us_backstop": {"type": "Checkbox", "value": bool(base.actors.us.backstop), "label": "US backstop for the force"},
        "turkey_mediation": {
            "type": "SliderFloat",
            "value": round(scenario_mediation(base), 2),
            "min": 0.0,
            "max": 0.5,
            "step": 0.01,
            "label": "Turkish mediation (/week)",
        },
        "rationality": {"type": "SliderFloat", "value": 1.0, "min": 0.1, "max": 5.0, "step": 0.1, "label": "Rationality (× scenario)"},
        "war_costs": {"type": "SliderFloat", "value": 1.0, "min": 0.25, "max": 4.0, "step": 0.25, "label": "War costs (× scenario)"},
        "horizon": {"type": "SliderInt", "value": int(base.horizon_weeks), "min": 4, "max": 156, "step": 4, "label": "Horizon (weeks)"},
        "story_replication": {
            "type": "SliderInt",
            "value": 0,
            "min": 0,
            "max": min(settings.replications, STORY_CHOICES) - 1,
            "step": 1,
            "label": "Story: replication",
        },
    }


def initial_model(settings: Settings, params: dict[str, Any]) -> EnsembleView:
    """The model with every control at its default (what Reset builds before any control moves)."""
    kwargs = {k: (v["value"] if isinstance(v, dict) and "type" in v else v) for k, v in params.items()}
    return EnsembleView(**kwargs)


# ---------------------------------------------------------------------- components
@solara.component  # type: ignore[untyped-decorator]  # solara is read as untyped (pyproject.toml)
def Summary(model: EnsembleView) -> None:
    update_counter.get()
    with solara.Card("Scenario and controls in force", classes=["sim-summary"]):
        # solara.HTML, not solara.Markdown: Markdown loads KaTeX from a CDN, and the app must work offline.
        solara.HTML(tag="div", unsafe_innerHTML=f"<b>{esc(model.scenario.title)}</b> ({esc(model.base.name)})")
        solara.HTML(tag="div", unsafe_innerHTML=esc(model.describe_controls()), classes=["sim-controls"])
        solara.HTML(tag="div", unsafe_innerHTML=esc(headline(model)), classes=["sim-headline"])
        solara.HTML(tag="div", unsafe_innerHTML="<i>Move a control, then press <b>Reset</b> to apply it; <b>Step</b> advances every replication a week.</i>")


def _chart_card(title: str, css: str, draw: Callable[[EnsembleView], Figure]) -> Any:
    """A card holding one chart of the ensemble, redrawn when the model steps."""

    def Chart(model: EnsembleView) -> None:
        update_counter.get()
        with solara.Card(title, classes=["sim-chart", css]):
            solara.FigureMatplotlib(draw(model), format="png", dependencies=[id(model), model.week])

    Chart.__name__ = Chart.__qualname__ = css.title().replace("-", "")
    return solara.component(Chart)


StatusChart = _chart_card("Weekly status shares", "sim-status-chart", status_chart)
FrontChart = _chart_card("Front-line fan", "sim-front-chart", front_chart)
OutcomeChart = _chart_card("Outcome shares with 95% intervals", "sim-outcome-chart", outcome_chart)


@solara.component  # type: ignore[untyped-decorator]  # solara is read as untyped (pyproject.toml)
def StoryPane(model: EnsembleView) -> None:
    from sim.report.story import story_html

    update_counter.get()
    with solara.Card(f"The story of replication {model.story_replication} (newest week first)", classes=["sim-story"]):
        solara.HTML(
            tag="div", unsafe_innerHTML=story_html(model.story(), newest_first=True), style={"max-height": "520px", "overflow-y": "auto", "font-size": "0.9rem"}
        )


COMPONENTS = [Summary, StatusChart, FrontChart, OutcomeChart, StoryPane]


@solara.component  # type: ignore[untyped-decorator]  # solara is read as untyped (pyproject.toml)
def Page() -> None:
    settings = solara.use_memo(settings_from_env, [])
    params = solara.use_memo(lambda: model_params(settings), [settings])
    model = solara.use_memo(lambda: initial_model(settings, params), [settings])
    SolaraViz(
        model,
        components=COMPONENTS,
        model_params=params,
        name=f"Ceasefire negotiations: {model.base.title}",
        play_interval=150,
    )
