"""bk `cc` custom queries (v3.2 "custom API" = dynamic groups): create, update, delete, search,
detail, and get_custom_query_data (run it).

- `info` is a JSON *string* holding a search_host body; an object is accepted too (some clients
  send one). It is checked when saved: malformed JSON is 1199000, a wrong shape 1199006.
- Ids are 20-character strings; names are unique per business (1199014).
- Paging is top-level `start` / `limit` (≤ 200; absent or 0 = 200, as search_host's page).
- get_custom_query_data rows: the doc types `biz`, `set` and `module` as single objects (its
  example shows dicts) while bk-cmdb's code returns search_host's lists. The doc is followed (the
  seed is the contract): each is the host's first one (lowest id); `fields` from the stored body
  select each object's properties, as in search_host.

Example (bkapi-component-open):
    client.cc.create_custom_query(data={"bk_biz_id": 2, "name": "web hosts", "info": json.dumps(
        {"condition": [{"bk_obj_id": "set", "fields": [], "condition": [
            {"field": "bk_set_name", "operator": "$eq", "value": "web"}]}]})})
    # data: {"id": "c8k2n4d7s1q9p0a3b5f6"}
"""

from __future__ import annotations

import json
from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES, BkRoute, Params
from opsgraph.compat_rest.bk.cc.host_rows import SUPPLIER_ACCOUNT, host_row
from opsgraph.compat_rest.bk.cc.properties import global_id_param
from opsgraph.compat_rest.bk.cc.written import constant
from opsgraph.compat_rest.bk.error_codes import CMDB_CODES
from opsgraph.compat_rest.execute import raise_user_errors
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed

MAX_LIMIT = 200
MAX_INT = 2**31 - 1
CUSTOM_QUERY_CODES = {
    **CMDB_CODES,
    "OBJECT_INST_ID_REQUIRED": 1110058,  # CCErrHostSearchNeedObjectInstIDErr
    "DYNAMIC_GROUP_NOT_FOUND": 1199019,
}
_FILTERS = {"name": "nameContains", "create_user": "createUser", "modify_user": "modifyUser"}


def _business(params: Params) -> int:
    value = params.get_int("bk_biz_id")
    if not 0 < value <= MAX_INT:
        raise ValidationFailed(f"bk_biz_id {value} does not exist", field="bk_biz_id", code="NOT_FOUND")
    return value


def _info(params: Params, *, required: bool) -> str | None:
    raw = params.get("info")
    if raw is None:
        if required:
            raise ValidationFailed("info is required", field="info", code="MISSING_FIELD")
        return None
    if isinstance(raw, dict):
        return json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
    if not isinstance(raw, str):
        raise ValidationFailed("info must be a JSON string (a search_host body)", field="info")
    return raw


def _page(params: Params) -> dict[str, Any]:
    start = params.get_int("start", 0, required=False)
    limit = params.get_int("limit", 0, required=False) or MAX_LIMIT
    if not 0 <= start <= MAX_INT:
        raise ValidationFailed(f"start must be between 0 and {MAX_INT}", field="start")
    if not 0 < limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}", field="limit", code="PAGE_LIMIT")
    return {"start": start, "limit": limit}


def _create_variables(params: Params, principal: Principal) -> dict[str, Any]:
    business = global_id_param(params, "bk_biz_id", "biz")
    name = params.get_str("name")
    return {"input": {"businessId": business, "name": name, "info": _info(params, required=True)}}


def _addressed(params: Params) -> dict[str, Any]:
    """`id` at the top level, or under `delete` (the delete example nests ids there)."""
    business = global_id_param(params, "bk_biz_id", "biz")
    nested = params.sub("delete")
    group_id = params.get_str("id", required=False) or nested.get_str("id", required=False)
    if not group_id:
        raise ValidationFailed("id is required", field="id", code="MISSING_FIELD")
    return {"groupId": group_id, "businessId": business}


def _update_variables(params: Params, principal: Principal) -> dict[str, Any]:
    update = _addressed(params)
    if params.has("name"):
        update["name"] = params.get_str("name")
    info = _info(params, required=False)
    if info is not None:
        update["info"] = info
    return {"input": update}


def _record(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["bkId"],
        "bk_biz_id": item["bkBizId"],
        "name": item["name"],
        "info": item["info"],
        "create_user": item["createUser"],
        "modify_user": item["modifyUser"],
        "create_time": item["createdAt"],
        "last_time": item["updatedAt"],
        "bk_supplier_account": SUPPLIER_ACCOUNT,
    }


def _search_variables(params: Params, principal: Principal) -> dict[str, Any]:
    condition = params.sub("condition")
    filters: dict[str, Any] = {}
    for key in condition:
        if key == "bk_supplier_account" or condition[key] is None:
            continue
        if key not in _FILTERS:
            raise ValidationFailed(
                f"condition.{key} is not create_user, modify_user or name", field=condition.field(key)
            )
        filters[_FILTERS[key]] = condition.get_str(key)
    return {"bkBizId": _business(params), "filter": filters, "page": _page(params)}


def _search_data(data: dict[str, Any], params: Params) -> dict[str, Any]:
    result = data["dynamicGroups"]
    return {"count": result["count"], "info": [_record(item) for item in result["items"]]}


def _detail_variables(params: Params, principal: Principal) -> dict[str, Any]:
    return {"bkBizId": _business(params), "bkId": params.get_str("id")}


def _data_variables(params: Params, principal: Principal) -> dict[str, Any]:
    return {"bkBizId": _business(params), "bkId": params.get_str("id"), "page": _page(params)}


def _selected_fields(info: str) -> dict[str, list[str]]:
    """Each object's `fields` in the stored body (it was checked when saved)."""
    body = json.loads(info)
    clauses = [body] if "bk_obj_id" in body else body.get("condition") or []
    fields: dict[str, list[str]] = {}
    for clause in clauses:
        for name in clause.get("fields") or []:
            selected = fields.setdefault(clause["bk_obj_id"], [])
            if name not in selected:
                selected.append(name)
    return fields


def _data(data: dict[str, Any], params: Params) -> dict[str, Any]:
    fields = _selected_fields(data["dynamicGroup"]["info"])
    result = data["dynamicGroupHosts"]
    rows = []
    for item in result["items"]:
        row = host_row(item, fields)
        rows.append(
            {"host": row["host"], **{obj: (row[obj][0] if row[obj] else {}) for obj in ("biz", "set", "module")}}
        )
    return {"count": result["count"], "info": rows}


def _deleted(data: dict[str, Any], params: Params) -> dict[str, Any]:
    raise_user_errors(data["deleteDynamicGroup"])
    return {}


def _created(data: dict[str, Any], params: Params) -> dict[str, Any]:
    payload = data["createDynamicGroup"]
    raise_user_errors(payload)
    return {"id": payload["group"]["bkId"]}


_ROWS = [
    (
        "create_custom_query",
        "custom_query_create.graphql",
        _create_variables,
        _created,
        "POST",
        "Save a search_host body as a named group → {id}",
    ),
    (
        "update_custom_query",
        "custom_query_update.graphql",
        _update_variables,
        constant("updateDynamicGroup", {}),
        "POST",
        "Rename a group or replace its body → {}",
    ),
    (
        "delete_custom_query",
        "custom_query_delete.graphql",
        lambda p, _: {"input": _addressed(p)},
        _deleted,
        "POST",
        "Delete a group → {}",
    ),
    (
        "search_custom_query",
        "custom_query_search.graphql",
        _search_variables,
        _search_data,
        "POST",
        "The business's groups → {count, info}",
    ),
    (
        "get_custom_query_detail",
        "custom_query_detail.graphql",
        _detail_variables,
        lambda d, p: _record(d["dynamicGroup"]),
        "GET",
        "One group → its record",
    ),
    (
        "get_custom_query_data",
        "custom_query_data.graphql",
        _data_variables,
        _data,
        "GET",
        "The hosts a group matches now → {count, info}",
    ),
]

for name, operation, to_variables, to_data, method, summary in _ROWS:
    BK_ROUTES.add(
        BkRoute(
            system="cc",
            name=name,
            # The doc says GET for detail and data (with a JSON body); POST is accepted as well.
            methods=frozenset({"GET", "POST"}) if method == "GET" else frozenset({"POST"}),
            operation=operation,
            package=__name__,
            to_variables=to_variables,
            to_data=to_data,
            error_codes=CUSTOM_QUERY_CODES,
            summary=summary,
        )
    )
