"""Pure rule functions on arrays (one entry per replication), each registered with its declaration.

Importing this package registers the built-in rules: the modules below, one per family of
rules (the list is the one place that names them; the catalogue, `sim rules`, derives from
what they register). User rules come in through `sim.rules.plugins`.
"""

from sim.rules import (  # noqa: F401  (imported for registration)
    acceptance,
    battlefield,
    bdm,
    beliefs,
    breakdown,
    coalition,
    concession,
    proposal,
    support,
    utility,
)
from sim.rules.registry import KINDS, REGISTRY, RuleInfo, RuleParam, lookup, rule, rules_of_kind, rules_with_trait  # noqa: F401
from sim.rules.traits import TRAITS  # noqa: F401
