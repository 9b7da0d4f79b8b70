"""bk property dicts ⇄ GraphQL inputs for the `cc` rows.

A bk `data` object such as `{"bk_biz_name": "shop", "bk_biz_maintainer": "admin", "region": "sz"}`
becomes the GraphQL input `{"name": "shop", "maintainer": "admin", "attributes": {"region": "sz"}}`:
known property ids map to model columns (whose camelCase names are the input fields), anything
else is a custom attribute. Identity and placement properties are dropped from writes.
"""

from __future__ import annotations

from typing import Any

from opsgraph.core.errors import ValidationFailed
from opsgraph.core.ids import encode_global_id
from opsgraph.resolvers.properties import PROPERTY_COLUMNS, READ_ONLY_PROPERTIES

GLOBAL_TYPES = {"biz": "Business", "set": "Set", "module": "Module", "host": "Host", "plat": "CloudArea"}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def to_input(kind: str, data: dict[str, Any], *, ignore: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Translate a bk property dict into GraphQL input fields (custom keys under `attributes`)."""
    if not isinstance(data, dict):
        raise ValidationFailed("data must be an object", field="data")
    fields: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for key, value in data.items():
        if key in ignore or key in READ_ONLY_PROPERTIES[kind]:
            continue
        column = PROPERTY_COLUMNS[kind].get(key)
        if column is None:
            custom[key] = value
        else:
            fields[camel(column)] = value
    if custom:
        fields["attributes"] = custom
    return fields


def global_id(kind: str, pk: int) -> str:
    return encode_global_id(GLOBAL_TYPES[kind], pk)


def select_fields(properties: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """bk `fields`: an empty or missing list means every property."""
    if not fields:
        return properties
    return {name: properties.get(name) for name in fields}
