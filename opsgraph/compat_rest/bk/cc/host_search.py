"""search_host and find_host_by_module → `searchHosts`, answered as `{count, info: [host rows]}`.

search_host's language (doc 配置平台 search_host; upstream_semantics.md §1 "Query languages"):
- `condition`: `[{bk_obj_id: biz|set|module|host|object, fields: [], condition: [{field, operator,
  value}]}]`. Clauses are ANDed. Operators pass through to the schema, which knows `$eq`, `$ne`
  and `$neq` (the doc's table says `$neq`, its examples and bk-cmdb say `$ne`: both work), `$in`,
  `$nin`, `$regex` (literal substrings) and `$gt/$gte/$lt/$lte`. `fields` selects each object's
  output columns (empty = all).
- `ip`: `{data: [...], exact: 0|1, flag}`. The doc's table joins both flags with `,`
  (`bk_host_innerip,bk_host_outerip`), its example with `|`: either separator is accepted.
- `page`: `{start, limit, sort}`; the doc caps `limit` at 200 (1199059 above it). `sort` is a host
  property id, `-` prefix for descending.
- `pattern` ("按表达式搜索", search by expression): bk-cmdb declares it and never reads it; here it
  is a case-insensitive text searched in the host's IPs, name, OS name, SN, comment and operators.
- `bk_obj_id: "object"` selects the hosts below a mainline instance by `bk_inst_id` (1110058
  without one); see resolvers/topology/object_clauses.py.
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES, BkRoute, Params
from opsgraph.compat_rest.bk.cc.host_params import int_ids, optional_gid
from opsgraph.compat_rest.bk.cc.host_rows import host_rows
from opsgraph.compat_rest.bk.cc.properties import global_id_param
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.resolvers.properties import INTEGER_COLUMNS, PROPERTY_COLUMNS

# search_host's table: "每页限制条数,最大 200". find_host_by_module leaves page undocumented; the same cap.
MAX_PAGE_LIMIT = 200
MAX_INT = 2**31 - 1  # ids and other integer properties are int32 columns
SEARCH_OBJECTS = ("biz", "set", "module", "host", "object")
_IP_FLAGS = {"bk_host_innerip": "inner", "bk_host_outerip": "outer"}


def page_input(params: Params) -> dict[str, Any]:
    """`page {start, limit, sort}` → `OffsetPageInput`; no page (or limit 0) means the doc's maximum."""
    page = params.sub("page")
    start = page.get_int("start", 0)
    if not 0 <= start <= MAX_INT:
        raise ValidationFailed(f"page.start must be between 0 and {MAX_INT}", field="page.start")
    limit = page.get_int("limit", 0) or MAX_PAGE_LIMIT
    if limit < 0 or limit > MAX_PAGE_LIMIT:
        raise ValidationFailed(
            f"page.limit must be between 1 and {MAX_PAGE_LIMIT}", field="page.limit", code="PAGE_LIMIT"
        )
    sort = page.get_str("sort", "")
    return {"start": start, "limit": limit, "sort": sort or None}


def ip_input(params: Params) -> dict[str, Any] | None:
    ip = params.sub("ip")
    flags = [part.strip() for part in ip.get_str("flag", "").replace("|", ",").split(",") if part.strip()]
    unknown = [flag for flag in flags if flag not in _IP_FLAGS]
    if unknown:
        raise ValidationFailed(f"ip.flag {unknown[0]!r} is not bk_host_innerip or bk_host_outerip", field="ip.flag")
    ips = [str(value) for value in ip.get_list("data", [])]
    if not ips:
        return None
    # No flag: the inner IP, the one every host has. exact is an int flag; absent means fuzzy (0).
    wanted = {_IP_FLAGS[flag] for flag in flags} or {"inner"}
    return {
        "ips": ips,
        "exact": ip.get_bool("exact", False),
        "inner": "inner" in wanted,
        "outer": "outer" in wanted,
    }


def _clause(params: Params) -> tuple[str, list[str], list[dict[str, Any]]]:
    obj = params.get_str("bk_obj_id")
    if obj not in SEARCH_OBJECTS:
        raise ValidationFailed(
            f"{params.field('bk_obj_id')} must be one of {', '.join(SEARCH_OBJECTS)}",
            field=params.field("bk_obj_id"),
        )
    fields = [str(name) for name in params.get_list("fields", [])]
    conditions: list[dict[str, Any]] = []
    for i, raw in enumerate(params.get_list("condition", [])):
        where = f"{params.field('condition')}[{i}]"
        if not isinstance(raw, dict):
            raise ValidationFailed(f"{where} must be an object", field=where)
        condition = Params(raw, prefix=f"{where}.")
        field = condition.get_str("field")
        _check_integer_range(obj, field, condition.get("value"), where)
        conditions.append({"field": field, "operator": condition.get_str("operator"), "value": condition.get("value")})
    return obj, fields, conditions


def _check_integer_range(obj: str, field: str, value: Any, where: str) -> None:
    """Integer properties are int32 columns here: PostgreSQL fails the whole query on a larger
    operand (a 500), so such a condition is refused as invalid input instead."""
    if PROPERTY_COLUMNS.get(obj, {}).get(field) not in INTEGER_COLUMNS:
        return
    for item in value if isinstance(value, list) else [value]:
        number = item.strip() if isinstance(item, str) else item
        if isinstance(number, str) and number.lstrip("+-").isdigit():
            number = int(number)
        if isinstance(number, int) and not isinstance(number, bool) and abs(number) > MAX_INT:
            raise ValidationFailed(f"{where}.value {item!r} is out of range for {field}", field=f"{where}.value")


def search_clauses(params: Params) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """`condition` → (`ObjectClauseInput`s, fields per object)."""
    clauses: list[dict[str, Any]] = []
    fields: dict[str, list[str]] = {}
    for i, raw in enumerate(params.get_list("condition", [])):
        if not isinstance(raw, dict):
            raise ValidationFailed(f"condition[{i}] must be an object", field="condition")
        obj, selected, conditions = _clause(Params(raw, prefix=f"condition[{i}]."))
        if selected:  # the same object named twice: its field lists are merged
            merged = fields.setdefault(obj, [])
            merged += [name for name in dict.fromkeys(selected) if name not in merged]
        if conditions:
            clauses.append({"object": obj, "conditions": conditions})
    return clauses, fields


def search_host_variables(params: Params, principal: Principal) -> dict[str, Any]:
    clauses, _ = search_clauses(params)
    search: dict[str, Any] = {"clauses": clauses, "page": page_input(params), "ip": ip_input(params)}
    search["pattern"] = params.get_str("pattern", "") or None
    search["businessId"] = optional_gid(params, "bk_biz_id", "biz")  # absent or 0: every visible business
    return {"input": search}


def search_host_data(data: dict[str, Any], params: Params) -> dict[str, Any]:
    _, fields = search_clauses(params)
    return host_rows(data["searchHosts"], fields)


def find_host_by_module_variables(params: Params, principal: Principal) -> dict[str, Any]:
    # The doc puts the business in metadata.label.bk_biz_id (a string); later bk-cmdb versions take
    # a top-level bk_biz_id. Either is accepted, the documented one first.
    label = params.sub("metadata").sub("label")
    if label.has("bk_biz_id"):
        business_id = global_id_param(label, "bk_biz_id", "biz")
    elif params.has("bk_biz_id"):
        business_id = global_id_param(params, "bk_biz_id", "biz")
    else:
        raise ValidationFailed(
            "metadata.label.bk_biz_id is required", field="metadata.label.bk_biz_id", code="MISSING_FIELD"
        )
    module_ids = int_ids(params, "bk_module_ids", "module")
    in_modules = {"field": "bk_module_id", "operator": "$in", "value": module_ids}
    module_clause = {"object": "module", "conditions": [in_modules]}
    return {
        "input": {
            "businessId": business_id,
            "clauses": [module_clause],
            "page": page_input(params),
        }
    }


BK_ROUTES.add(
    BkRoute(
        system="cc",
        name="search_host",
        operation="host_search.graphql",
        package=__name__,
        to_variables=search_host_variables,
        to_data=search_host_data,
        success_message="success",  # as in the doc's response example
        summary="Search hosts by per-object conditions, IPs and page",
    )
)
BK_ROUTES.add(
    BkRoute(
        system="cc",
        name="find_host_by_module",
        operation="host_search.graphql",
        package=__name__,
        to_variables=find_host_by_module_variables,
        to_data=lambda data, params: host_rows(data["searchHosts"], top_names=True),
        envelope="bk_error_code",
        success_message="success",
        summary="Hosts in the given modules of one business",
    )
)
