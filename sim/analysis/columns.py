"""Names of the result columns that hold parameters, written so that SQL and R users need no quotes.

A parameter's dotted path (`actors.russia.troops`) becomes a column name with `__` between its
parts (`actors__russia__troops`, `sim.identifiers.path_column`): a sweep's varied parameters in
variants.parquet and summary.parquet. A parameter drawn per replication is prefixed `param__` in
runs.parquet (`param__actors__russia__troops`). Any other character that is not a letter, a digit
or `_` (a hyphen in an issue or statement id) becomes `_`, so every name is a plain identifier.

Result folders written before these names (`param.actors.russia.troops`, `actors.us.aid_policy`)
are read through `current_name`, and users may still write a dotted path wherever they name a
column (`sim discover --outcome`, `--dimension`, `sim story --find`).
"""

from __future__ import annotations

import pyarrow as pa

from sim.identifiers import SEPARATOR, path_column

DRAWN_PREFIX = "param" + SEPARATOR
"""Of every column of runs.parquet that holds a parameter drawn per replication."""

_OLD_DRAWN_PREFIX = "param."  # the prefix of drawn parameters before November 2026


def drawn_column(path: str) -> str:
    """The runs.parquet column of a parameter drawn per replication: `actors.russia.troops` -> `param__actors__russia__troops`."""
    return DRAWN_PREFIX + path_column(path)


def is_drawn(column: str) -> bool:
    """Whether a runs.parquet column holds a parameter drawn per replication."""
    return column.startswith(DRAWN_PREFIX)


def column_path(column: str) -> str:
    """The dotted path a parameter column names, for labels: `param__actors__russia__troops` -> `actors.russia.troops`."""
    return column.removeprefix(DRAWN_PREFIX).replace(SEPARATOR, ".")


def current_name(name: str) -> str:
    """A column name as written today: names of older result folders and dotted paths that users type
    (`param.actors.russia.troops`, `actors.us.aid_policy`) become `param__actors__russia__troops` and
    `actors__us__aid_policy`; any other name is returned as it is."""
    if name.startswith(_OLD_DRAWN_PREFIX):
        return drawn_column(name.removeprefix(_OLD_DRAWN_PREFIX))
    return path_column(name) if "." in name else name


def with_current_names(table: pa.Table) -> pa.Table:
    """`table` with its columns named as today (`current_name`); the same table when nothing changes."""
    names = [current_name(n) for n in table.column_names]
    return table if names == table.column_names else table.rename_columns(names)


__all__ = [
    "DRAWN_PREFIX",
    "SEPARATOR",
    "column_path",
    "current_name",
    "drawn_column",
    "is_drawn",
    "path_column",
    "with_current_names",
]
