"""`sim discover`: PRIM finds a planted box, the outcome expression is safe, bad input is one line, files are never overwritten."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from clitools import invoke, only_run
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis import outcome_expr
from sim.analysis.discovery import DiscoveryError, discover, load_cases
from sim.analysis.outcome_expr import BoolOp, Compare, Not, OutcomeExpressionError, parse_outcome

ROOT = Path(__file__).resolve().parent.parent
PARAMS = [f"param__actors__p{j}" for j in range(6)]


def planted_runs(folder: Path, box: dict[int, tuple[float, float]], n: int = 3000, noise: float = 0.02, seed: int = 1, names: list[str] = PARAMS) -> np.ndarray:
    """A runs.parquet with six uniform parameters; status is settlement inside `box` (dimension -> limits), war outside,
    and a share `noise` of the labels flipped. Returns the parameter matrix."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 6))
    inside = np.ones(n, dtype=bool)
    for j, (lo, hi) in box.items():
        inside &= (x[:, j] >= lo) & (x[:, j] <= hi)
    y = inside ^ (rng.uniform(size=n) < noise)
    columns = {
        "replication": pa.array(np.arange(n), pa.int64()),
        "status": pa.array(np.where(y, "settlement", "war"), pa.string()),
        "first_agreement_week": pa.array([int(w) if a else None for w, a in zip(rng.integers(1, 52, n), y)], pa.int32()),
        "breakdowns": pa.array(np.zeros(n, dtype=np.int32)),
    }
    for j, name in enumerate(names):
        columns[name] = pa.array(x[:, j])
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), folder / "runs.parquet")
    return x


# ---------------------------------------------------------------------- PRIM finds a planted box
def test_prim_finds_the_planted_box(tmp_path):
    planted_runs(tmp_path, {1: (0.2, 0.6), 4: (0.3, 0.8)}, n=4000, noise=0.03)
    result, _, _ = discover(tmp_path, 'status == "settlement"')
    box = result.box
    print(
        f"planted box: box {box.index}, coverage {box.coverage:.3f}, density {box.density:.3f}, "
        f"restricted {[(lim.dimension, round(lim.low, 3), round(lim.high, 3)) for lim in box.restricted]}"
    )
    assert box.coverage > 0.8 and box.density > 0.8
    assert sorted(lim.dimension for lim in box.restricted) == [PARAMS[1], PARAMS[4]]
    limits = {lim.dimension: lim for lim in box.restricted}
    assert abs(limits[PARAMS[1]].low - 0.2) < 0.05 and abs(limits[PARAMS[1]].high - 0.6) < 0.05
    assert abs(limits[PARAMS[4]].low - 0.3) < 0.05 and abs(limits[PARAMS[4]].high - 0.8) < 0.05
    # Both restrictions are significant (quasi-p-values, Bryant & Lempert 2010).
    assert all(max(q for q in (lim.qp_low, lim.qp_high) if q is not None) < 1e-6 for lim in box.restricted)
    # The trajectory starts with the whole space and its density rises as PRIM peels.
    assert result.boxes[0].coverage == 1.0 and result.boxes[0].res_dim == 0
    assert result.boxes[-1].density > result.boxes[0].density


def test_a_folder_with_the_former_dotted_names_reads_as_today(tmp_path):
    """runs.parquet written before the columns were renamed (`param.actors.p1`): the same box, under today's names."""
    planted_runs(tmp_path, {1: (0.2, 0.6), 4: (0.3, 0.8)}, n=4000, noise=0.03, names=[f"param.actors.p{j}" for j in range(6)])
    result, cases, _ = discover(tmp_path, "status == settlement and param.actors.p0 >= 0", dimensions=["param.actors.p1", PARAMS[4]])
    assert list(cases.x.columns) == [PARAMS[1], PARAMS[4]]
    assert sorted(lim.dimension for lim in result.box.restricted) == [PARAMS[1], PARAMS[4]]


# Each example runs PRIM (about a second): a tenth of the profile's examples (ci 5, dev 10, thorough 100).
@settings(max_examples=max(5, settings.default.max_examples // 10))
@given(
    dims=st.lists(st.integers(0, 5), min_size=2, max_size=2, unique=True),
    starts=st.tuples(st.floats(0.0, 0.5), st.floats(0.0, 0.5)),
    widths=st.tuples(st.floats(0.45, 0.5), st.floats(0.45, 0.5)),
)
def test_prim_finds_planted_boxes_anywhere(tmp_path_factory, dims, starts, widths):
    folder = tmp_path_factory.mktemp("planted")
    box = {d: (s, s + w) for d, s, w in zip(dims, starts, widths)}
    planted_runs(folder, box, n=1500, noise=0.02)
    result, _, _ = discover(folder, "settlement")
    found = result.box
    assert found.coverage > 0.8 and found.density > 0.8, (box, found.coverage, found.density)
    # Every restriction PRIM keeps on a dimension that was not planted is noise: it keeps nearly all of the range and
    # is not significant (quasi-p above 0.05 on each restricted side), as the EMA Workbench's box inspection reads it.
    planted = {PARAMS[d] for d in dims}
    for lim in found.restricted:
        if lim.dimension in planted:
            continue
        kept = (lim.high - lim.low) / (lim.range_high - lim.range_low)
        significant = [q for q in (lim.qp_low, lim.qp_high) if q is not None and q <= 0.05]
        assert kept > 0.9 and not significant, (box, lim)


def test_feature_scores_and_cart_point_at_the_planted_dimensions(tmp_path):
    planted_runs(tmp_path, {0: (0.1, 0.5), 3: (0.5, 1.0)}, n=3000)
    scores, _, _ = discover(tmp_path, "settlement", method="scores")
    assert {d for d, _ in scores.scores[:2]} == {PARAMS[0], PARAMS[3]}
    tree, _, _ = discover(tmp_path, "settlement", method="cart")
    assert tree.box.density > 0.8
    assert {PARAMS[0], PARAMS[3]} <= {lim.dimension for lim in tree.box.restricted}  # a tree may split on noise too


# ---------------------------------------------------------------------- the outcome expression
COLUMNS = [
    "status",
    "first_agreement",
    "first_agreement_week",
    "breakdowns",
    "agreements",
    "front_final",
    "terms_territory",
    "param__actors__russia__troops",
    "actors__us__backstop",
]
KINDS = {
    "status": "label",
    "first_agreement": "label",
    "first_agreement_week": "number",
    "breakdowns": "number",
    "agreements": "number",
    "front_final": "number",
    "terms_territory": "number",
    "param__actors__russia__troops": "number",
    "actors__us__backstop": "bool",
}


def _data(n: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    statuses = np.array(["war", "partial_truce", "ceasefire", "settlement"], dtype=object)
    week = rng.integers(1, 52, n).astype(float)
    week[::3] = np.nan
    return {
        "status": statuses[rng.integers(0, 4, n)],
        "first_agreement": np.array([None, "ceasefire"] * n, dtype=object)[:n],
        "first_agreement_week": week,
        "breakdowns": rng.integers(0, 3, n).astype(float),
        "agreements": rng.integers(0, 3, n).astype(float),
        "front_final": rng.uniform(size=n),
        "terms_territory": rng.uniform(size=n),
        "param__actors__russia__troops": rng.uniform(6e5, 1.1e6, n),
        "actors__us__backstop": np.array([True, False] * n, dtype=object)[:n],
    }


@pytest.mark.parametrize(
    "text, expected",
    [
        ('status == "settlement"', lambda d: d["status"] == "settlement"),
        ("status = settlement", lambda d: d["status"] == "settlement"),
        ("settlement or ceasefire", lambda d: (d["status"] == "settlement") | (d["status"] == "ceasefire")),
        ("status in [ceasefire, settlement] and not breakdown", lambda d: np.isin(d["status"], ["ceasefire", "settlement"]) & ~(d["breakdowns"] >= 1)),
        ("first_agreement_week <= 12", lambda d: d["first_agreement_week"] <= 12),
        ("12 >= week", lambda d: d["first_agreement_week"] <= 12),
        ("0.3 < front < 0.7", lambda d: (d["front_final"] > 0.3) & (d["front_final"] < 0.7)),
        ("territory > 0.5 or param.actors.russia.troops >= 9e5", lambda d: (d["terms_territory"] > 0.5) | (d["param__actors__russia__troops"] >= 9e5)),
        ("param__actors__russia__troops < 7e5", lambda d: d["param__actors__russia__troops"] < 7e5),
        ("first_agreement == none", lambda d: np.array([v is None for v in d["first_agreement"]])),
        ("`param.actors.russia.troops` > 9e5 and `status` == war", lambda d: (d["param__actors__russia__troops"] > 9e5) & (d["status"] == "war")),
        ("actors.us.backstop", lambda d: d["actors__us__backstop"] == True),  # noqa: E712
        ("actors.us.backstop == false and agreements = 0", lambda d: (d["actors__us__backstop"] == False) & (d["agreements"] == 0)),  # noqa: E712
        ("not actors__us__backstop", lambda d: d["actors__us__backstop"] == False),  # noqa: E712
    ],
)
def test_outcome_expressions_select_what_they_say(text, expected):
    data = _data()
    with np.errstate(invalid="ignore"):
        want = np.asarray(expected(data), dtype=bool)
    assert np.array_equal(parse_outcome(text, COLUMNS, kinds=KINDS).evaluate(data), want)


@pytest.mark.parametrize(
    "text, message",
    [
        ("stauts == 'war'", "unknown column 'stauts' (did you mean 'status'?)"),
        ("status == 'setlement'", "unknown value 'setlement' for status (did you mean 'settlement'?)"),
        ("__import__('os').system('true')", "got a function call"),
        ("week + 1 > 2", "got arithmetic"),
        ("status < 'war'", "expected == or != with a label"),
        ("week == 'x'", "holds numbers"),
        ("status", "expected a comparison with column 'status'"),
        ("1 == 2", "expected a column on one side"),
        ("().__class__", "got an attribute"),
        ("status == ", "could not read"),
        ("", "got nothing"),
    ],
)
def test_bad_outcome_expressions_say_what_was_expected(text, message):
    with pytest.raises(OutcomeExpressionError, match=__import__("re").escape(message)):
        parse_outcome(text, COLUMNS, kinds=KINDS)


def _nodes(tree):
    if isinstance(tree, BoolOp):
        for p in tree.parts:
            yield from _nodes(p)
    elif isinstance(tree, Not):
        yield from _nodes(tree.part)
    else:
        yield tree


@given(st.text(max_size=80))
def test_any_text_is_rejected_cleanly_or_reads_as_column_comparisons(text):
    """Whatever is typed, the parser either says what it expected or returns comparisons of known columns
    with constants: nothing else can be in the tree, so nothing else can run."""
    try:
        expr = parse_outcome(text, COLUMNS, kinds=KINDS)
    except OutcomeExpressionError as exc:
        assert "\n" not in str(exc)
        return
    for node in _nodes(expr.tree):
        assert isinstance(node, Compare) and node.column in COLUMNS
        values = node.value if isinstance(node.value, tuple) else (node.value,)
        assert all(v is None or isinstance(v, (bool, float, str)) for v in values)
    expr.evaluate(_data())


_clause = st.one_of(
    st.builds(
        lambda op, v: (f"front_final {op} {v!r}", ("front_final", op, v)), st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), st.floats(0, 1, allow_nan=False)
    ),
    st.builds(
        lambda op, s: (f"status {op} {s!r}", ("status", op, s)),
        st.sampled_from(["==", "!="]),
        st.sampled_from(["war", "partial_truce", "ceasefire", "settlement"]),
    ),
)


def _reference(data, clause):
    column, op, value = clause
    v = data[column]
    if isinstance(value, str):
        hit = v == value
        return hit if op == "==" else ~hit
    return {"<": v < value, "<=": v <= value, ">": v > value, ">=": v >= value, "==": v == value, "!=": v != value}[op]


@given(st.lists(st.tuples(_clause, st.sampled_from(["and", "or"]), st.booleans()), min_size=1, max_size=4))
def test_composed_expressions_agree_with_numpy(parts):
    """and/or/not over clauses mean what Python's precedence says (not binds tighter than and, and tighter than or)."""
    data = _data(50)
    text = ""
    terms = []  # disjunction of conjunctions, evaluated by hand
    current = None
    for i, ((clause_text, clause), _joiner, negate) in enumerate(parts):
        piece = _reference(data, clause)
        piece = ~piece if negate else piece
        text += ("" if i == 0 else f" {parts[i - 1][1]} ") + ("not " if negate else "") + clause_text
        if i == 0 or parts[i - 1][1] == "or":
            if current is not None:
                terms.append(current)
            current = piece
        else:
            current = current & piece
    terms.append(current)
    want = np.logical_or.reduce(terms)
    assert np.array_equal(parse_outcome(text, COLUMNS, kinds=KINDS).evaluate(data), want), text


def test_the_parser_never_compiles_or_evaluates():
    source = Path(outcome_expr.__file__).read_text(encoding="utf-8")
    calls = {n.func.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert not calls & {"eval", "exec", "compile", "__import__"}


# ---------------------------------------------------------------------- the command line
def _one_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_unknown_column_is_one_line_naming_it(tmp_path):
    planted_runs(tmp_path, {0: (0, 0.5), 1: (0, 0.5)}, n=300)
    line = _one_line(invoke("discover", tmp_path, "--outcome", "stauts == 'war'"))
    assert line == "--outcome: unknown column 'stauts' (did you mean 'status'?)"


@pytest.mark.parametrize("outcome, words", [("status == 'ceasefire'", "no case of 300 satisfies"), ("breakdowns == 0", "all 300 cases satisfy")])
def test_an_empty_selection_is_one_line(tmp_path, outcome, words):
    planted_runs(tmp_path, {0: (0, 0.5), 1: (0, 0.5)}, n=300)
    assert words in _one_line(invoke("discover", tmp_path, "--outcome", outcome))
    assert not list(tmp_path.glob("discovery*"))


def test_a_folder_without_parameters_is_one_line(tmp_path):
    pq.write_table(pa.table({"replication": pa.array([0, 1, 2]), "status": pa.array(["war", "settlement", "war"])}), tmp_path / "runs.parquet")
    line = _one_line(invoke("discover", tmp_path, "--outcome", "settlement"))
    assert line.startswith(f"{tmp_path}: expected parameters: a sweep (variants.parquet) or a run whose runs.parquet has drawn param__*")


@pytest.mark.parametrize(
    "args, words",
    [
        (["--method", "primm"], "--method: expected one of prim, cart, scores, got 'primm' (did you mean 'prim'?)"),
        (["--box", "999"], "--box: expected a box index from 0 to"),
        (["--dimension", "param.actors.p9"], "--dimension: unknown parameter 'param__actors__p9' (did you mean"),
    ],
)
def test_bad_options_are_one_line(tmp_path, args, words):
    planted_runs(tmp_path, {0: (0, 0.5), 1: (0, 0.5)}, n=300)
    assert words in _one_line(invoke("discover", tmp_path, "--outcome", "settlement", *args))


def test_not_a_result_folder(tmp_path):
    line = _one_line(invoke("discover", tmp_path / "nope", "--outcome", "settlement"))
    assert "expected a result folder" in line
    line = _one_line(invoke("discover", tmp_path, "--outcome", "settlement"))
    assert "expected a finished result folder holding runs.parquet" in line


def test_discovery_files_are_written_beside_and_never_overwrite(tmp_path):
    planted_runs(tmp_path, {1: (0.2, 0.6), 4: (0.3, 0.8)}, n=1500)
    first = invoke("discover", tmp_path, "--outcome", "settlement")
    assert first.exit_code == 0, first.output
    assert "PRIM box" in first.stdout and "Peeling trajectory" in first.stdout
    data = json.loads((tmp_path / "discovery.json").read_text())
    assert data["method"] == "prim" and data["selected_box"]["density"] > 0.8
    assert {p for p in data["plots"]} == {"plots/discovery/prim_trajectory.png", "plots/discovery/prim_box_limits.png", "plots/discovery/prim_box_pairs.png"}
    table = pq.read_table(tmp_path / "discovery.parquet")
    assert table.num_rows == len(data["trajectory"]) and f"low__{PARAMS[1]}" in table.column_names
    before = (tmp_path / "discovery.json").read_bytes()
    second = invoke("discover", tmp_path, "--outcome", "settlement", "--method", "scores")
    assert second.exit_code == 0, second.output
    assert (tmp_path / "discovery.json").read_bytes() == before
    assert json.loads((tmp_path / "discovery-2.json").read_text())["method"] == "scores"
    assert (tmp_path / "plots" / "discovery-2" / "feature_scores.png").exists()
    # A third with --box picks that box of the trajectory.
    third = invoke("discover", tmp_path, "--outcome", "settlement", "--box", "3", "--no-write")
    assert third.exit_code == 0 and "PRIM box 3 " in third.stdout
    assert not (tmp_path / "discovery-3.json").exists()


# ---------------------------------------------------------------------- a real sweep
def test_discover_on_a_small_real_sweep_and_its_report(tmp_path):
    sweep = tmp_path / "tiny.toml"
    sweep.write_text(
        f'name = "tiny"\nbase = {json.dumps(str(ROOT / "scenarios" / "russia_red_lines_softened.toml"))}\n'
        'runs = 25\nseed = 7\n[design]\nkind = "latin_hypercube"\nsamples = 6\n'
        '[[parameters]]\npath = "actors.russia.weekly_cost"\nrange = [0.001, 0.008]\n'
        '[[parameters]]\npath = "actors.us.mediation_intensity"\nrange = [0.05, 0.5]\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    ran = invoke("sweep", sweep, "--out", out, "--executor", "inprocess", "--weeks", "26")
    assert ran.exit_code == 0, ran.output
    folder = only_run(out, "tiny")
    cases = load_cases(folder)
    assert cases.kind == "sweep" and "actors__russia__weekly_cost" in cases.x.columns
    assert any(c.startswith("param__") for c in cases.x.columns)  # drawn parameters join the varied ones
    result = invoke("discover", folder, "--outcome", "status in [ceasefire, settlement]")
    assert result.exit_code == 0, result.output
    data = json.loads((folder / "discovery.json").read_text())
    assert data["kind"] == "sweep" and data["cases"] == 150 and 0 < data["cases_of_interest"] < 150
    assert data["selected_box"]["coverage"] > 0
    report = invoke("report", folder)
    assert report.exit_code == 0, report.output
    page = (folder / "report.html").read_text()
    assert "Scenario discovery" in page and "status in [ceasefire, settlement]" in page
    assert page.count("<h2>Discovery") == 0  # the discovery table is not dumped again as a generic table


def test_discover_on_a_run_folder_uses_the_drawn_parameters(tmp_path, baseline_path):
    ran = invoke("run", baseline_path, "--runs", "300", "--weeks", "26", "--executor", "inprocess", "--out", tmp_path)
    assert ran.exit_code == 0, ran.output
    folder = only_run(tmp_path, "baseline")
    cases = load_cases(folder)
    assert cases.kind == "run" and "param__actors__russia__troops" in cases.x.columns
    statuses = set(cases.columns["status"].tolist())
    outcome = "war" if len(statuses) > 1 else "first_agreement_week <= 12"  # whatever the model of the day produces
    result = invoke("discover", folder, "--outcome", outcome, "--method", "cart")
    if result.exit_code == 2:  # an outcome every case (or none) meets is refused in one line, as it should be
        assert "cases" in _one_line(result)
        return
    assert result.exit_code == 0, result.output
    data = json.loads((folder / "discovery.json").read_text())
    assert data["kind"] == "run" and data["method"] == "cart" and data["boxes"]
    assert (folder / "plots" / "discovery" / "cart_leaves.png").exists()
    assert "Scenario discovery" in (folder / "report.html").read_text() if invoke("report", folder).exit_code == 0 else False


def test_a_sweep_folder_without_runs_is_refused(tmp_path):
    (tmp_path / "variants.parquet").write_bytes(b"")
    with pytest.raises(DiscoveryError, match=r"holding runs\.parquet"):
        load_cases(tmp_path)
