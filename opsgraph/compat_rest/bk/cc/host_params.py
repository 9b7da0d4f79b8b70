"""Shared by the host endpoints: parsing id lists, IP lists and host properties; mutation answers.

The host endpoints disagree on how they spell a list of ids: `update_host`/`delete_host` document a
comma-separated string (`"1,2,3"`), the transfer endpoints an int array. Every host endpoint accepts
both (plus a bare int), so a caller that mixes them up is not refused for it.

Example:
    host_ids(params)                 # bk_host_id "1,2,3" | [1, 2, 3] | 7 → global ids of those hosts
    host_input(params, "data")       # {"bk_host_name": "web-1", "rack": "A3"}
                                     # → {"hostName": "web-1", "attributes": {"rack": "A3"}}
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from opsgraph.compat_rest.bk.cc.properties import GLOBAL_TYPES, global_id, global_id_param, typed_input
from opsgraph.compat_rest.bk.params import Params, to_int, to_str
from opsgraph.compat_rest.execute import raise_user_errors
from opsgraph.core.errors import NotFound, ValidationFailed

# Ids are int64 in bk-cmdb but int32 columns here: a larger id names nothing, and PostgreSQL
# would refuse it as a database error rather than "not found" (as properties.global_id_param does).
_MAX_ID = 2**31 - 1


def int_ids(params: Params, name: str, kind: str) -> list[int]:
    """Required ids of `kind` as a comma string, an array or one int (deduplicated, order kept)."""
    raw = params.get(name)
    field = params.field(name)
    items: list[Any]
    if raw is None or raw == "" or raw == []:
        raise ValidationFailed(f"{field} is required", field=field, code="MISSING_FIELD")
    if isinstance(raw, list):
        items = raw
    elif isinstance(raw, str) and raw.lstrip().startswith("["):
        items = params.get_list(name)  # a JSON array in a query string
    elif isinstance(raw, str):
        items = [part.strip() for part in raw.split(",")]
    elif isinstance(raw, int) and not isinstance(raw, bool):
        items = [raw]
    else:
        raise ValidationFailed(f"{field} must be ids (an array or a comma-separated string)", field=field)
    ids = [to_int(item, f"{field}[{i}]") for i, item in enumerate(items)]
    for pk in ids:
        if not -_MAX_ID <= pk <= _MAX_ID:
            raise NotFound(f"{GLOBAL_TYPES[kind].lower()} {pk} does not exist", field=field)
    return list(dict.fromkeys(ids))


def id_list(params: Params, name: str, kind: str) -> list[str]:
    """`int_ids` as GraphQL global ids."""
    return [global_id(kind, pk) for pk in int_ids(params, name, kind)]


def host_ids(params: Params, name: str = "bk_host_id") -> list[str]:
    return id_list(params, name, "host")


def business_gid(params: Params, name: str = "bk_biz_id") -> str:
    return global_id_param(params, name, "biz")


def optional_gid(params: Params, name: str, kind: str) -> str | None:
    """An optional id; absent, null or 0 (bk's "none") mean no value."""
    return global_id_param(params, name, kind) if params.get_int(name, 0) else None


def cloud_area_gid(params: Params, name: str = "bk_cloud_id") -> str:
    """Absent means the default area 0, as in every cc example."""
    return global_id_param(params, name, "plat") if params.has(name) else global_id("plat", 0)


def text_list(params: Params, name: str) -> list[str]:
    """A required list of strings: an array, or one comma-separated string (`bk_dst_ip`)."""
    raw = params.get(name)
    field = params.field(name)
    if raw is None or raw == "" or raw == []:
        raise ValidationFailed(f"{field} is required", field=field, code="MISSING_FIELD")
    if isinstance(raw, str) and not raw.lstrip().startswith("["):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return [to_str(item, f"{field}[{i}]") for i, item in enumerate(params.get_list(name))]


def host_input(params: Params, name: str) -> dict[str, Any]:
    """The bk host properties object `name` → `HostPropertiesInput` fields, type-checked with bk
    field names in errors (custom properties go under `attributes`; bk_host_id, bk_cloud_id and
    the timestamps are not taken from it)."""
    return typed_input("host", params.sub(name, required=True))


def mutation_data(payload_field: str, answer: Any) -> Callable[[dict[str, Any], Params], Any]:
    """A `to_data` adapter: raise the payload's first UserError, else answer the documented `data`
    (`{}`, `null`, `"sucess"`…). Each call gets its own copy, so no answer is shared between responses."""

    def to_data(data: dict[str, Any], params: Params) -> Any:
        raise_user_errors(data[payload_field])
        return copy.deepcopy(answer)

    return to_data
