"""A user rule for `sim`: acceptance that devalues every proposal the enemy would also accept.

The worked example of docs/rules.md. Register it with `sim --rules examples/grudging_acceptance.py`,
`rules = ["grudging_acceptance.py"]` in a scenario beside it, or an entry point of an installed
package; check it with `sim check --rules examples/grudging_acceptance.py`.
"""

from __future__ import annotations

import numpy as np

from sim.rules.registry import RuleParam, rule


@rule(
    kind="acceptance",
    name="grudging",
    source="Logit quantal response (McKelvey & Palfrey 1995) with reactive devaluation of the other side's offers "
    "(Ross & Stillinger 1991, Negotiation Journal 7(4))",
    traits=("bounded_probability", "increasing_in_gain", "decreasing_in_grudge", "half_at_zero_rationality", "deterministic"),
    params={
        "grudge": RuleParam(0.02, 0.0, 0.5, "utility", "Utility the side takes off any proposal because its enemy is offered it too."),
    },
)
def grudging_acceptance(gain: np.ndarray, rationality: np.ndarray, grudge: float = 0.02) -> np.ndarray:
    """Probability of accepting: 1 / (1 + exp(-lambda * (gain - grudge))), a logit on the devalued gain."""
    z = np.clip(np.asarray(rationality) * (gain - grudge), -700.0, 700.0)
    return 1.0 / (1.0 + np.exp(-z))
