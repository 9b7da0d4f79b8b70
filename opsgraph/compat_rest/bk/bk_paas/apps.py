"""bk_paas get_app_info: `[{bk_app_code, bk_app_name, …}]`, newest app first.

`target_app_code` and `fields` are ";"-separated (the doc) or ","-separated (ESB's ListField accepts
both); an empty `target_app_code` means every app; unknown codes are left out. `fields` adds
`introduction`, `creator` and `developer` (usernames joined by ";", as the PaaS answers) to the
code and name every item has.
"""

from __future__ import annotations

import re
from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES
from opsgraph.compat_rest.bk.cmsi.errors import PARAMETER_ERROR
from opsgraph.compat_rest.bk.error_codes import API_NOT_FOUND, APP_AUTH_FAILED, METHOD_NOT_ALLOWED, OTHER_CODES
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import LimitExceeded, ValidationFailed
from opsgraph.core.settings import Settings

FIELDS = ("bk_app_code", "bk_app_name", "introduction", "creator", "developer")
MAX_CODES = 1000
_SEPARATORS = re.compile(r"[;,]")
PAAS_CODES = {
    OTHER_CODES: PARAMETER_ERROR,
    "UNAUTHENTICATED": APP_AUTH_FAILED,
    "METHOD_NOT_ALLOWED": METHOD_NOT_ALLOWED,
    "API_NOT_FOUND": API_NOT_FOUND,
}


def _split(params: Params, name: str) -> list[str]:
    raw = params.get(name)
    if raw is None:
        return []
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        items = raw
    elif isinstance(raw, str):
        items = _SEPARATORS.split(raw)
    else:
        raise ValidationFailed(f"{name} must be a ';'-separated string", field=name)
    return list(dict.fromkeys(item.strip() for item in items if item.strip()))


@BK_ROUTES.handler(
    "bk_paas",
    "get_app_info",
    methods=frozenset({"GET", "POST"}),
    error_codes=PAAS_CODES,
    success_message="OK",
    summary="Apps by code (all when none is given), newest first",
)
async def get_app_info(params: Params, principal: Principal, settings: Settings) -> list[dict[str, Any]]:
    codes = _split(params, "target_app_code")
    if len(codes) > MAX_CODES:
        raise LimitExceeded(f"at most {MAX_CODES} app codes per call", field="target_app_code")
    fields = _split(params, "fields")
    unknown = [name for name in fields if name not in FIELDS]
    if unknown:
        raise ValidationFailed(f"unknown field {unknown[0]!r}: use {';'.join(FIELDS)}", field="fields")
    document = load_operation(__name__, "apps.graphql")
    nodes: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        variables = {"first": settings.max_page_size, "after": after, "filter": {"codes": codes} if codes else None}
        page = (await run_operation(document, variables, principal, settings))["apps"]
        nodes.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    return [_app(node, fields) for node in nodes]


def _app(node: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    item = {"bk_app_code": node["code"], "bk_app_name": node["name"]}
    if "introduction" in fields:
        item["introduction"] = node["introduction"]
    if "creator" in fields:
        item["creator"] = node["creator"]
    if "developer" in fields:
        item["developer"] = ";".join(node["developers"])
    return item
