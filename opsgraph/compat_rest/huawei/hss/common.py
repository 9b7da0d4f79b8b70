"""What the HSS endpoints share: which business a call acts in, and reading typed body fields.

The business: an access key created with `--biz` is confined to that business. Otherwise
`enterprise_project_id` names it when it is a bk_biz_id (digits); "0" (the default enterprise
project), "all_granted_eps" and any other value name none, and the request must then identify the
business some other way (cluster ids do; `all_cluster` and uploads cannot).

Example:
    business = business_id_for(request, caller)          # a global Business id, or None
    types = string_list(info, "scan_type_list", "cluster_scan_info")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opsgraph.compat_rest.huawei import HuaweiCaller, HuaweiRequest
from opsgraph.core.errors import PermissionDenied, ValidationFailed
from opsgraph.core.ids import MAX_PK, encode_global_id

ENTERPRISE_PROJECT = "enterprise_project_id"
_MAX_ENTERPRISE_PROJECT = 256


def business_id_for(request: HuaweiRequest, caller: HuaweiCaller) -> str | None:
    named = _named_business(request.query_value(ENTERPRISE_PROJECT))
    if caller.business_id is not None:
        if named is not None and named != caller.business_id:
            raise PermissionDenied(f"the access key is confined to business {caller.business_id}, not {named}")
        return encode_global_id("Business", caller.business_id)
    return encode_global_id("Business", named) if named is not None else None


def _named_business(value: str | None) -> int | None:
    if value is None:
        return None
    if not 1 <= len(value) <= _MAX_ENTERPRISE_PROJECT:
        raise ValidationFailed(f"{ENTERPRISE_PROJECT} must be 1–256 characters", field=ENTERPRISE_PROJECT)
    if not value.isdigit() or int(value) == 0:
        return None
    if int(value) > MAX_PK:
        raise ValidationFailed(f"{ENTERPRISE_PROJECT} {value} is out of range", field=ENTERPRISE_PROJECT)
    return int(value)


def require_business(business: str | None, what: str) -> str:
    if business is None:
        raise ValidationFailed(
            f"{what} needs a business: use an access key created with --biz, or pass {ENTERPRISE_PROJECT}=<bk_biz_id>",
            field=ENTERPRISE_PROJECT,
        )
    return business


def sub_object(body: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if not isinstance(value, dict):
        raise ValidationFailed(f"{name} must be an object", field=name)
    return value


def string_value(body: Mapping[str, Any], name: str, where: str = "") -> str:
    value = body.get(name)
    field = f"{where}.{name}" if where else name
    if not isinstance(value, str) or not value:
        raise ValidationFailed(f"{field} is required and must be a string", field=field)
    return value


def choice(value: str, allowed: Mapping[str, str], field: str) -> str:
    if value not in allowed:
        raise ValidationFailed(f"{field} must be one of {', '.join(allowed)}, not {value!r}", field=field)
    return allowed[value]


def string_list(body: Mapping[str, Any], name: str, where: str, *, limit: int = 100) -> list[str]:
    """A required non-empty list of strings (numbers are accepted as their text)."""
    value = body.get(name)
    field = f"{where}.{name}"
    if not isinstance(value, list) or not value:
        raise ValidationFailed(f"{field} must be a non-empty array", field=field)
    if len(value) > limit:
        raise ValidationFailed(f"{field} has more than {limit} items", field=field)
    items = []
    for index, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise ValidationFailed(f"{field}[{index}] must be a string", field=field)
        items.append(str(item))
    return items


def numeric_ids(values: list[str], field: str, kind: str) -> list[str]:
    """Our numeric ids (bk_set_id, file_id) as global ids of `kind`."""
    ids = []
    for value in values:
        if not value.isdigit() or not 0 < int(value) <= MAX_PK:
            raise ValidationFailed(f"{field} holds {value!r}, which is not a {kind} id", field=field)
        ids.append(encode_global_id(kind, int(value)))
    return ids
