"""bk `cc` set endpoints: create, update, delete, batch delete and search — always within one business.

Results as documented: create → `{bk_set_id}`, update and delete → `{}`, batch_delete_set →
`"success"`, search → `{count, info}`. `update_set` has no path line in the doc; the path comes
from its index entry like every other endpoint's.

Example (bkapi-client-core):
    client.cc.create_set(data={"bk_biz_id": 7, "data": {"bk_parent_id": 7, "bk_set_name": "web"}})
    # data: {"bk_set_id": 12}
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES, BkRoute, Params
from opsgraph.compat_rest.bk.cc.inst_search import DOC_MAX_LIMIT, fetch_rows, info_row, parse_search
from opsgraph.compat_rest.bk.cc.properties import DROP_UNKNOWN, global_id_param, typed_input
from opsgraph.compat_rest.bk.cc.written import constant, created_id
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.settings import Settings

_IGNORED = frozenset({"bk_supplier_account", "bk_parent_id"})


def _check_parent(params: Params, data: Params, *, required: bool) -> None:
    """The mainline here is business → set, so a set's parent is always its business.

    CMDB allows custom levels between them; a parent other than the business would silently put
    the set somewhere the caller did not ask for, so it is refused.
    """
    parent = data.get_int("bk_parent_id") if required else data.get_int("bk_parent_id", required=False)
    business = params.get_int("bk_biz_id")
    if parent is not None and parent != business:
        raise ValidationFailed(
            f"data.bk_parent_id must be the business id {business}, got {parent}: sets sit directly under "
            "their business (there are no custom mainline levels)",
            field="data.bk_parent_id",
        )


def _create_variables(params: Params, principal: Principal) -> dict[str, Any]:
    business_id = global_id_param(params, "bk_biz_id", "biz")
    data = params.sub("data", required=True)
    _check_parent(params, data, required=True)
    # default=1 is the built-in idle pool set: every business gets exactly one when it is created.
    if data.get_int("default", 0, required=False) != 0:
        raise ValidationFailed(
            "data.default must be 0: the built-in set (default=1) is created with its business",
            field="data.default",
        )
    fields = typed_input("set", data, ignore=_IGNORED, required=("bk_set_name",))
    return {"input": {**fields, "businessId": business_id, **DROP_UNKNOWN}}


def _update_variables(params: Params, principal: Principal) -> dict[str, Any]:
    business_id = global_id_param(params, "bk_biz_id", "biz")
    set_id = global_id_param(params, "bk_set_id", "set")
    # `data` is optional in the doc (not required, though nothing changes without it).
    data = params.sub("data")
    _check_parent(params, data, required=False)
    fields = typed_input("set", data, ignore=_IGNORED)
    return {"input": {**fields, "businessId": business_id, "setId": set_id, **DROP_UNKNOWN}}


def _delete_variables(params: Params, principal: Principal) -> dict[str, Any]:
    business_id = global_id_param(params, "bk_biz_id", "biz")
    return {"input": {"businessId": business_id, "setIds": [global_id_param(params, "bk_set_id", "set")]}}


def _batch_delete_variables(params: Params, principal: Principal) -> dict[str, Any]:
    business_id = global_id_param(params, "bk_biz_id", "biz")
    # The doc contradicts itself: its table puts `inst_ids` at the top level, its example nests it
    # as {"delete": {"inst_ids": [...]}}. Both are accepted; the top level wins when both are sent.
    source = params if params.has("inst_ids") or not params.has("delete") else params.sub("delete")
    ids = source.get_int_list("inst_ids")
    return {"input": {"businessId": business_id, "setIds": [_set_global_id(source, i, v) for i, v in enumerate(ids)]}}


def _set_global_id(source: Params, index: int, value: int) -> str:
    return global_id_param(Params({"id": value}, prefix=f"{source.field('inst_ids')}[{index}]."), "id", "set")


BK_ROUTES.add(
    BkRoute(
        system="cc",
        name="create_set",
        operation="create_set.graphql",
        package=__name__,
        to_variables=_create_variables,
        to_data=created_id("createSet", "set", "bkSetId", "bk_set_id"),
        summary="Create a set under a business → {bk_set_id}",
    )
)
BK_ROUTES.add(
    BkRoute(
        system="cc",
        name="update_set",
        operation="update_set.graphql",
        package=__name__,
        to_variables=_update_variables,
        to_data=constant("updateSet", {}),
        summary="Update some properties of a set → {}",
    )
)
BK_ROUTES.add(
    BkRoute(
        system="cc",
        name="delete_set",
        operation="delete_sets.graphql",
        package=__name__,
        to_variables=_delete_variables,
        to_data=constant("deleteSets", {}),
        summary="Delete a set (and its modules) that holds no hosts → {}",
    )
)
BK_ROUTES.add(
    BkRoute(
        system="cc",
        name="batch_delete_set",
        operation="delete_sets.graphql",
        package=__name__,
        to_variables=_batch_delete_variables,
        to_data=constant("deleteSets", "success"),
        summary='Delete several sets of a business, all or nothing → "success"',
    )
)


@BK_ROUTES.handler("cc", "search_set")
async def search_set(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    """Search the sets of a business by an equality condition, with fields and paging → {count, info}."""
    business_id = global_id_param(params, "bk_biz_id", "biz")
    search = parse_search(params, page_required=True, max_limit=DOC_MAX_LIMIT)
    document = load_operation(__name__, "search_set.graphql")

    async def fetch(start: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        variables = {"input": search.input(start, limit, businessId=business_id)}
        result = (await run_operation(document, variables, principal, settings))["searchSets"]
        return result["count"], result["items"]

    count, items = await fetch_rows(search, fetch)
    return {"count": count, "info": [info_row(item["properties"], search.fields) for item in items]}
