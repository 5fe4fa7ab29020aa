"""Every numeric input is checked for range and finiteness (issue 12, class 6): scenario numbers and
distribution parameters, position overrides against the actor's own red lines, and the integer options
of the command line. What validates must run: a distribution that passes validation draws finite values
within the field's bounds, without a warning."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
from clitools import invoke
from conftest import BASELINE
from hypothesis import given
from hypothesis import strategies as st

from sim.errors import InputError
from sim.scenario.load import load_scenario
from sim.scenario.params import Bounds, quantile, validate_number

EXTREME = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 5e-324, 1e-300, 1e-12, 1e-9, 0.5, 1.0, 1e6, 1e300, 1.7976931348623157e308, math.inf, -math.inf, math.nan]),
    st.integers(min_value=-(10**30), max_value=10**30),
)
BOUNDS = st.sampled_from([Bounds(0.0, 1.0, "share"), Bounds(0.0, 2.0, "utility"), Bounds(1.0, 1e6, "troops", integer=True), Bounds(-1.0, 1.0, "points")])


@st.composite
def distribution_tables(draw):
    kind = draw(st.sampled_from(["beta", "uniform", "triangular", "normal"]))
    keys = {"beta": ("mean", "sd"), "normal": ("mean", "sd"), "uniform": ("low", "high"), "triangular": ("low", "mode", "high")}[kind]
    return {"dist": kind, **{k: draw(EXTREME) for k in keys}}


@given(table=distribution_tables(), bounds=BOUNDS)
def test_a_distribution_that_validates_draws_finite_values_within_bounds(table, bounds):
    try:
        value = validate_number(table, bounds)
    except ValueError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("expected"), str(exc)
        return
    u = np.linspace(0.0, 1.0, 101)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy's "invalid value" warnings at run time are what the issue saw
        draws = quantile(value, bounds, u)
    assert np.isfinite(draws).all(), (table, draws)
    assert (draws >= bounds.lo).all() and (draws <= bounds.hi).all()


@given(number=EXTREME, bounds=BOUNDS)
def test_a_plain_number_is_finite_and_within_bounds_or_refused(number, bounds):
    try:
        value = validate_number(number, bounds)
    except ValueError as exc:
        assert str(exc).startswith("expected") and "\n" not in str(exc)
        return
    assert math.isfinite(value) and bounds.lo <= value <= bounds.hi


@pytest.mark.parametrize(
    "value, pattern",
    [
        ('{dist="normal", mean=0.3, sd=inf}', r"normal distribution: sd: input should be a finite number"),
        ('{dist="normal", mean=0.3, sd=1e300}', r"expected a normal sd in \["),
        ('{dist="beta", mean=0.3, sd=1e-200}', r"expected a beta sd of at least"),
        ('{dist="uniform", low=nan, high=0.5}', r"uniform distribution: low: input should be a finite number"),
        ('{dist="triangular", low=0.1, mode=inf, high=0.5}', r"finite number"),
        ("nan", r"expected a value in \[0, 1\]"),
    ],
)
def test_infinite_or_degenerate_spreads_fail_validate(tmp_scenario, value, pattern):
    path = tmp_scenario(f"[actors.us]\nbias = {value}\n")
    result = invoke("validate", path)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1
    import re

    assert re.search(pattern, result.stderr), result.stderr


def test_a_position_override_outside_the_actors_own_red_lines_is_said_in_one_line(tmp_scenario, tmp_path):
    from sim.errors import InputWarning

    path = tmp_scenario("[actors.russia.overrides.territory]\nposition = 0.2\n")
    with pytest.warns(InputWarning, match=r"actors\.russia\.overrides\.territory\.position: a position outside russia's own red lines"):
        load_scenario(path)
    # from --set too, naming --set
    with pytest.warns(InputWarning, match=r"^--set: actors\.russia\.overrides\.territory\.position"):
        load_scenario(BASELINE, ["actors.russia.overrides.territory.position=0.2"])
    # moving the red line with it is fine
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_scenario(BASELINE, ["actors.russia.overrides.territory.position=0.2", "actors.russia.overrides.territory.red_line_low=0.1"])
    # on the command line: one warning line, and the command goes on
    result = subprocess.run([sys.executable, "-m", "sim", "validate", str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"warning: {path}: actors.russia.overrides.territory.position: a position outside "
        "russia's own red lines on territory, [1, 1]: 0.2 (move the red line too: red_line_low / red_line_high)"
    ]


HUGE = str(10**23)


@pytest.mark.parametrize(
    "args",
    [
        ["story", BASELINE, "--replication", HUGE],
        ["story", BASELINE, "--nth", HUGE],
        ["check", "--examples", HUGE, "--rule", "logit"],
        ["check", "--seed", HUGE, "--rule", "logit"],
        ["run", BASELINE, "--workers", HUGE, "--runs", "5"],
        ["run", BASELINE, "--chunk-size", HUGE, "--runs", "5"],
        ["run", BASELINE, "--runs", HUGE],
        ["whatif", BASELINE, "--set", "actors.us.bias=0.3", "--runs", HUGE],
        ["sweep", "x.toml", "--runs", HUGE],
        ["compare", "a", "b", "--runs", HUGE],
    ],
)
def test_integer_options_beyond_their_range_are_one_line(tmp_path, args):
    # A subprocess with a timeout: before the bounds, some of these ran (nearly) forever.
    result = subprocess.run([sys.executable, "-m", "sim", *map(str, args)], cwd=tmp_path, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 2, result.stderr
    assert "Invalid value for" in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_sobol_sample_count_must_be_a_power_of_two(tmp_path):
    from sim.experiment.sweep import read_sweep_file

    path = tmp_path / "s.toml"
    path.write_text(
        f'base = "{BASELINE}"\n[design]\nkind = "sobol"\nsamples = 24\n'
        '[[parameters]]\npath = "actors.us.bias"\nrange = [0.1, 0.5]\n'
        '[[parameters]]\npath = "actors.turkey.bias"\nrange = [0.1, 0.5]\n'
    )
    with pytest.raises(InputError, match=r"design\.samples: expected a power of 2 for a sobol design.*got 24 \(nearest: 16 or 32\)"):
        read_sweep_file(path)
