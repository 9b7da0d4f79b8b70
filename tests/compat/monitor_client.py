"""A bkapi-client-core client for the BlueKing monitor v2 endpoints (`/api/c/compapi/v2/monitor/…`):
the published `bkapi-component-open` declares only `monitor_v3`, so these are declared here, the way
real apps declare legacy endpoints (reference/real_clients_on_the_wire.md §1.5)."""

from __future__ import annotations

from typing import Any

from bkapi_client_core.esb import ESBClient, Operation, OperationGroup, bind_property

MONITOR_GET = [
    "alarm_instance",
    "component_instance",
    "export_alarm_strategy",
    "export_log_collector",
    "export_script_collector",
    "export_uptime_check_task",
    "get_alarms",
    "list_alarm_instance",
    "list_component_instance",
]
MONITOR_POST = [
    "deploy_script_collector",
    "import_alarm_strategy",
    "import_log_collector",
    "import_script_collector",
    "import_uptime_check_node",
    "import_uptime_check_task",
    "query_data",
]


def _group() -> type[OperationGroup]:
    attributes: dict[str, Any] = {}
    for name, method in [*((n, "GET") for n in MONITOR_GET), *((n, "POST") for n in MONITOR_POST)]:
        path = f"/api/c/compapi{{bk_api_ver}}/monitor/{name}/"
        attributes[name] = bind_property(Operation, name=name, method=method, path=path)
    return type("MonitorGroup", (OperationGroup,), attributes)


class MonitorClient(ESBClient):  # type: ignore[misc]
    monitor = bind_property(_group(), name="monitor")


def monitor_client(base_url: str, *, app_code: str, app_secret: str, username: str) -> MonitorClient:
    client = MonitorClient(endpoint=base_url, bk_api_ver="v2")
    client.update_bkapi_authorization(bk_app_code=app_code, bk_app_secret=app_secret, bk_username=username)
    return client
