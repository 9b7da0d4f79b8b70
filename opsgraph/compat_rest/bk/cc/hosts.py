"""Host records: get_host_base_info, update_host, delete_host, add_host_to_resource, clone_host_property.

Each answers with the `data` its doc example shows: update_host and clone_host_property `null`
(update_host's example literally says `none`), delete_host and add_host_to_resource `{}`.
add_host_to_resource is all or nothing: a duplicate IP (in the request or already stored) refuses
the whole import with 1199014 and creates no host.
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES, BkRoute, Params
from opsgraph.compat_rest.bk.cc.host_params import (
    business_gid,
    cloud_area_gid,
    host_ids,
    host_input,
    mutation_data,
    text_list,
)
from opsgraph.compat_rest.bk.cc.properties import DROP_UNKNOWN, global_id_param
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.resolvers.properties import PROPERTY_COLUMNS

# bk-cmdb's display names of the built-in host attributes, in its model order; custom attributes
# follow, named by their id (they have no display name here).
HOST_PROPERTY_NAMES = {
    "bk_host_id": "主机ID",
    "bk_host_innerip": "内网IP",
    "bk_host_outerip": "外网IP",
    "bk_host_name": "主机名称",
    "bk_os_type": "操作系统类型",
    "bk_os_name": "操作系统名称",
    "bk_os_version": "操作系统版本",
    "bk_cpu": "CPU逻辑核心数",
    "bk_mem": "内存容量",
    "bk_disk": "磁盘容量",
    "bk_sn": "设备SN",
    "operator": "主要维护人",
    "bk_bak_operator": "备份维护人",
    "bk_cloud_id": "云区域",
    "bk_comment": "备注",
    "import_from": "录入方式",
    "create_time": "创建时间",
    "last_time": "更新时间",
}


def base_info(properties: dict[str, Any]) -> list[dict[str, Any]]:
    """`[{bk_property_id, bk_property_name, bk_property_value}]`: bk-cmdb's built-ins first, then
    OpsGraph's own host columns, then custom attributes (those two named by their id)."""
    builtin = [p for p in HOST_PROPERTY_NAMES if p in properties]
    columns = sorted(p for p in PROPERTY_COLUMNS["host"] if p in properties and p not in HOST_PROPERTY_NAMES)
    custom = sorted(p for p in properties if p not in HOST_PROPERTY_NAMES and p not in PROPERTY_COLUMNS["host"])
    return [
        {"bk_property_id": p, "bk_property_name": HOST_PROPERTY_NAMES.get(p, p), "bk_property_value": properties[p]}
        for p in builtin + columns + custom
    ]


def _base_info_data(data: dict[str, Any], params: Params) -> list[dict[str, Any]]:
    host = data.get("node")
    if not host:
        # Missing and invisible look alike on purpose: no one learns which host ids exist elsewhere.
        raise NotFound(f"host {params.get_int('bk_host_id')} does not exist", field="bk_host_id")
    return base_info(host["properties"])


def _row_order(key: str) -> tuple[int, str]:
    """Row keys are numbers written as text: "2" sorts before "10"."""
    return (int(key), "") if key.isdigit() else (1 << 62, key)


def _update_variables(params: Params, principal: Principal) -> dict[str, Any]:
    # The doc marks `data` optional, but an update without it changes nothing: refused as missing.
    return {"input": {"hostIds": host_ids(params), "properties": host_input(params, "data"), **DROP_UNKNOWN}}


def _add_variables(params: Params, principal: Principal) -> dict[str, Any]:
    """`host_info` is keyed "0", "1", …; records are taken in key order. A list is accepted too."""
    info = params.get("host_info")
    if isinstance(info, list):
        info = {str(i): record for i, record in enumerate(info)}
    elif info is None:
        raise ValidationFailed("host_info is required", field="host_info", code="MISSING_FIELD")
    elif not isinstance(info, dict):
        raise ValidationFailed("host_info must be an object keyed by row number", field="host_info")
    rows = Params(info, prefix="host_info.")
    hosts = []
    for key in sorted(rows, key=_row_order):
        row = rows.sub(key, required=True)
        row.get_str("bk_host_innerip")  # required; the schema checks it is an address
        # bk_cloud_id is required by the doc; a missing one means the default area, as bk-cmdb's UI does.
        hosts.append({**host_input(rows, key), "cloudAreaId": cloud_area_gid(row)})
    request: dict[str, Any] = {"hosts": hosts, **DROP_UNKNOWN}
    if params.has("bk_biz_id"):
        request["businessId"] = business_gid(params)
    return {"input": request}


def _clone_variables(params: Params, principal: Principal) -> dict[str, Any]:
    source = params.get_str("bk_org_ip").strip()
    if "," in source:
        raise ValidationFailed("bk_org_ip takes a single IP", field="bk_org_ip")
    return {
        "input": {
            "businessId": business_gid(params),
            "sourceIp": source,
            "targetIps": text_list(params, "bk_dst_ip"),
            "cloudAreaId": cloud_area_gid(params),
        }
    }


BK_ROUTES.add(
    BkRoute(
        system="cc",
        name="get_host_base_info",
        methods=frozenset({"GET", "POST"}),  # documented as GET with a JSON body; both work
        operation="host_base_info.graphql",
        package=__name__,
        to_variables=lambda params, principal: {"id": global_id_param(params, "bk_host_id", "host")},
        to_data=_base_info_data,
        summary="One host's properties as id/name/value triples",
    )
)
BK_ROUTES.add(
    BkRoute(
        system="cc",
        name="update_host",
        operation="host_update.graphql",
        package=__name__,
        to_variables=_update_variables,
        to_data=mutation_data("updateHosts", None),
        summary="Set properties on hosts (bk_host_id: comma-separated ids)",
    )
)
BK_ROUTES.add(
    BkRoute(
        system="cc",
        name="delete_host",
        operation="host_delete.graphql",
        package=__name__,
        to_variables=lambda params, principal: {"input": {"hostIds": host_ids(params)}},
        to_data=mutation_data("deleteHosts", {}),
        summary="Delete resource-pool hosts (bk_host_id: comma-separated ids)",
    )
)
BK_ROUTES.add(
    BkRoute(
        system="cc",
        name="add_host_to_resource",
        operation="host_add_to_resource.graphql",
        package=__name__,
        to_variables=_add_variables,
        to_data=mutation_data("addHostsToResourcePool", {}),
        summary="Import hosts into the resource pool (or a business's idle module)",
    )
)
BK_ROUTES.add(
    BkRoute(
        system="cc",
        name="clone_host_property",
        operation="host_clone_properties.graphql",
        package=__name__,
        to_variables=_clone_variables,
        to_data=mutation_data("cloneHostProperties", None),
        summary="Copy one host's properties onto hosts given by IP",
    )
)
