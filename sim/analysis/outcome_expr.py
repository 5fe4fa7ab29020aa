"""Outcome expressions: `status == "settlement"`, `first_agreement_week <= 12 and not breakdowns > 0`.

`sim discover --outcome EXPR` marks the cases of interest with an expression on result
columns. The text is parsed with Python's `ast` module and checked node by node against a
small grammar; it is never compiled or evaluated as Python. What is allowed:

- column names (`status`, `front_final`, `param__actors__russia__troops`, a sweep's varied
  parameters such as `actors__us__aid_restored`; a parameter's dotted path names its column
  too, `param.actors.russia.troops` or `actors.us.aid_restored` (`sim.analysis.columns`); a
  name that is not an identifier, such as one with a hyphen, in backticks:
  `` `actors.x.some-name` > 0.5 ``), with the shorthands of `sim story --find`
  (`week`, `front`, `type`, `mediator`, `force`, a bare issue name for its `terms_<issue>`);
- constants: numbers, quoted labels (`"settlement"`), `true`/`false`, `none`; a bare label
  such as `settlement` is read as the label when it is not a column;
- comparisons `== != < <= > >=` (chained too: `0.2 < front < 0.6`), `in` / `not in` with a
  list of constants, and `=` as `==`;
- `and`, `or`, `not` and parentheses; a comma or `&` between clauses reads as `and`
  (`territory > 0.6, front <= 0.5`, as `sim story --find` always took);
- the presets of `sim story --find` (`breakdown`, `agreement`, `no-agreement`, `war`,
  `ceasefire`, ...) as whole clauses.

Anything else (calls, attributes of values, subscripts, arithmetic, lambdas) is an error
that says what was expected. Labels are checked against the labels the column can hold
(statuses are stored as names in runs.parquet, so users write the names).

The same language picks replications for `sim story --find` (`matching_replications`) and
marks the cases of interest for `sim discover --outcome` (`sim.analysis.discovery`).
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from sim.analysis.aggregate import AGREEMENT_TYPES, STATUSES
from sim.analysis.columns import current_name, with_current_names
from sim.errors import did_you_mean

# The shorthands and presets of outcome expressions (`sim story --find` and `sim discover --outcome`).
ALIASES = {
    "front": "front_final",
    "type": "first_agreement",
    "first": "first_agreement",
    "week": "first_agreement_week",
    "mediator": "first_mediator",
    "force": "force_size",
}
PRESETS: dict[str, str] = {
    "breakdown": "breakdowns>=1",
    "agreement": "agreements>=1",
    "no-agreement": "agreements=0",
    "no_agreement": "agreements=0",
    "war": "status=war",
    "partial_truce": "status=partial_truce",
    "partial-truce": "status=partial_truce",
    "ceasefire": "status=ceasefire",
    "settlement": "status=settlement",
}
KNOWN_LABELS = {
    "status": STATUSES,
    "first_agreement": AGREEMENT_TYPES[1:],
    "first_mediator": ("us", "turkey"),
}
NULL_WORDS = ("none", "null", "None")
_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.In: "in", ast.NotIn: "not in"}
_SINGLE_EQ = re.compile(r"(?<![<>!=])=(?!=)")


class OutcomeExpressionError(ValueError):
    """An outcome expression that cannot be read; the message says what was expected (one line)."""


@dataclass(frozen=True)
class Column:
    name: str


@dataclass(frozen=True)
class Compare:
    column: str
    op: str
    value: Any  # float, str, bool, None, or a tuple of those for in / not in
    flipped: bool = False  # the constant was on the left: `12 >= week`


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


Node = Compare | BoolOp | Not
"""A node of a checked expression."""


@dataclass(frozen=True)
class OutcomeExpression:
    """A checked expression: `evaluate(columns)` gives one bool per case."""

    text: str
    tree: Any
    columns: tuple[str, ...]

    def evaluate(self, data: Mapping[str, np.ndarray]) -> np.ndarray:
        return _evaluate(self.tree, data)


def parse_outcome(
    text: str, columns: Sequence[str], labels: Mapping[str, Sequence[str]] | None = None, kinds: Mapping[str, str] | None = None
) -> OutcomeExpression:
    """Check `text` against the grammar and the columns; raise OutcomeExpressionError naming what is wrong.

    `labels` gives the labels a string column holds (added to the known ones); `kinds` says
    which columns hold labels ("label") and which numbers ("number"); a column missing from
    `kinds` takes either.
    """
    if not isinstance(text, str) or not text.strip():
        raise OutcomeExpressionError("expected an outcome expression such as 'status == \"settlement\"', got nothing")
    if len(text) > 2000:
        raise OutcomeExpressionError("expected an outcome expression under 2,000 characters")
    reader = _Reader(list(columns), {k: tuple(v) for k, v in (labels or {}).items()}, dict(kinds or {}))
    source, reader.quoted = _quote_names(text.strip())
    source = _SINGLE_EQ.sub("==", _expand_presets(_join_clauses(source)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. invalid escape sequences in a quoted label: not the user's problem here
            node = ast.parse(source, mode="eval").body
    except SyntaxError as exc:
        raise OutcomeExpressionError(f"expected an expression like 'status == \"settlement\" and week <= 12', could not read {text!r}: {exc.msg}") from None
    except (ValueError, MemoryError, RecursionError):
        raise OutcomeExpressionError(f"expected an expression like 'status == \"settlement\"', could not read {text!r}") from None
    try:
        tree = reader.expr(node)
    except RecursionError:
        raise OutcomeExpressionError("expected a less deeply nested expression") from None
    return OutcomeExpression(text, tree, tuple(dict.fromkeys(reader.used)))


def _quote_names(text: str) -> tuple[str, dict[str, str]]:
    """Replace `backticked names` by placeholder identifiers; return the text and placeholder -> name."""
    names: dict[str, str] = {}

    def swap(m: re.Match[str]) -> str:
        key = f"_backtick_{len(names)}_"
        names[key] = m.group(1)
        return key

    return re.sub(r"`([^`]+)`", swap, text), names


def _join_clauses(text: str) -> str:
    """Commas and `&` between clauses (outside brackets and quotes) as ` and `: `territory>0.6, front<=0.5`."""
    out: list[str] = []
    depth = 0
    quote = ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and ch in ",&":
            if ch == "&" and out and out[-1] == " and ":
                continue  # `&&`
            out.append(" and ")
            continue
        out.append(ch)
    return "".join(out)


def _expand_presets(text: str) -> str:
    """Replace preset words standing alone as clauses (`breakdown and week <= 12`) by their conditions."""

    def swap(m: re.Match[str]) -> str:
        word = m.group(0)
        return f"({PRESETS[word.lower()]})"

    pattern = r"(?<![\w.\"'-])(" + "|".join(re.escape(p) for p in sorted(PRESETS, key=len, reverse=True)) + r")(?![\w.\"'-])"
    # Only where the word is a whole clause: not next to a comparison operator.
    out, last = [], 0
    for m in re.finditer(pattern, text, flags=re.IGNORECASE):
        before = text[: m.start()].rstrip()
        after = text[m.end() :].lstrip()
        # Not next to a comparison, and not an item of a list (`status in [war, ceasefire]`).
        if re.search(r"(==|!=|<=|>=|<|>|=|\bin|\[|,|\{)$", before) or re.match(r"(==|!=|<=|>=|<|>|=(?!=)|in\b|not\s+in\b|,|\]|\})", after):
            continue
        out.append(text[last : m.start()])
        out.append(swap(m))
        last = m.end()
    out.append(text[last:])
    return "".join(out)


class _Reader:
    def __init__(self, columns: list[str], labels: dict[str, tuple[Any, ...]], kinds: dict[str, str]) -> None:
        self.columns = columns
        self.labels = labels
        self.kinds = kinds
        self.used: list[str] = []
        self.quoted: dict[str, str] = {}
        self.issues = [c.removeprefix("terms_") for c in columns if c.startswith("terms_")]

    # ---------------------------------------------------------------- names
    def dotted(self, node: ast.AST) -> str | None:
        """`a.b.c` written as names and attributes, as one string; None for anything else."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(self.quoted.get(node.id, node.id))
        return ".".join(reversed(parts))

    def column(self, name: str) -> str | None:
        if name in self.columns:
            return name
        alias = ALIASES.get(name)
        if alias in self.columns:
            return alias
        if name in self.issues:
            return f"terms_{name}"
        current = current_name(name)  # a dotted path, or a column name of an older result folder
        return current if current in self.columns else None

    def unknown(self, name: str) -> OutcomeExpressionError:
        choices = list(self.columns) + [a for a, c in ALIASES.items() if c in self.columns] + self.issues
        return OutcomeExpressionError(f"unknown column {name!r}{did_you_mean(name, choices, listing=None)}")

    # ---------------------------------------------------------------- expressions
    def expr(self, node: ast.AST) -> Node:
        if isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            return BoolOp(op, tuple(self.expr(v) for v in node.values))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return Not(self.expr(node.operand))
        if isinstance(node, ast.Compare):
            return self.compare(node)
        name = self.dotted(node)
        if name is not None:
            column = self.column(name)
            if column is None:
                raise self.unknown(name)
            if self.kinds.get(column) != "bool":
                raise OutcomeExpressionError(f"expected a comparison with column {column!r} (such as {column} == ...), got the column alone")
            self.used.append(column)
            return Compare(column, "==", True)
        raise OutcomeExpressionError(f"expected comparisons of columns with values joined by and/or/not, got {_describe(node)}")

    def compare(self, node: ast.Compare) -> Node:
        operands = [node.left, *node.comparators]
        parts = []
        for (left, right), op in zip(zip(operands, operands[1:]), node.ops):
            if type(op) not in _OPS:
                word = "is not" if isinstance(op, ast.IsNot) else "is"
                raise OutcomeExpressionError(f"expected a comparison (== != < <= > >= in) between a column and a value, got {word!r}")
            parts.append(self.one_compare(left, _OPS[type(op)], right))
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))

    def side(self, node: ast.AST) -> tuple[str, Any]:
        """('column', name) or ('value', constant) or ('name', bare word that is not a column)."""
        name = self.dotted(node)
        if name is not None:
            column = self.column(name)
            if column is not None:
                return "column", column
            return "name", name
        return "value", self.constant(node)

    def constant(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, (bool, int, float, str))):
            if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
                if not np.isfinite(float(node.value)):
                    raise OutcomeExpressionError(f"expected a finite number, got {node.value!r}")
                return float(node.value)
            return node.value
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, (ast.USub, ast.UAdd))
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, (int, float))
            and not isinstance(node.operand.value, bool)
        ):
            value = float(node.operand.value)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return tuple(self.word_or_constant(e) for e in node.elts)
        raise OutcomeExpressionError(f"expected a number, a quoted label or a list of them, got {_describe(node)}")

    def word_or_constant(self, node: ast.AST) -> Any:
        name = self.dotted(node)
        if name is not None:
            return _WORDS.get(name, name)
        value = self.constant(node)
        if isinstance(value, tuple):
            raise OutcomeExpressionError("expected a flat list of values")
        return value

    def one_compare(self, left: ast.AST, op: str, right: ast.AST) -> Compare:
        lk, lv = self.side(left)
        rk, rv = self.side(right)
        flipped = False
        if lk != "column" and rk == "column":
            (lk, lv), (rk, rv), flipped = (rk, rv), (lk, lv), True
        if lk != "column":
            if lk == "name":
                raise self.unknown(lv)
            raise OutcomeExpressionError(f"expected a column on one side of {op}, got two values")
        column = lv
        if rk == "column":
            raise OutcomeExpressionError(f"expected a value to compare {column!r} with, got the column {rv!r}")
        value = _WORDS.get(rv, rv) if rk == "name" else rv
        if op in ("in", "not in"):
            if flipped:
                raise OutcomeExpressionError(f"expected 'column in [values]', got a value in {column!r}")
            if not isinstance(value, tuple):
                raise OutcomeExpressionError(f'expected a list after {op}, like {column} in ["ceasefire", "settlement"]')
            values = tuple(self.check_value(column, "==", v) for v in value)
            self.used.append(column)
            return Compare(column, op, values)
        if isinstance(value, tuple):
            raise OutcomeExpressionError(f"expected one value after {op} (a list goes with in)")
        value = self.check_value(column, op, value)
        self.used.append(column)
        return Compare(column, op, value, flipped)

    def check_value(self, column: str, op: str, value: Any) -> Any:
        kind = self.kinds.get(column)
        if value is None or (isinstance(value, str) and value in NULL_WORDS):
            if op not in ("==", "!="):
                raise OutcomeExpressionError(f"expected == or != with none, got {op}")
            return None
        if isinstance(value, str):
            if kind == "number":
                raise OutcomeExpressionError(f"column {column!r} holds numbers, expected a number, got {value!r}")
            if kind == "bool":
                raise OutcomeExpressionError(f"column {column!r} holds true/false, expected true or false, got {value!r}")
            if op not in ("==", "!="):
                raise OutcomeExpressionError(f"expected == or != with a label such as {value!r}, got {op}")
            known = set(self.labels.get(column, ())) | set(KNOWN_LABELS.get(column, ()))
            if known and value not in known:
                raise OutcomeExpressionError(f"unknown value {value!r} for {column}" + did_you_mean(value, sorted(known)))
            return value
        if isinstance(value, bool):
            if kind not in (None, "bool"):
                raise OutcomeExpressionError(f"column {column!r} holds {'labels' if kind == 'label' else 'numbers'}, got {value!r}")
            if op not in ("==", "!="):
                raise OutcomeExpressionError(f"expected == or != with true/false, got {op}")
            return value
        if kind == "label":
            raise OutcomeExpressionError(f'column {column!r} holds labels, expected a label such as "...", got {value:g}')
        if kind == "bool":
            raise OutcomeExpressionError(f"column {column!r} holds true/false, expected true or false, got {value:g}")
        return value


_WORDS = {"true": True, "True": True, "false": False, "False": False, "none": None, "null": None, "None": None}


def _describe(node: ast.AST) -> str:
    kinds = {
        ast.Call: "a function call",
        ast.BinOp: "arithmetic",
        ast.Subscript: "a subscript",
        ast.Lambda: "a lambda",
        ast.Attribute: "an attribute",
        ast.Constant: "a value alone",
        ast.IfExp: "an if-expression",
        ast.NamedExpr: "an assignment",
        ast.JoinedStr: "an f-string",
        ast.Starred: "a starred expression",
    }
    for cls, text in kinds.items():
        if isinstance(node, cls):
            return text
    return type(node).__name__.lower()


# ---------------------------------------------------------------- evaluation
def _evaluate(tree: Node, data: Mapping[str, np.ndarray]) -> np.ndarray:
    if isinstance(tree, BoolOp):
        parts = [_evaluate(p, data) for p in tree.parts]
        out = parts[0].copy()
        for p in parts[1:]:
            out = (out & p) if tree.op == "and" else (out | p)
        return out
    if isinstance(tree, Not):
        return ~_evaluate(tree.part, data)
    return _compare(tree, np.asarray(data[tree.column]))


def _compare(c: Compare, values: np.ndarray) -> np.ndarray:
    if c.op in ("in", "not in"):
        hit = np.zeros(values.shape[0], dtype=bool)
        for v in c.value:
            hit |= _compare(Compare(c.column, "==", v), values)
        return hit if c.op == "in" else ~hit
    op = c.op
    if c.flipped:
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
    if c.value is None:
        missing = _is_null(values)
        return missing if op == "==" else ~missing
    if isinstance(c.value, str) or values.dtype == object:
        hit = np.array([v == c.value for v in values.tolist()], dtype=bool)
        return hit if op == "==" else ~hit
    arr = values.astype(float)
    target = float(c.value)
    with np.errstate(invalid="ignore"):
        out: np.ndarray = {"==": arr == target, "!=": arr != target, "<": arr < target, "<=": arr <= target, ">": arr > target, ">=": arr >= target}[op]
        return out


def _is_null(values: np.ndarray) -> np.ndarray:
    if values.dtype == object:
        return np.array([v is None or (isinstance(v, float) and v != v) for v in values.tolist()], dtype=bool)
    if values.dtype.kind == "f":
        out: np.ndarray = np.isnan(values)
        return out
    return np.zeros(values.shape[0], dtype=bool)


# ---------------------------------------------------------------- columns of a table
def column_values(col: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, str]:
    """A Parquet column as the values an expression is evaluated on, and its kind: number (nulls as NaN), label,
    bool or other."""
    t = col.type
    if pa.types.is_boolean(t):
        return np.asarray(col.to_pylist(), dtype=object), "bool"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t):
        return np.asarray(col.to_pylist(), dtype=object), "label"
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return np.asarray(col.to_numpy(zero_copy_only=False), dtype=float), "number"
    return np.asarray(col.to_pylist(), dtype=object), "other"


def labels_of(columns: Mapping[str, np.ndarray], kinds: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """The labels each label column holds (what `parse_outcome` checks quoted labels against)."""
    return {n: tuple(sorted({v for v in columns[n].tolist() if isinstance(v, str)})) for n, k in kinds.items() if k == "label"}


def matching_replications(table: pa.Table, text: str) -> list[int]:
    """Replication indices (ascending) of the rows of a runs table that satisfy the expression `text`
    (what `sim story --find` picks from); OutcomeExpressionError naming the column when it cannot be read."""
    table = with_current_names(table)
    columns: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    for name in table.column_names:
        columns[name], kinds[name] = column_values(table.column(name))
    expr = parse_outcome(text, table.column_names, labels_of(columns, kinds), kinds)
    replications = np.asarray(table.column("replication").to_numpy(zero_copy_only=False))
    return sorted(int(r) for r in replications[expr.evaluate(columns)])
