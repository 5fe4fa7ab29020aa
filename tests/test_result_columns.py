"""Parameter columns are plain identifiers (SQL and R need no quotes), and older dotted names read as today's."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given
from hypothesis import strategies as st

from sim.analysis.columns import column_path, current_name, drawn_column, is_drawn, path_column, with_current_names

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Parts of a dotted path as scenarios write them: field names, list indices, ids with hyphens or dots.
part = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,12}", fullmatch=True)
paths = st.lists(part, min_size=1, max_size=6).map(".".join)
field_paths = st.lists(st.from_regex(r"[a-z][a-z0-9]*(_[a-z0-9]+){0,3}", fullmatch=True), min_size=1, max_size=6).map(".".join)


@given(paths)
def test_a_drawn_column_is_an_identifier_that_says_it_is_drawn(path):
    name = drawn_column(path)
    assert IDENTIFIER.fullmatch(name) and is_drawn(name)
    assert current_name(name) == name  # today's names are left alone


@given(field_paths)
def test_a_field_paths_column_gives_the_path_back(path):
    assert column_path(drawn_column(path)) == path and column_path(path_column(path)) == path
    assert not is_drawn(path_column(path)) or path.startswith("param.")


@given(paths)
def test_former_and_dotted_names_become_todays(path):
    assert current_name("param." + path) == drawn_column(path)
    assert current_name(path) == (path_column(path) if "." in path else path)
    assert current_name(current_name(path)) == current_name(path)


def test_examples_as_the_results_readme_gives_them():
    assert drawn_column("actors.russia.troops") == "param__actors__russia__troops"
    assert path_column("actors.us.aid_restored") == "actors__us__aid_restored"
    assert drawn_column("reading.ru-no-freeze") == "param__reading__ru_no_freeze"
    assert drawn_column("event.0") == "param__event__0"
    assert current_name("status") == "status" and current_name("terms_territory") == "terms_territory"


def test_a_table_with_former_names_is_renamed_and_a_current_one_is_the_same_object(tmp_path):
    old = pa.table({"replication": [0, 1], "param.actors.russia.troops": [1.0, 2.0], "actors.us.bias": [0.1, 0.2]})
    pq.write_table(old, tmp_path / "runs.parquet")
    renamed = with_current_names(pq.read_table(tmp_path / "runs.parquet"))
    assert renamed.column_names == ["replication", "param__actors__russia__troops", "actors__us__bias"]
    assert renamed.column("param__actors__russia__troops").to_pylist() == [1.0, 2.0]
    assert with_current_names(renamed) is renamed


def test_every_column_of_a_run_is_an_identifier(tmp_path):
    """What the issue asked: SQL and R users name every column of runs.parquet without quoting."""
    from sim.experiment.load import load
    from sim.experiment.run import run_scenario

    result = run_scenario(load("baseline", ["horizon_weeks=4"]), 30, 5, tmp_path, chunk_size=30, command=["sim", "test"], executor=None, workers=1)
    names = pq.read_schema(result.path / "runs.parquet").names
    assert [n for n in names if not IDENTIFIER.fullmatch(n)] == []
    drawn = [n for n in names if is_drawn(n)]
    assert "param__actors__russia__troops" in drawn and "param__reading__ru_no_freeze_putin" in drawn
