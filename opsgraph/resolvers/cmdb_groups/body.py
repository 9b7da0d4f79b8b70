"""A dynamic group's body: the `search_host` request it stores, parsed into search clauses.

Accepted shapes (the doc disagrees with itself, so both are read):
- `{"condition": [{bk_obj_id, fields, condition: [{field, operator, value}]}, …], "ip": {…},
  "pattern": "…"}` — the request example and bk-cmdb's HostCommonSearch;
- `{bk_obj_id, fields, condition: […]}` — the INFO table, one clause without the outer list.
Operators are search_host's: `$eq`, `$ne`/`$neq` (table vs example), `$in`, `$nin`, `$regex`,
`$gt`, `$gte`, `$lt`, `$lte`. `bk_biz_id` and `page` inside the body are ignored: the group's
business and the caller's page always apply (as in bk-cmdb's GetUserCustomQueryResult).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from opsgraph.core.errors import ValidationFailed
from opsgraph.resolvers.topology.conditions import OPERATORS, Condition
from opsgraph.resolvers.topology.host_search import IpFilter, ObjectClause

MAX_BODY_BYTES = 64 * 1024
MAX_CLAUSES = 50
MAX_CONDITIONS = 100
_IP_FLAGS = {"bk_host_innerip": "inner", "bk_host_outerip": "outer"}


@dataclass
class GroupBody:
    clauses: list[ObjectClause] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=dict)
    ip: IpFilter | None = None
    pattern: str = ""


def parse_body(info: Any) -> tuple[str, GroupBody]:
    """(the text to store, its parsed form). `info` is the JSON text, or an already-decoded object."""
    if isinstance(info, dict):
        text = json.dumps(info, ensure_ascii=False, separators=(",", ":"))
        decoded: Any = info
    elif isinstance(info, str):
        text = info
        if len(text.encode()) > MAX_BODY_BYTES:
            raise ValidationFailed(f"info is larger than {MAX_BODY_BYTES} bytes", field="info")
        try:
            decoded = json.loads(text)
        except ValueError as exc:
            raise ValidationFailed(f"info is not JSON: {exc}", field="info", code="MALFORMED_JSON") from exc
    else:
        raise ValidationFailed("info must be a JSON string (a search_host body)", field="info")
    if not isinstance(decoded, dict):
        raise ValidationFailed("info must be a JSON object (a search_host body)", field="info")
    return text, _body(decoded)


def _body(decoded: dict[str, Any]) -> GroupBody:
    raw_clauses = [decoded] if "bk_obj_id" in decoded else decoded.get("condition") or []
    if not isinstance(raw_clauses, list) or len(raw_clauses) > MAX_CLAUSES:
        raise ValidationFailed(f"info.condition must be a list of at most {MAX_CLAUSES} clauses", field="info")
    body = GroupBody()
    for index, raw in enumerate(raw_clauses):
        where = f"info.condition[{index}]"
        if not isinstance(raw, dict):
            raise ValidationFailed(f"{where} must be an object", field="info")
        obj = raw.get("bk_obj_id")
        if not isinstance(obj, str) or not obj:
            raise ValidationFailed(f"{where}.bk_obj_id is required", field="info")
        selected = raw.get("fields") or []
        if not isinstance(selected, list) or not all(isinstance(name, str) for name in selected):
            raise ValidationFailed(f"{where}.fields must be a list of property ids", field="info")
        if selected:
            merged = body.fields.setdefault(obj, [])
            merged += [name for name in dict.fromkeys(selected) if name not in merged]
        conditions = _conditions(raw.get("condition") or [], where)
        if conditions:
            body.clauses.append(ObjectClause(obj, conditions))
    body.ip = _ip(decoded.get("ip"))
    pattern = decoded.get("pattern") or ""
    if not isinstance(pattern, str):
        raise ValidationFailed("info.pattern must be text", field="info")
    body.pattern = pattern
    return body


def _conditions(raw: Any, where: str) -> list[Condition]:
    if not isinstance(raw, list) or len(raw) > MAX_CONDITIONS:
        raise ValidationFailed(f"{where}.condition must be a list of at most {MAX_CONDITIONS} conditions", field="info")
    conditions: list[Condition] = []
    for index, item in enumerate(raw):
        at = f"{where}.condition[{index}]"
        if not isinstance(item, dict):
            raise ValidationFailed(f"{at} must be an object {{field, operator, value}}", field="info")
        name, operator = item.get("field"), item.get("operator")
        if not isinstance(name, str) or not name:
            raise ValidationFailed(f"{at}.field is required", field="info")
        if operator not in OPERATORS:
            raise ValidationFailed(f"{at}.operator {operator!r} is not a search_host operator", field="info")
        conditions.append(Condition(name, operator, item.get("value")))
    return conditions


def _ip(raw: Any) -> IpFilter | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValidationFailed("info.ip must be an object {data, exact, flag}", field="info")
    data = raw.get("data") or []
    if not isinstance(data, list) or not all(isinstance(ip, str) for ip in data):
        raise ValidationFailed("info.ip.data must be a list of IP strings", field="info")
    if not data:
        return None
    flags = [part.strip() for part in str(raw.get("flag") or "").replace("|", ",").split(",") if part.strip()]
    unknown = [flag for flag in flags if flag not in _IP_FLAGS]
    if unknown:
        raise ValidationFailed(f"info.ip.flag {unknown[0]!r} is not bk_host_innerip or bk_host_outerip", field="info")
    wanted = {_IP_FLAGS[flag] for flag in flags} or {"inner"}
    exact = raw.get("exact") in (1, True, "1", "true")
    return IpFilter(ips=data, exact=exact, inner="inner" in wanted, outer="outer" in wanted)
