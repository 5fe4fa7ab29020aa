"""Planning sweeps: the fast path (variants that change only numbers, checked field by field) plans exactly what full
validation plans, and is left when a check above the field level reads a varied number; designs are one class each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sim.experiment.sweep.plan as plan_module
from sim.errors import InputError
from sim.experiment.sweep import DESIGNS, plan_sweep, read_sweep_file
from sim.experiment.sweep.designs import Design, DesignError, ParameterSpec, register
from sim.model.parameters import field_bounds_by_key
from sim.scenario.load import load_scenario, scenario_hash

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
NUMERIC = sorted((k, b) for k, b in field_bounds_by_key(load_scenario(BASELINE).scenario).items())


def write(folder: Path, body: str, name: str = "sweep") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(f"base = {json.dumps(str(BASELINE))}\nruns = 10\nseed = 3\n" + body, encoding="utf-8")
    return path


def same_plans(a: Any, b: Any) -> None:
    assert a.hash == b.hash
    assert len(a.variants) == len(b.variants)
    for x, y in zip(a.variants, b.variants):
        assert (x.index, x.values, x.sets, x.scenario_hash, x.seed, x.group, x.batched) == (
            y.index,
            y.values,
            y.sets,
            y.scenario_hash,
            y.seed,
            y.group,
            y.batched,
        )
        assert x.scenario_hash == scenario_hash(x.scenario)  # the hash is the variant's scenario's
    np.testing.assert_array_equal(a.design_matrix if a.design_matrix is not None else [], b.design_matrix if b.design_matrix is not None else [])


@st.composite
def numeric_sweeps(draw: st.DrawFn) -> str:
    """A sweep file's body over 1-3 numeric parameters of the baseline: a grid (numbers, sometimes a distribution
    table), a Latin hypercube or a Morris design, with or without common random numbers."""
    chosen = draw(st.lists(st.sampled_from(NUMERIC), min_size=1, max_size=3, unique_by=lambda kb: kb[0]))
    kind = draw(st.sampled_from(["grid", "latin_hypercube", "morris"] if len(chosen) > 1 else ["grid", "latin_hypercube"]))
    body = f'common_random_numbers = {json.dumps(draw(st.booleans()))}\n[design]\nkind = "{kind}"\n'
    if kind != "grid":
        body += f"samples = {draw(st.integers(1, 4))}\n"
    for path, bounds in chosen:
        lo, hi = sorted(draw(st.lists(st.floats(bounds.lo, bounds.hi, allow_nan=False), min_size=2, max_size=2, unique=True)))
        body += f'[[parameters]]\npath = "{path}"\n'
        if kind != "grid":
            body += f"range = [{lo!r}, {hi!r}]\n"
            continue
        values: list[str] = [repr(lo), repr(hi)]
        if draw(st.booleans()) and not bounds.integer:
            values.append(f'{{dist = "uniform", low = {lo!r}, high = {hi!r}}}')  # a distribution: the full path
        if bounds.integer:
            values = [str(int(np.ceil(lo))), str(int(np.floor(hi)))] if np.ceil(lo) <= np.floor(hi) else [str(int(np.ceil(lo)))]
        body += f"values = [{', '.join(values)}]\n"
    return body


@given(body=numeric_sweeps())
def test_the_fast_path_plans_what_full_validation_plans(tmp_path_factory: pytest.TempPathFactory, body: str) -> None:
    path = write(tmp_path_factory.mktemp("plan"), body)
    try:
        full = plan_sweep(path, full_validation=True)
    except InputError as exc:  # a value some check refuses: the fast path must refuse it with the same line
        with pytest.raises(InputError) as info:
            plan_sweep(path)
        assert str(info.value) == str(exc)
        return
    same_plans(plan_sweep(path), full)


LHS = """
[design]
kind = "latin_hypercube"
samples = 40

[[parameters]]
path = "actors.turkey.mediation_intensity"
range = [0.0, 0.5]

[[parameters]]
path = "battlefield.lookahead_weeks"
range = [2.0, 30.0]
"""


def test_numeric_variants_take_the_fast_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No variant of a design over numbers is validated in full (the base and the range ends are)."""
    calls = []
    original = plan_module._plan_one
    monkeypatch.setattr(plan_module, "_plan_one", lambda *a, **k: calls.append(a[1]) or original(*a, **k))
    plan = plan_sweep(write(tmp_path, LHS))
    assert calls == [] and len(plan.variants) == 40
    assert {v.values["battlefield.lookahead_weeks"] for v in plan.variants} <= {float(w) for w in range(2, 31)}  # an integer field, rounded


def test_a_check_that_reads_a_varied_number_turns_the_fast_path_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If deriving positions read a varied number, variants would not be checkable field by field: full validation."""
    path = write(tmp_path, LHS)
    reference = plan_sweep(path, full_validation=True)
    derive = plan_module.derive

    def reads_mediation(scenario: Any, *args: Any) -> Any:
        if scenario.actors.turkey.mediation_intensity > 0.4:  # a sentinel raises here
            pass
        return derive(scenario, *args)

    monkeypatch.setattr(plan_module, "derive", reads_mediation)
    calls = []
    original = plan_module._plan_one
    monkeypatch.setattr(plan_module, "_plan_one", lambda *a, **k: calls.append(a[1]) or original(*a, **k))
    plan = plan_sweep(path)
    assert sorted(calls) == list(range(40))
    same_plans(plan, reference)


def test_categorical_parameters_plan_in_full_and_agree(tmp_path: Path) -> None:
    body = """
[design]
kind = "grid"

[[parameters]]
path = "actors.turkey.mediation_intensity"
values = [0.1, 0.2]

[[parameters]]
path = "actors.us.aid_policy"
values = ["conditional", "cut"]
"""
    path = write(tmp_path, body)
    same_plans(plan_sweep(path), plan_sweep(path, full_validation=True))


# ---------------------------------------------------------------------- designs
class _OneAtATime(Design):
    """A toy design: the middle of every range, then each parameter alone at its low and high end."""

    name = "one_at_a_time"

    def check_parameter(self, where: str, p: ParameterSpec) -> None:
        if p.range is None:
            raise DesignError(f"{where}.range", "expected range = [low, high] in a one_at_a_time design")

    def count(self) -> int:
        return 1 + 2 * len(self.parameters)

    def sample(self, seed: int) -> np.ndarray:
        ranges = self.ranges()
        middle = ranges.mean(axis=1)
        rows = [middle]
        for k in range(len(self.parameters)):
            for end in (0, 1):
                row = middle.copy()
                row[k] = ranges[k, end]
                rows.append(row)
        return np.array(rows)


@pytest.fixture
def one_at_a_time() -> Any:
    register(_OneAtATime)
    yield _OneAtATime
    del DESIGNS[_OneAtATime.name]


def test_a_design_is_one_registered_class(tmp_path: Path, one_at_a_time: Any) -> None:
    body = LHS.replace('kind = "latin_hypercube"\nsamples = 40', 'kind = "one_at_a_time"')
    plan = plan_sweep(write(tmp_path, body))
    assert [v.values["actors.turkey.mediation_intensity"] for v in plan.variants] == [0.25, 0.0, 0.5, 0.25, 0.25]
    assert [v.values["battlefield.lookahead_weeks"] for v in plan.variants] == [16.0, 16.0, 16.0, 2.0, 30.0]
    bad = write(tmp_path, body.replace("range = [2.0, 30.0]", "values = [2.0, 30.0]"), "bad")
    with pytest.raises(InputError, match=r"parameters\[1\]\.range: expected range = \[low, high\] in a one_at_a_time design"):
        read_sweep_file(bad)


def test_unknown_designs_name_the_registered_ones(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"design\.kind: expected one of grid, latin_hypercube, sobol, morris, got 'lhs'"):
        read_sweep_file(write(tmp_path, LHS.replace("latin_hypercube", "lhs")))
