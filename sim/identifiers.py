"""How a parameter's dotted path becomes a column name that SQL and R users write without quotes.

The parts of the path are joined by `__` (`actors.us.aid_policy` -> `actors__us__aid_policy`), and any
character that is not a letter, a digit or `_` (a hyphen in an issue or statement id) becomes `_`. Two ids
that differ only in such characters would name the same column, so a scenario may not hold both
(`sim.scenario.schema` checks issue, statement and member ids with `path_column`). Result columns are named in
`sim.analysis.columns`, from here.
"""

from __future__ import annotations

import re

SEPARATOR = "__"
"""Between the parts of a parameter's path in a column name."""

_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]")


def path_column(path: str) -> str:
    """The column of a parameter given by its dotted path: `actors.us.aid_policy` -> `actors__us__aid_policy`."""
    return SEPARATOR.join(_NOT_IDENTIFIER.sub("_", part) for part in path.split("."))
