"""Bind a scenario's rule choices to registered rules: validate names and parameters, draw parameter values.

A scenario picks a variant per actor and kind by name (`actors.russia.rules.acceptance =
"satisficing"`, or a table with the rule's declared parameters); this module checks the
choice against the registry (`sim.rules.registry`), with a "did you mean" for names, and
draws the parameters per replication like every other scenario number.
"""

from __future__ import annotations

import copy
import os
import threading
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

import sim.rules  # noqa: F401  (registers the built-in rules)
from sim.errors import InputError
from sim.rng import Streams
from sim.rules.plugins import RuleModuleError, load_all, load_rule_module
from sim.rules.registry import RuleInfo, lookup
from sim.scenario.params import Bounds, is_random, quantile, validate_number
from sim.scenario.schema import BELLIGERENTS, MEDIATORS, RuleChoice, Scenario, ScenarioPathError

RulePath = tuple[str, ...]
"""Where a rule is chosen in a scenario, e.g. ("actors", "russia", "rules", "acceptance")."""


@dataclass
class BoundRule:
    """A chosen rule with its parameter values for a batch (floats or arrays over replications)."""

    info: RuleInfo
    params: dict[str, Any]

    def __call__(self, *args: Any) -> Any:
        return self.info.func(*args, **self.params)

    def take(self, idx: np.ndarray) -> BoundRule:
        """The same rule with its per-replication parameters restricted to the replications `idx`."""
        return BoundRule(self.info, {k: v if np.ndim(v) == 0 else np.take(v, idx, axis=0) for k, v in self.params.items()})


def choices(scenario: Scenario) -> dict[RulePath, tuple[str, RuleChoice]]:
    """Every rule choice of a scenario: path -> (kind, choice)."""
    out: dict[RulePath, tuple[str, RuleChoice]] = {}
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
                tail = (
                    f" (did you mean {hint[0]!r}?)"
                    if hint
                    else (f" (its parameters: {', '.join(info.params)})" if info.params else " (it declares no parameters)")
                )
                raise ScenarioPathError(path + (key,), f"unknown parameter {key!r} of rule {info.name!r}{tail}")
            try:
                validate_number(value, Bounds(spec.lo, spec.hi, spec.unit))
            except ValueError as exc:
                raise ScenarioPathError(path + (key,), str(exc)) from None


def _lookup(path: RulePath, kind: str, name: str) -> RuleInfo:
    try:
        return lookup(name, kind)
    except KeyError as exc:
        raise ScenarioPathError(path + ("name",), exc.args[0]) from None


def bind_rules(scenario: Scenario, streams: Streams, random_columns: dict[str, np.ndarray] | None = None) -> dict[RulePath, BoundRule]:
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
        params: dict[str, Any] = {key: spec.default for key, spec in info.params.items()}
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


# Output ranges a rule's kind implies whatever it declares: probabilities, and positions on the 0-1 issue scale.
_KIND_RANGES = {
    "acceptance": (0.0, 1.0, "a probability in [0, 1]"),
    "breakdown_hazard": (0.0, 1.0, "a probability in [0, 1]"),
    "concession": (0.0, 1.0, "a position on the 0-1 issue scale"),
}
# Output ranges that declared traits promise (`sim.rules.traits`).
_TRAIT_RANGES = {
    "bounded_probability": (0.0, 1.0, "a probability in [0, 1] (declared trait bounded_probability)"),
    "bounded_unit": (0.0, 1.0, "a value on the 0-1 scale (declared trait bounded_unit)"),
    "bounded_unit_negative": (-1.0, 0.0, "a value in [-1, 0] (declared trait bounded_unit_negative)"),
    "non_negative": (0.0, np.inf, "a value >= 0 (declared trait non_negative)"),
}
_SLACK = 1e-12  # rounding in a rule's arithmetic is not its error


class _RuleCalledExit(BaseException):
    """os._exit called by a rule: raised instead of ending the process (BaseException, so `except Exception` in the rule does not swallow it)."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


_in_rule = threading.local()  # per thread: how deep in rule calls it is
_real_exit = os._exit


def _exit_unless_in_rule(status: int = 0) -> NoReturn:
    """`os._exit` as installed by `_install_exit_guard`: the real one, except inside a rule call on this thread."""
    if getattr(_in_rule, "depth", 0):
        raise _RuleCalledExit(status)
    _real_exit(status)


def _install_exit_guard() -> None:
    """Install `_exit_unless_in_rule` as `os._exit` (once per process; again if something replaced it since).

    While a rule runs on this thread (`GuardedRule.__call__` counts the depth of rule calls), `os._exit` then raises
    instead of ending the process without a word (and without removing the run's temporary folder). Other threads, and
    this one outside rule calls, keep the real `os._exit`: the replacement is installed once per process and only looks
    at a per-thread flag, so threads calling rules at the same time cannot leave it half-restored."""
    global _real_exit
    _real_exit = os._exit
    os._exit = _exit_unless_in_rule


def _read_only(value: Any) -> Any:
    """A read-only view of an array argument (a rule that writes into its input fails at once); other values as they are."""
    if isinstance(value, np.ndarray) and value.flags.writeable:
        view = value.view()
        view.flags.writeable = False
        return view
    return value


def output_ranges(info: RuleInfo) -> list[tuple[float, float, str]]:
    """The ranges a rule's output must lie in: from its kind, and from its declared traits."""
    ranges = [_KIND_RANGES[info.kind]] if info.kind in _KIND_RANGES else []
    return ranges + [_TRAIT_RANGES[t] for t in sorted(info.traits) if t in _TRAIT_RANGES]


class GuardedRule:
    """A bound rule called on read-only inputs, its output checked; every failure is a RuleError naming the rule.

    Checked: it returns (without raising, calling sys.exit or os._exit), it does not write into its inputs, its output
    is a float array of the shape of its first argument, without NaN or infinity, within the range its kind and its
    declared traits promise (a probability in [0, 1], ...). Made once per rule and role; `take(idx)` restricts it to
    some replications (what the checks say is the same).
    """

    def __init__(self, rule: BoundRule, what: str):
        self.rule = rule
        self.info = rule.info
        self.ranges = output_ranges(rule.info)
        self.label = f"rule {rule.info.name!r} ({rule.info.kind}, for {what})"
        self.params = {k: _read_only(v) for k, v in rule.params.items()}
        # Whether any parameter has one value per replication (drawn by the scenario): only then does `take` gather.
        self.per_replication = any(np.ndim(v) > 0 for v in rule.params.values())

    def take(self, idx: np.ndarray) -> GuardedRule:
        """The same guarded rule with its per-replication parameters restricted to the replications `idx`."""
        if not self.per_replication:
            return self
        restricted = copy.copy(self)
        restricted.rule = self.rule.take(idx)
        restricted.params = {k: _read_only(v) for k, v in restricted.rule.params.items()}
        return restricted

    def fail(self, message: str) -> RuleError:
        return RuleError(f"{self.label} {message}", self.info.name, self.info.file)

    def __call__(self, *args: Any) -> np.ndarray:
        info, fail = self.info, self.fail
        inputs = [_read_only(a) for a in args]
        # os._exit refused while the rule runs (`_install_exit_guard`); the depth counts nested rule calls.
        if os._exit is not _exit_unless_in_rule:
            _install_exit_guard()
        _in_rule.depth = getattr(_in_rule, "depth", 0) + 1
        try:
            raw = info.func(*inputs, **self.params)
        except _RuleCalledExit as exc:
            raise fail(f"called os._exit({exc.code!r}); a rule returns its output, it never ends the process") from None
        except SystemExit as exc:
            raise fail(f"called sys.exit({exc.code!r}); a rule returns its output, it never ends the process") from None
        except ValueError as exc:
            if "read-only" in str(exc):
                raise fail("tried to change one of its inputs, which are read-only: copy an input (np.array(x)) before changing it") from exc
            raise fail(f"raised {type(exc).__name__}: {exc}") from exc
        except Exception as exc:
            raise fail(f"raised {type(exc).__name__}: {exc}") from exc
        finally:
            _in_rule.depth -= 1
        try:
            out = np.asarray(raw)
        except Exception as exc:
            raise fail(f"returned something that is not an array ({type(raw).__name__}: {exc})") from None
        if out.dtype.kind != "f":
            raise fail(f"returned an array of {out.dtype} ({type(raw).__name__}), expected floats")
        out = out.astype(float, copy=False)
        expected = np.shape(args[0])
        if out.shape != expected:
            raise fail(f"returned shape {out.shape}, expected {expected} (the shape of its first argument, {info.arguments[0] if info.arguments else 'input'})")
        if out.size == 0:
            return out
        # The smallest and largest entries tell whether all are finite (NaN or an infinity shows in one of them) and
        # within every range: two reductions instead of a pass per test; the messages come from the full tests.
        smallest, largest = float(out.min()), float(out.max())
        if not (np.isfinite(smallest) and np.isfinite(largest)):
            bad = "NaN" if np.isnan(out).any() else "an infinite value"
            raise fail(f"returned {bad}")
        for lo, hi, meaning in self.ranges:
            if smallest < lo - _SLACK or largest > hi + _SLACK:
                outside = (out < lo - _SLACK) | (out > hi + _SLACK)
                raise fail(f"returned {out[outside].flat[0]:g}, expected {meaning}")
        return out


def guarded(rule: BoundRule, what: str) -> GuardedRule:
    """`rule` guarded (see `GuardedRule`) for `what` it computes in the model (named in its error messages)."""
    return GuardedRule(rule, what)


class RuleError(InputError):
    """A rule raised or returned something unusable; the one-line message names the rule and its file.

    An InputError, so that the command line prints it as one line (exit code 2) like any bad input;
    picklable, so that it crosses from worker processes intact.
    """

    def __init__(self, message: str, rule: str | None = None, file: str | None = None):
        self.rule = rule
        super().__init__(file, None, message)

    def __reduce__(self) -> tuple[type[RuleError], tuple[str, str | None, str | None]]:
        return (RuleError, (self.message, self.rule, self.file))
