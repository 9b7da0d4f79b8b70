"""Property ids (bk-cmdb's `bk_property_id`) of the mainline objects and the columns behind them.

Property ids are the one vocabulary shared by GraphQL conditions, custom attributes and the
BlueKing dialect: a known id maps to a model column, anything else is a custom attribute kept in
the object's JSON `attributes` column.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

ObjectKind = Literal["biz", "set", "module", "host"]

PROPERTY_COLUMNS: dict[str, dict[str, str]] = {
    "biz": {
        "bk_biz_id": "id",
        "bk_biz_name": "name",
        "bk_biz_maintainer": "maintainer",
        "bk_biz_productor": "productor",
        "bk_biz_developer": "developer",
        "bk_biz_tester": "tester",
        "operator": "operator",
        "time_zone": "time_zone",
        "language": "language",
        "life_cycle": "life_cycle",
        "default": "default",
        "create_time": "created_at",
        "last_time": "updated_at",
    },
    "set": {
        "bk_set_id": "id",
        "bk_set_name": "name",
        "bk_biz_id": "business_id",
        "bk_parent_id": "parent_id",
        "default": "default",
        "bk_set_env": "set_env",
        "bk_service_status": "service_status",
        "bk_capacity": "capacity",
        "bk_set_desc": "description",
        "description": "description",
        "create_time": "created_at",
        "last_time": "updated_at",
    },
    "module": {
        "bk_module_id": "id",
        "bk_module_name": "name",
        "bk_set_id": "set_id",
        "bk_parent_id": "set_id",
        "bk_biz_id": "business_id",
        "default": "default",
        "bk_module_type": "module_type",
        "operator": "operator",
        "bk_bak_operator": "bak_operator",
        "create_time": "created_at",
        "last_time": "updated_at",
    },
    "host": {
        "bk_host_id": "id",
        "bk_host_innerip": "inner_ip",
        "bk_host_outerip": "outer_ip",
        "bk_cloud_id": "cloud_area_id",
        "bk_host_name": "host_name",
        "bk_os_type": "os_type",
        "bk_os_name": "os_name",
        "bk_os_version": "os_version",
        "bk_cpu": "cpu",
        "bk_mem": "mem",
        "bk_disk": "disk",
        "bk_sn": "sn",
        "operator": "operator",
        "bk_bak_operator": "bak_operator",
        "bk_comment": "comment",
        "import_from": "import_from",
        "ssh_port": "ssh_port",
        "create_time": "created_at",
        "last_time": "updated_at",
    },
}

# Properties a caller may never set directly: identities, placement and timestamps.
READ_ONLY_PROPERTIES: dict[str, frozenset[str]] = {
    "biz": frozenset({"bk_biz_id", "default", "create_time", "last_time"}),
    "set": frozenset({"bk_set_id", "bk_biz_id", "default", "create_time", "last_time"}),
    "module": frozenset({"bk_module_id", "bk_set_id", "bk_biz_id", "default", "create_time", "last_time"}),
    "host": frozenset({"bk_host_id", "bk_cloud_id", "create_time", "last_time"}),
}

# Columns whose values are integers, for coercing condition values ("3" → 3).
INTEGER_COLUMNS = frozenset(
    {"id", "business_id", "set_id", "parent_id", "default", "capacity", "cloud_area_id", "cpu", "mem", "disk"}
    | {"ssh_port"}
)


def column_for(kind: str, property_id: str) -> str | None:
    return PROPERTY_COLUMNS[kind].get(property_id)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def row_to_properties(kind: str, row: dict[str, Any]) -> dict[str, Any]:
    """A `.values()` row (columns + `attributes`) as a property-id keyed dict."""
    props: dict[str, Any] = dict(row.get("attributes") or {})
    for property_id, column in PROPERTY_COLUMNS[kind].items():
        if column in row:
            props[property_id] = _plain(row[column])
    return props


def split_properties(kind: str, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split caller data into (model columns, custom attributes)."""
    columns: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for key, value in data.items():
        column = PROPERTY_COLUMNS[kind].get(key)
        if column is None:
            custom[key] = value
        else:
            columns[column] = value
    return columns, custom
