"""Every mistake a user can make ends in one line naming the file, the field path and what was
expected, with exit code 2 and no traceback.

One test per kind of mistake through the command line, then hypothesis: mutated scenario
documents (keys deleted, renamed or added, values of another type, out of range or random
text, corrupted TOML text, random `--set` overrides) either load or raise an InputError of
one line, never anything else. The property tests drive `load_scenario` directly (fast);
one example per mutation kind also goes through `sim validate`.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.cli.main import app as sim_app
from sim.errors import InputError
from sim.scenario.load import load_scenario

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
BASELINE_TEXT = BASELINE.read_text(encoding="utf-8")
BASELINE_DOC = tomllib.loads(BASELINE_TEXT)

STATEMENT = """
[statements.new_statement]
actor = "{actor}"
speaker = "Someone"
date = 2025-01-01
source = "somewhere"
quote = "Something"
issue = "{issue}"
stance = {stance}
strength = "preference"
"""


def statement(actor="russia", issue="territory", stance='"front_frozen"') -> str:
    return STATEMENT.format(actor=actor, issue=issue, stance=stance)


def error_line(result, *files: Path | str) -> str:
    """The one line of a failed command: exit code 2, no traceback, nothing else printed; returns it."""
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    line = lines[0]
    if files:
        names = {str(f) for f in files} | {str(Path(f).resolve()) for f in files if not str(f).startswith("-")}
        assert any(line.startswith(f"{name}: ") for name in names), (line, names)
    return line


def assert_error(result, file: Path | str, field: str | None, pattern: str) -> str:
    """One error line naming `file` then `field` (if any), whose message matches `pattern` (re.search)."""
    line = error_line(result, file)
    rest = line.split(": ", 1)[1]
    if field is not None:
        assert rest.startswith(f"{field}: "), (line, field)
        rest = rest[len(field) + 2 :]
    assert re.search(pattern, rest), (line, pattern)
    return line


@pytest.fixture(params=["validate", "run", "inspect"])
def command(request, tmp_path):
    """A command that loads a scenario file, with the options it needs (`run` writes under tmp_path/results)."""
    return request.param, ["--out", str(tmp_path / "results"), "--runs", "10"] if request.param == "run" else []


@pytest.fixture(params=["run", "inspect"])
def set_command(request, tmp_path):
    """A command that takes `--set`."""
    return request.param, ["--out", str(tmp_path / "results"), "--runs", "10"] if request.param == "run" else []


def load_with(runner, command, path, *extra):
    """Invoke `command` on `path`; a failing `run` must not have written any result."""
    name, options = command
    result = runner.invoke(sim_app, [name, str(path), *options, *map(str, extra)])
    if name == "run" and result.exit_code != 0:
        results = Path(options[1])
        assert not results.exists() or not any(results.rglob("*.parquet"))
    return result


# ---------------------------------------------------------------- one test per kind of mistake


def test_toml_syntax_error_names_line_and_column(runner, command, tmp_scenario):
    path = tmp_scenario('title = "unterminated\n')
    line = assert_error(load_with(runner, command, path), path, None, r"TOML syntax error: .*\(at line 2, column \d+\)")
    assert "line 2" in line


def test_toml_syntax_error_in_an_extended_file_names_that_file(runner, command, tmp_scenario):
    base = tmp_scenario("[battlefield\n", name="base", extends=False)
    path = tmp_scenario('extends = "base.toml"\n', name="child", extends=False)
    assert_error(load_with(runner, command, path), base, None, r"TOML syntax error: .*at line 1, column \d+")


@pytest.mark.parametrize(
    "text, field, pattern",
    [
        ("[battlefield]\ndrift_scal = 0.01\n", "battlefield.drift_scal", r"unknown key 'drift_scal' \(did you mean 'drift_scale'\?\)"),
        ("horizon_week = 10\n", "horizon_week", r"unknown key 'horizon_week' \(did you mean 'horizon_weeks'\?\)"),
        ("[actors.russia]\ntroop = 1000\n", "actors.russia.troop", r"did you mean 'troops'\?"),
        ("[actors.europe.members.france]\npledges = 1\n", "actors.europe.members.france.pledges", r"did you mean 'pledge'\?"),
        ("[statements.ru_territory_putin]\nstrenght = 'priority'\n", "statements.ru_territory_putin.strenght", r"did you mean 'strength'\?"),
        ("[breakdown]\nzzz = 1\n", "breakdown.zzz", r"unknown key 'zzz' \(expected one of: base_hazard, "),
    ],
)
def test_unknown_key_with_did_you_mean(runner, command, tmp_scenario, text, field, pattern):
    path = tmp_scenario(text)
    assert_error(load_with(runner, command, path), path, field, pattern)


@pytest.mark.parametrize(
    "text, field, pattern",
    [
        ('horizon_weeks = "ten"\n', "horizon_weeks", r"expected: input should be a valid integer.*got 'ten'"),
        ("horizon_weeks = true\n", "horizon_weeks", r"expected: input should be a valid integer, got True"),
        ('[actors.russia]\ntroops = "many"\n', "actors.russia.troops", r"expected a number or a distribution table, got str 'many'"),
        ("[actors.russia]\ntroops = true\n", "actors.russia.troops", r"expected a number or a distribution table.*got True"),
        ("[battlefield]\nnoise = [0.1]\n", "battlefield.noise", r"expected a number or a distribution table, got list"),
        ('[actors.us]\naid_policy = "maybe"\n', "actors.us.aid_policy", r"expected: input should be 'conditional', 'full' or 'cut', got 'maybe'"),
        ('[actors.us]\nbackstop = "perhaps"\n', "actors.us.backstop", r"expected: input should be a valid boolean"),
        ('start_date = "soon"\n', "start_date", r"expected: input should be a valid date"),
        ("issues = 3\n", "issues", r"expected: input should be a valid dictionary"),
        (
            '[actors.russia]\ntroops = { dist = "gamma", mean = 1 }\n',
            "actors.russia.troops",
            r"expected dist to be one of beta, uniform, triangular, normal, got 'gamma'",
        ),
        (
            "[statements.us_sequencing_saudi]\nstance = true\n",
            "statements.us_sequencing_saudi.stance",
            r"expected an anchor name of the issue or a number in \[0, 1\], got True",
        ),
        ("[statements.us_sequencing_saudi]\nstance = [0.5]\n", "statements.us_sequencing_saudi.stance", r"expected an anchor name .* got \[0\.5\]"),
        ("[issues.territory.anchors]\nfront_frozen = true\n", "issues.territory.anchors.front_frozen", r"expected: input should be a valid number"),
    ],
)
def test_wrong_type(runner, command, tmp_scenario, text, field, pattern):
    path = tmp_scenario(text)
    assert_error(load_with(runner, command, path), path, field, pattern)


@pytest.mark.parametrize(
    "text, field, pattern",
    [
        ("[breakdown]\nbase_hazard = 1.5\n", "breakdown.base_hazard", r"expected a value in \[0, 1\] probability per week, got 1\.5"),
        ("[battlefield]\nnoise = -0.01\n", "battlefield.noise", r"expected a value in \[0, 0\.05\] front units per week, got -0\.01"),
        ("horizon_weeks = 1000\n", "horizon_weeks", r"expected: input should be less than or equal to 520, got 1000"),
        ("horizon_weeks = 0\n", "horizon_weeks", r"expected: input should be greater than or equal to 1, got 0"),
        ("[battlefield]\nlookahead_weeks = 10.5\n", "battlefield.lookahead_weeks", r"expected a whole number in \[1, 520\] weeks, got 10\.5"),
        ("[battlefield]\nnoise = nan\n", "battlefield.noise", r"expected a value in \[0, 0\.05\].*got nan"),
        ("[actors.russia]\ntroops = " + "9" * 400 + "\n", "actors.russia.troops", r"expected a number, got an integer too large for a float"),
        (
            '[actors.russia]\nweekly_cost = { dist = "beta", mean = 0.01, sd = 0.5 }\n',
            "actors.russia.weekly_cost",
            r"expected a beta sd below [\d.]+ for mean 0\.01",
        ),
        (
            '[actors.europe]\naid_target = { dist = "uniform", low = 2, high = 1 }\n',
            "actors.europe.aid_target",
            r"expected low <= mode <= high inside \[0, 3\]",
        ),
        ("[issues.territory.anchors]\nfront_frozen = 2.0\n", "issues.territory.anchors", r"expected anchor front_frozen in \[0, 1\], got 2"),
        ("[actors.russia.overrides.territory]\nposition = 1.2\n", "actors.russia.overrides.territory.position", r"expected a value in \[0, 1\]"),
    ],
)
def test_value_out_of_bounds(runner, command, tmp_scenario, text, field, pattern):
    path = tmp_scenario(text)
    assert_error(load_with(runner, command, path), path, field, pattern)


@pytest.mark.parametrize(
    "actor, pattern",
    [("rusia", r"expected an actor id, got 'rusia' \(did you mean 'russia'\?\)"), ("nato", r"got 'nato' \(one of: us, russia, ukraine, europe, turkey\)")],
)
def test_unknown_actor_in_a_statement(runner, command, tmp_scenario, actor, pattern):
    path = tmp_scenario(statement(actor=actor))
    assert_error(load_with(runner, command, path), path, "statements.new_statement.actor", pattern)


@pytest.mark.parametrize(
    "issue, pattern",
    [("teritory", r"expected an issue, got 'teritory' \(did you mean 'territory'\?\)"), ("water", r"got 'water' \(one of: territory, guarantees, ")],
)
def test_unknown_issue_in_a_statement(runner, command, tmp_scenario, issue, pattern):
    path = tmp_scenario(statement(issue=issue))
    assert_error(load_with(runner, command, path), path, "statements.new_statement.issue", pattern)


def test_unknown_issue_in_overrides(runner, command, tmp_scenario):
    path = tmp_scenario("[actors.ukraine.overrides.teritory]\nposition = 0.2\n")
    assert_error(
        load_with(runner, command, path), path, "actors.ukraine.overrides.teritory", r"expected an issue, got 'teritory' \(did you mean 'territory'\?\)"
    )


@pytest.mark.parametrize(
    "stance, pattern",
    [
        ('"front_frozn"', r"expected an anchor of issue 'Territory' or a number in \[0, 1\], got 'front_frozn' \(did you mean 'front_frozen'\?\)"),
        ('"victory"', r"got 'victory' \(anchors: pre_2014_borders, pre_2022_line, front_frozen, "),
        ("1.5", r"expected a stance on the issue's 0-1 scale, got 1\.5"),
        ("-0.25", r"expected a stance on the issue's 0-1 scale, got -0\.25"),
    ],
)
def test_stance_off_the_issue_scale(runner, command, tmp_scenario, stance, pattern):
    path = tmp_scenario(statement(stance=stance))
    assert_error(load_with(runner, command, path), path, "statements.new_statement.stance", pattern)


@pytest.mark.parametrize(
    "text, field, pattern",
    [
        (
            '[actors.russia]\nsources = { trops = "IISS" }\n',
            "actors.russia.sources",
            r"expected each key of sources to name a field of this actor, got 'trops' \(did you mean 'troops'\?\)",
        ),
        (
            '[actors.us]\nsources = { backstop = "no_such_statement" }\n',
            "actors.us.sources.backstop",
            r"expected a statement id or a citation, got 'no_such_statement'",
        ),
    ],
)
def test_bad_sources(runner, command, tmp_scenario, text, field, pattern):
    path = tmp_scenario(text)
    assert_error(load_with(runner, command, path), path, field, pattern)


@pytest.mark.parametrize(
    "text, field, other",
    [
        (
            statement().replace("new_statement", "ru-no-freeze-putin"),
            "statements.ru-no-freeze-putin",
            "ru_no_freeze_putin",
        ),
        (
            statement().replace("new_statement", "new__statement") + statement().replace("new_statement", '"new.statement"'),
            "statements.new.statement",
            "new__statement",
        ),
        (
            "[actors.europe.members.united-kingdom]\nlabel = 'UK'\npledge = 1000\nthreshold = 0.5\n[actors.europe.members.united_kingdom]\nlabel = 'UK'\npledge = 1000\nthreshold = 0.5\n",
            "actors.europe.members.united_kingdom",
            "united-kingdom",
        ),
    ],
)
def test_ids_that_would_share_a_result_column(runner, command, tmp_scenario, text, field, other):
    """Two ids that differ only in signs other than letters, digits and '_' would write their parameters into one
    column of runs.parquet (one of them lost): refused, naming the second and the first."""
    path = tmp_scenario(text)
    assert_error(
        load_with(runner, command, path), path, field, rf"expected an id that differs from '{re.escape(other)}' in more than .* both name the result column"
    )


def test_conflicting_red_lines(runner, command, tmp_scenario):
    path = tmp_scenario("[actors.russia.overrides.territory]\nred_line_low = 0.9\nred_line_high = 0.2\n")
    assert_error(load_with(runner, command, path), path, "actors.russia.overrides.territory", r"expected compatible red lines for russia on territory")


def test_missing_extends(runner, command, tmp_scenario):
    path = tmp_scenario('extends = "no_such_file.toml"\n', extends=False)
    assert_error(load_with(runner, command, path), path, "extends", r"expected an existing scenario file, 'no_such_file.toml' not found")


def test_extends_of_the_wrong_type(runner, command, tmp_scenario):
    path = tmp_scenario("extends = 3\n", extends=False)
    assert_error(load_with(runner, command, path), path, "extends", r"expected a file name \(string\), got 3")


def test_cyclic_extends(runner, command, tmp_scenario):
    first = tmp_scenario('extends = "second.toml"\n', name="first", extends=False)
    second = tmp_scenario('extends = "first.toml"\n', name="second", extends=False)
    assert_error(load_with(runner, command, first), second, "extends", r"expected no cycle of extends, got first\.toml -> second\.toml -> first\.toml")


def test_extends_itself(runner, command, tmp_scenario):
    path = tmp_scenario('extends = "self.toml"\n', name="self", extends=False)
    assert_error(load_with(runner, command, path), path, "extends", r"expected no cycle of extends, got self\.toml -> self\.toml")


def test_missing_scenario_file(runner, command, tmp_path):
    path = tmp_path / "nowhere.toml"
    assert_error(load_with(runner, command, path), path, None, r"expected an existing scenario file: not found")


@pytest.mark.parametrize(
    "expr, field, pattern",
    [
        ("actors.us.aid_polcy=cut", "actors.us.aid_polcy", r"unknown key 'aid_polcy' \(did you mean 'aid_policy'\?\)"),
        ("actor.us.aid_policy=cut", "actor", r"unknown key 'actor' \(did you mean 'actors'\?\)"),
        ("horizon_weeks", "horizon_weeks", r"expected dotted\.path=value"),
        ("actors..us=1", "actors..us", r"expected a dotted path like actors\.us\.aid_policy"),
        ("title.main=x", "title.main", r"expected a table at title, which holds a value"),
    ],
)
def test_bad_set_path(runner, set_command, baseline_path, expr, field, pattern):
    assert_error(load_with(runner, set_command, baseline_path, "--set", expr), "--set", field, pattern)


@pytest.mark.parametrize(
    "expr, field, pattern",
    [
        ("actors.us.aid_policy=maybe", "actors.us.aid_policy", r"expected: input should be 'conditional', 'full' or 'cut', got 'maybe'"),
        ("horizon_weeks=abc", "horizon_weeks", r"expected: input should be a valid integer"),
        ("horizon_weeks=0", "horizon_weeks", r"expected: input should be greater than or equal to 1, got 0"),
        ("breakdown.base_hazard=2", "breakdown.base_hazard", r"expected a value in \[0, 1\] probability per week, got 2"),
        ("actors.russia.troops={dist='beta', mean=1}", "actors.russia.troops", r"expected a valid beta distribution: sd: field required"),
        ("statements.us_troops_hegseth.stance=nowhere", "statements.us_troops_hegseth.stance", r"expected an anchor of issue 'Security guarantees'"),
    ],
)
def test_bad_set_value(runner, set_command, baseline_path, expr, field, pattern):
    assert_error(load_with(runner, set_command, baseline_path, "--set", expr), "--set", field, pattern)


def test_a_file_error_still_names_the_file_with_set(runner, tmp_scenario):
    path = tmp_scenario("[battlefield]\nnoise = 1\n")
    result = runner.invoke(sim_app, ["validate", str(path)])
    assert_error(result, path, "battlefield.noise", r"expected a value in")
    result = runner.invoke(sim_app, ["inspect", str(path), "--set", "actors.us.aid_policy=cut"])
    assert_error(result, path, "battlefield.noise", r"expected a value in")


@pytest.mark.parametrize("runs", ["0", "-3"])
def test_runs_below_one(runner, baseline_path, tmp_path, runs):
    result = runner.invoke(sim_app, ["run", str(baseline_path), "--runs", runs, "--out", str(tmp_path)], prog_name="sim")
    line = error_line(result)
    assert line.startswith("sim: Invalid value for '--runs'")
    assert re.search(r"greater than or equal to 1", line)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("option, value", [("--workers", "0"), ("--weeks", "0"), ("--weeks", "521"), ("--seed", "-1"), ("--runs", "many")])
def test_other_bad_options(runner, baseline_path, tmp_path, option, value):
    result = runner.invoke(sim_app, ["run", str(baseline_path), option, value, "--out", str(tmp_path)], prog_name="sim")
    assert f"'{option}'" in error_line(result)


def test_unwritable_out_below_a_file(runner, baseline_path, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    out = blocker / "results"
    result = runner.invoke(sim_app, ["run", str(baseline_path), "--runs", "10", "--out", str(out)])
    assert_error(result, "--out", str(out), r"expected a writable folder: cannot write results under .*: Not a directory")


def test_unwritable_out_is_a_file(runner, baseline_path, tmp_path):
    out = tmp_path / "a_file"
    out.write_text("not a folder")
    result = runner.invoke(sim_app, ["run", str(baseline_path), "--runs", "10", "--out", str(out)])
    assert_error(result, "--out", str(out), r"expected a writable folder: .*File exists")
    assert out.read_text() == "not a folder"


def test_unwritable_scenario_folder_under_out(runner, baseline_path, tmp_path):
    (tmp_path / "baseline").write_text("in the way")
    result = runner.invoke(sim_app, ["run", str(baseline_path), "--runs", "10", "--out", str(tmp_path)])
    assert_error(result, "--out", str(tmp_path), r"expected a writable folder: cannot create .*baseline")


def test_unwritable_schema_output(runner, tmp_path):
    target = tmp_path / "missing" / "schema.json"
    result = runner.invoke(sim_app, ["schema", "-o", str(target)])
    assert_error(result, "--output", str(target), r"expected a writable file")


def test_usage_errors_are_one_line(runner):
    for args in (["run"], ["frobnicate"], ["run", "x.toml", "--rnus", "5"], ["validate"]):
        error_line(runner.invoke(sim_app, args, prog_name="sim"))


def test_validate_without_traceback_on_a_folder(runner, tmp_path):
    assert_error(runner.invoke(sim_app, ["validate", str(tmp_path)]), tmp_path, None, r"expected a scenario file, got a folder")


def test_empty_folder_target(runner, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(sim_app, ["run", str(empty), "--out", str(tmp_path / "out")])
    assert_error(result, empty, None, r"expected a scenario file or a folder holding \*\.toml scenarios")


def test_error_lines_escape_line_breaks(tmp_path):
    path = tmp_path / "keys.toml"
    path.write_text(f'extends = {json.dumps(str(BASELINE))}\n[battlefield]\n"a\\nb\\u2028c" = 1\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert len(str(info.value).splitlines()) == 1
    assert "battlefield.a\\nb\\u2028c: unknown key" in str(info.value)


# ---------------------------------------------------------------- property: mutated documents


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def toml_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def to_toml(doc: dict) -> str:
    """A TOML document: one `key = value` line per top-level key (tables inline)."""
    return "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in doc.items())


def test_to_toml_round_trips_the_baseline():
    assert tomllib.loads(to_toml(BASELINE_DOC)) == BASELINE_DOC


def paths(doc: dict, prefix: tuple = ()) -> list[tuple]:
    """Every key path of a document, tables before their contents."""
    out = []
    for key, value in doc.items():
        out.append(prefix + (key,))
        if isinstance(value, dict):
            out += paths(value, prefix + (key,))
    return out


def tables(doc: dict, prefix: tuple = ()) -> list[tuple]:
    """Paths of every table, the root `()` included."""
    out = [prefix]
    for key, value in doc.items():
        if isinstance(value, dict):
            out += tables(value, prefix + (key,))
    return out


def node(doc: dict, path: tuple):
    for key in path:
        doc = doc[key]
    return doc


KNOWN_KEYS = sorted({p[-1] for p in paths(BASELINE_DOC)} | {"extends", "dist", "mean", "sd", "low", "high", "mode", "rules"})

text = st.text(st.characters(codec="utf-8"), max_size=12)
keys = st.one_of(st.sampled_from(KNOWN_KEYS), text)
scalars = st.one_of(
    text,
    st.integers(-(10**30), 10**30),
    st.floats(),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(keys, scalars, max_size=3),
    st.builds(lambda kind, mean, sd: {"dist": kind, "mean": mean, "sd": sd}, st.sampled_from(["beta", "normal", "gamma"]), st.floats(), st.floats()),
)
out_of_range = st.one_of(
    st.sampled_from([-1, -1e-9, 2, 1.0000001, 600, 10**7, 1e308, -math.inf, math.inf, math.nan, 10**400]),
    st.floats(),
    st.integers(-(10**20), 10**20),
)


def typo(key: str, data) -> str:
    """A near miss of `key`: one character dropped, doubled or replaced."""
    if not key:
        return "x"
    i = data.draw(st.integers(0, len(key) - 1))
    how = data.draw(st.sampled_from(["drop", "double", "replace"]))
    if how == "drop":
        return key[:i] + key[i + 1 :] or "x"
    if how == "double":
        return key[:i] + key[i] + key[i:]
    return key[:i] + data.draw(st.characters(codec="utf-8")) + key[i + 1 :]


def delete_key(doc, data):
    path = data.draw(st.sampled_from(paths(doc)))
    del node(doc, path[:-1])[path[-1]]


def rename_key(doc, data):
    path = data.draw(st.sampled_from(paths(doc)))
    parent = node(doc, path[:-1])
    new = data.draw(st.one_of(st.just(typo(path[-1], data)), keys))
    parent[new] = parent.pop(path[-1])


def other_type(doc, data):
    path = data.draw(st.sampled_from(paths(doc)))
    node(doc, path[:-1])[path[-1]] = data.draw(values)


def out_of_range_number(doc, data):
    numeric = [p for p in paths(doc) if isinstance(node(doc, p), (int, float)) and not isinstance(node(doc, p), bool)]
    if not numeric:  # earlier mutations removed every number
        return
    path = data.draw(st.sampled_from(numeric))
    node(doc, path[:-1])[path[-1]] = data.draw(out_of_range)


def random_text(doc, data):
    path = data.draw(st.sampled_from(paths(doc)))
    node(doc, path[:-1])[path[-1]] = data.draw(text)


def unknown_key(doc, data):
    table = node(doc, data.draw(st.sampled_from(tables(doc))))
    table[data.draw(keys)] = data.draw(values)


MUTATIONS = {
    "delete_key": delete_key,
    "rename_key": rename_key,
    "other_type": other_type,
    "out_of_range_number": out_of_range_number,
    "random_text": random_text,
    "unknown_key": unknown_key,
}


def check_load(path: Path, sets=()) -> None:
    """Loading either succeeds or raises an InputError of one line naming a file (or --set)."""
    try:
        load_scenario(path, list(sets))
    except InputError as exc:
        line = str(exc)
        assert line and len(line.splitlines()) == 1, line
        assert exc.file, line
        assert line.startswith(f"{exc.file}: ")


@pytest.fixture(scope="module")
def mutant_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mutants") / "mutant.toml"


@pytest.mark.parametrize("kind", sorted(MUTATIONS))
@given(data=st.data())
def test_mutated_documents_never_raise_anything_but_one_line_errors(mutant_path, kind, data):
    doc = copy.deepcopy(BASELINE_DOC)
    MUTATIONS[kind](doc, data)
    for _ in range(data.draw(st.integers(0, 2), label="more mutations")):
        MUTATIONS[data.draw(st.sampled_from(sorted(MUTATIONS)))](doc, data)
    mutant_path.write_text(to_toml(doc), encoding="utf-8")
    check_load(mutant_path)


TOML_CHARS = st.one_of(st.sampled_from(list("[]{}=\".,\n#'\\ 0e-:tf")), st.characters(codec="utf-8"))


@given(edits=st.lists(st.tuples(st.integers(0, len(BASELINE_TEXT)), st.integers(0, 3), st.text(TOML_CHARS, max_size=3)), min_size=1, max_size=4))
def test_corrupted_toml_text_never_raises_anything_but_one_line_errors(mutant_path, edits):
    text = BASELINE_TEXT
    for pos, drop, insert in edits:
        pos = min(pos, len(text))
        text = text[:pos] + insert + text[pos + drop :]
    mutant_path.write_text(text, encoding="utf-8")
    check_load(mutant_path)


set_paths = st.one_of(
    st.sampled_from([".".join(p) for p in paths(BASELINE_DOC)]),
    st.lists(keys, min_size=1, max_size=3).map(".".join),
)
set_values = st.one_of(st.sampled_from(["1", "-1", "1e999", "nan", "true", "[1, 2]", "{dist='beta', mean=0.5, sd=0.1}", "{", '"x', "2025-01-01"]), text)


@given(exprs=st.lists(st.one_of(st.builds(lambda p, v: f"{p}={v}", set_paths, set_values), text), min_size=1, max_size=3))
def test_random_set_overrides_never_raise_anything_but_one_line_errors(exprs):
    check_load(BASELINE, exprs)


# One example of each mutation kind through the command line.
CLI_EXAMPLES = {
    "delete_key": (lambda d: d["battlefield"].pop("noise"), "battlefield.noise", r"expected this field, which is missing"),
    "rename_key": (
        lambda d: d["breakdown"].__setitem__("base_hazzard", d["breakdown"].pop("base_hazard")),
        "breakdown.base_hazzard",
        r"did you mean 'base_hazard'",
    ),
    "other_type": (
        lambda d: d["actors"]["europe"]["members"]["france"].__setitem__("pledge", [1, 2]),
        "actors.europe.members.france.pledge",
        r"expected a number or a distribution table, got list",
    ),
    "out_of_range_number": (
        lambda d: d["actors"]["ukraine"].__setitem__("resolve", -0.5),
        "actors.ukraine.resolve",
        r"expected a value in \[0, 1\] share, got -0\.5",
    ),
    "random_text": (
        lambda d: d["issues"]["territory"].__setitem__("anchors", "∞ ünïcode\n"),
        "issues.territory.anchors",
        r"expected: input should be a valid dictionary",
    ),
    "unknown_key": (lambda d: d["negotiation"].__setitem__("speed", 3), "negotiation.speed", r"unknown key 'speed' \(expected one of: escalate_after, "),
}


@pytest.mark.parametrize("kind", sorted(CLI_EXAMPLES))
def test_mutation_example_through_the_cli(runner, tmp_path, kind):
    mutate, field, pattern = CLI_EXAMPLES[kind]
    doc = copy.deepcopy(BASELINE_DOC)
    mutate(doc)
    path = tmp_path / "mutant.toml"
    path.write_text(to_toml(doc), encoding="utf-8")
    assert_error(runner.invoke(sim_app, ["validate", str(path)]), path, field, pattern)


def test_corrupted_toml_example_through_the_cli(runner, tmp_path):
    path = tmp_path / "mutant.toml"
    path.write_text(BASELINE_TEXT.replace("[battlefield]", "[battlefield", 1), encoding="utf-8")
    line_no = BASELINE_TEXT[: BASELINE_TEXT.index("[battlefield]")].count("\n") + 1
    assert_error(runner.invoke(sim_app, ["validate", str(path)]), path, None, rf"TOML syntax error: .*\(at line {line_no}, column \d+\)")


def test_set_example_through_the_cli(runner, baseline_path):
    result = runner.invoke(sim_app, ["inspect", str(baseline_path), "--set", "battlefield.noise=[1]"])
    assert_error(result, "--set", "battlefield.noise", r"expected a number or a distribution table, got list")
