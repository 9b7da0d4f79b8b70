"""bk property dicts ⇄ GraphQL inputs for the `cc` rows.

A bk `data` object such as `{"bk_biz_name": "shop", "bk_biz_maintainer": "admin", "region": "sz"}`
becomes the GraphQL input `{"name": "shop", "maintainer": "admin", "attributes": {"region": "sz"}}`:
known property ids map to model columns (whose camelCase names are the input fields), anything
else is a custom attribute. Identity and placement properties are dropped from writes.
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk.params import Params
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.core.ids import encode_global_id
from opsgraph.resolvers.properties import INTEGER_COLUMNS, PROPERTY_COLUMNS, READ_ONLY_PROPERTIES

GLOBAL_TYPES = {"biz": "Business", "set": "Set", "module": "Module", "host": "Host", "plat": "CloudArea"}
# Every write input of a business, set, module or host carries this: an attribute the model does
# not declare is dropped, as modern bk-cmdb does (v3.2 refused it with 1199006; dropping accepts
# what callers of either send). GraphQL callers get the refusal (cmdb/mainline_attributes.py).
DROP_UNKNOWN = {"ignoreUnknown": True}


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


# Ids are int64 in bk-cmdb but int32 columns here: a larger id cannot exist, and sending it to
# PostgreSQL would fail as a database error rather than "not found".
_MAX_ID = 2**31 - 1


def global_id_param(params: Params, name: str, kind: str) -> str:
    """A required bk id parameter (`bk_biz_id`, `bk_set_id`…) as the GraphQL global id."""
    value = params.get_int(name)
    if not -_MAX_ID <= value <= _MAX_ID:
        raise NotFound(f"{GLOBAL_TYPES[kind].lower()} {value} does not exist", field=params.field(name))
    return global_id(kind, value)


def typed_input(
    kind: str, data: Params, *, ignore: frozenset[str] = frozenset(), required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """`to_input` for a caller's `data` object, type-checking built-in properties first.

    Errors name the bk field (`data.bk_capacity must be an integer`) instead of the GraphQL
    input field a variable-coercion error would mention. Integer properties accept numeric
    strings, as CMDB does; a string property may not be null (the column is NOT NULL).
    """
    for name in required:
        data.get_str(name)
    checked: dict[str, Any] = {}
    for key, value in data.items():
        column = PROPERTY_COLUMNS[kind].get(key)
        if column is None or key in ignore or key in READ_ONLY_PROPERTIES[kind]:
            checked[key] = value
        elif column in INTEGER_COLUMNS:
            checked[key] = data.get_int(key, None, required=False)
        elif value is None:
            raise ValidationFailed(f"{data.field(key)} must be a string, not null", field=data.field(key))
        else:
            checked[key] = data.get_str(key)
    return to_input(kind, checked, ignore=ignore)


# GraphQL's `BuiltinModuleKind` → bk-cmdb's module `default` flag.
MODULE_DEFAULT_FLAG = {"NORMAL": 0, "IDLE": 1, "FAULT": 2, "RECYCLE": 3}
