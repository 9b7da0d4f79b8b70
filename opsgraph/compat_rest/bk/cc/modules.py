"""bk `cc` module endpoints: create, update, delete, search, and a business's built-in modules.

A module is addressed by its full path (`bk_biz_id`, `bk_set_id`, `bk_module_id`). Results as
documented: create → `{bk_module_id}`, update and delete → `{}`, search → `{count, info}`,
get_biz_internal_module → `{bk_set_id, bk_set_name, module: [...]}`.

Example (bkapi-client-core):
    client.cc.create_module(data={"bk_biz_id": 7, "bk_set_id": 12,
                                  "data": {"bk_parent_id": 12, "bk_module_name": "nginx"}})
    # data: {"bk_module_id": 40}
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES, BkRoute, Params
from opsgraph.compat_rest.bk.cc.inst_search import GRAPHQL_MAX_LIMIT, fetch_rows, info_row, parse_search
from opsgraph.compat_rest.bk.cc.properties import DROP_UNKNOWN, MODULE_DEFAULT_FLAG, global_id_param, typed_input
from opsgraph.compat_rest.bk.cc.written import constant, created_id
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.settings import Settings

_IGNORED = frozenset({"bk_supplier_account", "bk_parent_id"})
# The built-in set holds exactly idle, fault and recycle: one page always has them all.
_BUILTIN_MODULES_PAGE = 10


def _path(params: Params, *, module: bool) -> dict[str, str]:
    ids = {
        "businessId": global_id_param(params, "bk_biz_id", "biz"),
        "setId": global_id_param(params, "bk_set_id", "set"),
    }
    if module:
        ids["moduleId"] = global_id_param(params, "bk_module_id", "module")
    return ids


def _check_parent(params: Params, data: Params, *, required: bool) -> None:
    """A module's parent is its set (`bk_parent_id` = `bk_set_id`); moving a module is not offered."""
    parent = data.get_int("bk_parent_id") if required else data.get_int("bk_parent_id", required=False)
    set_id = params.get_int("bk_set_id")
    if parent is not None and parent != set_id:
        raise ValidationFailed(
            f"data.bk_parent_id must be the set id {set_id}, got {parent}", field="data.bk_parent_id"
        )


def _create_variables(params: Params, principal: Principal) -> dict[str, Any]:
    path = _path(params, module=False)
    data = params.sub("data", required=True)
    _check_parent(params, data, required=True)
    fields = typed_input("module", data, ignore=_IGNORED, required=("bk_module_name",))
    return {"input": {**fields, **path, **DROP_UNKNOWN}}


def _update_variables(params: Params, principal: Principal) -> dict[str, Any]:
    path = _path(params, module=True)
    data = params.sub("data", required=True)
    _check_parent(params, data, required=False)
    return {"input": {**typed_input("module", data, ignore=_IGNORED), **path, **DROP_UNKNOWN}}


BK_ROUTES.add(
    BkRoute(
        system="cc",
        name="create_module",
        operation="create_module.graphql",
        package=__name__,
        to_variables=_create_variables,
        to_data=created_id("createModule", "module", "bkModuleId", "bk_module_id"),
        summary="Create a module in a set → {bk_module_id}",
    )
)
BK_ROUTES.add(
    BkRoute(
        system="cc",
        name="update_module",
        operation="update_module.graphql",
        package=__name__,
        to_variables=_update_variables,
        to_data=constant("updateModule", {}),
        summary="Update some properties of a module → {}",
    )
)
BK_ROUTES.add(
    BkRoute(
        system="cc",
        name="delete_module",
        operation="delete_module.graphql",
        package=__name__,
        to_variables=lambda params, principal: {"input": _path(params, module=True)},
        to_data=constant("deleteModule", {}),
        summary="Delete a module that holds no hosts → {}",
    )
)


@BK_ROUTES.handler("cc", "search_module")
async def search_module(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    """Search the modules of one set by an equality condition, with fields and paging → {count, info}."""
    path = _path(params, module=False)
    # search_module documents no page.limit maximum (its siblings say 200): the GraphQL cap applies.
    search = parse_search(params, page_required=True, max_limit=GRAPHQL_MAX_LIMIT)
    document = load_operation(__name__, "search_module.graphql")

    async def fetch(start: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        variables = {"input": search.input(start, limit, **path)}
        result = (await run_operation(document, variables, principal, settings))["searchModules"]
        return result["count"], result["items"]

    count, items = await fetch_rows(search, fetch)
    return {"count": count, "info": [info_row(item["properties"], search.fields) for item in items]}


@BK_ROUTES.handler("cc", "get_biz_internal_module", methods=frozenset({"GET", "POST"}))
async def get_biz_internal_module(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    """The business's idle pool set with its idle, fault and recycle modules."""
    variables = {
        "businessId": global_id_param(params, "bk_biz_id", "biz"),
        "moduleFirst": min(_BUILTIN_MODULES_PAGE, settings.max_page_size),
    }
    data = await run_operation(
        load_operation(__name__, "get_biz_internal_module.graphql"), variables, principal, settings
    )
    (idle_set,) = data["searchSets"]["items"]  # every business has exactly one built-in set
    # The doc names no key for the module list; `module` is bk-cmdb's (and the doc's "MODULE" table).
    # bk-cmdb also returns each module's `default` (1 idle, 2 fault, 3 recycle); we do too.
    modules = [
        {"bk_module_id": m["bkModuleId"], "bk_module_name": m["name"], "default": MODULE_DEFAULT_FLAG[m["builtin"]]}
        for m in idle_set["modules"]["nodes"]
    ]
    return {"bk_set_id": idle_set["bkSetId"], "bk_set_name": idle_set["name"], "module": modules}
