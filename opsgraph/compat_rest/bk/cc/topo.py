"""bk `cc` topology endpoints: a business's instance tree and the mainline object chain.

search_biz_inst_topo answers `[{bk_inst_id, bk_inst_name, bk_obj_id, bk_obj_name, bk_obj_icon,
default, child: [...]}]`: the business, its sets, their modules (hosts are never in the tree).
get_mainline_object_topo answers the biz → set → module → host chain in the `bk_error_code`
envelope, as documented.

Example (bkapi-client-core, GET puts the parameters in the query string):
    client.cc.search_biz_inst_topo(data={"bk_biz_id": 7, "level": -1})
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES, BkRoute, Params
from opsgraph.compat_rest.bk.cc.inst_search import SUPPLIER_ACCOUNT, every_page
from opsgraph.compat_rest.bk.cc.properties import MODULE_DEFAULT_FLAG, global_id_param
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.settings import Settings

GET_AND_POST = frozenset({"GET", "POST"})
# `level` is a 0-based depth: 0 business, 1 sets, 2 modules (the default); -1 means everything.
_DEFAULT_LEVEL = 2
_SET_LEVEL = 1
_MODULE_LEVEL = 2
# Sets and modules are read as flat lists, a search page (the GraphQL cap, 500) at a time, and the
# tree is assembled here: two or three small queries for a typical business, and a query cost that
# does not multiply sets by modules.
_PAGE = 500
# bk-cmdb's built-in model icons, which the doc lists as `bk_obj_icon`.
_ICONS = {"biz": "icon-cc-business", "set": "icon-cc-set", "module": "icon-cc-module", "host": "icon-cc-host"}
# bk-cmdb leaves the built-in idle pool set (and its modules) out unless asked (`with_default`);
# get_biz_internal_module is for those. Ordinary sets and modules have default=0.
_ORDINARY = {"default": 0}


def _node(obj_id: str, names: dict[str, str], inst_id: int, name: str, default: int) -> dict[str, Any]:
    return {
        "bk_inst_id": inst_id,
        "bk_inst_name": name,
        "bk_obj_id": obj_id,
        "bk_obj_name": names.get(obj_id, obj_id),
        "bk_obj_icon": _ICONS[obj_id],
        "default": default,
        "child": [],
    }


def _sorted(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # bk-cmdb sorts every level by instance name (SortTopoInst, comparing GBK bytes); code-point
    # order is the same for ASCII names and close enough for CJK ones.
    for node in nodes:
        node["child"] = _sorted(node["child"])
    return sorted(nodes, key=lambda n: (n["bk_inst_name"], n["bk_inst_id"]))


# The doc's example answers message "success" here (most endpoints answer "").
@BK_ROUTES.handler("cc", "search_biz_inst_topo", methods=GET_AND_POST, success_message="success")
async def search_biz_inst_topo(params: Params, principal: Principal, settings: Settings) -> list[dict[str, Any]]:
    """A business's instance tree: business → sets → modules, cut at `level` (default 2, -1 = all)."""
    bk_biz_id = params.get_int("bk_biz_id")
    business_id = global_id_param(params, "bk_biz_id", "biz")
    level = params.get_int("level", _DEFAULT_LEVEL, required=False)
    if level < -1:
        raise ValidationFailed(f"level must be -1 (everything) or a depth from 0, got {level}", field="level")
    equals = None if params.get_bool("with_default", False, required=False) else _ORDINARY
    sets_document = load_operation(__name__, "search_biz_inst_topo.graphql")
    modules_document = load_operation(__name__, "search_biz_inst_topo_modules.graphql")
    page = {"businessId": business_id, "equals": equals, "limit": _PAGE}

    async def sets_page(start: int) -> dict[str, Any]:
        variables = {**page, "bkBizId": bk_biz_id, "start": start}
        return await run_operation(sets_document, variables, principal, settings)

    async def more_sets(start: int) -> tuple[int, list[dict[str, Any]]]:
        result = (await sets_page(start))["searchSets"]
        return result["count"], result["items"]

    async def modules_page(start: int) -> tuple[int, list[dict[str, Any]]]:
        result = (await run_operation(modules_document, {**page, "start": start}, principal, settings))["searchModules"]
        return result["count"], result["items"]

    # The first set page also carries the business and the object names. Level 0 still reads it:
    # it is what refuses an unknown or forbidden business.
    first = await sets_page(0)
    names = {o["objId"]: o["objName"] for o in first["mainlineObjects"]}
    business = first["business"]
    root = _node("biz", names, business["bkBizId"], business["name"], 1 if business["isResourcePool"] else 0)
    if level != -1 and level < _SET_LEVEL:
        return [root]
    sets = await every_page(more_sets, (first["searchSets"]["count"], first["searchSets"]["items"]))
    set_nodes = {s["bkSetId"]: _node("set", names, s["bkSetId"], s["name"], 1 if s["isBuiltin"] else 0) for s in sets}
    root["child"] = list(set_nodes.values())
    if level != -1 and level < _MODULE_LEVEL:
        return _sorted([root])
    for module in await every_page(modules_page, await modules_page(0)):
        parent = set_nodes.get(module["bkSetId"])
        if parent is not None:  # its set was created after the set pages were read
            flag = MODULE_DEFAULT_FLAG[module["builtin"]]
            parent["child"].append(_node("module", names, module["bkModuleId"], module["name"], flag))
    return _sorted([root])


def _mainline(data: dict[str, Any], params: Params) -> list[dict[str, str]]:
    chain = data["mainlineObjects"]
    names = {o["objId"]: o["objName"] for o in chain}
    return [
        {
            "bk_obj_id": o["objId"],
            "bk_obj_name": o["objName"],
            "bk_supplier_account": SUPPLIER_ACCOUNT,
            "bk_next_obj": o["nextObj"],
            "bk_next_name": names.get(o["nextObj"], ""),
            "bk_pre_obj_id": o["preObjId"],
            "bk_pre_obj_name": names.get(o["preObjId"], ""),
        }
        for o in chain
    ]


BK_ROUTES.add(
    BkRoute(
        system="cc",
        name="get_mainline_object_topo",
        # Documented as GET with a JSON body; POST is accepted for callers that send it as one.
        methods=GET_AND_POST,
        operation="get_mainline_object_topo.graphql",
        package=__name__,
        to_data=_mainline,
        envelope="bk_error_code",
        success_message="success",
        summary="The mainline object chain biz → set → module → host",
    )
)
