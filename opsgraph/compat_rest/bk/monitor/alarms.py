"""bk `monitor` alarms: alarm_instance, get_alarms (page/page_size → {total, result}) and
list_alarm_instance (DRF style: `data` is the list, `_meta: {count, previous, next}` at top level).

get_alarms takes Django-style lookups on most fields (source_time__gte, alarm_type__in=cpu,net,
level__in, alarm_content__contains, user_status__in, status__in); an unknown lookup is refused
with its name rather than ignored. Its doc marks `source_time` required, but its own examples send
only source_time__gte/__lte: any of them, or none, is accepted.
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk.envelope import BkReply
from opsgraph.compat_rest.bk.monitor.alarm_shape import v2_alarm
from opsgraph.compat_rest.bk.monitor.common import GET, STRING_ZERO, id_list, monitor_route, parse_time, run, text_list
from opsgraph.compat_rest.bk.params import Params, to_int
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, PermissionDenied, ValidationFailed
from opsgraph.core.ids import encode_global_id
from opsgraph.core.settings import Settings

_V2_STATUS = {"success": "ABNORMAL", "shield": "ABNORMAL", "recovered": "RECOVERED", "closed": "CLOSED"}
_GET_ALARMS_KEYS = {
    "bk_biz_id",
    "source_time",
    "source_time__gte",
    "source_time__lte",
    "source_time__gt",
    "source_time__lt",
    "id",
    "id__in",
    "alarm_type",
    "alarm_type__in",
    "level",
    "level__in",
    "alarm_content__contains",
    "alarm_contentcontains",
    "user_status",
    "user_status__in",
    "status",
    "status__in",
    "extend_fields",
    "ordering",
    "page",
    "page_size",
    "ip",
    "bk_cloud_id",
    "bk_supplier_id",
}
_EXTEND = {"begin_time", "end_time", "finish_time", "original_alarm", "origin_alarm"}


def _statuses(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    statuses = []
    for value in values:
        mapped = _V2_STATUS.get(value.lower()) or (value.upper() if value.upper() in _V2_STATUS.values() else None)
        if mapped is None:
            raise ValidationFailed(f"status {value!r} is not one of {', '.join(_V2_STATUS)}", field="status")
        statuses.append(mapped)
    return statuses


def _notified(values: list[str] | None) -> bool | None:
    wanted = set(values or ["notified", "unnotified"])
    unknown = wanted - {"notified", "unnotified"}
    if unknown:
        raise ValidationFailed(f"user_status {sorted(unknown)[0]!r} is not notified or unnotified", field="user_status")
    return None if len(wanted) == 2 else "notified" in wanted


def _filter(params: Params, *, business: int | None) -> dict[str, Any]:
    start = parse_time(params, "source_time__gte") or parse_time(params, "source_time__gt")
    end = parse_time(params, "source_time__lte") or parse_time(params, "source_time__lt")
    exact = parse_time(params, "source_time")
    if exact is not None:
        start = end = exact
    levels = [to_int(v, "level") for v in (text_list(params, "level__in") or text_list(params, "level") or [])]
    ids = id_list(params, "id__in", required=False) or id_list(params, "id", required=False)
    spec: dict[str, Any] = {
        "businessIds": [encode_global_id("Business", business)] if business is not None else None,
        "alarmIds": [encode_global_id("Alarm", i) for i in ids] if ids else None,
        "alarmTypes": text_list(params, "alarm_type__in") or text_list(params, "alarm_type"),
        "levels": levels or None,
        "statuses": _statuses(text_list(params, "status__in") or text_list(params, "status")),
        "notified": _notified(text_list(params, "user_status__in") or text_list(params, "user_status")),
        "contentContains": params.get_str("alarm_content__contains", required=False)
        or params.get_str("alarm_contentcontains", required=False),
        "ip": params.get_str("ip", required=False),
        "bkCloudId": params.get_int("bk_cloud_id", required=False),
        "sourceTimeFrom": start.isoformat() if start else None,
        "sourceTimeTo": end.isoformat() if end else None,
    }
    return {k: v for k, v in spec.items() if v is not None}


async def _search(
    filter_spec: dict[str, Any], ordering: str, offset: int, limit: int, principal: Principal, settings: Settings
) -> dict[str, Any]:
    variables = {"input": {"filter": filter_spec, "ordering": ordering, "offset": offset, "limit": limit}}
    result: dict[str, Any] = (await run(__name__, "search_alarms.graphql", variables, principal, settings))[
        "searchAlarms"
    ]
    return result


@monitor_route("alarm_instance", methods=GET, code=STRING_ZERO, summary="One alarm by id, with its snapshots")
async def alarm_instance(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    alarm_id = params.get_int("id")
    found = await _search({"alarmIds": [encode_global_id("Alarm", alarm_id)]}, "id", 0, 1, principal, settings)
    if not found["items"]:
        raise NotFound(f"alarm {alarm_id} does not exist", field="id")
    return v2_alarm(found["items"][0], full=True)


@monitor_route("get_alarms", methods=GET, code=STRING_ZERO, summary="Alarms filtered by v2 lookups → {total, result}")
async def get_alarms(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    unknown = sorted(set(params) - _GET_ALARMS_KEYS)
    if unknown:
        raise ValidationFailed(f"unsupported filter {unknown[0]!r}", field=unknown[0])
    business = params.get_int("bk_biz_id")
    if not principal.can(business):
        # As bk checks the scope first: the same refusal whether or not the business exists.
        raise PermissionDenied(f"user {principal.username!r} has no permission on business {business}")
    page = params.get_int("page", 1, required=False)
    size = params.get_int("page_size", 5, required=False)
    if page < 1:
        raise ValidationFailed("page must be at least 1", field="page")
    extend = set(text_list(params, "extend_fields") or [])
    if extend - _EXTEND:
        raise ValidationFailed(f"extend_fields may name {', '.join(sorted(_EXTEND))}", field="extend_fields")
    found = await _search(
        _filter(params, business=business),
        params.get_str("ordering", "id", required=False),
        (page - 1) * size,
        size,
        principal,
        settings,
    )
    result = []
    for item in found["items"]:
        full = v2_alarm(item, full=True)
        brief = v2_alarm(item, full=False)
        for name in extend:
            key = "origin_alarm" if name == "original_alarm" else name
            brief[name] = full.get(key)
        result.append(brief)
    return {"total": found["count"], "result": result}


@monitor_route("list_alarm_instance", methods=GET, code=STRING_ZERO, summary="Alarms, DRF-paged with _meta")
async def list_alarm_instance(params: Params, principal: Principal, settings: Settings) -> BkReply:
    # Paging is undocumented: DRF's limit/offset and page/page_size are both read.
    limit = params.get_int("limit", 0, required=False) or params.get_int("page_size", 100, required=False)
    offset = params.get_int("offset", required=False)
    if offset is None:
        offset = (params.get_int("page", 1, required=False) - 1) * limit
    if offset < 0:
        raise ValidationFailed("offset must not be negative", field="offset")
    spec = _filter(params, business=params.get_int("bk_biz_id", required=False))
    event_id = params.get_str("event_id", required=False)
    if event_id:
        # Our event ids are the origin followed by the alarm id (alarm_shape.v2_alarm).
        number = event_id.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ_")
        spec["alarmIds"] = [encode_global_id("Alarm", int(number))] if number.isdigit() and int(number) < 2**31 else []
    found = await _search(spec, "id", offset, limit, principal, settings)
    items = [v2_alarm(item, full=True) for item in found["items"]]
    following = offset + limit < found["count"]
    meta = {
        "count": found["count"],
        "previous": None if offset == 0 else {"offset": max(offset - limit, 0), "limit": limit},
        "next": {"offset": offset + limit, "limit": limit} if following else None,
    }
    return BkReply(data=items, extra={"_meta": meta})
