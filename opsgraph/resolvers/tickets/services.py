"""Services (with their workflow versions): what tickets are opened in (catalogs: catalogs.py).

Catalogs and services are shared by every business, as in bk-itsm: any signed-in caller reads
them, superusers (the ITSM administrators) write them. Saving a workflow adds a version; tickets
keep the version they started with. Deleting a service disables it (its tickets stay readable).
The built-in approval service (bk-itsm's "内置审批服务") is created on first use.
"""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, Duplicate, NotFound, ValidationFailed
from opsgraph.models.tickets import Service, ServiceCatalog, Ticket, Workflow
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.tickets.catalogs import APPROVAL_CATALOG_KEY, get_catalog
from opsgraph.resolvers.tickets.fields import _text
from opsgraph.resolvers.tickets.workflows import check_workflow
from opsgraph.resolvers.topology.common import write_transaction

SERVICE_TYPES = frozenset({"request", "change", "event", "question"})
APPROVAL_SERVICE_KEY = "builtin_approval"
APPROVAL_STATE_ID = 2
APPROVAL_WORKFLOW: dict[str, Any] = {
    "fields": [
        {"key": "title", "name": "标题", "type": "STRING", "required": True},
        {"key": "APPROVER", "name": "审批人", "type": "MEMBERS"},
        {"key": "APPROVAL_CONTENT", "name": "审批内容", "type": "TEXT"},
    ],
    "states": [
        {"id": 1, "name": "提单", "type": "START"},
        # Processors are set per ticket (the APPROVER field / the approvers a job step names).
        {"id": APPROVAL_STATE_ID, "name": "审批", "type": "APPROVAL", "processors_type": "PERSON"},
        {"id": 3, "name": "结束", "type": "END"},
    ],
    "transitions": [{"from": 1, "to": APPROVAL_STATE_ID}, {"from": APPROVAL_STATE_ID, "to": 3}],
}


def _service_type(value: Any) -> str:
    kind = str(value or "request").lower()
    if kind not in SERVICE_TYPES:
        raise ValidationFailed(f"serviceType must be one of {sorted(SERVICE_TYPES)}", field="serviceType")
    return kind


async def get_service(service_id: int) -> Service:
    service = await Service.get_or_none(id=service_id)
    if service is None:
        raise NotFound(f"service {service_id} does not exist", field="serviceId", code="SERVICE_NOT_FOUND")
    return service


async def create_service(
    principal: Principal,
    *,
    catalog_id: int,
    name: str,
    workflow: Any,
    desc: str = "",
    service_type: str = "request",
    revocable: bool = True,
) -> Service:
    principal.require_superuser("creating a service")
    await get_catalog(catalog_id)
    definition = check_workflow(workflow)
    async with write_transaction():
        service = await Service.create(
            catalog_id=catalog_id,
            name=_text(name, "name", limit=256, required=True),
            desc=_text(desc, "desc", limit=1024),
            service_type=_service_type(service_type),
            revocable=revocable,
            created_by=principal.username,
        )
        flow = await Workflow.create(service=service, version=1, definition=definition, created_by=principal.username)
        service.workflow_id = flow.id
        await service.save(update_fields=["workflow_id"])
        await record_operation(
            principal, op_type="create", op_target="service", op_desc=f"create service {name}", inst_id=service.id
        )
    return service


async def update_service(principal: Principal, service_id: int, changes: dict[str, Any]) -> Service:
    """`changes`: name, desc, service_type, revocable, catalog_id, workflow (a new version)."""
    principal.require_superuser("changing a service")
    service = await get_service(service_id)
    if service.is_builtin:
        raise Conflict("the built-in approval service cannot be changed", code="BUILTIN_SERVICE")
    definition = check_workflow(changes.pop("workflow")) if changes.get("workflow") is not None else None
    changes.pop("workflow", None)
    if "catalog_id" in changes:
        await get_catalog(changes["catalog_id"])
    if "service_type" in changes:
        changes["service_type"] = _service_type(changes["service_type"])
    for key in ("name", "desc"):
        if key in changes:
            changes[key] = _text(changes[key], key, limit=256 if key == "name" else 1024, required=key == "name")
    async with write_transaction():
        if definition is not None:
            latest = await Workflow.filter(service_id=service_id).order_by("-version").first()
            version = (latest.version if latest else 0) + 1
            flow = await Workflow.create(
                service_id=service_id, version=version, definition=definition, created_by=principal.username
            )
            changes["workflow_id"] = flow.id
        if changes:
            await Service.filter(id=service_id).update(**changes)
        await record_operation(
            principal,
            op_type="update",
            op_target="service",
            op_desc=f"update service {service_id}",
            inst_id=service_id,
            cur_data={k: v for k, v in changes.items()},
        )
    return await get_service(service_id)


async def delete_service(principal: Principal, service_id: int) -> None:
    principal.require_superuser("deleting a service")
    service = await get_service(service_id)
    if service.is_builtin:
        raise Conflict("the built-in approval service cannot be deleted", code="BUILTIN_SERVICE")
    async with write_transaction():
        if await Ticket.filter(service_id=service_id).exists():
            await Service.filter(id=service_id).update(enabled=False)  # its tickets stay readable
        else:
            await Service.filter(id=service_id).delete()
        await record_operation(
            principal, op_type="delete", op_target="service", op_desc=f"delete service {service_id}", inst_id=service_id
        )


async def approval_service() -> Service:
    """The built-in approval service, created once (a concurrent creator loses and reads it)."""
    service = await Service.get_or_none(key=APPROVAL_SERVICE_KEY)
    if service is not None:
        return service
    try:
        async with write_transaction():
            catalog = await ServiceCatalog.get_or_none(key=APPROVAL_CATALOG_KEY)
            if catalog is None:
                catalog = await ServiceCatalog.create(key=APPROVAL_CATALOG_KEY, name="审批服务", created_by="system")
            service = await Service.create(
                catalog=catalog,
                key=APPROVAL_SERVICE_KEY,
                name="内置审批服务",
                desc="approval steps of jobs and pipelines, and create_ticket fast_approval",
                service_type="request",
                is_builtin=True,
                created_by="system",
            )
            flow = await Workflow.create(service=service, version=1, definition=check_workflow(APPROVAL_WORKFLOW))
            service.workflow_id = flow.id
            await service.save(update_fields=["workflow_id"])
    except Duplicate:  # another request created it first
        pass
    return await Service.get(key=APPROVAL_SERVICE_KEY)
