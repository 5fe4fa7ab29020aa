"""Confidence intervals for proportions and for differences of proportions."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

# scipy.special, not scipy.stats: `norm.ppf` is `ndtri`, and importing scipy.stats takes about a second.
from scipy.special import ndtri


def z_value(confidence: float = 0.95) -> float:
    """Two-sided standard normal critical value for the given confidence level."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be within (0, 1), got {confidence!r}")
    return float(ndtri(0.5 + confidence / 2.0))


def wilson_interval(successes: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (lower, upper) for a binomial proportion, vectorised.

    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. JASA 22(158), 209-212. Broadcasts `successes` and `n`; where n == 0 both
    bounds are NaN. The bounds are clipped to [0, 1] against rounding and are exactly 0
    (1) when there are no successes (failures).
    """
    x = np.asarray(successes, dtype=np.float64)
    n_arr = np.asarray(n, dtype=np.float64)
    if np.any(x < 0) or np.any(x > n_arr):
        raise ValueError("successes must be within 0..n")
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n_arr
        denominator = 1.0 + z * z / n_arr
        centre = (p + z * z / (2.0 * n_arr)) / denominator
        half = z * np.sqrt(p * (1.0 - p) / n_arr + z * z / (4.0 * n_arr * n_arr)) / denominator
        lower = np.clip(centre - half, 0.0, 1.0)
        upper = np.clip(centre + half, 0.0, 1.0)
    lower = np.where(x == 0, 0.0, lower)
    upper = np.where(x == n_arr, 1.0, upper)
    empty = n_arr == 0
    lower = np.where(empty, np.nan, lower)
    upper = np.where(empty, np.nan, upper)
    return lower, upper


def newcombe_difference_interval(
    successes_a: ArrayLike, n_a: ArrayLike, successes_b: ArrayLike, n_b: ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Difference p_a - p_b of two independent proportions with its hybrid score interval.

    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine 17(8), 873-890,
    method 10 (square-and-add of the two Wilson score intervals). Returns
    (difference, lower, upper); NaN where either sample is empty.
    """
    xa = np.asarray(successes_a, dtype=np.float64)
    na = np.asarray(n_a, dtype=np.float64)
    xb = np.asarray(successes_b, dtype=np.float64)
    nb = np.asarray(n_b, dtype=np.float64)
    la, ua = wilson_interval(xa, na, confidence)
    lb, ub = wilson_interval(xb, nb, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        pa = xa / na
        pb = xb / nb
    difference = pa - pb
    lower = difference - np.sqrt((pa - la) ** 2 + (ub - pb) ** 2)
    upper = difference + np.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)
    return difference, np.clip(lower, -1.0, 1.0), np.clip(upper, -1.0, 1.0)
