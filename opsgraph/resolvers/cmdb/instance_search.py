"""Searching instances of one model: conditions compiled to SQL, visibility, sorting, paging.

A condition is `{field, operator, value}` on a property of the model: the instance's own columns
(its id and name property, bk_biz_id, create_time, last_time) or any declared attribute, read
from the JSON `properties` column with the attribute's type (numbers compare as numbers). The
operators per type follow bk-cmdb's search whitelist (host_server logics/hostsearch.go
attrTypeSupportedOpMap): `$eq $ne $in $nin` everywhere (the doc's `$neq` too), `$regex` on text
(a literal, case-insensitive substring here: portable and linear), `$gt $gte $lt $lte` on
numbers, dates and times. An unknown field is refused.

search_inst also takes conditions on *other* models (`{"bk_switch": [...]}`): an instance matches
when it is associated, in either direction, with an instance of that model matching them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import LimitExceeded, ValidationFailed
from opsgraph.models.cmdb_instances import Instance, InstanceAssociation
from opsgraph.resolvers.cmdb.access import instance_search_rule, visible_business_ids
from opsgraph.resolvers.cmdb.attribute_types import (
    BOOL,
    DATE,
    FLOAT,
    INT,
    MULTIPLE_TYPES,
    QUOTE_TYPES,
    TIME,
)
from opsgraph.resolvers.cmdb.definitions import ModelDefinition, load_definition
from opsgraph.resolvers.cmdb.json_columns import value_expression
from opsgraph.resolvers.topology.common import check_page
from opsgraph.resolvers.topology.conditions import Condition, compile_conditions, lookup

MAX_IN_VALUES = 500
MAX_CONDITIONS = 50
MAX_ASSOCIATED_MATCHES = 10000
EQUALITY = frozenset({"$eq", "$ne", "$neq", "$in", "$nin"})
ORDERED = frozenset({"$gt", "$gte", "$lt", "$lte"})
TEXT_TYPES = frozenset({"singlechar", "longchar", "enum", "objuser", "timezone", "list", DATE, TIME})
_INT32 = range(-(2**31), 2**31)
_TOPOLOGY_TABLES = {"biz": "business", "set": "set", "module": "module", "host": "host"}


@dataclass(frozen=True)
class InstanceColumn:
    column: str
    kind: str  # int, text, time


def own_columns(definition: ModelDefinition) -> dict[str, InstanceColumn]:
    return {
        definition.id_property: InstanceColumn("id", "int"),
        definition.name_property: InstanceColumn("name", "text"),
        "bk_biz_id": InstanceColumn("business_id", "int"),
        "create_time": InstanceColumn("created_at", "time"),
        "last_time": InstanceColumn("updated_at", "time"),
        "creator": InstanceColumn("created_by", "text"),
    }


class _Compiler:
    def __init__(self, definition: ModelDefinition) -> None:
        self.definition = definition
        self.columns = own_columns(definition)
        self.annotations: dict[str, Any] = {}

    def expression(self, field: str) -> tuple[str, str]:
        """(the filterable name, the value kind) of a property."""
        column = self.columns.get(field)
        if column is not None:
            return column.column, column.kind
        spec = self.definition.attributes.get(field)
        if spec is None or spec.is_system:
            raise ValidationFailed(f"model {self.definition.obj_id!r} has no field {field!r}", field="field")
        if spec.property_type in MULTIPLE_TYPES | QUOTE_TYPES:
            raise ValidationFailed(f"{field} holds a list; it cannot be a search condition", field=field)
        alias = f"p{len(self.annotations)}_{field}"
        self.annotations[alias] = value_expression("cmdb_instance", "properties", field, spec.property_type)
        return alias, spec.property_type

    def condition(self, condition: Condition) -> Q:
        name, kind = self.expression(condition.field)
        operator = condition.operator
        allowed = EQUALITY | ({"$regex"} if kind in TEXT_TYPES | {"text"} else set())
        if kind in {INT, FLOAT, DATE, TIME, "int", "time"}:
            allowed = allowed | ORDERED
        if operator not in allowed:
            raise ValidationFailed(f"operator {operator!r} does not apply to {condition.field}", field="operator")
        value = condition.value
        if operator in ("$in", "$nin"):
            if not isinstance(value, list):
                raise ValidationFailed(f"{operator} needs an array value", field=condition.field)
            if len(value) > MAX_IN_VALUES:
                raise ValidationFailed(f"{operator} takes at most {MAX_IN_VALUES} values", field=condition.field)
            q = Q(**lookup(f"{name}__in", [_coerce(kind, v, condition.field) for v in value]))
            return q if operator == "$in" else _absent_or_not(name, q)
        if operator == "$regex":
            return Q(**{f"{name}__icontains": _literal(value, condition.field)})
        coerced = _coerce(kind, value, condition.field)
        if operator == "$eq":
            return Q(**{name: coerced})
        if operator in ("$ne", "$neq"):
            return _absent_or_not(name, Q(**{name: coerced}))
        return Q(**{f"{name}__{operator[1:]}": coerced})


def _absent_or_not(name: str, q: Q) -> Q:
    """bk-cmdb (MongoDB) `$ne`/`$nin` also match instances without the property."""
    return Q(~q, Q(**lookup(f"{name}__isnull", True)), join_type=Q.OR)


def _literal(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationFailed("$regex needs a string", field=field)
    if any(ch in value.replace("\\.", "") for ch in "[]()*+?{}|^$\\"):
        raise ValidationFailed("$regex supports literal substrings only", field=field)
    return value.replace("\\.", ".")


def _coerce(kind: str, value: Any, field: str) -> Any:
    if isinstance(value, dict | list) or value is None:
        raise ValidationFailed(f"{field} must be compared with a single value", field=field)
    if kind in (INT, "int"):
        if isinstance(value, bool) or not re.fullmatch(r"[+-]?\d+", str(value).strip()):
            raise ValidationFailed(f"{field} needs an integer, got {value!r}", field=field)
        number = int(str(value).strip())
        if kind == "int" and number not in _INT32:
            raise ValidationFailed(f"{field} is out of range", field=field)
        return number
    if kind == FLOAT:
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise ValidationFailed(f"{field} needs a number, got {value!r}", field=field) from exc
    if kind == BOOL:
        if not isinstance(value, bool):
            raise ValidationFailed(f"{field} needs a JSON boolean", field=field)
        return value
    if kind == "time":
        try:
            return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValidationFailed(f"{field} needs an ISO time", field=field) from exc
    if isinstance(value, bool):
        raise ValidationFailed(f"{field} needs text", field=field)
    text = str(value)
    if len(text) > 2000:
        raise ValidationFailed(f"{field} is longer than 2000 characters", field=field)
    return text


def instance_query(
    principal: Principal,
    definition: ModelDefinition,
    conditions: list[Condition],
    *,
    business_id: int | None = None,
    sort: str | None = None,
) -> tuple[QuerySet[Instance], list[str]]:
    """The filtered, visible instances of the model, and the ORDER BY terms for `sort`."""
    if len(conditions) > MAX_CONDITIONS:
        raise LimitExceeded(f"at most {MAX_CONDITIONS} conditions", field="condition")
    compiler = _Compiler(definition)
    q = Q(object_id=definition.pk)
    for condition in conditions:
        q &= compiler.condition(condition)
    visible = visible_business_ids(principal)
    if visible is not None:
        q &= Q(business_id__isnull=True) | Q(business_id__in=visible)
    if business_id is not None:
        q &= Q(business_id=business_id)
    order = ["id"]
    if sort:
        descending = sort.startswith("-")
        name, _ = compiler.expression(sort.lstrip("-+"))
        order = [("-" if descending else "") + name, "id"]
    query = Instance.filter()
    if compiler.annotations:
        query = query.annotate(**compiler.annotations)
    return query.filter(q), order


async def associated_ids(
    principal: Principal, definition: ModelDefinition, other: str, conditions: list[Condition]
) -> list[int]:
    """Ids of this model's instances associated (either way) with an instance of `other` matching."""
    if other in _TOPOLOGY_TABLES:
        from opsgraph.resolvers.topology.common import MODELS

        compiled = compile_conditions(other, _TOPOLOGY_TABLES[other], conditions)
        candidates = MODELS[other].all()
        visible = visible_business_ids(principal)
        if visible is not None:  # conditions on what the caller may not see would tell about it
            candidates = candidates.filter(**{"id__in" if other == "biz" else "business_id__in": visible})
        matches = await compiled.apply(candidates).limit(MAX_ASSOCIATED_MATCHES + 1).values_list("id", flat=True)
    else:
        other_definition = await load_definition(other)
        query, _ = instance_query(principal, other_definition, conditions)
        matches = await query.limit(MAX_ASSOCIATED_MATCHES + 1).values_list("id", flat=True)
    if len(matches) > MAX_ASSOCIATED_MATCHES:
        raise LimitExceeded(f"the {other} condition matches more than {MAX_ASSOCIATED_MATCHES} instances", field=other)
    if not matches:
        return []
    me = definition.obj_id
    forward = InstanceAssociation.filter(obj_id=me, asst_obj_id=other, asst_inst_id__in=matches)
    backward = InstanceAssociation.filter(asst_obj_id=me, obj_id=other, inst_id__in=matches)
    ids: set[int] = set()
    for row in await forward.values("inst_id"):
        ids.add(int(row["inst_id"]))
    for row in await backward.values("asst_inst_id"):
        ids.add(int(row["asst_inst_id"]))
    return sorted(ids)


async def search_instances(
    principal: Principal,
    obj_id: str,
    conditions: list[Condition],
    *,
    associated: Mapping[str, list[Condition]] | None = None,
    business_id: int | None = None,
    start: int,
    limit: int,
    sort: str | None,
) -> tuple[ModelDefinition, int, list[dict[str, Any]]]:
    check_page(start, limit)
    definition = await load_definition(obj_id)
    if definition.table_backed:
        raise ValidationFailed(
            f"{obj_id} instances are searched with their own operations (search_business, search_host…)",
            field="bk_obj_id",
        )
    query, order = instance_query(principal, definition, conditions, business_id=business_id, sort=sort)
    searchable = await instance_search_rule(principal)
    if not searchable(obj_id):
        return definition, 0, []  # as if there were none: a refusal would say they exist
    for other, other_conditions in (associated or {}).items():
        # A condition on a model the caller may not search matches nothing it could learn from.
        ids = await associated_ids(principal, definition, other, other_conditions) if searchable(other) else []
        query = query.filter(id__in=ids)
    total = await query.count()
    rows = await query.order_by(*order).offset(start).limit(limit).values(*_ROW_COLUMNS)
    return definition, total, rows


# What a search returns per instance: never the annotations used for filtering.
_ROW_COLUMNS = ("id", "object_id", "business_id", "name", "properties", "created_by", "created_at", "updated_at")
