"""Dimension filters from a parsed WHERE clause (sqlglot AST) → a predicate over a series'
dimensions. Used by query_data and by a monitor source's `where_sql`. Only an allow-list of
node types is accepted; anything else is refused with its name, never passed through."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp

from opsgraph.core.errors import ValidationFailed

Predicate = Callable[[dict[str, str]], bool]


def unsupported(what: str) -> ValidationFailed:
    return ValidationFailed(f"unsupported in query: {what}", field="sql", code="UNSUPPORTED_SQL")


def literal_text(node: exp.Expression) -> str:
    if isinstance(node, exp.Literal):
        return str(node.this)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return "-" + str(node.this.this)
    if isinstance(node, exp.Boolean):
        return "true" if node.this else "false"
    raise unsupported(f"{node.sql(dialect='mysql')!r} (only literal values may be compared)")


def column_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Column) and not node.table:
        return str(node.name)
    raise unsupported(f"{node.sql(dialect='mysql')!r} (expected a column name)")


def _like(pattern: str) -> re.Pattern[str]:
    parts = [".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern]
    return re.compile("^" + "".join(parts) + "$", re.DOTALL)


def _compare(left: str, right: str, op: type[exp.Expression]) -> bool:
    try:
        a: float | str = float(left)
        b: float | str = float(right)
    except ValueError:
        a, b = left, right
    if op is exp.GT:
        return a > b  # type: ignore[operator]
    if op is exp.GTE:
        return a >= b  # type: ignore[operator]
    if op is exp.LT:
        return a < b  # type: ignore[operator]
    return a <= b  # type: ignore[operator]


def dimension_predicate(node: exp.Expression, allowed: set[str]) -> Predicate:
    """A predicate for a boolean expression over dimension columns in `allowed`."""
    if isinstance(node, exp.Paren):
        return dimension_predicate(node.this, allowed)
    if isinstance(node, exp.And | exp.Or):
        left = dimension_predicate(node.this, allowed)
        right = dimension_predicate(node.expression, allowed)
        if isinstance(node, exp.And):
            return lambda dims: left(dims) and right(dims)
        return lambda dims: left(dims) or right(dims)
    if isinstance(node, exp.Not):
        inner = dimension_predicate(node.this, allowed)
        return lambda dims: not inner(dims)
    if isinstance(node, exp.EQ | exp.NEQ | exp.GT | exp.GTE | exp.LT | exp.LTE | exp.Like | exp.In):
        name = column_name(node.this)
        if name not in allowed:
            raise unsupported(f"column {name!r} in WHERE (not a dimension of this table)")
        if isinstance(node, exp.In):
            if node.args.get("query") is not None:
                raise unsupported("subquery in IN")
            values = {literal_text(v) for v in node.expressions}
            return lambda dims: dims.get(name, "") in values
        value = literal_text(node.expression)
        if isinstance(node, exp.EQ):
            return lambda dims: dims.get(name, "") == value
        if isinstance(node, exp.NEQ):
            return lambda dims: dims.get(name, "") != value
        if isinstance(node, exp.Like):
            pattern = _like(value)
            return lambda dims: pattern.match(dims.get(name, "")) is not None
        op = type(node)
        return lambda dims: _compare(dims.get(name, ""), value, op)
    raise unsupported(f"{type(node).__name__.upper()} ({node.sql(dialect='mysql')!r})")


def where_predicate(where_sql: str, allowed: set[str]) -> Predicate | None:
    """A monitor source's `where_sql` (e.g. " ((task_id='1'))") as a predicate; None when empty."""
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    if not where_sql.strip():
        return None
    try:
        node = sqlglot.condition(where_sql, dialect="mysql")
    except (ParseError, TokenError) as exc:
        raise ValidationFailed("where_sql does not parse as a condition", field="where_sql") from exc
    return dimension_predicate(node, allowed)  # type: ignore[arg-type]
