"""Bind a scenario's rule choices to registered rules: validate names and parameters, draw parameter values.

A scenario picks a variant per actor and kind by name (`actors.russia.rules.acceptance =
"satisficing"`, or a table with the rule's declared parameters); this module checks the
choice against the registry (`sim.rules.registry`), with a "did you mean" for names, and
draws the parameters per replication like every other scenario number.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Callable

import numpy as np

import sim.rules  # noqa: F401  (registers the built-in rules)
from sim.errors import InputError
from sim.rng import Streams
from sim.rules.plugins import RuleModuleError, load_all, load_rule_module
from sim.rules.registry import RuleInfo, lookup
from sim.scenario.params import Bounds, is_random, quantile, validate_number
from sim.scenario.schema import BELLIGERENTS, MEDIATORS, RuleChoice, Scenario, ScenarioPathError


@dataclass
class BoundRule:
    """A chosen rule with its parameter values for a batch (floats or arrays over replications)."""

    info: RuleInfo
    params: dict[str, Any]

    def __call__(self, *args):
        return self.info.func(*args, **self.params)

    def take(self, idx) -> "BoundRule":
        """The same rule with its per-replication parameters restricted to the replications `idx`."""
        return BoundRule(self.info, {k: v if np.ndim(v) == 0 else v[idx] for k, v in self.params.items()})


def choices(scenario: Scenario) -> dict[tuple, tuple[str, RuleChoice]]:
    """Every rule choice of a scenario: path -> (kind, choice)."""
    out = {}
    for actor in BELLIGERENTS:
        rules = getattr(scenario.actors, actor).rules
        out[("actors", actor, "rules", "acceptance")] = ("acceptance", rules.acceptance)
        out[("actors", actor, "rules", "concession")] = ("concession", rules.concession)
        out[("actors", actor, "rules", "red_lines")] = ("red_lines", rules.red_lines)
    for mediator in MEDIATORS:
        out[("actors", mediator, "rules", "proposal_type")] = ("proposal_type", getattr(scenario.actors, mediator).rules.proposal_type)
    out[("breakdown", "rule")] = ("breakdown_hazard", scenario.breakdown.rule)
    out[("negotiation", "position_dynamics")] = ("position_dynamics", scenario.negotiation.position_dynamics)
    return out


def import_rule_modules(names: list[str], base: Path | None = None) -> None:
    """Import user rule modules (importable names or .py files relative to `base`), registering their rules;
    also the modules of installed packages (`sim.rules` entry points) and those named in SIM_RULE_MODULES."""
    try:
        load_all()
    except RuleModuleError as exc:
        raise ScenarioPathError(("rules",), exc.message) from None
    for i, name in enumerate(names):
        try:
            load_rule_module(name, base)
        except RuleModuleError as exc:
            raise ScenarioPathError(("rules", i), exc.message) from None


def check_rules(scenario: Scenario, base: Path | None = None) -> None:
    """Validate every rule choice of `scenario` (names, kinds, parameters); raise ScenarioPathError."""
    import_rule_modules(scenario.rules, base)
    for path, (kind, choice) in choices(scenario).items():
        info = _lookup(path, kind, choice.name)
        for key, value in (choice.model_extra or {}).items():
            spec = info.params.get(key)
            if spec is None:
                hint = get_close_matches(key, list(info.params), n=1)
                tail = f" (did you mean {hint[0]!r}?)" if hint else (
                    f" (its parameters: {', '.join(info.params)})" if info.params else " (it declares no parameters)"
                )
                raise ScenarioPathError(path + (key,), f"unknown parameter {key!r} of rule {info.name!r}{tail}")
            try:
                validate_number(value, Bounds(spec.lo, spec.hi, spec.unit))
            except ValueError as exc:
                raise ScenarioPathError(path + (key,), str(exc)) from None


def _lookup(path: tuple, kind: str, name: str) -> RuleInfo:
    try:
        return lookup(name, kind)
    except KeyError as exc:
        raise ScenarioPathError(path + ("name",), exc.args[0]) from None


def bind_rules(scenario: Scenario, streams: Streams, random_columns: dict[str, np.ndarray] | None = None) -> dict[tuple, BoundRule]:
    """The chosen rules with parameter values drawn for the replications of `streams`.

    User rules are registered first (the scenario's `rules`, importable names only here: the loader has
    already imported its files and listed them in SIM_RULE_MODULES, which this process inherits)."""
    load_all()
    for name in scenario.rules:
        if not name.endswith(".py"):
            load_rule_module(name)
    bound = {}
    for path, (kind, choice) in choices(scenario).items():
        info = _lookup(path, kind, choice.name)
        params = {key: spec.default for key, spec in info.params.items()}
        for key, raw in (choice.model_extra or {}).items():
            spec = info.params[key]
            bounds = Bounds(spec.lo, spec.hi, spec.unit)
            value = validate_number(raw, bounds)
            if is_random(value):
                dotted = ".".join(path + (key,))
                draw = quantile(value, bounds, streams.uniform("param." + dotted))
                params[key] = draw
                if random_columns is not None:
                    random_columns[dotted] = draw
            else:
                params[key] = float(value)
        bound[path] = BoundRule(info, params)
    return bound


def guarded(rule: BoundRule, what: str) -> Callable:
    """Call a rule and check its output has the shape of its first argument, without NaN or infinity; errors name the rule."""
    info = rule.info

    def call(*args):
        try:
            out = np.asarray(rule(*args), dtype=float)
        except Exception as exc:
            raise RuleError(f"rule {info.name!r} ({info.kind}, for {what}) raised {type(exc).__name__}: {exc}", info.name, info.file) from exc
        expected = np.shape(args[0])
        if out.shape != expected:
            raise RuleError(
                f"rule {info.name!r} ({info.kind}, for {what}) returned shape {out.shape}, expected {expected} "
                f"(the shape of its first argument, {info.arguments[0] if info.arguments else 'input'})",
                info.name, info.file,
            )
        if not np.isfinite(out).all():
            bad = "NaN" if np.isnan(out).any() else "an infinite value"
            raise RuleError(f"rule {info.name!r} ({info.kind}, for {what}) returned {bad}", info.name, info.file)
        return out

    return call


class RuleError(InputError):
    """A rule raised or returned something unusable; the one-line message names the rule and its file.

    An InputError, so that the command line prints it as one line (exit code 2) like any bad input;
    picklable, so that it crosses from worker processes intact.
    """

    def __init__(self, message: str, rule: str | None = None, file: str | None = None):
        self.rule = rule
        super().__init__(file, None, message)

    def __reduce__(self):
        return (RuleError, (self.message, self.rule, self.file))
