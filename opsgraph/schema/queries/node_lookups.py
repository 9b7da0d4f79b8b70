"""`node(id:)` for the types whose visibility is more than "a role on the row's business": ITSM
catalogs, services and tickets, pipeline templates, runs and periodic tasks, and tasks.

Each lookup answers None for a missing object and for one the caller may not see alike, so a
global id never tells a stranger that something exists. Catalogs and services are read by every
signed-in caller (as the `serviceCatalogs` / `services` queries); common templates by everyone;
a ticket by the people the ticket involves (resolvers.tickets.tickets.visible_tickets); runs,
periodic tasks and tasks by a role on their business (and the checks their own queries make); a
CMDB instance by a role on its business (everyone, outside any business) when the caller's user
groups grant `search` on its model (cmdb_instances.visible_instances).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from strawberry.types import Info

from opsgraph.core.errors import NotFound, PermissionDenied
from opsgraph.resolvers.pipelines.periodic import get_periodic_task
from opsgraph.resolvers.pipelines.runs import get_run
from opsgraph.resolvers.tasks.control import get_task
from opsgraph.resolvers.tickets.tickets import get_ticket
from opsgraph.schema.types.cmdb_instances import visible_instances
from opsgraph.schema.types.node import Node
from opsgraph.schema.types.pipelines import PeriodicTaskType, PipelineRunType, PipelineTemplateType
from opsgraph.schema.types.tasks import TaskType
from opsgraph.schema.types.tickets import ServiceCatalogType, ServiceType, TicketType

Lookup = Callable[[Info, int], Awaitable[Node | None]]
_HIDDEN = (NotFound, PermissionDenied)


async def _catalog(info: Info, key: int) -> Node | None:
    info.context.caller  # noqa: B018 - signed-in callers only
    row = await info.context.loaders.tickets.catalog.load(key)
    return ServiceCatalogType.from_row(row) if row else None


async def _service(info: Info, key: int) -> Node | None:
    info.context.caller  # noqa: B018
    row = await info.context.loaders.tickets.service.load(key)
    return ServiceType.from_row(row) if row else None


async def _ticket(info: Info, key: int) -> Node | None:
    try:
        await get_ticket(info.context.caller, ticket_id=key)
    except _HIDDEN:
        return None
    return TicketType.from_row(await info.context.loaders.tickets.ticket.load(key))


async def _template(info: Info, key: int) -> Node | None:
    row = await info.context.loaders.pipelines.template.load(key)
    if row is None:
        return None
    if not row["is_common"] and (row["business_id"] is None or not info.context.caller.can(row["business_id"])):
        return None
    return PipelineTemplateType.from_row(row)


async def _run(info: Info, key: int) -> Node | None:
    try:
        await get_run(info.context.caller, key)
    except _HIDDEN:
        return None
    row = await info.context.loaders.pipelines.run_by_task.load(key)
    return PipelineRunType.from_row(row) if row else None


async def _periodic(info: Info, key: int) -> Node | None:
    try:
        await get_periodic_task(info.context.caller, key)
    except _HIDDEN:
        return None
    row = await info.context.loaders.pipelines.periodic_task.load(key)
    return PeriodicTaskType.from_row(row) if row else None


async def _task(info: Info, key: int) -> Node | None:
    caller = info.context.caller
    row = await info.context.loaders.task.load(key)
    if row is None or (row["business_id"] is not None and not caller.can(row["business_id"])):
        return None
    try:
        await get_task(caller, key)
    except _HIDDEN:
        return None
    return TaskType.from_row(row)


async def _instance(info: Info, key: int) -> Node | None:
    found = await visible_instances(info, [key])
    return found[0] if found else None


NODE_LOOKUPS: dict[str, Lookup] = {
    "Instance": _instance,
    "ServiceCatalog": _catalog,
    "Service": _service,
    "Ticket": _ticket,
    "PipelineTemplate": _template,
    "PipelineRun": _run,
    "PeriodicTask": _periodic,
    "Task": _task,
}
