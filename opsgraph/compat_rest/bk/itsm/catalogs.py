"""bk `itsm` get_service_catalogs: the catalog tree {id, key, name, level, desc, children}.

`has_service="true"` keeps the catalogs that hold services (and the ancestors that lead to
them); `service_key` keeps those holding services of that type ("change", "request", …).
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk.itsm.common import itsm_route
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.settings import Settings


async def _all_catalogs(principal: Principal, settings: Settings) -> list[dict[str, Any]]:
    document = load_operation(__name__, "catalogs.graphql")
    rows: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page = (await run_operation(document, {"first": settings.max_page_size, "after": after}, principal, settings))[
            "serviceCatalogs"
        ]
        rows.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return rows
        after = page["pageInfo"]["endCursor"]


@itsm_route("get_service_catalogs", summary="The service catalog tree")
async def get_service_catalogs(params: Params, principal: Principal, settings: Settings) -> list[dict[str, Any]]:
    rows = await _all_catalogs(principal, settings)
    only_with_services = str(params.get("has_service") or "").lower() == "true"
    service_key = params.get_str("service_key", required=False) or None

    def holds(row: dict[str, Any]) -> bool:
        return any(service_key is None or s["serviceType"] == service_key for s in row["services"])

    children: dict[int | None, list[dict[str, Any]]] = {}
    for row in rows:
        children.setdefault(row["parentId"], []).append(row)

    def build(row: dict[str, Any]) -> dict[str, Any] | None:
        below = [node for child in children.get(row["catalogId"], []) if (node := build(child)) is not None]
        if (only_with_services or service_key) and not below and not holds(row):
            return None
        return {
            "id": row["catalogId"],
            "key": row["key"],
            "name": row["name"],
            "level": row["level"],
            "desc": row["desc"],
            "children": below,
        }

    return [node for row in children.get(None, []) if (node := build(row)) is not None]
