"""Turning strawberry inputs into what the resolvers take: model columns, custom attributes, pks."""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry

from opsgraph.core.errors import ValidationFailed
from opsgraph.core.ids import decode_global_id
from opsgraph.resolvers.cmdb.instance_values import Unknown

IGNORE_UNKNOWN = "Drop attributes the model does not declare instead of refusing them (bk-cmdb's REST behaviour)."
# Input fields that steer a write rather than name a column.
_CONTROL_FIELDS = frozenset({"ignore_unknown"})


def unknown_attributes(ignore_unknown: bool) -> Unknown:
    return "drop" if ignore_unknown else "refuse"


def columns_from_input(data: object, exclude: frozenset[str] = frozenset()) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fields that were given (not UNSET) become columns; `attributes` becomes custom attributes.

    Input field names equal model column names by design, so no mapping table is needed.
    """
    columns: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for item in dataclasses.fields(data):  # type: ignore[arg-type]
        value = getattr(data, item.name)
        if value is strawberry.UNSET or item.name in exclude or item.name in _CONTROL_FIELDS:
            continue
        if item.name == "attributes":
            if value is not None and not isinstance(value, dict):
                raise ValidationFailed("attributes must be an object", field="attributes")
            custom = dict(value or {})
        else:
            columns[item.name] = value
    return columns, custom


def pk(global_id: strawberry.ID | str, type_name: str) -> int:
    return decode_global_id(str(global_id), type_name)[1]


def optional_pk(global_id: strawberry.ID | str | None, type_name: str) -> int | None:
    return None if global_id is None else pk(global_id, type_name)


def pks(global_ids: list[strawberry.ID], type_name: str) -> list[int]:
    return [pk(g, type_name) for g in global_ids]
