"""bk `cc` process ↔ module endpoints. bk-cmdb v3.2 binds a process to a module *name* of its
business (every module of that name). Envelopes differ per endpoint, as documented:
bind_process_module and get_process_bind_module answer `{result, bk_error_code, bk_error_msg}`,
delete_process_module_bind `{result, code, message}`.

Processes are instances of the preset model `process` (create_inst with bk_obj_id "process" and a
bk_biz_id; the answer's bk_inst_id is the bk_process_id).

Example (bkapi-client-core; bkapi-component-open does not declare these):
    client.cc.get_process_bind_module(data={"bk_biz_id": 3, "bk_process_id": 14})
    # data: [{"bk_module_name": "db", "set_num": 2, "is_bind": 1}, ...]
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk import Params
from opsgraph.compat_rest.bk.cc.model_codes import add_model_route
from opsgraph.compat_rest.bk.cc.properties import global_id_param
from opsgraph.compat_rest.bk.cc.written import constant
from opsgraph.core.auth.principal import Principal


def _binding(params: Params, principal: Principal) -> dict[str, Any]:
    return {
        "input": {
            "businessId": global_id_param(params, "bk_biz_id", "biz"),
            "processId": params.get_int("bk_process_id"),
            "moduleName": params.get_str("bk_module_name"),
        }
    }


def _modules(data: dict[str, Any], params: Params) -> list[dict[str, Any]]:
    return [
        {"bk_module_name": item["moduleName"], "set_num": item["setCount"], "is_bind": 1 if item["bound"] else 0}
        for item in data["processModules"]
    ]


add_model_route(
    __name__,
    name="bind_process_module",
    operation="bind_process_module.graphql",
    to_variables=_binding,
    to_data=constant("bindProcessModule", "success"),
    envelope="bk_error_code",
    summary='Bind a process to the modules of that name in its business → "success"',
)
add_model_route(
    __name__,
    name="delete_process_module_bind",
    operation="delete_process_module_bind.graphql",
    to_variables=_binding,
    to_data=constant("unbindProcessModule", "success"),
    summary='Unbind a process from a module name → "success"',
)
add_model_route(
    __name__,
    name="get_process_bind_module",
    methods=frozenset({"GET", "POST"}),
    operation="get_process_bind_module.graphql",
    to_variables=lambda params, principal: {
        "business": global_id_param(params, "bk_biz_id", "biz"),
        "process": params.get_int("bk_process_id"),
    },
    to_data=_modules,
    envelope="bk_error_code",
    summary="The business's module names: set count and whether the process is bound",
)
