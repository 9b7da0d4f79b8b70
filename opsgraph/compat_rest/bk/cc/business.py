"""bk `cc` business endpoints: create, update, enable/disable, delete and search.

Written results follow the doc exactly: create → `{bk_biz_id}`, update and delete → `{}`,
update_business_enable_status → `"success"`, search → `{count, info}`.

Example (bkapi-client-core):
    client.cc.create_business(data={"bk_supplier_account": "0", "data": {"bk_biz_name": "shop", ...}})
    # {"result": true, "code": 0, "message": "", "data": {"bk_biz_id": 7}, ...}
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES, BkRoute, Params
from opsgraph.compat_rest.bk.cc.inst_search import DOC_MAX_LIMIT, fetch_rows, info_row, parse_search
from opsgraph.compat_rest.bk.cc.properties import DROP_UNKNOWN, global_id_param, typed_input
from opsgraph.compat_rest.bk.cc.written import constant, created_id
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.settings import Settings

# create_business marks all of these required (the rest of `data` is model-defined attributes).
_CREATE_REQUIRED = (
    "bk_biz_name",
    "bk_biz_maintainer",
    "bk_biz_productor",
    "bk_biz_developer",
    "bk_biz_tester",
    "time_zone",
)
# Accepted and ignored wherever it appears: a single-tenant install has one supplier account.
_IGNORED = frozenset({"bk_supplier_account"})
# bk-cmdb's spelling of a business's archive flag; note the asymmetric "enable" / "disabled".
_STATUS_FLAGS = {"enable": True, "disabled": False}
_STATUS_PROPERTY = "bk_data_status"


def _business_id(params: Params) -> str:
    return global_id_param(params, "bk_biz_id", "biz")


def _create_variables(params: Params, principal: Principal) -> dict[str, Any]:
    data = params.sub("data", required=True)
    return {"input": {**typed_input("biz", data, ignore=_IGNORED, required=_CREATE_REQUIRED), **DROP_UNKNOWN}}


def _update_variables(params: Params, principal: Principal) -> dict[str, Any]:
    business_id = _business_id(params)
    data = params.sub("data", required=True)
    return {"input": {**typed_input("biz", data, ignore=_IGNORED), "businessId": business_id, **DROP_UNKNOWN}}


def _status_variables(params: Params, principal: Principal) -> dict[str, Any]:
    business_id = _business_id(params)
    flag = params.get_str("flag")
    if flag not in _STATUS_FLAGS:
        raise ValidationFailed(f"flag must be 'enable' or 'disabled', got {flag!r}", field="flag")
    return {"input": {"businessId": business_id, "enabled": _STATUS_FLAGS[flag]}}


BK_ROUTES.add(
    BkRoute(
        system="cc",
        name="create_business",
        operation="create_business.graphql",
        package=__name__,
        to_variables=_create_variables,
        to_data=created_id("createBusiness", "business", "bkBizId", "bk_biz_id"),
        summary="Create a business (with its idle pool set) → {bk_biz_id}",
    )
)
BK_ROUTES.add(
    BkRoute(
        system="cc",
        name="update_business",
        operation="update_business.graphql",
        package=__name__,
        to_variables=_update_variables,
        to_data=constant("updateBusiness", {}),
        summary="Update some properties of a business → {}",
    )
)
BK_ROUTES.add(
    BkRoute(
        system="cc",
        name="update_business_enable_status",
        operation="update_business_enable_status.graphql",
        package=__name__,
        to_variables=_status_variables,
        to_data=constant("setBusinessEnabled", "success"),
        summary='Archive (flag=disabled) or re-enable (flag=enable) a business → "success"',
    )
)
BK_ROUTES.add(
    BkRoute(
        system="cc",
        name="delete_business",
        operation="delete_business.graphql",
        package=__name__,
        to_variables=lambda params, principal: {"input": {"businessId": _business_id(params)}},
        to_data=constant("deleteBusiness", {}),
        summary="Delete a business that holds no hosts → {}",
    )
)


@BK_ROUTES.handler("cc", "search_business")
async def search_business(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    """Search businesses by an equality condition, with fields and paging → {count, info}."""
    search = parse_search(params, page_required=False, max_limit=DOC_MAX_LIMIT)
    equals = dict(search.equals)
    # Archived businesses are hidden unless the condition asks for them, as in bk-cmdb
    # (SearchBusiness adds `bk_data_status != disabled` when the caller does not filter on it).
    status = equals.pop(_STATUS_PROPERTY, None) or "enable"
    if status not in _STATUS_FLAGS:
        raise ValidationFailed(
            f"condition.{_STATUS_PROPERTY} must be 'enable' or 'disabled', got {status!r}",
            field=f"condition.{_STATUS_PROPERTY}",
        )
    wanted_enabled = _STATUS_FLAGS[status]
    document = load_operation(__name__, "search_business.graphql")

    async def fetch(start: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        variables = {"input": search.input(start, limit, includeDisabled=not wanted_enabled) | {"equals": equals}}
        result = (await run_operation(document, variables, principal, settings))["searchBusinesses"]
        return result["count"], result["items"]

    if wanted_enabled:
        count, items = await fetch_rows(search, fetch)
    else:
        # The GraphQL search can include archived businesses but not select only them (an
        # `enabled` filter on SearchInput would let the database do it), so the archived ones are
        # picked from every match here; businesses are few, and NO_LIMIT_CEILING bounds the walk.
        _, everything = await fetch_rows(replace(search, start=0, limit=None), fetch)
        archived = [item for item in everything if not item["enabled"]]
        end = None if search.limit is None else search.start + search.limit
        count, items = len(archived), archived[search.start : end]
    info = [
        info_row(item["properties"], search.fields, **{_STATUS_PROPERTY: "enable" if item["enabled"] else "disabled"})
        for item in items
    ]
    return {"count": count, "info": info}
