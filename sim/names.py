"""The fixed sets of names that the library declares and the command line offers as choices, each written once here,
in a module that imports nothing heavy (so that `sim --help` can list them without loading numpy, pandas or the model).

Each set is a StrEnum (typer makes it a choice: checked, listed in help, completed by the shell), with a tuple of its
values for the library, whose declarations are checked against it: a lever refuses an actor not listed here, discovery
takes its methods from here, and tests/test_registry.py checks that the registry's kinds are these (the registry cannot
check at import: sim/rules/bdm.py adds its kinds after).
"""

from __future__ import annotations

from enum import StrEnum, auto


class RuleKind(StrEnum):
    """The kinds of rule (`--kind` of `sim rules` and `sim check`), in the order of `sim.rules.registry.KINDS`, which
    declares what each computes."""

    acceptance = auto()
    concession = auto()
    breakdown_hazard = auto()
    proposal = auto()
    proposal_type = auto()
    consent = auto()
    sanctions_policy = auto()
    belief_update = auto()
    battlefield = auto()
    aid_policy = auto()
    coalition = auto()
    utility = auto()
    red_line = auto()
    red_lines = auto()
    agreement_value = auto()
    war_cost = auto()
    war_outcome = auto()
    war_value = auto()
    bdm_round = auto()
    bdm_outcome = auto()
    position_dynamics = auto()


class LeverActor(StrEnum):
    """Who owns a lever (`sim levers --actor`, `sim.experiment.levers.Lever.actor`): the five parties, the war and the
    negotiation, in the order `baseline_levers()` lists their levers."""

    us = auto()
    russia = auto()
    ukraine = auto()
    europe = auto()
    turkey = auto()
    battlefield = auto()
    negotiation = auto()


class DiscoveryMethod(StrEnum):
    """Methods of scenario discovery (`sim discover --method`, `sim.analysis.discovery.METHODS`)."""

    prim = auto()  # boxes, by peeling and pasting
    cart = auto()  # the leaves of a classification tree
    scores = auto()  # extra-trees feature scores


RULE_KINDS = tuple(kind.value for kind in RuleKind)
LEVER_ACTORS = tuple(actor.value for actor in LeverActor)
DISCOVERY_METHODS = tuple(method.value for method in DiscoveryMethod)
