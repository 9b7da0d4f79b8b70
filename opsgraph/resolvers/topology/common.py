"""Helpers shared by the topology modules: integrity-error mapping, property validation, paging."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from tortoise.exceptions import IntegrityError, OperationalError, ValidationError
from tortoise.expressions import Q
from tortoise.fields import CharField, TextField
from tortoise.models import Model
from tortoise.transactions import in_transaction

from opsgraph.core.errors import Duplicate, OpsGraphError, ValidationFailed
from opsgraph.models.topology import Business, Host, Module, Set
from opsgraph.resolvers.properties import (
    INTEGER_COLUMNS,
    PROPERTY_COLUMNS,
    READ_ONLY_PROPERTIES,
    row_to_properties,
)

MAX_SEARCH_LIMIT = 500
MODELS: dict[str, type[Model]] = {"biz": Business, "set": Set, "module": Module, "host": Host}


@asynccontextmanager
async def write_transaction(duplicate_message: str = "duplicate record") -> AsyncIterator[None]:
    """One transaction per mutation; database integrity errors become our own errors."""
    try:
        async with in_transaction():
            yield
    except IntegrityError as exc:
        raise Duplicate(f"{duplicate_message}: {exc}") from exc
    except ValidationError as exc:
        # Tortoise checks lengths and types on save: "name: Length of '…' 300 > 256".
        field, _, detail = str(exc).partition(":")
        raise ValidationFailed(detail.strip() or str(exc), field=field.strip() or None) from exc
    except OperationalError as exc:
        raise OpsGraphError(f"database error: {exc}", code="DATABASE") from exc


def check_writable(kind: str, columns: dict[str, Any]) -> None:
    """Refuse read-only properties; an explicit null on a non-null text column means empty text, on
    any other non-null column it is refused. Custom attributes are the model's business
    (cmdb/mainline_attributes.py)."""
    model = MODELS[kind]
    for column, value in list(columns.items()):
        field_object = model._meta.fields_map.get(column)
        if value is None and field_object is not None and not field_object.null:
            if isinstance(field_object, CharField | TextField):
                columns[column] = ""
            else:
                raise ValidationFailed(f"{column} cannot be null", field=column)
        limit = getattr(field_object, "max_length", None)
        if isinstance(value, str) and limit is not None and len(value) > limit:
            raise ValidationFailed(f"{column} is longer than {limit} characters", field=column)
    readonly_columns = {PROPERTY_COLUMNS[kind][p] for p in READ_ONLY_PROPERTIES[kind] if p in PROPERTY_COLUMNS[kind]}
    for column in columns:
        if column in readonly_columns:
            raise ValidationFailed(f"{column} cannot be changed here", field=column)
    for column, value in columns.items():
        if column in INTEGER_COLUMNS and value is not None and not isinstance(value, int):
            raise ValidationFailed(f"{column} must be an integer", field=column)


def by_address(addresses: Iterable[tuple[str, int]]) -> Q:
    """Match (inner IP, cloud area) pairs with one `IN` per cloud area, not one OR per pair:
    thousands of ORed terms overflow Python's recursion and SQLite's expression depth."""
    groups: dict[int, set[str]] = defaultdict(set)
    for ip, cloud in addresses:
        groups[cloud].add(ip)
    if not groups:
        return Q(id__in=[])
    clauses = [Q(cloud_area_id=cloud, inner_ip__in=sorted(ips)) for cloud, ips in groups.items()]
    return Q(*clauses, join_type=Q.OR)


def check_page(start: int, limit: int, maximum: int = MAX_SEARCH_LIMIT) -> None:
    if start < 0:
        raise ValidationFailed("page start must not be negative", field="start")
    if not 0 < limit <= maximum:
        raise ValidationFailed(f"page limit must be between 1 and {maximum}", field="limit", code="PAGE_LIMIT")


def sort_columns(kind: str, sort: str | None) -> list[str]:
    """`"-bk_host_id"` → `["-id"]`; unknown properties are refused, ties broken by id."""
    if not sort:
        return ["id"]
    orders: list[str] = []
    for part in sort.split(","):
        part = part.strip()
        descending = part.startswith("-")
        column = PROPERTY_COLUMNS[kind].get(part.lstrip("-+"))
        if column is None:
            raise ValidationFailed(f"cannot sort by {part.lstrip('-+')!r}", field="sort")
        orders.append(("-" if descending else "") + column)
    if "id" not in {o.lstrip("-") for o in orders}:
        orders.append("id")
    return orders


def snapshot(kind: str, instance: Model) -> dict[str, Any]:
    """The audit-log image of a record, keyed by property id."""
    row = {column: getattr(instance, column) for column in instance._meta.db_fields}
    return row_to_properties(kind, row)
