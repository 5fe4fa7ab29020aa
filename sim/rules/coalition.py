"""Commitments of coalition members to a reassurance force."""

from __future__ import annotations

import numpy as np

from sim.rules.registry import rule


@rule(
    kind="coalition",
    source="Threshold models of collective action (Granovetter 1978); UK's 'US backstop' condition (Starmer, Feb 2025)",
    traits=("monotone_commitment", "invariant_to_relabelling", "deterministic"),
)
def threshold_commitment(committed: np.ndarray, pledges: np.ndarray, thresholds: np.ndarray, needs_backstop: np.ndarray, backstop: np.ndarray) -> np.ndarray:
    """Who is committed after one round: a member joins when the share of the other members' pledged
    troops already committed reaches its threshold (and, if it needs one, a US backstop exists); no one leaves.

    Shapes: committed, pledges, thresholds (M, R); needs_backstop (M,); backstop (R,).
    """
    done = np.where(committed, pledges, 0.0)
    others_done = done.sum(axis=0) - done
    others_pledged = pledges.sum(axis=0) - pledges
    share = np.where(others_pledged > 0, others_done / np.where(others_pledged > 0, others_pledged, 1.0), 1.0)
    allowed = ~np.asarray(needs_backstop)[:, None] | np.asarray(backstop, dtype=bool)[None, :]
    joins = (share >= thresholds) & allowed & (pledges > 0)
    out: np.ndarray = committed | joins
    return out
