"""bk `itsm` get_services ([{id, name, desc, service_type}], by catalog and type) and
get_service_detail ({service_id, workflow_id, name, service_type, desc, fields}).

Example (bkapi-component-open):
    client.itsm.get_service_detail(params={"service_id": 5})
    # data: {"service_id": 5, "workflow_id": 15, "fields": [{"key": "title", "type": "STRING", …}], …}
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk.itsm.common import field_definition, itsm_route
from opsgraph.compat_rest.bk.job.common import MAX_ID
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound
from opsgraph.core.ids import encode_global_id
from opsgraph.core.settings import Settings


def service_id(params: Params, name: str = "service_id") -> int:
    value = params.get_int(name)
    if not 0 < value <= MAX_ID:
        raise NotFound(f"service {value} does not exist", field=name, code="SERVICE_NOT_FOUND")
    return value


@itsm_route("get_services", summary="Services, by catalog and type")
async def get_services(params: Params, principal: Principal, settings: Settings) -> list[dict[str, Any]]:
    service_filter: dict[str, Any] = {}
    catalog = params.get_int("catalog_id", required=False)
    if catalog is not None:
        if not 0 < catalog <= MAX_ID:
            return []
        service_filter["catalogId"] = encode_global_id("ServiceCatalog", catalog)
    service_type = params.get_str("service_type", required=False)
    if service_type:
        service_filter["serviceType"] = service_type
    document = load_operation(__name__, "services.graphql")
    items: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        variables = {"first": settings.max_page_size, "after": after, "filter": service_filter}
        page = (await run_operation(document, variables, principal, settings))["services"]
        items.extend(
            {"id": s["serviceId"], "name": s["name"], "desc": s["desc"], "service_type": s["serviceType"]}
            for s in page["nodes"]
        )
        if not page["pageInfo"]["hasNextPage"]:
            return items
        after = page["pageInfo"]["endCursor"]


@itsm_route("get_service_detail", summary="A service and its submit form")
async def get_service_detail(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    wanted = service_id(params)
    document = load_operation(__name__, "service_detail.graphql")
    found = (await run_operation(document, {"id": encode_global_id("Service", wanted)}, principal, settings))["service"]
    if found is None:
        raise NotFound(f"service {wanted} does not exist", field="service_id", code="SERVICE_NOT_FOUND")
    return {
        "service_id": found["serviceId"],
        "workflow_id": found["workflowId"],
        "name": found["name"],
        "service_type": found["serviceType"],
        "desc": found["desc"],
        "fields": [field_definition(f, i) for i, f in enumerate(found["workflow"]["fields"])],
    }
