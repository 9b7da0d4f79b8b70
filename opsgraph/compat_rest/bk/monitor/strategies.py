"""bk `monitor` strategies and chart data: export_alarm_strategy and import_alarm_strategy
(envelope `code: 200`, partial success per item) and query_data (`code: "0"`).

`prefer_storage` is accepted and ignored: there is one store. The docs' example sends `username`
instead of `bk_username`; it is data here, so it is ignored too.
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk.monitor.common import GET, INT_200, POST, STRING_ZERO, id_list, monitor_route, run
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import raise_user_errors
from opsgraph.core.auth.principal import Principal
from opsgraph.core.ids import encode_global_id
from opsgraph.core.settings import Settings


@monitor_route("export_alarm_strategy", methods=GET, code=INT_200, summary="Monitor sources with strategies")
async def export_alarm_strategy(params: Params, principal: Principal, settings: Settings) -> Any:
    variables = {
        "businessId": encode_global_id("Business", params.get_int("bk_biz_id")),
        "monitorIds": id_list(params, "monitor_ids", required=True),
    }
    return (await run(__name__, "export_alarm_strategy.graphql", variables, principal, settings))[
        "exportAlarmStrategies"
    ]


@monitor_route("import_alarm_strategy", methods=POST, code=INT_200, summary="Create or replace monitor sources")
async def import_alarm_strategy(params: Params, principal: Principal, settings: Settings) -> Any:
    variables = {
        "input": {
            "businessId": encode_global_id("Business", params.get_int("bk_biz_id")),
            "confList": params.get_list("conf_list"),
        }
    }
    payload = (await run(__name__, "import_alarm_strategy.graphql", variables, principal, settings))[
        "importAlarmStrategies"
    ]
    raise_user_errors(payload)
    return payload["result"]


@monitor_route("query_data", methods=POST, code=STRING_ZERO, summary="SQL-like chart query over stored metrics")
async def query_data(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    result = (await run(__name__, "query_data.graphql", {"sql": params.get_str("sql")}, principal, settings))[
        "queryData"
    ]
    return {
        "list": result["rows"],
        "select_fields_order": result["selectFieldsOrder"],
        "totalRecords": result["totalRecords"],
        "timetaken": result["timetaken"],
        "cluster": result["cluster"],
        "device": result["device"],
    }
