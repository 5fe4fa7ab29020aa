"""The rule registry: declarations checked at registration, the catalogue derived from them, variant choice by name.

Rules registered here live inside `isolated_rules()`, so the registry other tests see is the built-ins'.
"""

from __future__ import annotations

import numpy as np
import pytest
from clitools import invoke

import sim.rules  # noqa: F401
from sim.names import RULE_KINDS
from sim.rules.registry import KINDS, REGISTRY, RuleDeclarationError, RuleParam, rule, rules_of_kind, rules_with_trait
from sim.rules.traits import GENERIC_PROPERTIES, TRAITS, resolve_trait
from sim.testing import GENERIC, TRAIT_CHECKS, isolated_rules
from sim.testing.strategies import DOMAINS, kinds_without_domains

# ---------------------------------------------------------------- declarations


def test_every_built_in_rule_declares_a_summary_a_source_and_known_traits():
    for info in REGISTRY.values():
        assert info.summary and info.source.strip(), info.name
        assert info.kind in KINDS
        for trait in info.traits:
            assert info.trait(trait).description
        for name, p in info.params.items():
            assert p.lo <= p.default <= p.hi, (info.name, name)


def test_the_kinds_are_the_ones_sim_names_lists_for_the_command_line():
    # `sim rules --kind` and `sim check --kind` offer sim.names.RuleKind, which must not import the registry; the
    # registry's kinds (those of registry.py, then those sim/rules/bdm.py adds) are those, in the same order.
    assert tuple(KINDS) == RULE_KINDS, f"sim.names.RuleKind lists {RULE_KINDS}, the registry declares {tuple(KINDS)}"


def test_each_selectable_kind_ships_at_least_two_variants_and_its_default():
    for kind, spec in KINDS.items():
        if spec.selectable:
            names = [r.name for r in rules_of_kind(kind)]
            assert len(names) >= 2 and spec.default in names, (kind, names)


def test_collections_are_filters_over_declared_traits():
    assert [r.name for r in rules_with_trait("increasing_in_gain")] == ["consents", "costly", "logit", "risk_adjusted_gain", "satisficing", "veto"]
    assert {r.name for r in rules_with_trait("invariant_to_relabelling")} == {
        "compromise_terms",
        "threshold_commitment",
        "bdm_scholz",
        "median_voter",
        "weighted_mean",
        "bdm",
        "none",
    }


def test_every_trait_and_generic_property_has_exactly_one_check_and_every_argument_a_strategy():
    assert set(TRAIT_CHECKS) == set(TRAITS)
    assert set(GENERIC) == set(GENERIC_PROPERTIES)
    assert kinds_without_domains() == []
    assert set(DOMAINS) == set(KINDS)


def test_monotone_family_resolves_over_the_rule_arguments_with_did_you_mean():
    t = resolve_trait("increasing_in_resume_gain", ("resume_gain",))
    assert (t.argument, t.direction) == ("resume_gain", 1)
    with pytest.raises(ValueError, match=r"did you mean 'increasing_in_resume_gain'\?"):
        resolve_trait("increasing_in_resume_gains", ("resume_gain",))
    with pytest.raises(ValueError, match=r"unknown trait 'bounded_probabilty' \(did you mean 'bounded_probability'\?\)"):
        resolve_trait("bounded_probabilty")


def _acceptance(gain, rationality):
    """A valid acceptance rule."""
    return np.clip(0.5 + gain, 0.0, 1.0) + 0.0 * np.asarray(rationality)


@pytest.mark.parametrize(
    "declaration, match",
    [
        (dict(kind="acceptence", source="s"), r"unknown kind 'acceptence' \(did you mean 'acceptance'\?\)"),
        (dict(kind="acceptance", source="s", traits=("bounded_probabilty",)), r"unknown trait 'bounded_probabilty' \(did you mean 'bounded_probability'\?\)"),
        (
            dict(kind="acceptance", source="s", traits=("never_crosses_red_line",)),
            r"trait 'never_crosses_red_line' needs the argument\(s\) position, low, high, which the rule does not take",
        ),
        (dict(kind="acceptance", source=""), r"expected a literature source"),
        (dict(kind="acceptance", source="s", params={"grudge": RuleParam(2.0, 0.0, 1.0, "u", "d")}), r"declared parameter 'grudge' is not an argument"),
        (dict(kind="proposal", source="s"), r"unknown argument\(s\) gain, rationality for a proposal rule"),
    ],
)
def test_bad_declarations_are_refused_with_a_message_naming_the_rule(declaration, match):
    with isolated_rules(), pytest.raises(RuleDeclarationError, match=r"rule 'mine': " + match):
        rule(name="mine", **declaration)(_acceptance)
    assert "mine" not in REGISTRY


def test_a_selectable_rule_must_follow_its_kind_calling_convention():
    def swapped(rationality, gain):
        """Arguments in the wrong order."""
        return gain

    with isolated_rules(), pytest.raises(RuleDeclarationError, match=r"takes the arguments \(gain, rationality\) in this order"):
        rule(kind="acceptance", source="s", name="swapped")(swapped)

    def extra(gain, rationality, mood=1.0):
        """An undeclared parameter."""
        return gain

    with isolated_rules(), pytest.raises(RuleDeclarationError, match=r"undeclared: mood; declare them in params="):
        rule(kind="acceptance", source="s", name="extra")(extra)


def test_a_parameter_default_outside_its_bounds_and_a_missing_docstring_are_refused():
    def grudging(gain, rationality, grudge=2.0):
        """Doc."""
        return gain

    with isolated_rules(), pytest.raises(RuleDeclarationError, match=r"default 2 of parameter 'grudge' lies outside its bounds \[0, 1\]"):
        rule(kind="acceptance", source="s", params={"grudge": RuleParam(2.0, 0.0, 1.0, "u", "d")})(grudging)

    def undocumented(gain, rationality):
        return gain

    with isolated_rules(), pytest.raises(RuleDeclarationError, match="expected a docstring"):
        rule(kind="acceptance", source="s")(undocumented)


def test_a_name_registered_twice_by_different_functions_is_refused():
    def logit(gain, rationality):
        """Another logit."""
        return gain

    with isolated_rules(), pytest.raises(RuleDeclarationError, match=r"rule 'logit' is registered twice"):
        rule(kind="acceptance", source="s")(logit)
    assert REGISTRY["logit"].module == "sim.rules.acceptance"


def test_isolated_rules_restores_the_registry():
    before = dict(REGISTRY)
    with isolated_rules():
        rule(kind="acceptance", source="s", name="temporary")(_acceptance)
        assert "temporary" in REGISTRY
    assert before == REGISTRY


# ---------------------------------------------------------------- the catalogue


def test_sim_rules_lists_every_registered_rule_with_kind_traits_and_source():
    result = invoke("rules")
    assert result.exit_code == 0, result.output
    for info in REGISTRY.values():
        assert info.name in result.output
        assert info.kind in result.output
    assert "McKelvey & Palfrey 1995" in result.output
    assert "never_crosses_red_line" in result.output


def test_sim_rules_filters_by_kind_and_trait():
    result = invoke("rules", "--kind", "breakdown_hazard")
    assert result.exit_code == 0
    assert "duration_dependent" in result.output and "logit" not in result.output
    result = invoke("rules", "--trait", "best_response_limit")
    assert "logit" in result.output and "satisficing" not in result.output
    result = invoke("rules", "--kind", "breakdown")
    assert result.exit_code == 2
    assert result.stderr.startswith("--kind: expected one of acceptance, ") and result.stderr.rstrip().endswith(
        "got 'breakdown' (did you mean 'breakdown_hazard'?)"
    )


def test_sim_rules_name_prints_the_declaration():
    result = invoke("rules", "duration_dependent")
    assert result.exit_code == 0, result.output
    out = result.output
    for text in (
        "breakdown_hazard",
        "Fortna 2004",
        "breakdown.rule",
        "decay",
        "[0, 5]",
        "scale_weeks",
        "decreasing_in_age",
        "batch_consistent",
        "truce_age (R,)",
    ):
        assert text in out, text


def test_sim_rules_unknown_name_is_one_line_with_did_you_mean():
    result = invoke("rules", "satisficng")
    assert result.exit_code == 2
    assert result.output.strip() == "sim rules: expected a registered rule, got 'satisficng' (did you mean 'satisficing'?)"


# ---------------------------------------------------------------- choosing variants in a scenario


def test_a_scenario_picks_variants_by_name_with_parameters(runner, app, tmp_scenario):
    path = tmp_scenario(
        '[actors.russia.rules]\nacceptance = { name = "satisficing", reservation = 0.05 }\nconcession = "stubborn"\n'
        '[breakdown.rule]\nname = "duration_dependent"\ndecay = { dist = "uniform", low = 0.2, high = 1.0 }\n'
    )
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    from sim.experiment.load import load
    from sim.model.model import CeasefireModel

    model = CeasefireModel(load(path).scenario, 1, np.arange(5))
    assert model.rules[("actors", "russia", "rules", "acceptance")].info.name == "satisficing"
    assert model.rules[("actors", "russia", "rules", "acceptance")].params == {"reservation": 0.05, "noise": 0.02}
    decay = model.rules[("breakdown", "rule")].params["decay"]
    assert decay.shape == (5,) and np.all((decay >= 0.2) & (decay <= 1.0))
    assert "breakdown.rule.decay" in model.params.random_columns


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '[actors.russia.rules]\nacceptance = "satisficng"\n',
            "actors.russia.rules.acceptance.name: expected a registered acceptance rule, got 'satisficng' (did you mean 'satisficing'?)",
        ),
        ('[actors.ukraine.rules]\nconcession = "logit"\n', "actors.ukraine.rules.concession.name: expected a registered concession rule, got 'logit'"),
        (
            '[actors.russia.rules]\nacceptance = { name = "satisficing", reservaton = 0.1 }\n',
            "actors.russia.rules.acceptance.reservaton: unknown parameter 'reservaton' of rule 'satisficing' (did you mean 'reservation'?)",
        ),
        ('[breakdown.rule]\nname = "duration_dependent"\ndecay = 9\n', "breakdown.rule.decay: expected a value in [0, 5] exponent, got 9"),
    ],
)
def test_bad_variant_choices_are_one_line_errors(runner, app, tmp_scenario, text, message):
    path = tmp_scenario(text)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert message in result.output
