"""bk `cc` instance searches: search_inst and search_inst_by_object → `{count, info}`.

search_inst's `condition` is keyed by model id: `{"<bk_obj_id>": [{field, operator, value}]}`.
The searched model's own clauses filter its instances; clauses under another model's id keep the
instances associated with a matching instance of that model (the doc: "conditions can target the
model or associated models"). Operators: the doc's `$regex`, `$eq`, `$ne`, plus `$neq`, `$in`,
`$nin`, `$gt`/`$gte`/`$lt`/`$lte` (resolvers/cmdb/instance_search.py). `page` is required by the
doc with `limit` ≤ 200; a missing page means the first 200. Association-type attributes answer as
`[{bk_inst_id, bk_inst_name, bk_obj_id, id}]`, as the doc's example shows.

search_inst_by_object takes an equality map as `condition` and an optional `page`; with
bk_obj_id "plat" it lists cloud areas `{bk_cloud_id, bk_cloud_name, bk_supplier_account}`. Its
`count` is the number of matches (bk-cmdb's code), not the page length its doc's table suggests.
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES, Params
from opsgraph.compat_rest.bk.cc.inst_search import NO_LIMIT_CEILING, fetch_rows, info_row, parse_search
from opsgraph.compat_rest.bk.cc.model_codes import MODEL_CODES
from opsgraph.compat_rest.bk.cc.model_params import business_global_id, label_business
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import LimitExceeded, ValidationFailed
from opsgraph.core.settings import Settings

DOC_MAX_LIMIT = 200
PLAT = "plat"
Row = dict[str, Any]


def _clauses(value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ValidationFailed(f"{where} must be a list of {{field, operator, value}}", field=where)
    conditions = []
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("field"), str):
            raise ValidationFailed(f"{where}[{index}] must be {{field, operator, value}}", field=where)
        operator = item.get("operator", "$eq")
        if not isinstance(operator, str):
            raise ValidationFailed(f"{where}[{index}].operator must be a string", field=where)
        conditions.append({"field": item["field"], "operator": operator, "value": item.get("value")})
    return conditions


def _page(params: Params) -> tuple[int, int, str | None]:
    page = params.sub("page")
    start = page.get_int("start", 0, required=False)
    limit = page.get_int("limit", 0, required=False) or DOC_MAX_LIMIT
    if start < 0:
        raise ValidationFailed("page.start must not be negative", field="page.start")
    if not 0 < limit <= DOC_MAX_LIMIT:
        raise LimitExceeded(f"page.limit must be between 1 and {DOC_MAX_LIMIT}", field="page.limit", code="PAGE_LIMIT")
    sort = page.get_str("sort", "", required=False).strip() or None
    return start, limit, sort


def _row(item: Row, fields: list[str]) -> Row:
    properties = dict(item["bkProperties"])
    for value in item["properties"]:
        if "instances" in value:  # an association-type attribute: bk answers the instances themselves
            properties[value["propertyId"]] = [
                {
                    "bk_inst_id": ref["bkInstId"],
                    "bk_inst_name": ref["name"],
                    "bk_obj_id": ref["bkObjId"],
                    "id": str(ref["bkInstId"]),
                }
                for ref in value["instances"]
            ]
    return info_row(properties, fields)


async def _search(
    principal: Principal, settings: Settings, input: dict[str, Any], start: int, limit: int
) -> tuple[int, list[Row]]:
    page = {**input, "page": {**input["page"], "start": start, "limit": limit}}
    result = (
        await run_operation(load_operation(__name__, "search_inst.graphql"), {"input": page}, principal, settings)
    )["searchInstances"]
    return result["count"], result["items"]


@BK_ROUTES.handler("cc", "search_inst", error_codes=MODEL_CODES, summary="Search a model's instances → {count, info}")
async def search_inst(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    obj_id = params.get_str("bk_obj_id")
    fields = [str(name) for name in params.get_list("fields", [], required=False)]
    condition = params.get_dict("condition", {}, required=False)
    own: list[dict[str, Any]] = []
    associated = []
    for model, clauses in condition.items():
        if model == obj_id:
            own = _clauses(clauses, f"condition.{model}")
        else:
            associated.append({"objectId": model, "conditions": _clauses(clauses, f"condition.{model}")})
    start, limit, sort = _page(params)
    input = {
        "objectId": obj_id,
        "conditions": own,
        "associated": associated,
        "businessId": business_global_id(label_business(params)),
        "page": {"start": start, "limit": limit, "sort": sort},
    }
    count, items = await _search(principal, settings, input, start, limit)
    return {"count": count, "info": [_row(item, fields) for item in items]}


async def _cloud_areas(principal: Principal, settings: Settings) -> list[Row]:
    document = load_operation(__name__, "search_inst_plat.graphql")
    areas: list[Row] = []
    after = None
    while True:
        page = (await run_operation(document, {"after": after}, principal, settings))["cloudAreas"]
        areas += [{"bk_cloud_id": a["bkCloudId"], "bk_cloud_name": a["name"]} for a in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"] or len(areas) > NO_LIMIT_CEILING:
            return areas
        after = page["pageInfo"]["endCursor"]


@BK_ROUTES.handler(
    "cc", "search_inst_by_object", error_codes=MODEL_CODES, summary="Instances of a model by equality → {count, info}"
)
async def search_inst_by_object(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    obj_id = params.get_str("bk_obj_id")
    search = parse_search(params, page_required=False, max_limit=DOC_MAX_LIMIT)
    if obj_id == PLAT:
        areas = [
            area
            for area in await _cloud_areas(principal, settings)
            if all(area.get(key) == value for key, value in search.equals.items())
        ]
        end = None if search.limit is None else search.start + search.limit
        return {"count": len(areas), "info": [info_row(a, search.fields) for a in areas[search.start : end]]}
    conditions = [{"field": key, "operator": "$eq", "value": value} for key, value in search.equals.items()]
    input = {
        "objectId": obj_id,
        "conditions": conditions,
        "associated": [],
        "businessId": business_global_id(label_business(params)),
        "page": {"start": 0, "limit": 1, "sort": search.sort},
    }

    async def fetch(start: int, limit: int) -> tuple[int, list[Row]]:
        return await _search(principal, settings, input, start, limit)

    count, items = await fetch_rows(search, fetch)
    return {"count": count, "info": [_row(item, search.fields) for item in items]}
