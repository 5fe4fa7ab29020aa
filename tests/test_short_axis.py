"""The column-by-column reductions of `sim.rules.short_axis` give numpy's numbers bit for bit.

The engine uses them instead of numpy's reductions over a short last axis (the three proposal types) for speed,
and its results must stay the same bit for bit: every element is compared, signed zeros, infinities and NaN
included.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim.rules.short_axis import cumsum_last, max_last, sum_last

# Rows of 1 to 7 entries (numpy sums a row of fewer than 8 in order), values of every magnitude and sign.
special = st.sampled_from([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, -1e300, 5e-324])
values = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64), special)
short_rows = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=7), elements=values)
# In memory either way: the engine reduces both C-ordered arrays and transposed views.
layouts = st.sampled_from([np.ascontiguousarray, np.asfortranarray])

# inf - inf, overflows and the like are part of what is compared.
pytestmark = [
    pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning"),
]


def assert_same_bits(ours: np.ndarray, numpy_s: np.ndarray) -> None:
    """Equal element by element, NaN where numpy has NaN, and the same sign on every zero."""
    np.testing.assert_array_equal(ours, numpy_s)
    assert ours.shape == numpy_s.shape and ours.dtype == numpy_s.dtype
    zero = numpy_s == 0
    np.testing.assert_array_equal(np.signbit(ours[zero]), np.signbit(numpy_s[zero]))


@given(short_rows, layouts)
def test_sum_last_is_numpys_sum_over_a_short_last_axis(a, layout):
    a = layout(a)
    assert_same_bits(sum_last(a), a.sum(axis=-1))


@given(short_rows, layouts)
def test_max_last_is_numpys_max_over_the_last_axis(a, layout):
    a = layout(a)
    assert_same_bits(max_last(a), a.max(axis=-1))


@given(short_rows, layouts)
def test_cumsum_last_is_numpys_cumsum_over_the_last_axis(a, layout):
    a = layout(a)
    assert_same_bits(cumsum_last(a), np.cumsum(a, axis=-1))


def test_sum_last_adds_in_order_where_the_order_changes_the_rounding():
    # (1 + 1e-16) + 1e-16 rounds twice to 1; 1 + (1e-16 + 1e-16) does not: the first is numpy's order, and ours.
    a = np.array([[1.0, 1e-16, 1e-16]])
    assert sum_last(a)[0] == 1.0 == a.sum(axis=-1)[0]
