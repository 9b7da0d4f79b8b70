"""bk-monitor v2 `query_data`: a SQL-like query over the metrics store.

    select max(in_use) as _in_use from 3_system_disk where time >= "1m"
    group by ip, plat_id, company_id, device_name, minute1 order by time desc limit 1

The text is parsed by sqlglot (MySQL dialect: double quotes are strings, as in the documented
example), checked against an allow-list (one SELECT; FROM `<biz>_<table>` of a known table; the
aggregates avg/sum/min/max/count of the table's metrics; WHERE on dimensions and `time`; GROUP BY
dimensions and `minuteN`; ORDER BY; LIMIT), and run as parameterised ORM queries
(metric_query.aggregate). Anything else is refused with an error naming the part. The documented
dialect (the catalogue's example and field table) has no `last()` and no `OFFSET`: both are refused
by name, with the documented way to get the same answer.

Time: `time >= "5m"` (relative: s, m, h, d), epoch milliseconds, or "YYYY-MM-DD HH:MM:SS" (UTC).
Without a lower bound the last hour is read. Results carry epoch milliseconds.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.resolvers.monitoring.metric_query import AGGREGATES, aggregate, find_series, series_dims
from opsgraph.resolvers.monitoring.sql_filters import (
    Predicate,
    column_name,
    dimension_predicate,
    literal_text,
    unsupported,
)
from opsgraph.resolvers.monitoring.tables import TableSpec, table_spec
from opsgraph.resolvers.topology.business import get_business

MAX_SQL = 4096
MAX_ROWS = 50_000
MAX_BUCKETS = 200_000
DEFAULT_RANGE = 3600
_TABLE = re.compile(r"^(\d{1,10})_([A-Za-z_][A-Za-z0-9_]{0,63})$")
_RELATIVE = re.compile(r"^(\d{1,7})\s*([smhd])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_MINUTES = re.compile(r"^minute(\d{1,4})$")
# What users of InfluxQL-like dialects reach for first, and the documented dialect's way instead.
NOT_IN_DIALECT = {
    "last": "; the documented query_data dialect has no last(): select max() or avg() grouped by minuteN and "
    "order by time desc limit 1",
    "first": "; the documented query_data dialect has no first(): group by minuteN and order by time limit 1",
    "offset": "; the documented query_data dialect pages with LIMIT only: narrow the time range instead of OFFSET",
}
_ALLOWED_SELECT_KEYS = {"expressions", "from_", "where", "group", "order", "limit", "kind", "hint"}


@dataclass
class SelectItem:
    alias: str
    method: str | None  # None: a dimension column
    column: str


@dataclass
class ParsedQuery:
    business_id: int
    table: str
    items: list[SelectItem]
    group_dims: list[str]
    bucket_name: str | None
    bucket: int | None
    start: int
    end: int
    predicate: Predicate | None
    order: list[tuple[str, bool]] = field(default_factory=list)  # (name, descending)
    limit: int = MAX_ROWS


def _parse_time(node: exp.Expression, now: int) -> int:
    text = literal_text(node).strip()
    relative = _RELATIVE.match(text)
    if relative:
        return now - int(relative.group(1)) * _UNIT[relative.group(2)]
    if re.fullmatch(r"\d{10,13}", text):
        number = int(text)
        return number // 1000 if len(text) == 13 else number
    try:
        moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError as exc:
        raise ValidationFailed(
            f'time must be relative ("5m"), epoch milliseconds or "YYYY-MM-DD HH:MM:SS", got {text!r}',
            field="sql",
            code="UNSUPPORTED_SQL",
        ) from exc
    return int(moment.timestamp())


def _split_where(node: exp.Expression | None, now: int) -> tuple[int | None, int | None, list[exp.Expression]]:
    """Top-level AND terms: time bounds out, the rest (dimension filters) kept."""
    start: int | None = None
    end: int | None = None
    rest: list[exp.Expression] = []
    terms = list(node.flatten()) if isinstance(node, exp.And) else ([node] if node is not None else [])
    for term in terms:
        target = term.this if isinstance(term, exp.Paren) else term
        comparison = isinstance(target, exp.GT | exp.GTE | exp.LT | exp.LTE | exp.EQ)
        if comparison and isinstance(target.this, exp.Column) and column_name(target.this) == "time":
            moment = _parse_time(target.expression, now)
            if isinstance(target, exp.GT | exp.GTE):
                start = moment + (1 if isinstance(target, exp.GT) else 0)
            elif isinstance(target, exp.EQ):
                start, end = moment, moment + 1
            else:
                end = moment + (1 if isinstance(target, exp.LTE) else 0)
            continue
        if any(isinstance(c, exp.Column) and c.name == "time" for c in target.find_all(exp.Column)):
            raise unsupported("time conditions inside OR/NOT (use top-level AND bounds)")
        rest.append(cast(exp.Expression, target))
    return start, end, rest


def _select_items(select: exp.Select, spec: TableSpec) -> list[SelectItem]:
    items: list[SelectItem] = []
    for node in select.expressions:
        alias = node.alias if isinstance(node, exp.Alias) else ""
        target = node.this if isinstance(node, exp.Alias) else node
        if isinstance(target, exp.Star):
            raise unsupported("select * (name the aggregates and dimensions)")
        if isinstance(target, exp.Column):
            name = column_name(target)
            if name not in spec.dimensions and name != "time":
                raise unsupported(f"column {name!r} without an aggregate (metrics need avg/sum/min/max/count)")
            items.append(SelectItem(alias or name, None, name))
            continue
        method = type(target).__name__.lower()
        if isinstance(target, exp.Anonymous):
            method = str(target.this).lower()
        if method not in AGGREGATES:
            hint = NOT_IN_DIALECT.get(method, "")
            raise unsupported(f"function {method}() (allowed: {', '.join(AGGREGATES)}){hint}")
        argument = target.this if not isinstance(target, exp.Anonymous) else (target.expressions or [None])[0]
        if isinstance(argument, exp.Star) and method == "count":
            metric = spec.metrics[0]
        elif isinstance(argument, exp.Column):
            metric = column_name(argument)
        else:
            raise unsupported(f"{target.sql(dialect='mysql')!r} (aggregate a metric column)")
        if metric not in spec.metrics:
            raise NotFound(
                f"table {spec.name} has no metric {metric!r} (it has: {', '.join(spec.metrics)})",
                field="sql",
                code="UNKNOWN_FIELD",
            )
        items.append(SelectItem(alias or f"{method}_{metric}", method, metric))
    if not any(item.method for item in items):
        raise unsupported("a query without an aggregate")
    return items


def parse_query(sql: str, now: int | None = None) -> tuple[int, str, exp.Select]:
    """Parse and check the statement's shape; returns (business id, table, select)."""
    if not isinstance(sql, str) or not sql.strip():
        raise ValidationFailed("sql is required", field="sql", code="MISSING_FIELD")
    if len(sql) > MAX_SQL:
        raise ValidationFailed(f"sql is longer than {MAX_SQL} characters", field="sql")
    try:
        statements = [s for s in sqlglot.parse(sql, read="mysql") if s is not None]
    except (ParseError, TokenError) as exc:
        raise ValidationFailed(f"sql does not parse: {str(exc).splitlines()[0]}", field="sql", code="BAD_SQL") from exc
    if len(statements) != 1:
        raise unsupported("more than one statement")
    select = statements[0]
    if not isinstance(select, exp.Select):
        raise unsupported(f"{type(select).__name__.upper()} statements (only SELECT)")
    extra = sorted(k for k, v in select.args.items() if v and k not in _ALLOWED_SELECT_KEYS)
    if extra:
        names = [k.rstrip("_").upper() for k in extra]
        raise unsupported(", ".join(names) + "".join(NOT_IN_DIALECT.get(n.lower(), "") for n in names))
    if select.args.get("distinct"):
        raise unsupported("DISTINCT")
    source = select.args.get("from_")
    if source is None or not isinstance(source.this, exp.Table) or source.this.db or source.this.catalog:
        raise unsupported("FROM must name one result table <biz>_<table>")
    if any(select.find_all(exp.Subquery, exp.Join, exp.Union, exp.Window)):
        raise unsupported("subqueries, joins, unions and window functions")
    found = _TABLE.match(str(source.this.name))
    if not found:
        raise ValidationFailed(
            f"result table {source.this.name!r} must be <bk_biz_id>_<table>", field="sql", code="UNKNOWN_TABLE"
        )
    return int(found.group(1)), found.group(2), select


async def build_query(principal: Principal, sql: str, now: int | None = None) -> ParsedQuery:
    moment = int(time.time()) if now is None else now
    business_id, table, select = parse_query(sql, moment)
    await get_business(principal, business_id)
    spec = await table_spec(business_id, table)
    items = _select_items(select, spec)
    where = select.args.get("where")
    start, end, rest = _split_where(where.this if where is not None else None, moment)
    allowed = set(spec.dimensions)
    parts = [dimension_predicate(term, allowed) for term in rest]

    def predicate_all(dims: dict[str, str]) -> bool:
        return all(part(dims) for part in parts)

    predicate: Predicate | None = predicate_all if parts else None
    group_dims: list[str] = []
    bucket_name: str | None = None
    bucket: int | None = None
    group = select.args.get("group")
    for node in group.expressions if group else []:
        name = column_name(node)
        minutes = _MINUTES.match(name)
        if minutes:
            if bucket is not None or not 1 <= int(minutes.group(1)) <= 1440:
                raise unsupported(f"GROUP BY {name} (one minuteN, N in 1..1440)")
            bucket_name, bucket = name, int(minutes.group(1)) * 60
        elif name in allowed:
            group_dims.append(name)
        else:
            raise unsupported(f"GROUP BY {name!r} (not a dimension of {table})")
    for item in items:
        if item.method is None and item.column not in group_dims and item.column != "time":
            raise unsupported(f"column {item.column!r} must be in GROUP BY")
    order: list[tuple[str, bool]] = []
    ordering = select.args.get("order")
    names = {"time", *(i.alias for i in items), *group_dims, *([bucket_name] if bucket_name else [])}
    for node in ordering.expressions if ordering else []:
        name = column_name(node.this)
        if name not in names:
            raise unsupported(f"ORDER BY {name!r} (order by time, a selected alias or a grouped dimension)")
        order.append((name, bool(node.args.get("desc"))))
    limit = MAX_ROWS
    if select.args.get("limit") is not None:
        limit_node = select.args["limit"].expression
        if not isinstance(limit_node, exp.Literal) or limit_node.is_string:
            raise unsupported("LIMIT must be a number")
        limit = int(str(limit_node.this))
        if not 0 < limit <= MAX_ROWS:
            raise ValidationFailed(f"LIMIT must be between 1 and {MAX_ROWS}", field="sql")
    range_start = start if start is not None else moment - DEFAULT_RANGE
    range_end = end if end is not None else moment + 1
    if range_end <= range_start:
        raise ValidationFailed("the time range is empty", field="sql")
    if bucket is not None and (range_end - range_start) // bucket > MAX_BUCKETS:
        raise ValidationFailed(f"the query would produce more than {MAX_BUCKETS} time buckets", field="sql")
    return ParsedQuery(
        business_id, table, items, group_dims, bucket_name, bucket, range_start, range_end, predicate, order, limit
    )


def _series_filter(predicate: Predicate) -> Any:
    def keep(row: dict[str, Any]) -> bool:
        return predicate(series_dims(row))

    return keep


def _sort_key(name: str) -> Any:
    def key(row: dict[str, Any]) -> tuple[bool, Any]:
        value = row.get(name)
        return (value is None, value if value is not None else 0)

    return key


async def run_query(principal: Principal, sql: str, now: int | None = None) -> dict[str, Any]:
    """The documented `data`: {list, select_fields_order, totalRecords, timetaken, cluster, device}."""
    started = time.monotonic()
    query = await build_query(principal, sql, now)
    predicate = query.predicate
    # Without minuteN the whole range is one bucket: every ts in [start, end) has ts // end == 0.
    bucket = query.bucket or query.end
    start = query.start - query.start % bucket if query.bucket else query.start
    rows: list[dict[str, Any]] = []
    groups_by_metric: dict[str, Any] = {}
    for metric in {item.column for item in query.items if item.method}:
        series = await find_series(
            [query.business_id],
            query.table,
            metric,
            None if predicate is None else _series_filter(predicate),
        )
        groups_by_metric[metric] = await aggregate(
            series, start=start, end=query.end, bucket=bucket, group_by=query.group_dims
        )
    keys: set[tuple[tuple[str, ...], int]] = set()
    for groups in groups_by_metric.values():
        for group_key, buckets in groups.items():
            keys.update((group_key, moment) for moment in buckets)
    for group_key, moment in keys:
        stamp = (moment if query.bucket else query.start) * 1000
        row: dict[str, Any] = dict(zip(query.group_dims, group_key, strict=True))
        row["time"] = stamp
        if query.bucket_name:
            row[query.bucket_name] = stamp
        for item in query.items:
            if item.method:
                partial = groups_by_metric[item.column].get(group_key, {}).get(moment)
                row[item.alias] = None if partial is None else partial.value(item.method)
        rows.append(row)

    def natural(row: dict[str, Any]) -> tuple[Any, ...]:
        return (row["time"], *[str(row.get(d, "")) for d in query.group_dims])

    rows.sort(key=natural)
    for name, descending in reversed(query.order):
        rows.sort(key=_sort_key(name), reverse=descending)
    rows = rows[: query.limit]
    order = [item.alias for item in query.items if item.method] + [
        item.alias for item in query.items if item.method is None
    ]
    order += [d for d in query.group_dims if d not in order]
    if query.bucket_name:
        order.append(query.bucket_name)
    return {
        "list": rows,
        "select_fields_order": order,
        "totalRecords": len(rows),
        "timetaken": round(time.monotonic() - started, 6),
        "cluster": "default",
        "device": "opsgraph",
    }
