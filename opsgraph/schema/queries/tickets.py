"""ITSM queries: catalogs and services (readable by every signed-in caller), tickets (only those
you may see: your businesses', your own, those you are named on)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from opsgraph.core.errors import NotFound
from opsgraph.models.tickets import Service, ServiceCatalog, TicketStatus
from opsgraph.resolvers.tickets import tickets as ticket_actions
from opsgraph.schema.connection import Connection, connection_from_query
from opsgraph.schema.inputs import optional_pk, pk
from opsgraph.schema.types.tickets import ServiceCatalogType, ServiceType, TicketType


@strawberry.input
class ServiceFilter:
    catalog_id: strawberry.ID | None = None
    service_type: str | None = strawberry.field(default=None, description="request, change, event or question.")
    include_builtin: bool = strawberry.field(default=False, description="Also the built-in approval service.")


@strawberry.input
class TicketFilter:
    sns: list[str] | None = None
    creator: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    status: list[TicketStatus] | None = None
    business_id: strawberry.ID | None = None
    service_id: strawberry.ID | None = None
    todo: bool = strawberry.field(default=False, description="Only running tickets you are named a processor on.")


@strawberry.type
class TicketQuery:
    @strawberry.field(description="Every catalog (flat, by id); `level` 0 are roots, `children` nest.")
    async def service_catalogs(
        self, info: Info, first: int, after: str | None = None
    ) -> Connection[ServiceCatalogType]:
        info.context.caller  # noqa: B018 - signed-in callers only
        return await connection_from_query(
            ServiceCatalog.all(),
            first=first,
            after=after,
            maximum=info.context.settings.max_page_size,
            build=ServiceCatalogType.from_row,
        )

    @strawberry.field
    async def services(
        self, info: Info, first: int, after: str | None = None, filter: ServiceFilter | None = None
    ) -> Connection[ServiceType]:
        info.context.caller  # noqa: B018
        spec = filter or ServiceFilter()
        query = Service.filter(enabled=True)
        if not spec.include_builtin:
            query = query.filter(is_builtin=False)
        catalog_id = optional_pk(spec.catalog_id, "ServiceCatalog")
        if catalog_id is not None:
            query = query.filter(catalog_id=catalog_id)
        if spec.service_type:
            query = query.filter(service_type=spec.service_type)
        return await connection_from_query(
            query, first=first, after=after, maximum=info.context.settings.max_page_size, build=ServiceType.from_row
        )

    @strawberry.field(description="By global id; null when missing.")
    async def service(self, info: Info, id: strawberry.ID) -> ServiceType | None:
        info.context.caller  # noqa: B018
        row = await info.context.loaders.tickets.service.load(pk(id, "Service"))
        return ServiceType.from_row(row) if row else None

    @strawberry.field(description="By global id or by sn; null when missing or not visible to you.")
    async def ticket(self, info: Info, id: strawberry.ID | None = None, sn: str | None = None) -> TicketType | None:
        if (id is None) == (sn is None):
            raise NotFound("give exactly one of id or sn", field="id")
        try:
            found = await ticket_actions.get_ticket(
                info.context.caller, ticket_id=pk(id, "Ticket") if id is not None else None, sn=sn
            )
        except NotFound:
            return None
        row = await info.context.loaders.tickets.ticket.load(found.id)
        return TicketType.from_row(row)

    @strawberry.field(description="Tickets you may see, newest first.")
    async def tickets(
        self, info: Info, first: int, after: str | None = None, filter: TicketFilter | None = None
    ) -> Connection[TicketType]:
        spec = filter or TicketFilter()
        query = ticket_actions.filtered_tickets(
            info.context.caller,
            ticket_actions.TicketFilter(
                sns=spec.sns,
                creator=spec.creator,
                created_after=spec.created_after,
                created_before=spec.created_before,
                statuses=[s.value for s in spec.status] if spec.status else None,
                business_id=optional_pk(spec.business_id, "Business"),
                service_id=optional_pk(spec.service_id, "Service"),
                todo=spec.todo,
            ),
        )
        return await connection_from_query(
            query,
            first=first,
            after=after,
            maximum=info.context.settings.max_page_size,
            build=TicketType.from_row,
            descending=True,
        )
