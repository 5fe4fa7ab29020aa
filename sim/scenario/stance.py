"""Place a statement's stance on its issue's 0-1 scale."""

from __future__ import annotations

from difflib import get_close_matches
from typing import Any

from sim.scenario.schema import Issue, ScenarioPathError


def stance_value(issue: Issue, stance: float | str, path: tuple[Any, ...] = ()) -> float:
    """The value of `stance`: an anchor name of `issue` or a number in [0, 1]."""
    if isinstance(stance, str):
        if stance in issue.anchors:
            return float(issue.anchors[stance])
        hint = get_close_matches(stance, list(issue.anchors), n=1)
        tail = f" (did you mean {hint[0]!r}?)" if hint else f" (anchors: {', '.join(issue.anchors)})"
        raise ScenarioPathError(path, f"expected an anchor of issue {issue.label!r} or a number in [0, 1], got {stance!r}{tail}")
    if not 0.0 <= float(stance) <= 1.0:
        raise ScenarioPathError(path, f"expected a stance on the issue's 0-1 scale, got {stance:g}")
    return float(stance)
