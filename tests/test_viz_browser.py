"""The browser app in a real browser: `sim viz` served on 127.0.0.1, driven by headless Chromium (Playwright).

The test starts the server itself (a subprocess on a free port), waits for it, opens the
app, moves the Turkish-mediation slider, applies it with Reset, steps the ensemble, and
checks that the charts changed and that the page shows exactly what the model computes
for those settings. It saves a screenshot (results/screenshots/viz_app.png, or under
$SIM_SCREENSHOT_DIR) and always stops the server.

Skipped only where Chromium is absent, and never in CI (CI=true): `.ci/run` installs it.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from clitools import serving

from sim.viz.browser import chromium_path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "baseline.toml"
RUNS = 500
SEED = 11
STEPS = 5
SCREENSHOTS = Path(os.environ.get("SIM_SCREENSHOT_DIR", ROOT / "results" / "screenshots"))


def need_chromium() -> None:
    if chromium_path() is None:
        reason = "Chromium not found (/usr/bin/chromium): install Debian's package with `apt-get install chromium` to run the browser tests"
        if os.environ.get("CI"):
            pytest.fail(reason + "; in CI .ci/run installs it, so its absence is an error")
        pytest.skip(reason)


@pytest.fixture
def server(tmp_path):
    """`sim viz` on a free port of 127.0.0.1; yields its URL; always stopped."""
    need_chromium()
    from sim.cli.viz import free_port

    port = free_port()
    argv = [sys.executable, "-m", "sim", "viz", str(SCENARIO), "--runs", str(RUNS), "--seed", str(SEED), "--port", str(port)]
    with serving(argv, port, tmp_path / "server.log", tmp_path) as url:
        yield url
    text = (tmp_path / "server.log").read_text()
    assert "Could not load URL" not in text, "the app reached for the network:\n" + text[-2000:]


def expected_headline(**controls) -> str:
    """What the page must show: the same model, built and stepped here."""
    from sim.viz.charts import headline
    from sim.viz.model import EnsembleView

    view = EnsembleView(scenario_path=str(SCENARIO), replications=RUNS, seed=SEED, **controls)
    for _ in range(STEPS):
        view.step()
    return headline(view)


def chart_images(page) -> dict[str, bytes]:
    """Pixels of each chart (element screenshots), by chart."""
    return {name: page.locator(f".sim-{name}-chart img").first.screenshot() for name in ("status", "front", "outcome")}


def test_app_moves_a_slider_steps_and_the_charts_change(server):
    from playwright.sync_api import expect

    from sim.viz.browser import headless_chromium

    failed: list[str] = []
    with headless_chromium(1400, 1100) as context:
        page = context.new_page()
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(server)
        controls = page.locator(".sim-controls")
        expect(controls).to_contain_text("Turkish mediation 0.05/week", timeout=60_000)
        expect(page.locator(".sim-headline")).to_contain_text("Week 0 of 52")
        for name in ("status", "front", "outcome"):
            expect(page.locator(f".sim-{name}-chart img").first).to_be_visible()
        before = chart_images(page)

        slider = page.get_by_role("slider", name=re.compile("Turkish mediation"))
        slider.focus()
        slider.press("End")  # to the slider's maximum, 0.5
        expect(slider).to_have_attribute("aria-valuenow", "0.5")
        page.get_by_role("button", name=re.compile("^reset$", re.I)).click()
        expect(controls).to_contain_text("Turkish mediation 0.50/week", timeout=30_000)

        step = page.get_by_role("button", name=re.compile("^step$", re.I))
        for week in range(1, STEPS + 1):
            step.click()
            expect(page.locator(".sim-headline")).to_contain_text(f"Week {week} of 52", timeout=30_000)
        expect(page.locator(".sim-headline")).to_have_text(expected_headline(turkey_mediation=0.5))
        expect(page.locator(".sim-story")).to_contain_text(f"Status after week {STEPS} of 52")

        after = chart_images(page)
        for name in before:
            assert after[name] != before[name], f"the {name} chart did not change"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "viz_app.png"), full_page=True)
        page.locator(".sim-story").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "viz_story.png"))
    assert not [u for u in failed if not u.startswith(server)], f"requests left the machine: {failed}"
    assert (SCREENSHOTS / "viz_app.png").stat().st_size > 10_000


def test_the_app_model_follows_the_ensemble_and_applies_its_controls():
    """No browser needed: the story pane's replication is the ensemble's member, and the controls reach the model."""
    import numpy as np

    from sim.analysis.aggregate import STATUSES
    from sim.viz.model import EnsembleView

    view = EnsembleView(
        scenario_path=str(SCENARIO), replications=60, seed=3, story_replication=7, reassurance_force=False, war_costs=2.0, rationality=0.5, horizon=20
    )
    base = EnsembleView(scenario_path=str(SCENARIO), replications=60, seed=3, horizon=20)
    while view.running:
        view.step()
    assert view.week == view.horizon == 20
    assert view.traced.status[0] == view.ensemble.status[7]
    assert view.traced.front[0] == view.ensemble.front[7]
    assert view.story().outcome["status"] == STATUSES[view.ensemble.status[7]]
    assert view.ensemble.max_force.max() == 0  # no member pledges troops
    # a beta's mean and sd scale, so the mean cost doubles (the draws do not scale exactly: the shape is refitted)
    assert np.mean(view.ensemble.ukraine.base_cost) == pytest.approx(2.0 * np.mean(base.ensemble.ukraine.base_cost), rel=0.15)
    assert np.allclose(view.ensemble.russia.rationality, 0.5 * base.ensemble.russia.rationality)
    assert np.allclose(view.status_shares().sum(axis=1), 1.0)
    assert "reassurance force off" in view.describe_controls() and "war costs ×2.00" in view.describe_controls()
