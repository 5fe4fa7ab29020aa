"""Run the property checks of rules with hypothesis and collect one result per (rule, property).

`check_rules(infos, examples=N)` runs, for every rule, the properties of
`sim.testing.properties.properties_for` over hypothesis examples of `rule_cases(info)`: one
search tries every property on each example; each property that fails then gets its own
search, which hypothesis shrinks, and its result keeps the minimal counterexample (the
inputs of the rule, plus the message of the check). `examples=None` keeps the active
hypothesis settings profile's `max_examples` (the test suite's profile under pytest).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from sim.rules.plugins import ENV_VAR, reset_entry_points
from sim.rules.registry import REGISTRY, RuleInfo
from sim.testing.properties import Check, PropertyFailure, properties_for
from sim.testing.strategies import rule_cases


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one property of one rule."""

    rule: str
    prop: str
    passed: bool
    message: str = ""
    counterexample: str = ""
    seconds: float = 0.0


def _settings(examples: int | None, seed: int | None, shrink: bool) -> settings:
    base = settings.default
    assert base is not None  # hypothesis always has a current profile
    return settings(
        base,
        max_examples=examples if examples is not None else base.max_examples,
        deadline=None,
        database=None,
        derandomize=seed is None,
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        print_blob=False,
        phases=[Phase.generate, Phase.target, Phase.shrink] if shrink else [Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


def _run(test: Callable[[st.DataObject], None], examples: int | None, seed: int | None, shrink: bool) -> None:
    run = _settings(examples, seed, shrink)(given(data=st.data())(test))
    if seed is not None:
        run = hypothesis_seed(seed)(run)
    run()


def check_property(info: RuleInfo, prop: str, check: Check, examples: int | None = None, seed: int | None = None) -> CheckResult:
    """Search for inputs of `info` that break `check`; the shrunk counterexample if any."""
    last: dict[str, str] = {}

    def test(data: st.DataObject) -> None:
        case = data.draw(rule_cases(info), label="case")
        try:
            check(case, data)
        except PropertyFailure as exc:
            last.update(message=str(exc), case=case.describe())
            raise
        except Exception as exc:  # the rule itself raised: that is a failure of this property too
            last.update(message=f"the rule raised {type(exc).__name__}: {exc}", case=case.describe())
            raise

    t0 = time.perf_counter()
    try:
        _run(test, examples, seed, shrink=True)
    except Exception as exc:
        message = last.get("message") or f"{type(exc).__name__}: {exc}"
        if type(exc).__name__ in ("Flaky", "FlakyFailure"):
            message = "flaky: the same inputs failed once and passed once (hidden state or randomness?); " + message
        return CheckResult(info.name, prop, False, message, last.get("case", ""), time.perf_counter() - t0)
    return CheckResult(info.name, prop, True, seconds=time.perf_counter() - t0)


def check_rule(info: RuleInfo, examples: int | None = None, seed: int | None = None) -> list[CheckResult]:
    """Every property of one rule: one search that tries them all on each example, then, for each property
    that failed, its own search that shrinks the failure to a minimal counterexample."""
    props = properties_for(info)
    failed: dict[str, str] = {}

    def screen(data: st.DataObject) -> None:
        case = data.draw(rule_cases(info), label="case")
        # Every property on every example, even one that has failed: skipping it would make the draws of an
        # example depend on the examples before it, which hypothesis reports as inconsistent data generation.
        for name, check in props:
            try:
                check(case, data)
            except Exception as exc:
                failed.setdefault(name, f"{type(exc).__name__}: {exc}")

    t0 = time.perf_counter()
    try:
        _run(screen, examples, seed, shrink=False)
    except Exception as exc:  # the strategies themselves failed: every property is unverified
        return [CheckResult(info.name, name, False, f"could not generate inputs: {type(exc).__name__}: {exc}") for name, _ in props]
    screened = (time.perf_counter() - t0) / max(len(props), 1)
    results = []
    for name, check in props:
        if name not in failed:
            results.append(CheckResult(info.name, name, True, seconds=screened))
            continue
        result = check_property(info, name, check, examples, seed)
        if result.passed:  # failed among the others, passes alone: state carried between calls
            result = CheckResult(
                info.name,
                name,
                False,
                f"failed after other checks had called the rule, passes alone (state kept between calls?): {failed[name]}",
                "",
                result.seconds,
            )
        results.append(result)
    return results


def check_rules(
    infos: list[RuleInfo], examples: int | None = None, seed: int | None = None, progress: Callable[[CheckResult], object] | None = None
) -> list[CheckResult]:
    """Every property of every rule in `infos`, in order (generic properties first, then traits)."""
    results = []
    for info in infos:
        for result in check_rule(info, examples, seed):
            results.append(result)
            if progress is not None:
                progress(result)
    return results


@contextmanager
def isolated_rules() -> Iterator[None]:
    """Undo, on exit, every rule registered inside the block (user modules, entry points, SIM_RULE_MODULES).

    For tests that register user rules: the registry, the user modules and the environment
    variable that passes rule modules to worker processes are restored as they were.
    """
    saved = dict(REGISTRY)
    env = os.environ.get(ENV_VAR)
    modules = set(sys.modules)
    try:
        yield
    finally:
        added = {info.module for name, info in REGISTRY.items() if saved.get(name) is not info}
        REGISTRY.clear()
        REGISTRY.update(saved)
        for name in set(sys.modules) - modules:
            if name in added or name.startswith("sim_user_rules"):
                del sys.modules[name]
        if env is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = env
        reset_entry_points()
