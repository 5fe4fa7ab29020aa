"""Sums, running sums and maxima over a short last axis (the issues, the three proposal types), column by column in order.

numpy reduces a last axis row by row, at a cost per row that outweighs the arithmetic when the axis holds a
few entries and the rows are thousands. Adding (or taking the larger of) whole columns in order gives the same
numbers bit for bit: numpy sums a row of fewer than 8 entries in order too, and a maximum does not round
(tests/test_short_axis.py checks both against numpy).
"""

from __future__ import annotations

import numpy as np


def sum_last(a: np.ndarray) -> np.ndarray:
    """`a.sum(axis=-1)` for a last axis of fewer than 8 entries: the columns added in order to a zero (as numpy
    starts a sum, so that a row of negative zeros sums to 0.0)."""
    total = np.zeros_like(a[..., 0])
    for k in range(a.shape[-1]):
        total += a[..., k]
    return total


def max_last(a: np.ndarray) -> np.ndarray:
    """`a.max(axis=-1)`: the larger of the columns, taken in order (NaN wins, as in numpy)."""
    top = a[..., 0].copy()
    for k in range(1, a.shape[-1]):
        np.maximum(top, a[..., k], out=top)
    return top


def cumsum_last(a: np.ndarray) -> np.ndarray:
    """`np.cumsum(a, axis=-1)`: each column plus the running sum of the ones before it."""
    out = np.array(a, copy=True)
    for k in range(1, a.shape[-1]):
        out[..., k] += out[..., k - 1]
    return out
