"""bk `monitor` uptime checks: import_uptime_check_node and import_uptime_check_task (`code: "0"`,
`{success: {total, detail}, failed: {total, detail: [... error_mes]}}`) and
export_uptime_check_task (`code: 200`, a list of task configs).

export_uptime_check_task's business parameter is `biz_id` in its doc (not `bk_biz_id`); both are
read. Its doc describes `data` as {bk_biz_id, conf_list} but its example returns the list of task
configs: we answer the example's shape.
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk.monitor.common import GET, INT_200, POST, STRING_ZERO, id_list, monitor_route, run
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import raise_user_errors
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.ids import encode_global_id
from opsgraph.core.settings import Settings


def _business(params: Params, *names: str) -> int:
    for name in names:
        if params.has(name):
            return params.get_int(name)
    raise ValidationFailed(f"{names[0]} is required", field=names[0], code="MISSING_FIELD")


@monitor_route("import_uptime_check_node", methods=POST, code=STRING_ZERO, summary="Import uptime check nodes")
async def import_uptime_check_node(params: Params, principal: Principal, settings: Settings) -> Any:
    business = params.get_int("bk_biz_id", required=False)
    variables = {
        "input": {
            "confList": params.get_list("conf_list"),
            "businessId": encode_global_id("Business", business) if business is not None else None,
        }
    }
    payload = (await run(__name__, "import_uptime_nodes.graphql", variables, principal, settings))["importUptimeNodes"]
    raise_user_errors(payload)
    return payload["result"]


@monitor_route("import_uptime_check_task", methods=POST, code=STRING_ZERO, summary="Import uptime check tasks")
async def import_uptime_check_task(params: Params, principal: Principal, settings: Settings) -> Any:
    variables = {
        "input": {
            "businessId": encode_global_id("Business", _business(params, "bk_biz_id", "biz_id")),
            "confList": params.get_list("conf_list"),
        }
    }
    payload = (await run(__name__, "import_uptime_tasks.graphql", variables, principal, settings))["importUptimeTasks"]
    raise_user_errors(payload)
    return payload["result"]


@monitor_route("export_uptime_check_task", methods=GET, code=INT_200, summary="Uptime task configs (import shape)")
async def export_uptime_check_task(params: Params, principal: Principal, settings: Settings) -> Any:
    needed = params.get_int("node_conf_needed", 1, required=False)
    if needed not in (0, 1):
        raise ValidationFailed("node_conf_needed must be 0 or 1", field="node_conf_needed")
    protocol = params.get_str("protocol", required=False)
    if protocol and protocol.upper() not in ("TCP", "UDP", "HTTP"):
        raise ValidationFailed("protocol must be TCP, UDP or HTTP", field="protocol")
    variables = {
        "businessId": encode_global_id("Business", _business(params, "biz_id", "bk_biz_id")),
        "protocol": protocol.upper() if protocol else None,
        "taskIds": id_list(params, "task_ids", required=False),
        "withNodes": bool(needed),
    }
    return (await run(__name__, "export_uptime_tasks.graphql", variables, principal, settings))["exportUptimeTasks"]
