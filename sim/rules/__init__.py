"""Pure rule functions on arrays (one entry per replication), each registered with its source.

Importing this package registers the built-in rules.
"""

from sim.rules import (  # noqa: F401  (imported for registration)
    acceptance,
    battlefield,
    beliefs,
    breakdown,
    coalition,
    concession,
    proposal,
    support,
    utility,
)
from sim.rules.registry import REGISTRY, RuleInfo, rule, rules_of_kind  # noqa: F401
