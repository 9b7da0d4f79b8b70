"""Request shapes the model-layer `cc` rows share, where the doc's tables and examples disagree
(accepted both ways, as the brief asks):

- an id at the top level (the tables) or under `delete` (the examples): `{"id": 3}` / `{"delete": {"id": 3}}`;
- a business as `bk_biz_id` or as v3.2's `metadata.label.bk_biz_id` (a string in the examples);
- booleans as JSON booleans or as the examples' strings "true"/"false".
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk.params import Params, to_bool
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.core.ids import MAX_PK, encode_global_id

# Accepted and ignored everywhere: a single-tenant install has one supplier account.
IGNORED = frozenset({"bk_supplier_account", "bk_app_code", "bk_app_secret", "bk_token", "bk_username"})


def id_param(params: Params, name: str, *, nested: str = "delete") -> int:
    """`name` at the top level or under `nested`; required."""
    if params.has(name):
        return params.get_int(name)
    inner = params.sub(nested)
    if inner.has(name):
        return inner.get_int(name)
    raise ValidationFailed(f"{name} is required", field=name, code="MISSING_FIELD")


def int_list_param(params: Params, name: str, *, nested: str = "delete") -> list[int]:
    if params.has(name):
        return params.get_int_list(name)
    inner = params.sub(nested)
    if inner.has(name):
        return inner.get_int_list(name)
    raise ValidationFailed(f"{name} is required", field=name, code="MISSING_FIELD")


def label_business(params: Params) -> int | None:
    """The business an instance write is scoped to: bk_biz_id, or metadata.label.bk_biz_id; 0 = none."""
    if params.has("bk_biz_id"):
        business = params.get_int("bk_biz_id")
    else:
        label = params.sub("metadata").sub("label")
        business = label.get_int("bk_biz_id", 0, required=False)
    return business or None


def business_global_id(business: int | None) -> str | None:
    if business is None:
        return None
    if not 0 < business <= MAX_PK:
        raise NotFound(f"business {business} does not exist", field="bk_biz_id")
    return encode_global_id("Business", business)


def instance_global_id(inst_id: int, field: str = "bk_inst_id") -> str:
    if not 0 < inst_id <= MAX_PK:
        raise NotFound(f"instance {inst_id} does not exist", field=field)
    return encode_global_id("Instance", inst_id)


def flag(params: Params, name: str) -> bool | None:
    value = params.get(name)
    return None if value is None else to_bool(value, params.field(name))


def text(params: Params, name: str) -> str | None:
    return params.get_str(name, required=False)


def json_value(params: Params, name: str) -> Any:
    """A value passed through as JSON (options, defaults): objects, lists or JSON text alike."""
    return params.get(name)
