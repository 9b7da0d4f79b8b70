"""ITSM mutations: createServiceCatalog, updateServiceCatalog, deleteServiceCatalog, createService,
 updateService, deleteService (superusers),
createTicket, operateTicketNode, approveTicketStep, operateTicket.

`operator` names someone else to act as (superusers only), as bk-itsm's `creator`/`operator` do.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.resolvers.tickets import catalogs, operations, services, ticket_operations
from opsgraph.resolvers.tickets import tickets as ticket_actions
from opsgraph.resolvers.tickets.workflows import APPROVE_REMARK, APPROVE_RESULT
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.inputs import optional_pk, pk
from opsgraph.schema.types.tickets import ServiceCatalogType, ServiceType, TicketType

_WORKFLOW = (
    "{fields: [{key, name, type, required, choices, regex}], "
    "states: [{id, name, type: START|NORMAL|APPROVAL|SIGN|END, "
    "processors_type: PERSON|STARTER|GENERAL|OPEN, processors, fields, is_multi, is_sequential, terminate_on_reject, "
    "finish_condition}], "
    "transitions: [{from, to, name, conditions: [{key, condition, value}], condition_type, default}]}"
)


@strawberry.input
class CreateServiceCatalogInput:
    key: str
    name: str
    desc: str = ""
    parent_id: strawberry.ID | None = None


@strawberry.input
class UpdateServiceCatalogInput:
    catalog_id: strawberry.ID
    key: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    desc: str | None = strawberry.UNSET
    parent_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Move it (with its children) under this catalog; null: a root."
    )


@strawberry.input
class DeleteServiceCatalogInput:
    catalog_id: strawberry.ID


@strawberry.input
class CreateServiceInput:
    catalog_id: strawberry.ID
    name: str
    workflow: JSON = strawberry.field(description=_WORKFLOW)
    desc: str = ""
    service_type: str = "request"
    revocable: bool = True


@strawberry.input
class UpdateServiceInput:
    service_id: strawberry.ID
    name: str | None = strawberry.UNSET
    desc: str | None = strawberry.UNSET
    service_type: str | None = strawberry.UNSET
    revocable: bool | None = strawberry.UNSET
    catalog_id: strawberry.ID | None = strawberry.UNSET
    workflow: JSON | None = strawberry.field(default=strawberry.UNSET, description="A new version: " + _WORKFLOW)


@strawberry.input
class DeleteServiceInput:
    service_id: strawberry.ID


@strawberry.input
class TicketFieldInput:
    key: str
    value: JSON


@strawberry.input
class StateProcessorsInput:
    state_id: int
    processors: list[str]


@strawberry.input
class CreateTicketInput:
    service_id: strawberry.ID | None = strawberry.field(default=None, description="Not needed with fastApproval.")
    fields: list[TicketFieldInput] = strawberry.field(description="The submit form: title and the service's keys.")
    business_id: strawberry.ID | None = None
    callback_url: str | None = strawberry.field(default=None, description="POSTed the approval result when it ends.")
    state_processors: list[StateProcessorsInput] | None = strawberry.field(
        default=None, description="People to process these states, instead of the workflow's."
    )
    operator: str | None = strawberry.field(default=None, description="Create it as this user (superusers).")
    fast_approval: bool = strawberry.field(
        default=False, description="Use the built-in approval service (fields APPROVER, APPROVAL_CONTENT)."
    )


@strawberry.enum
class TicketStepAction(Enum):
    TRANSITION = "TRANSITION"
    CLAIM = "CLAIM"
    DISTRIBUTE = "DISTRIBUTE"
    DELIVER = "DELIVER"
    TERMINATE = "TERMINATE"


@strawberry.input
class OperateTicketNodeInput:
    ticket_id: strawberry.ID
    state_id: int
    action: TicketStepAction
    fields: list[TicketFieldInput] | None = None
    processors_type: str | None = strawberry.field(default=None, description="DISTRIBUTE/DELIVER: PERSON or GENERAL.")
    processors: list[str] | None = None
    comment: str | None = None
    operator: str | None = None


@strawberry.input
class ApproveTicketStepInput:
    ticket_id: strawberry.ID
    approve: bool
    state_id: int | None = strawberry.field(
        default=None, description="Default: the ticket's one running approval (or the one naming you)."
    )
    comment: str | None = strawberry.field(default=None, description="Required when refusing.")
    operator: str | None = None


@strawberry.enum
class TicketAction(Enum):
    SUSPEND = "SUSPEND"
    UNSUSPEND = "UNSUSPEND"
    WITHDRAW = "WITHDRAW"
    TERMINATE = "TERMINATE"


@strawberry.input
class OperateTicketInput:
    ticket_id: strawberry.ID
    action: TicketAction
    comment: str | None = None
    operator: str | None = None


@strawberry.type
class ServiceCatalogPayload:
    catalog: ServiceCatalogType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteServiceCatalogPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ServicePayload:
    service: ServiceType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteServicePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TicketPayload:
    ticket: TicketType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _ticket(info: Info, ticket_id: int) -> TicketPayload:
    loader = info.context.loaders.tickets.ticket
    loader.clear(ticket_id)
    return TicketPayload(ticket=TicketType.from_row(await loader.load(ticket_id)))


async def _service(info: Info, service_id: int) -> ServicePayload:
    loader = info.context.loaders.tickets.service
    loader.clear(service_id)
    return ServicePayload(service=ServiceType.from_row(await loader.load(service_id)))


def _values(items: list[TicketFieldInput] | None) -> dict[str, Any]:
    return {item.key: item.value for item in items or []}


@strawberry.type
class TicketMutations:
    @strawberry.mutation(description="A service catalog (superusers).")
    @returns_user_errors(ServiceCatalogPayload)
    async def create_service_catalog(self, info: Info, input: CreateServiceCatalogInput) -> ServiceCatalogPayload:
        catalog = await catalogs.create_catalog(
            info.context.caller,
            key=input.key,
            name=input.name,
            desc=input.desc,
            parent_id=optional_pk(input.parent_id, "ServiceCatalog"),
        )
        row = await info.context.loaders.tickets.catalog.load(catalog.id)
        return ServiceCatalogPayload(catalog=ServiceCatalogType.from_row(row))

    @strawberry.mutation(description="Rename, re-key or move a service catalog (superusers).")
    @returns_user_errors(ServiceCatalogPayload)
    async def update_service_catalog(self, info: Info, input: UpdateServiceCatalogInput) -> ServiceCatalogPayload:
        changes: dict[str, Any] = {}
        for name in ("key", "name", "desc"):
            value = getattr(input, name)
            if value is not strawberry.UNSET and value is not None:
                changes[name] = value
        if input.parent_id is not strawberry.UNSET:
            changes["parent_id"] = optional_pk(input.parent_id, "ServiceCatalog")
        catalog_id = pk(input.catalog_id, "ServiceCatalog")
        await catalogs.update_catalog(info.context.caller, catalog_id, changes)
        loader = info.context.loaders.tickets.catalog
        loader.clear(catalog_id)
        return ServiceCatalogPayload(catalog=ServiceCatalogType.from_row(await loader.load(catalog_id)))

    @strawberry.mutation(description="Delete a catalog (superusers); refused while services or children use it.")
    @returns_user_errors(DeleteServiceCatalogPayload)
    async def delete_service_catalog(self, info: Info, input: DeleteServiceCatalogInput) -> DeleteServiceCatalogPayload:
        await catalogs.delete_catalog(info.context.caller, pk(input.catalog_id, "ServiceCatalog"))
        return DeleteServiceCatalogPayload(deleted_id=input.catalog_id)

    @strawberry.mutation(description="A service with its workflow (superusers); refused workflows name the state.")
    @returns_user_errors(ServicePayload)
    async def create_service(self, info: Info, input: CreateServiceInput) -> ServicePayload:
        service = await services.create_service(
            info.context.caller,
            catalog_id=pk(input.catalog_id, "ServiceCatalog"),
            name=input.name,
            workflow=input.workflow,
            desc=input.desc,
            service_type=input.service_type,
            revocable=input.revocable,
        )
        return await _service(info, service.id)

    @strawberry.mutation(description="Change a service; a new workflow becomes a new version for new tickets.")
    @returns_user_errors(ServicePayload)
    async def update_service(self, info: Info, input: UpdateServiceInput) -> ServicePayload:
        changes: dict[str, Any] = {}
        for name in ("name", "desc", "service_type", "revocable", "workflow"):
            value = getattr(input, name)
            if value is not strawberry.UNSET and value is not None:
                changes[name] = value
        if input.catalog_id is not strawberry.UNSET and input.catalog_id is not None:
            changes["catalog_id"] = pk(input.catalog_id, "ServiceCatalog")
        service_id = pk(input.service_id, "Service")
        await services.update_service(info.context.caller, service_id, changes)
        return await _service(info, service_id)

    @strawberry.mutation(description="Delete a service (one with tickets is disabled instead).")
    @returns_user_errors(DeleteServicePayload)
    async def delete_service(self, info: Info, input: DeleteServiceInput) -> DeleteServicePayload:
        await services.delete_service(info.context.caller, pk(input.service_id, "Service"))
        return DeleteServicePayload(deleted_id=input.service_id)

    @strawberry.mutation(description="Open a ticket in a service; it starts at the workflow's first step.")
    @returns_user_errors(TicketPayload)
    async def create_ticket(self, info: Info, input: CreateTicketInput) -> TicketPayload:
        spec = ticket_actions.NewTicket(
            service_id=0 if input.fast_approval or input.service_id is None else pk(input.service_id, "Service"),
            values=_values(input.fields),
            business_id=optional_pk(input.business_id, "Business"),
            callback_url=input.callback_url,
            state_processors={str(s.state_id): s.processors for s in input.state_processors or []},
            operator=input.operator,
            fast_approval=input.fast_approval,
        )
        ticket = await ticket_actions.open_ticket(info.context.caller, spec)
        return await _ticket(info, ticket.id)

    @strawberry.mutation(description="Process a current step: submit its fields, claim, hand over or terminate.")
    @returns_user_errors(TicketPayload)
    async def operate_ticket_node(self, info: Info, input: OperateTicketNodeInput) -> TicketPayload:
        op = operations.NodeOperation(
            ticket_id=pk(input.ticket_id, "Ticket"),
            sn=None,
            state_id=input.state_id,
            action=input.action.value,
            values=_values(input.fields),
            processors=input.processors,
            processors_type=input.processors_type,
            comment=input.comment or "",
            operator=input.operator,
        )
        ticket = await operations.operate_node(info.context.caller, op)
        return await _ticket(info, ticket.id)

    @strawberry.mutation(description="Approve or refuse an approval / sign step (a refusal needs a comment).")
    @returns_user_errors(TicketPayload)
    async def approve_ticket_step(self, info: Info, input: ApproveTicketStepInput) -> TicketPayload:
        ticket_id = pk(input.ticket_id, "Ticket")
        state_id = input.state_id
        if state_id is None:
            state_id = await operations.running_approval_state(info.context.caller, ticket_id)
        op = operations.NodeOperation(
            ticket_id=ticket_id,
            sn=None,
            state_id=state_id,
            action="TRANSITION",
            values={APPROVE_RESULT: "true" if input.approve else "false", APPROVE_REMARK: input.comment or ""},
            comment=input.comment or "",
            operator=input.operator,
        )
        ticket = await operations.operate_node(info.context.caller, op)
        return await _ticket(info, ticket.id)

    @strawberry.mutation(description="Suspend, resume (UNSUSPEND), withdraw or terminate a ticket.")
    @returns_user_errors(TicketPayload)
    async def operate_ticket(self, info: Info, input: OperateTicketInput) -> TicketPayload:
        ticket = await ticket_operations.operate_ticket(
            info.context.caller,
            ticket_id=pk(input.ticket_id, "Ticket"),
            sn=None,
            action=input.action.value,
            comment=input.comment,
            operator=input.operator,
        )
        return await _ticket(info, ticket.id)
