"""The fixed sets of values that options take from the library, as choices (Enum types: checked, listed in help and
completed by the shell).

The library keeps the authoritative collections in modules that load numpy, pandas or the model, which `sim --help`
must not import (benchmarks/bench_help.py); these are copies of their names, and tests/test_cli_help.py fails when a
copy and its source differ.
"""

from __future__ import annotations

from enum import StrEnum

RuleKind = StrEnum(
    "RuleKind",
    [
        "acceptance",
        "concession",
        "breakdown_hazard",
        "proposal",
        "proposal_type",
        "consent",
        "sanctions_policy",
        "belief_update",
        "battlefield",
        "aid_policy",
        "coalition",
        "utility",
        "red_line",
        "red_lines",
        "agreement_value",
        "war_cost",
        "war_outcome",
        "war_value",
        "bdm_round",
        "bdm_outcome",
        "position_dynamics",
    ],
)
"""`--kind` of `sim rules` and `sim check`: the keys of `sim.rules.registry.KINDS`, in their order."""

LeverActor = StrEnum("LeverActor", ["us", "russia", "ukraine", "europe", "turkey", "battlefield", "negotiation"])
"""`sim levers --actor`: the actors of `sim.experiment.levers.baseline_levers()`, in their order."""

DiscoveryMethod = StrEnum("DiscoveryMethod", ["prim", "cart", "scores"])
"""`sim discover --method`: `sim.analysis.discovery.METHODS`."""
