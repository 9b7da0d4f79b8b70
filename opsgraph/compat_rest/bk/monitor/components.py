"""bk `monitor` component instances: component_instance (one by id) and list_component_instance
(DRF style `_meta`). Components are what the agents found listening (redis, mysql, nginx…); the
v2 fields are kept (`update_user`/`create_user` are "agent"; `config` is empty: we store none),
with `port` and `status` (running / stopped) added."""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk.envelope import BkReply
from opsgraph.compat_rest.bk.monitor.common import GET, STRING_ZERO, monitor_route, run, v2_time
from opsgraph.compat_rest.bk.params import Params
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.core.ids import encode_global_id
from opsgraph.core.settings import Settings

MAX_LIMIT = 500


def _v2(node: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": node["bkComponentId"],
        "bk_biz_id": node["bkBizId"],
        "bk_cloud_id": node["bkCloudId"],
        "ip": node["ip"],
        "component": node["component"],
        "port": node["port"],
        "status": node["status"],
        "pid": node["pid"],
        "create_user": "agent",
        "create_time": v2_time(node["createdAt"]),
        "update_user": "agent",
        "update_time": v2_time(node["updatedAt"]),
        "is_deleted": False,
        "config": "",
    }


async def _list(spec: dict[str, Any], offset: int, limit: int, principal: Principal, settings: Settings) -> Any:
    """Components after skipping `offset` (keyset pages under the hood)."""
    items: list[dict[str, Any]] = []
    after, skipped, total = None, 0, 0
    while True:
        page = (
            await run(
                __name__,
                "components.graphql",
                {"first": MAX_LIMIT, "after": after, "filter": spec},
                principal,
                settings,
            )
        )["componentInstances"]
        total = page["totalCount"]
        for node in page["nodes"]:
            if skipped < offset:
                skipped += 1
            elif len(items) < limit:
                items.append(_v2(node))
        if len(items) >= limit or not page["pageInfo"]["hasNextPage"]:
            return total, items
        after = page["pageInfo"]["endCursor"]


@monitor_route("component_instance", methods=GET, code=STRING_ZERO, summary="One component instance by id")
async def component_instance(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    component_id = params.get_int("id")
    if not 0 < component_id < 2**31:
        raise NotFound(f"component instance {component_id} does not exist", field="id")
    spec = {"componentIds": [encode_global_id("ComponentInstance", component_id)]}
    _, items = await _list(spec, 0, 1, principal, settings)
    if not items:
        raise NotFound(f"component instance {component_id} does not exist", field="id")
    item: dict[str, Any] = items[0]
    return item


@monitor_route("list_component_instance", methods=GET, code=STRING_ZERO, summary="Component instances with _meta")
async def list_component_instance(params: Params, principal: Principal, settings: Settings) -> BkReply:
    limit = params.get_int("limit", 0, required=False) or params.get_int("page_size", 100, required=False)
    if not 0 < limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    offset = params.get_int("offset", required=False)
    if offset is None:
        offset = (params.get_int("page", 1, required=False) - 1) * limit
    if offset < 0:
        raise ValidationFailed("offset must not be negative", field="offset")
    spec: dict[str, Any] = {}
    if params.has("id"):
        spec["componentIds"] = [encode_global_id("ComponentInstance", params.get_int("id"))]
    if params.has("bk_biz_id"):
        spec["businessId"] = encode_global_id("Business", params.get_int("bk_biz_id"))
    for name, key in (("ip", "ip"), ("component", "component")):
        if params.has(name):
            spec[key] = params.get_str(name)
    if params.has("bk_cloud_id"):
        spec["bkCloudId"] = params.get_int("bk_cloud_id")
    total, items = await _list(spec, offset, limit, principal, settings)
    meta = {
        "count": total,
        "previous": None if offset == 0 else {"offset": max(offset - limit, 0), "limit": limit},
        "next": {"offset": offset + limit, "limit": limit} if offset + limit < total else None,
    }
    return BkReply(data=items, extra={"_meta": meta})
