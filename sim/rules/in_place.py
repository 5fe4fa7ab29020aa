"""Whether an operation's result fits one of its operands, so that a temporary can take the result in place.

numpy computes `np.add(a, b, out=a)` with the same numbers as `a + b` (each element is the same operation on the
same operands); writing into a temporary the code owns saves allocating (and first touching) a fresh array, which at
thousands of replications costs more than the arithmetic. `fits` says when the result has the temporary's shape and
type, so the rules fall back to the plain expression whenever it does not (another shape broadcast in, another type).
"""

from __future__ import annotations

import numpy as np

from sim.rules.registry import Values


def fits(out: np.ndarray, other: Values | np.ndarray) -> bool:
    """Whether `out op other` has the shape and type of `out` (so it can be computed into `out`)."""
    if isinstance(other, np.ndarray):
        if other.dtype != out.dtype:
            return False
        shape = other.shape
        return shape == out.shape or (len(shape) <= out.ndim and all(s == 1 or s == o for s, o in zip(shape[::-1], out.shape[::-1])))
    # A Python number (np.float64 is a float): the result of a float64 operation stays float64.
    return isinstance(other, (float, int)) and out.dtype == np.float64
