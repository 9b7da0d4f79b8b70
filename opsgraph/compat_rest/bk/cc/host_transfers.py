"""Moving hosts: transfer_host_module, the idle/fault/resource-pool verbs and transfer_sethost_to_idle_module.

The rules are bk-cmdb's (upstream_semantics.md §1) and live in the schema; this module only
translates. What a caller sees when one is broken (error_codes.py):
- 1113004: a target module is not in the business;
- 1113005: a built-in module (idle/fault/recycle) among several targets, or with is_increment;
- 1113002: a host belongs to another business;
- 1110056: returning to the pool a host that still sits in an ordinary module, or assigning a
  host that is not in the pool.
Every verb answers `data: {}` as documented, except transfer_sethost_to_idle_module, whose doc
example answers the misspelt `"sucess"`, reproduced verbatim for clients that compare it.
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES, BkRoute, Params
from opsgraph.compat_rest.bk.cc.host_params import business_gid, host_ids, id_list, mutation_data, optional_gid
from opsgraph.compat_rest.bk.cc.properties import global_id_param
from opsgraph.compat_rest.bk.routes import VariablesAdapter
from opsgraph.core.auth.principal import Principal

SETHOST_ANSWER = "sucess"  # sic: transfer_sethost_to_idle_module's documented data


def _hosts_of_business(params: Params) -> dict[str, Any]:
    return {"businessId": business_gid(params), "hostIds": host_ids(params)}


def _transfer_module_variables(params: Params, principal: Principal) -> dict[str, Any]:
    # The doc contradicts itself on is_increment ("overwrite or append, deletes the original
    # relations; true = update, false = overwrite"). bk-cmdb's code and its later docs settle it:
    # true appends the modules to the hosts' current ones, false replaces them. It is "required",
    # but bk-cmdb defaults it to false, and "true"/"false" strings are taken as booleans.
    module_ids = id_list(params, "bk_module_id", "module")
    append = params.get_bool("is_increment", False)
    return {"input": {**_hosts_of_business(params), "moduleIds": module_ids, "append": append}}


def _builtin_variables(kind: str) -> VariablesAdapter:
    def to_variables(params: Params, principal: Principal) -> dict[str, Any]:
        return {"input": {**_hosts_of_business(params), "module": kind}}

    return to_variables


def _assign_variables(params: Params, principal: Principal) -> dict[str, Any]:
    return {"input": _hosts_of_business(params)}


def _return_variables(params: Params, principal: Principal) -> dict[str, Any]:
    request = _hosts_of_business(params)
    # Not in the doc, but bk-cmdb takes an optional target module of the pool (default: its idle one).
    request["moduleId"] = optional_gid(params, "bk_module_id", "module")
    return {"input": request}


def _sethost_variables(params: Params, principal: Principal) -> dict[str, Any]:
    request: dict[str, Any] = {
        "businessId": business_gid(params),
        "setId": global_id_param(params, "bk_set_id", "set"),
    }
    # bk_module_id is "required", yet the endpoint empties a set *or* a module: 0 or no module
    # empties the whole set.
    request["moduleId"] = optional_gid(params, "bk_module_id", "module")
    return {"input": request}


def _route(
    name: str, operation: str, to_variables: VariablesAdapter, payload: str, answer: Any, summary: str
) -> BkRoute:
    return BkRoute(
        system="cc",
        name=name,
        operation=operation,
        package=__name__,
        to_variables=to_variables,
        to_data=mutation_data(payload, answer),
        summary=summary,
    )


for _row in (
    _route(
        "transfer_host_module",
        "host_transfer_modules.graphql",
        _transfer_module_variables,
        "transferHostsToModules",
        {},
        "Move hosts to modules of their business (is_increment: true appends, false replaces)",
    ),
    _route(
        "transfer_host_to_idlemodule",
        "host_transfer_builtin.graphql",
        _builtin_variables("IDLE"),
        "transferHostsToBuiltinModule",
        {},
        "Move hosts into their business's idle module",
    ),
    _route(
        "transfer_host_to_faultmodule",
        "host_transfer_builtin.graphql",
        _builtin_variables("FAULT"),
        "transferHostsToBuiltinModule",
        {},
        "Move hosts into their business's fault module",
    ),
    _route(
        "transfer_host_to_resourcemodule",
        "host_return_to_pool.graphql",
        _return_variables,
        "returnHostsToResourcePool",
        {},
        "Return idle/fault/recycle hosts of a business to the resource pool",
    ),
    _route(
        "transfer_resourcehost_to_idlemodule",
        "host_assign_to_business.graphql",
        _assign_variables,
        "assignHostsToBusiness",
        {},
        "Assign resource-pool hosts to a business's idle module",
    ),
    _route(
        "transfer_sethost_to_idle_module",
        "host_empty_to_idle.graphql",
        _sethost_variables,
        "emptyHostsToIdleModule",
        SETHOST_ANSWER,
        "Empty a set (or one of its modules) into the business's idle module",
    ),
):
    BK_ROUTES.add(_row)
