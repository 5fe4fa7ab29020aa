"""Counter-based random numbers: every draw is a pure function of (seed, replication, week, name).

A replication's trajectory then depends only on the scenario, the seed and its index,
never on how many replications ran beside it, the chunk size or the executor; and two
scenario variants run with the same seed share their random numbers draw by draw
(common random numbers). The mixing function is SplitMix64's finaliser (Steele, Lea &
Flood 2014), applied twice over a key that combines the four coordinates.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np
from scipy.special import ndtri

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_WEEK = np.uint64(0xD1B54A32D192ED03)
_S30, _S27, _S31, _S11 = (np.uint64(s) for s in (30, 27, 31, 11))
_TO_UNIT = 1.0 / float(1 << 53)
_BELOW_ONE = np.nextafter(1.0, 0.0)

# Weeks below zero name draws made once per replication (parameter draws, set-up).
SETUP_WEEK = -1


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser on an array of uint64 (wrapping arithmetic)."""
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    out: np.ndarray = x ^ (x >> _S31)
    return out


def _mix_in_place(x: np.ndarray) -> np.ndarray:
    """`_mix` computed in `x` (a temporary of the caller's, uint64), with one more temporary: the same bits."""
    t = np.right_shift(x, _S30)
    x ^= t
    x *= _M1
    np.right_shift(x, _S27, out=t)
    x ^= t
    x *= _M2
    np.right_shift(x, _S31, out=t)
    x ^= t
    return x


@lru_cache(maxsize=4096)
def name_key(name: str) -> int:
    """A stable 64-bit key for a draw name (independent of Python's hash seed)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


class Streams:
    """Named uniform and normal draws for a set of replication indices.

    `Streams(seed, replications)` holds the replication indices (any integers, in any
    order); `uniform("battle.noise", week)` returns one uniform in [0, 1) per replication.
    """

    def __init__(self, seed: int, replications: np.ndarray):
        self.seed = int(seed)
        self.replications = np.asarray(replications, dtype=np.int64)
        with np.errstate(over="ignore"):
            seed_key = _mix(np.array([self.seed], dtype=np.uint64) + _GOLDEN)
            self._rep_keys = _mix(self.replications.astype(np.uint64) * _GOLDEN ^ seed_key)

    def bits(self, name: str, week: int = SETUP_WEEK, idx: np.ndarray | None = None) -> np.ndarray:
        """64 random bits per replication for draw `name` in `week` (only those of the replications at positions
        `idx`, when given: the same bits as `bits(name, week)[idx]`, without computing the others)."""
        keys = self._rep_keys if idx is None else self._rep_keys.take(idx)
        with np.errstate(over="ignore"):
            k = np.uint64(name_key(name)) ^ (np.uint64(week & 0xFFFFFFFF) * _WEEK)
            # _mix(_mix(keys ^ k) + _GOLDEN), in one temporary (wrapping integer arithmetic: the same bits).
            x = _mix_in_place(np.bitwise_xor(keys, k))
            x += _GOLDEN
            return _mix_in_place(x)

    def uniform(self, name: str, week: int = SETUP_WEEK, idx: np.ndarray | None = None) -> np.ndarray:
        """Uniforms on the open interval (0, 1), one per replication (or per position in `idx`, as `bits`)."""
        bits = self.bits(name, week, idx)
        bits >>= _S11
        u = bits.astype(np.float64)
        u += 0.5
        u *= _TO_UNIT
        # (2**53 - 1) + 0.5 rounds up to 2**53 in float64: keep that one value below 1.
        return np.minimum(u, _BELOW_ONE, out=u)

    def normal(self, name: str, week: int = SETUP_WEEK) -> np.ndarray:
        """Standard normals by inversion, one per replication."""
        out: np.ndarray = ndtri(self.uniform(name, week))
        return out

    def subset(self, mask: np.ndarray) -> Streams:
        """The streams of a subset of these replications (same draws for each of them)."""
        return Streams(self.seed, self.replications[mask])
