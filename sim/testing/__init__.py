"""Property-testing toolkit for rules: hypothesis strategies derived from the declarations, and property checks.

Public API (see docs/rules.md):

- strategies (`sim.testing.strategies`): `numbers`, `distributions`, `field_values`,
  `actor_parameters`, `issue_profiles`, `profile_arrays`, `scenarios`, and `rule_cases` (a
  registered rule's inputs for any replication count);
- properties (`sim.testing.properties`): `GENERIC` (shape, no NaN, repeatable, batch
  consistency), `TRAIT_CHECKS` (one per trait of the vocabulary `sim.rules.traits`),
  `properties_for(info)`;
- running them (`sim.testing.check`): `check_rules`, `check_property`, `isolated_rules`
  (for tests that register rules); the command `sim check` prints the same as a table.
"""

from sim.testing.check import CheckResult, check_property, check_rules, isolated_rules
from sim.testing.properties import GENERIC, TRAIT_CHECKS, PropertyFailure, properties_for, trait_check
from sim.testing.strategies import (
    RuleCase,
    actor_parameters,
    distributions,
    field_values,
    issue_profiles,
    numbers,
    profile_arrays,
    rule_cases,
    scenarios,
)

__all__ = [
    "GENERIC",
    "TRAIT_CHECKS",
    "CheckResult",
    "PropertyFailure",
    "RuleCase",
    "actor_parameters",
    "check_property",
    "check_rules",
    "distributions",
    "field_values",
    "isolated_rules",
    "issue_profiles",
    "numbers",
    "profile_arrays",
    "properties_for",
    "rule_cases",
    "scenarios",
    "trait_check",
]
