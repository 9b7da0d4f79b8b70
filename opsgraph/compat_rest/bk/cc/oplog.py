"""bk `cc` get_operation_log: the audit log, in the `bk_error_code` envelope as documented.

Request: `condition` {bk_biz_id, op_type, op_target, operator, inst_id, ext_key, op_time}, and
top-level `start`, `limit`, `sort`. Answer: `{count, info: [{id, bk_supplier_account, bk_biz_id,
op_type, op_desc, op_target, operator, content: {pre_data, cur_data, header}, ext_key, op_time,
inst_id}]}`.

`op_type`: the doc types it string, its example shows the int 2, and bk-cmdb stores ints
(auditoplog.go: 1 add, 2 modify, 3 delete, 100 host module change). We record words. Filters take
either form; answers use bk's number where one exists (create 1, update 2, delete 3, transfer 100)
and our word otherwise (grant, logout: operations bk-cmdb never logged here).

Example:
    {"condition": {"bk_biz_id": 7, "op_type": 2, "op_time": ["2024-05-01 00:00:00", "2024-05-02 00:00:00"]},
     "start": 0, "limit": 10, "sort": "-op_time"}
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES, Params
from opsgraph.compat_rest.bk.cc.inst_search import SUPPLIER_ACCOUNT
from opsgraph.compat_rest.bk.cc.property_names import property_name
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import LimitExceeded, ValidationFailed
from opsgraph.core.settings import Settings

OP_TYPE_CODES = {"create": 1, "update": 2, "delete": 3, "transfer": 100}
_OP_TYPE_WORDS = {code: word for word, code in OP_TYPE_CODES.items()}
# bk-cmdb's audit query defaults a zero limit to BKDefaultLimit (20); the GraphQL log caps pages at 500.
_DEFAULT_LIMIT = 20
_MAX_LIMIT = 500
_DEFAULT_SORT = "-op_time"
# bk property name → the GraphQL operationLog's sort key, where they differ.
_SORT_NAMES = {"bk_biz_id": "business_id"}
# condition key → OperationLogFilter field, for the plain equality filters.
_TEXT_FILTERS = {"op_target": "opTarget", "operator": "operator", "ext_key": "extKey"}
_INT_FILTERS = {"bk_biz_id": "bkBizId", "inst_id": "instId"}
_INT32 = 2**31 - 1


class _NoMatch(Exception):
    """A condition no entry can satisfy (an id beyond any stored one): answer an empty page."""


@BK_ROUTES.handler("cc", "get_operation_log", envelope="bk_error_code")
async def get_operation_log(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    """Audit entries by condition, newest first unless `sort` says otherwise → {count, info}."""
    start = params.get_int("start", 0, required=False)
    if start < 0:
        raise ValidationFailed("start must not be negative", field="start")
    limit = params.get_int("limit", 0, required=False) or _DEFAULT_LIMIT
    if not 0 < limit <= _MAX_LIMIT:
        raise LimitExceeded(f"limit must be between 1 and {_MAX_LIMIT}, got {limit}", field="limit", code="PAGE_LIMIT")
    sort = params.get_str("sort", "", required=False).strip() or _DEFAULT_SORT
    descending, field = sort.startswith("-"), sort.lstrip("-")
    sort = ("-" if descending else "") + _SORT_NAMES.get(field, field)
    try:
        log_filter = _filter(params.sub("condition"))
    except _NoMatch:
        return {"count": 0, "info": []}
    variables = {"filter": log_filter, "start": start, "limit": limit, "sort": sort}
    document = load_operation(__name__, "get_operation_log.graphql")
    result = (await run_operation(document, variables, principal, settings))["operationLog"]
    return {"count": result["count"], "info": [_entry(item) for item in result["items"]]}


def _filter(condition: Params) -> dict[str, Any]:
    log_filter: dict[str, Any] = {}
    for key in condition:
        name = condition.field(key)
        if key == "bk_supplier_account" or condition[key] is None:
            # The supplier account is accepted and ignored; a null value is read as "no filter"
            # (every entry here has these fields, so Mongo's "null or missing" would match nothing).
            continue
        if key == "op_type":
            log_filter["opType"] = _op_type(_equality(condition[key], name), name)
        elif key in _TEXT_FILTERS:
            value = _equality(condition[key], name)
            log_filter[_TEXT_FILTERS[key]] = Params({key: value}, prefix=condition.field("")).get_str(key)
        elif key in _INT_FILTERS:
            value = Params({key: _equality(condition[key], name)}, prefix=condition.field("")).get_int(key)
            if abs(value) > _INT32:
                raise _NoMatch
            log_filter[_INT_FILTERS[key]] = value
        elif key == "op_time":
            log_filter["timeFrom"], log_filter["timeTo"] = _time_range(condition[key], name)
        else:
            raise ValidationFailed(
                f"{name} is not a filter of the operation log "
                "(bk_biz_id, op_type, op_target, operator, inst_id, ext_key, op_time)",
                field=name,
            )
    return log_filter


def _equality(value: Any, field: str) -> Any:
    """A plain value, `{"$eq": v}` or a one-element `{"$in": [v]}` (what bk's UI sends for ext_key)."""
    if not isinstance(value, dict):
        return value
    if set(value) == {"$eq"}:
        return value["$eq"]
    if set(value) == {"$in"} and isinstance(value["$in"], list) and len(value["$in"]) == 1:
        return value["$in"][0]
    raise ValidationFailed(f'{field} takes a value, {{"$eq": value}} or a one-element {{"$in": [value]}}', field=field)


def _op_type(value: Any, field: str) -> str:
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        if not value.strip():
            raise ValidationFailed(f"{field} must not be empty", field=field)
        return value.strip()  # our own words: create, update, delete, transfer, grant, logout
    code = Params({"op_type": value}, prefix=field.removesuffix("op_type")).get_int("op_type")
    if code not in _OP_TYPE_WORDS:
        raise ValidationFailed(
            f"{field} {code} is not an operation type (1 create, 2 update, 3 delete, 100 transfer)", field=field
        )
    return _OP_TYPE_WORDS[code]


def _time_range(value: Any, field: str) -> tuple[str | None, str | None]:
    """bk-cmdb takes `op_time: [from, to]` (both inclusive); `{"$gte": from, "$lte": to}` too."""
    if isinstance(value, list):
        if len(value) != 2:
            raise ValidationFailed(f"{field} must be [from, to]", field=field)
        low, high = value
    elif isinstance(value, dict) and value and set(value) <= {"$gte", "$gt", "$lte", "$lt"}:
        low, high = value.get("$gte", value.get("$gt")), value.get("$lte", value.get("$lt"))
    else:
        raise ValidationFailed(f"{field} must be [from, to]", field=field)
    return _time(low, f"{field}[0]"), _time(high, f"{field}[1]")


def _time(value: Any, field: str) -> str | None:
    """ISO-8601 or bk's "2006-01-02 15:04:05"; a time without an offset is UTC."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f'{field} must be a time such as "2024-05-01 12:00:00"', field=field)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValidationFailed(f'{field} must be a time such as "2024-05-01 12:00:00"', field=field) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def _entry(item: dict[str, Any]) -> dict[str, Any]:
    target = item["opTarget"]
    pre, cur = item["preData"], item["curData"]
    keys = dict.fromkeys([*(pre if isinstance(pre, dict) else {}), *(cur if isinstance(cur, dict) else {})])
    header = [{"bk_property_id": key, "bk_property_name": property_name(target, key)} for key in keys]
    return {
        "id": item["id"],
        "bk_supplier_account": SUPPLIER_ACCOUNT,
        # bk-cmdb's int fields read 0 when unset; ours are null for entries with no business / instance.
        "bk_biz_id": item["bkBizId"] or 0,
        "op_type": OP_TYPE_CODES.get(item["opType"], item["opType"]),
        "op_desc": item["opDesc"],
        "op_target": target,
        "operator": item["operator"],
        "content": {"pre_data": pre, "cur_data": cur, "header": header},
        "ext_key": item["extKey"],
        "op_time": item["opTime"],
        "inst_id": item["instId"] or 0,
    }
