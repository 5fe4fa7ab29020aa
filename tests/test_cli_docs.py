"""docs/cli.md and results/README.md match what `sim` has and writes: every command and option documented (a
former name in the table of former names), every column of a run's files and every key of its manifest described."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import typer
import typer.main
from typer.core import TyperOption

from sim.cli.main import app

ROOT = Path(__file__).resolve().parent.parent
CLI_DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
RESULTS_DOC = (ROOT / "results" / "README.md").read_text(encoding="utf-8")
GROUP = typer.main.get_command(app)
CONTEXT = typer.Context(GROUP, info_name="sim")
NAMES = GROUP.list_commands(CONTEXT)


def section(name: str) -> str:
    """The text of docs/cli.md under `## \\`sim NAME\\``, up to the next section."""
    match = re.search(rf"^## `sim {name}`\n(.*?)(?=^## |\Z)", CLI_DOC, flags=re.M | re.S)
    assert match, f"docs/cli.md has no section `sim {name}`"
    return match.group(1)


def mentioned(option: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


FORMER_NAMES = re.search(r"\*\*Former names.*?(?=^## )", CLI_DOC, flags=re.M | re.S)


@pytest.mark.parametrize("name", NAMES)
def test_every_option_of_a_command_is_documented(name):
    assert FORMER_NAMES, "docs/cli.md has no table of former names"
    command = GROUP.get_command(CONTEXT, name)
    text = section(name)
    missing = []
    for param in command.params:
        if isinstance(param, TyperOption):  # a hidden option is a former name: it goes in that table
            where = FORMER_NAMES.group(0) if param.hidden else text
            missing += [opt for opt in param.opts if opt.startswith("--") and not mentioned(opt, where)]
    assert not missing, f"sim {name}: options missing from docs/cli.md (a hidden one from the table of former names): {missing}"


def test_every_command_is_in_the_table_of_commands():
    table = CLI_DOC.split("\n## ", 1)[0]
    assert not [name for name in NAMES if f"[`sim {name}`](#sim-{name})" not in table]


def documented(name: str, text: str) -> bool:
    """`name` appears in backticks in `text`, or matches a documented pattern such as `terms_<issue>`."""
    tokens = re.findall(r"`([^`\s]+)`", text)
    if name in tokens:
        return True
    patterns = [re.escape(t).replace(r"\<", "<").replace(r"\>", ">") for t in tokens if "<" in t]
    return any(re.fullmatch(re.sub(r"<[^>]+>", ".+", p), name) for p in patterns)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    from sim.experiment.load import load
    from sim.experiment.run import run_scenario

    result = run_scenario(
        load("baseline", ["horizon_weeks=6"]), 40, 3, tmp_path_factory.mktemp("results"), chunk_size=40, command=["sim", "test"], executor=None, workers=1
    )
    return result.path


@pytest.mark.parametrize("file", ["runs.parquet", "weekly.parquet", "summary.parquet"])
def test_every_column_of_a_run_is_described(run_folder, file):
    missing = [c for c in pq.read_schema(run_folder / file).names if not documented(c, RESULTS_DOC)]
    assert not missing, f"results/README.md does not describe these columns of {file}: {missing}"


def test_every_key_of_a_run_manifest_is_described(run_folder):
    manifest = json.loads((run_folder / "manifest.json").read_text())
    assert not [k for k in manifest if not documented(k, RESULTS_DOC)]


def test_the_pattern_matcher_can_fail():
    assert documented("terms_territory", "`terms_<issue>`") and documented("param__a__b", "`param__<path>`")
    assert not documented("terms_territory", "`front_final`") and not documented("xparam__a", "`param__<path>`")
