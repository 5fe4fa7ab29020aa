"""`sim story`: an exact replay of one replication, told week by week.

Two small runs are shared by the module (the baseline, and Russia's red lines softened,
which reaches settlements and breakdowns); the story of a replication must tell the
outcome of its row of runs.parquet, and the trace must agree with it.
"""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from clitools import invoke
from hypothesis import given
from hypothesis import strategies as st

from sim.analysis.outcome_expr import BoolOp, Compare, OutcomeExpressionError, matching_replications, parse_outcome
from sim.cli.story import load_result
from sim.experiment.load import load
from sim.report.story import NEWS, render_markdown, render_text, tell
from sim.scenario.load import scenario_hash
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
RUNS = 200
SEED = 7


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, Path]:
    """Result folders of two small runs, by scenario name."""
    out = tmp_path_factory.mktemp("story_results")
    folders = {}
    for name in ("baseline", "russia_red_lines_softened"):
        result = invoke("run", ROOT / "scenarios" / f"{name}.toml", "--runs", RUNS, "--seed", SEED, "--out", out, "--workers", 1)
        assert result.exit_code == 0, result.output
        (folder,) = (out / name).iterdir()
        folders[name] = folder
    return folders


def same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize("name", ["baseline", "russia_red_lines_softened"])
def test_story_outcome_equals_the_row_of_runs_parquet(results, name):
    folder = results[name]
    scenario, seed, runs, _ = load_result(folder)
    rows = pq.read_table(folder / "runs.parquet").to_pylist()
    assert len(rows) == runs == RUNS
    step = 1 if name != "baseline" else 4
    for i in range(0, runs, step):
        story = tell(scenario, seed, i)
        differing = {k: (v, story.outcome.get(k)) for k, v in rows[i].items() if not same(v, story.outcome.get(k))}
        assert not differing, f"replication {i}: {differing}"
        assert set(story.outcome) == set(rows[i])


def test_the_trace_tells_the_same_outcome_as_the_model(results):
    """First agreement, agreements, breakdowns, status and final front read from the events alone."""
    scenario, seed, runs, _ = load_result(results["russia_red_lines_softened"])
    kinds = set()
    for i in range(0, runs, 2):
        story = tell(scenario, seed, i)
        for key, value in story.derived.items():
            assert same(value, story.outcome[key]), (i, key, value, story.outcome[key])
        kinds.add(story.outcome["status"])
    assert {"settlement", "war"} <= kinds  # the sample covers more than one ending


def test_printed_outcome_matches_the_row(results):
    folder = results["russia_red_lines_softened"]
    rows = pq.read_table(folder / "runs.parquet").to_pylist()
    for i in (0, 7, 42):
        result = invoke("story", "--from", folder, "--replication", i)
        assert result.exit_code == 0, result.output
        row = rows[i]
        assert f"Status at the horizon (week 52): {row['status'].replace('_', ' ')}." in result.stdout
        assert f"Front line at the horizon: {row['front_final']:.3f}." in result.stdout
        if row["first_agreement"] is None:
            assert "No agreement was ever reached." in result.stdout
        else:
            assert f"First agreement: {row['first_agreement'].replace('_', ' ')} in week {row['first_agreement_week']}" in result.stdout
            assert f"Agreements: {row['agreements']}; breakdowns: {row['breakdowns']}." in result.stdout


def test_story_of_a_scenario_file_is_the_story_of_the_run(results):
    a = invoke("story", ROOT / "scenarios" / "baseline.toml", "--replication", 3, "--seed", SEED)
    b = invoke("story", "--from", results["baseline"], "--replication", 3)
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    body = lambda text: re.sub(r"Source:.*?(?=\nDrawn)", "", text, flags=re.S)  # noqa: E731
    assert body(a.stdout) == body(b.stdout)


def test_weeks_are_told_once_and_quiet_weeks_folded():
    scenario = load(ROOT / "scenarios" / "baseline.toml").scenario
    from sim.report.story import replay

    model = replay(scenario, SEED, 5).run()
    news = {e["week"] for e in model.events if e["event"] in NEWS}
    story = tell(scenario, SEED, 5)
    covered = []
    for section in story.sections:
        first, last = section.weeks
        covered += range(first, last + 1)
        if section.folded:
            assert not news & set(range(first, last + 1)), section.title
            assert section.lines[0].text.startswith("Nothing new")
    assert covered == list(range(1, story.horizon + 1))
    assert any(s.folded for s in story.sections)
    assert all(not s.folded for s in story.sections if s.weeks[0] in news)


@given(
    path=st.sampled_from(SCENARIOS),
    seed=st.integers(0, 2**32),
    replication=st.integers(0, 10**6),
)
def test_trace_and_outcome_agree_for_any_replication(path, seed, replication):
    story = tell(load(path).scenario, seed, replication, weeks=30)
    for key, value in story.derived.items():
        assert same(value, story.outcome[key]), (key, value, story.outcome[key])
    assert story.outcome["replication"] == replication


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_resolved_scenario_round_trips_through_the_manifest(path):
    scenario = load(path).scenario
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)  # as write_json_atomic writes it
    again = Scenario.model_validate(json.loads(text))
    assert scenario_hash(again) == scenario_hash(scenario)


def test_find_picks_the_first_matching_replication(results):
    folder = results["russia_red_lines_softened"]
    table = pq.read_table(folder / "runs.parquet")
    rows = table.to_pylist()
    broke = [r["replication"] for r in rows if r["breakdowns"] >= 1]
    assert broke, "the fixture run should have a breakdown"
    assert matching_replications(table, "breakdown") == broke
    settled = [r["replication"] for r in rows if r["status"] == "settlement" and r["terms_territory"] > 0.5]
    assert matching_replications(table, "status=settlement and territory>0.5") == settled
    result = invoke("story", "--from", folder, "--find", "breakdown")
    assert result.exit_code == 0, result.output
    assert f"Story of replication {broke[0]} " in result.stdout
    assert "breaks down" in result.stdout
    if len(broke) > 1:
        second = invoke("story", "--from", folder, "--find", "breakdown", "--nth", 2)
        assert f"Story of replication {broke[1]} " in second.stdout


def test_find_conditions_are_checked():
    columns = ["replication", "status", "breakdowns", "terms_territory", "front_final"]
    both = BoolOp("and", (Compare("terms_territory", ">", 0.6), Compare("front_final", "<=", 0.5)))
    for text in ("territory>0.6, front<=0.5", "territory>0.6 & front<=0.5", "territory > 0.6 and front <= 0.5"):
        assert parse_outcome(text, columns).tree == both, text
    with pytest.raises(OutcomeExpressionError, match=r"unknown column 'teritory'.*did you mean 'territory'"):
        parse_outcome("teritory>0.6", columns)
    with pytest.raises(OutcomeExpressionError, match=r"expected a comparison \(== != < <= > >= in\) between a column and a value, got 'is'"):
        parse_outcome("territory is big", columns)


def test_find_takes_the_expressions_of_discover(results):
    """--find and `sim discover --outcome` read one language: or, not, parentheses, quoted labels, lists."""
    folder = results["russia_red_lines_softened"]
    table = pq.read_table(folder / "runs.parquet")
    rows = table.to_pylist()
    want = [r["replication"] for r in rows if r["status"] in ("ceasefire", "settlement") or not r["agreements"] >= 1]
    assert want
    for text in ('status in ["ceasefire", "settlement"] or not agreement', "status in [ceasefire, settlement] or no-agreement"):
        assert matching_replications(table, text) == want, text
    result = invoke("story", "--from", folder, "--find", 'status == "settlement" or (breakdown and week <= 20)')
    assert result.exit_code == 0, result.output
    assert "--find" in result.stderr and "match 1 of" in result.stderr


def test_find_errors_are_one_line(results):
    folder = results["baseline"]
    none = invoke("story", "--from", folder, "--find", "front>1")
    assert none.exit_code == 2
    assert none.stderr.strip().count("\n") == 0
    assert "expected a matching replication, found 0 of 200" in none.stderr
    bad = invoke("story", "--from", folder, "--find", "status=setlement")
    assert bad.exit_code == 2 and "did you mean 'settlement'" in bad.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (("--replication", 1), "expected a SCENARIO file or --from RESULT_DIR"),
        (("SCEN", "--from", "RES"), "expected a SCENARIO file or --from RESULT_DIR"),
        (("SCEN", "--find", "breakdown"), "--find: expected --from RESULT_DIR"),
        (("--from", "RES", "--replication", 200), "expected an index below 200"),
        (("--from", "RES", "--find", "breakdown", "--replication", 1), "expected either --find or --replication"),
        (("--from", "RES", "--seed", 3), "drop --seed"),
        (("SCEN", "--format", "pdf"), "--format: expected one of terminal, markdown, html"),
    ],
)
def test_bad_input_is_one_line(results, args, message):
    swap = {"SCEN": ROOT / "scenarios" / "baseline.toml", "RES": results["baseline"]}
    result = invoke("story", *(swap.get(a, a) for a in args))
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_from_a_folder_that_is_not_a_run(tmp_path):
    result = invoke("story", "--from", tmp_path)
    assert result.exit_code == 2
    assert "expected a result folder holding manifest.json" in result.stderr


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.tags, self.external = set(), [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key in ("src", "href"):
            if attrs.get(key, "").startswith(("http:", "https:", "//")):
                self.external.append(attrs[key])


def test_markdown_and_html_handouts(results, tmp_path):
    folder = results["russia_red_lines_softened"]
    md = invoke("story", "--from", folder, "--replication", 1, "--format", "markdown")
    assert md.exit_code == 0
    assert md.stdout.startswith("# Story of replication 1 ")
    assert "\n## Week 1\n" in md.stdout and "\n## Outcome\n" in md.stdout
    out = tmp_path / "story.html"
    page = invoke("story", "--from", folder, "--replication", 1, "--format", "html", "-o", out)
    assert page.exit_code == 0 and page.stdout == ""
    parser = _Parser()
    parser.feed(out.read_text(encoding="utf-8"))
    assert "outcome" in parser.ids and "script" not in parser.tags and not parser.external


def test_text_wraps_to_width():
    story = tell(load(ROOT / "scenarios" / "baseline.toml").scenario, SEED, 0, weeks=20)
    text = render_text(story, width=72)
    assert max(len(line) for line in text.splitlines()) <= 72
    assert "Where they start" in text and render_markdown(story).count("## Week") >= 1
    assert np.isfinite(story.outcome["front_final"])
