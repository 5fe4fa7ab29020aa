"""Bind a scenario's rule choices to registered rules: validate names and parameters, draw parameter values.

A scenario picks a variant per actor and kind by name (`actors.russia.rules.acceptance =
"satisficing"`, or a table with the rule's declared parameters); this module checks the
choice against the registry (`sim.rules.registry`), with a "did you mean" for names, and
draws the parameters per replication like every other scenario number.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Callable

import numpy as np

import sim.rules  # noqa: F401  (registers the built-in rules)
from sim.rng import Streams
from sim.rules.registry import REGISTRY, RuleInfo, rules_of_kind
from sim.scenario.params import Bounds, is_random, quantile, validate_number
from sim.scenario.schema import BELLIGERENTS, RuleChoice, Scenario, ScenarioPathError


@dataclass
class BoundRule:
    """A chosen rule with its parameter values for a batch (floats or arrays over replications)."""

    info: RuleInfo
    params: dict[str, Any]

    def __call__(self, *args):
        return self.info.func(*args, **self.params)


def choices(scenario: Scenario) -> dict[tuple, tuple[str, RuleChoice]]:
    """Every rule choice of a scenario: path -> (kind, choice)."""
    out = {}
    for actor in BELLIGERENTS:
        rules = getattr(scenario.actors, actor).rules
        out[("actors", actor, "rules", "acceptance")] = ("acceptance", rules.acceptance)
        out[("actors", actor, "rules", "concession")] = ("concession", rules.concession)
    out[("breakdown", "rule")] = ("breakdown_hazard", scenario.breakdown.rule)
    return out


def import_rule_modules(names: list[str], base: Path | None = None) -> None:
    """Import user rule modules (importable names or .py files relative to `base`), registering their rules."""
    for i, name in enumerate(names):
        try:
            if name.endswith(".py"):
                path = (Path(base or ".") / name).resolve()
                if not path.is_file():
                    raise ScenarioPathError(("rules", i), f"expected an existing rule module file, {name!r} not found")
                mod_name = f"sim_user_rules_{path.stem}_{abs(hash(str(path))) % 10**8}"
                if mod_name in sys.modules:
                    continue
                spec = importlib.util.spec_from_file_location(mod_name, path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[mod_name] = module
                spec.loader.exec_module(module)
            else:
                importlib.import_module(name)
        except ScenarioPathError:
            raise
        except ImportError as exc:
            raise ScenarioPathError(("rules", i), f"expected an importable rule module, got {name!r}: {exc}") from None
        except Exception as exc:  # a user module that fails on import: name it, no traceback
            raise ScenarioPathError(("rules", i), f"rule module {name!r} failed to import: {type(exc).__name__}: {exc}") from None


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
    info = REGISTRY.get(name)
    if info is None or info.kind != kind:
        names = [r.name for r in rules_of_kind(kind)]
        hint = get_close_matches(name, names, n=1)
        tail = f" (did you mean {hint[0]!r}?)" if hint else f" (one of: {', '.join(names)})"
        raise ScenarioPathError(path + ("name",), f"expected a registered {kind} rule, got {name!r}{tail}")
    return info


def bind_rules(scenario: Scenario, streams: Streams, random_columns: dict[str, np.ndarray] | None = None) -> dict[tuple, BoundRule]:
    """The chosen rules with parameter values drawn for the replications of `streams`."""
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
    """Call a rule and check its output has the shape of its first argument, without NaN; errors name the rule."""

    def call(*args):
        try:
            out = np.asarray(rule(*args), dtype=float)
        except Exception as exc:
            raise RuleError(f"rule {rule.info.name!r} ({rule.info.kind}, {rule.info.module}) raised {type(exc).__name__}: {exc}") from exc
        expected = np.shape(args[0])
        if out.shape != expected:
            raise RuleError(f"rule {rule.info.name!r} ({rule.info.kind}) returned shape {out.shape} for {what}, expected {expected}")
        if np.isnan(out).any():
            raise RuleError(f"rule {rule.info.name!r} ({rule.info.kind}) returned NaN for {what}")
        return out

    return call


class RuleError(RuntimeError):
    """A rule raised or returned something unusable; the message names the rule."""
