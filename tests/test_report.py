"""`sim report`: one self-contained HTML page of a result folder, checked as HTML and in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from clitools import invoke

from sim.experiment.load import load
from sim.report.assumptions import position_rows
from sim.viz.browser import chromium_path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
SWEEP = ROOT / "scenarios" / "sweeps" / "us_aid_x_reassurance_force.toml"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report_results")
    result = invoke("run", BASELINE, "--runs", 200, "--seed", 5, "--out", out, "--workers", 1)
    assert result.exit_code == 0, result.output
    (folder,) = (out / "baseline").iterdir()
    return folder


@pytest.fixture(scope="module")
def report_file(run_folder, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("report") / "report.html"
    result = invoke("report", run_folder, "-o", target)
    assert result.exit_code == 0, result.output
    assert f"wrote {target}" in result.stdout
    return target


class Page(HTMLParser):
    """The parts of a page the tests look at."""

    def __init__(self, text: str):
        super().__init__()
        self.ids: set[str] = set()
        self.images: list[str] = []
        self.external: list[str] = []
        self.tags: list[str] = []
        self.rows: dict[str, int] = {}
        self._table: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "table":
            self._table = attrs.get("id")
        if tag == "tr" and self._table:
            self.rows[self._table] = self.rows.get(self._table, 0) + 1
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            if value and not value.startswith(("data:", "#")):
                self.external.append(value)

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None


def test_report_of_a_run_is_self_contained(report_file, run_folder):
    text = report_file.read_text(encoding="utf-8")
    page = Page(text)
    assert {"run", "outcomes", "assumptions", "reproduce"} <= page.ids
    assert len(page.images) == len(list((run_folder / "plots").glob("*.png"))) == 4
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    assert not page.external and "script" not in page.tags
    scenario = load(BASELINE).scenario
    assert page.rows["assumptions"] == 1 + len(position_rows(scenario))  # header + one row per actor and issue
    summary = json.loads((run_folder / "summary.json").read_text())
    war = summary["status_at_horizon"]["war"]
    assert f"{100 * war['share']:.1f}% ({100 * war['low']:.1f}–{100 * war['high']:.1f})" in text
    manifest = json.loads((run_folder / "manifest.json").read_text())
    assert manifest["scenario_hash"] in text
    assert "sim run" in text and "--seed 5" in text and "sim story --from" in text
    quote = next(iter(scenario.statements.values())).quote
    from sim.report.html import esc

    assert esc(quote) in text  # the statements behind the numbers


def test_report_in_headless_chromium(report_file):
    """No broken images, and the outcome table is there and visible, in a real browser."""
    if chromium_path() is None:
        reason = "Chromium not found (/usr/bin/chromium): install Debian's package with `apt-get install chromium`"
        if os.environ.get("CI"):
            pytest.fail(reason + "; in CI .ci/run installs it")
        pytest.skip(reason)
    from sim.viz.browser import headless_chromium

    with headless_chromium(1200, 900) as context:
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report_file.as_uri())
        page.wait_for_load_state("load")
        images = page.evaluate("[...document.images].map(i => ({ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth}))")
        assert len(images) == 4 and all(i["ok"] for i in images), images
        table = page.locator("table#outcomes")
        assert table.is_visible()
        assert table.locator("tr").count() >= 15
        assert "Partial truce" in table.inner_text()
        assert page.locator("table#assumptions").is_visible()
    assert all(u.startswith(("file:", "data:")) for u in requests), requests


def test_default_output_is_in_the_result_folder(run_folder, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(run_folder, copy)
    result = invoke("report", copy)
    assert result.exit_code == 0
    assert (copy / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_report_of_a_sweep(tmp_path):
    result = invoke("sweep", SWEEP, "--runs", 40, "--out", tmp_path, "--workers", 1)
    assert result.exit_code == 0, result.output
    (folder,) = (p for p in (tmp_path / "us_aid_x_reassurance_force").iterdir() if not p.name.startswith("."))
    assert invoke("report", folder, "-o", tmp_path / "sweep.html").exit_code == 0
    text = (tmp_path / "sweep.html").read_text(encoding="utf-8")
    page = Page(text)
    assert "outcomes" in page.ids and "assumptions" in page.ids
    variants = pq.read_table(folder / "variants.parquet").num_rows
    assert page.rows["outcomes"] == 1 + variants
    assert all(src.startswith("data:image/png;base64,") for src in page.images) and page.images


def test_other_layouts_still_give_a_valid_page(tmp_path):
    """A folder with only a manifest and a table (a layout this version does not know) is reported as far as it goes."""
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"kind": "comparison", "title": "A and B", "command": ["sim", "compare", "a", "b"]}))
    pq.write_table(pa.table({"name": ["a", "b"], "war_share": [0.2, 0.3], "war_low": [0.1, 0.2], "war_high": [0.3, 0.4]}), folder / "comparison.parquet")
    assert invoke("report", folder).exit_code == 0
    page = Page((folder / "report.html").read_text(encoding="utf-8"))
    assert {"run", "outcomes", "reproduce"} <= page.ids
    text = (folder / "report.html").read_text(encoding="utf-8")
    assert "20.0% (10.0–30.0)" in text


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p / "missing", "expected a result folder"),
        (lambda p: p, "got an empty folder"),
    ],
)
def test_bad_folders_are_one_line_errors(tmp_path, make, message):
    result = invoke("report", make(tmp_path))
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.strip().count("\n") == 0
