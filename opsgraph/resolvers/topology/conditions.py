"""The BlueKing condition languages, compiled to SQL filters.

Two forms are supported:
- an equality map `{property_id: value}` (search_business/set/module);
- per-object clauses `[{bk_obj_id, condition: [{field, operator, value}]}]` (search_host), with the
  operators `$eq`, `$ne`/`$neq` (the doc's table says `$neq`, its examples `$ne`: both accepted),
  `$in`, `$nin`, and for bk-cmdb parity `$regex`, `$gt`, `$gte`, `$lt`, `$lte`.
Custom attributes (unknown property ids) are matched as text in the JSON `attributes` column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tortoise import connections
from tortoise.expressions import Q, RawSQL
from tortoise.queryset import QuerySet

from opsgraph.core.errors import ValidationFailed
from opsgraph.models.topology import Business, Host, Module, Set
from opsgraph.resolvers.properties import INTEGER_COLUMNS, PROPERTY_COLUMNS

OPERATORS = {"$eq", "$ne", "$neq", "$in", "$nin", "$regex", "$gt", "$gte", "$lt", "$lte"}
_MAX_IN_VALUES = 500


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: Any


def lookup(key: str, value: Any) -> dict[str, Any]:
    """A one-entry filter mapping typed loosely, as `Q(**…)` wants."""
    return {key: value}


_INT32 = range(-(2**31), 2**31)


_MODELS = {"biz": Business, "set": Set, "module": Module, "host": Host}


def _coerce(kind: str, column: str, value: Any, field: str) -> Any:
    """The value as the column stores it; what the column could never hold is the caller's mistake,
    refused here rather than by the ORM when the query runs (which would surface as a server error)."""
    if isinstance(value, list):
        raise ValidationFailed(f"{field} takes one value here; use $in for a list", field=field)
    if column in INTEGER_COLUMNS and isinstance(value, str | int) and not isinstance(value, bool):
        try:
            number = int(value)
        except ValueError as exc:
            raise ValidationFailed(f"{field} needs an integer, got {value!r}", field=field) from exc
        if number not in _INT32:
            raise ValidationFailed(f"{field} is out of range", field=field)
        return number
    if isinstance(value, dict):
        raise ValidationFailed(f"{field} cannot be compared with an object", field=field)
    model = _MODELS.get(kind)
    max_length = getattr(model._meta.fields_map.get(column), "max_length", None) if model else None
    if isinstance(value, str) and isinstance(max_length, int) and len(value) > max_length:
        raise ValidationFailed(f"{field} is longer than {max_length} characters", field=field)
    return value


def condition_to_q(kind: str, table: str, condition: Condition, compiled: CompiledFilter) -> Q:
    operator = condition.operator
    if operator not in OPERATORS:
        raise ValidationFailed(f"unsupported operator {operator!r}", field="operator")
    column = PROPERTY_COLUMNS[kind].get(condition.field)
    if column is None:
        if not condition.field.replace("_", "").isalnum():
            raise ValidationFailed(f"invalid field {condition.field!r}", field="field")
        return _custom_attribute_q(table, condition, compiled)
    value = condition.value
    if operator in {"$in", "$nin"}:
        if not isinstance(value, list):
            raise ValidationFailed(f"{operator} needs an array value", field=condition.field)
        if len(value) > _MAX_IN_VALUES:
            raise ValidationFailed(f"{operator} takes at most {_MAX_IN_VALUES} values", field=condition.field)
        values = [_coerce(kind, column, v, condition.field) for v in value]
        q = Q(**lookup(f"{column}__in", values))
        return _absent_or_not(column, q) if operator == "$nin" else q
    value = _coerce(kind, column, value, condition.field)
    if operator == "$eq":
        return Q(**{column: value})
    if operator in {"$ne", "$neq"}:
        return _absent_or_not(column, Q(**{column: value}))
    if operator == "$regex":
        return Q(**{f"{column}__icontains": _regex_literal(value, condition.field)})
    suffix = {"$gt": "gt", "$gte": "gte", "$lt": "lt", "$lte": "lte"}[operator]
    return Q(**{f"{column}__{suffix}": value})


def _absent_or_not(column: str, q: Q) -> Q:
    """bk-cmdb (MongoDB) `$ne`/`$nin` also match records that lack the property: SQL NULL."""
    return Q(~q, Q(**lookup(f"{column}__isnull", True)), join_type=Q.OR)


def _regex_literal(value: Any, field: str) -> str:
    """We match `$regex` as a case-insensitive substring: portable across SQLite and PostgreSQL.

    Patterns that need real regex features are refused rather than silently mis-matched.
    """
    if not isinstance(value, str):
        raise ValidationFailed("$regex needs a string", field=field)
    if re.escape(value) != value and any(ch in value for ch in "[]()*+?{}|^$\\"):
        raise ValidationFailed("$regex supports literal substrings only", field=field)
    return value.replace("\\.", ".")


def _attribute_expression(table: str, key: str) -> RawSQL:
    """The text value of one custom attribute; `key` was validated as an identifier."""
    if connections.get("default").capabilities.dialect == "sqlite":
        return RawSQL(f'CAST(json_extract("{table}"."attributes", \'$.{key}\') AS TEXT)')
    return RawSQL(f'("{table}"."attributes"->>\'{key}\')')


def _attribute_text(value: Any, field: str) -> str:
    if isinstance(value, bool):
        is_sqlite = connections.get("default").capabilities.dialect == "sqlite"
        return ("1" if value else "0") if is_sqlite else ("true" if value else "false")
    if isinstance(value, dict | list) or value is None:
        raise ValidationFailed(f"{field} must be compared with a scalar", field=field)
    return str(value)


@dataclass
class CompiledFilter:
    """A WHERE clause plus the annotations (custom attribute extractions) it refers to."""

    q: Q = field(default_factory=Q)
    annotations: dict[str, RawSQL] = field(default_factory=dict)

    def apply(self, query: QuerySet[Any]) -> QuerySet[Any]:
        if self.annotations:
            query = query.annotate(**self.annotations)
        return query.filter(self.q)


def _custom_attribute_q(table: str, condition: Condition, compiled: CompiledFilter) -> Q:
    key, value, operator = condition.field, condition.value, condition.operator
    alias = f"attr_{len(compiled.annotations)}_{key}"
    compiled.annotations[alias] = _attribute_expression(table, key)
    if operator in {"$eq", "$ne", "$neq"}:
        q = Q(**{alias: _attribute_text(value, key)})
        return q if operator == "$eq" else _absent_or_not(alias, q)
    if operator in {"$in", "$nin"}:
        if not isinstance(value, list):
            raise ValidationFailed(f"{operator} needs an array value", field=key)
        q = Q(**lookup(f"{alias}__in", [_attribute_text(v, key) for v in value]))
        return q if operator == "$in" else _absent_or_not(alias, q)
    raise ValidationFailed(f"operator {operator} is not supported on custom attribute {key!r}", field=key)


def compile_conditions(kind: str, table: str, conditions: list[Condition]) -> CompiledFilter:
    compiled = CompiledFilter()
    for condition in conditions:
        compiled.q &= condition_to_q(kind, table, condition, compiled)
    return compiled


def equality_filter(query: QuerySet[Any], kind: str, equals: dict[str, Any]) -> QuerySet[Any]:
    if not equals:
        return query
    table = query.model._meta.db_table
    return compile_conditions(kind, table, [Condition(k, "$eq", v) for k, v in equals.items()]).apply(query)
