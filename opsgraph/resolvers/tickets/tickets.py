"""Creating and reading tickets, and who may see one.

A principal sees a ticket when it is a superuser, has a role on the ticket's business, created
it, or is named as a processor of one of its nodes (names only count for real users: a bare name
a login-exempt app passes does not read other people's tickets). Anything else is answered as
"not found", so a ticket's existence never leaks.

`operator` (bk-itsm's `creator` / `operator` parameters) may name someone other than the caller
only for a superuser; the audit log keeps the caller.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from opsgraph.core.auth.principal import NO_USER_ID, Principal
from opsgraph.core.errors import NotFound, PermissionDenied, ValidationFailed
from opsgraph.executors.ticket_callbacks import wake_deliveries
from opsgraph.models.identity import User
from opsgraph.models.tickets import Service, Ticket, TicketProcessor, Workflow
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.identity import principal_for_user
from opsgraph.resolvers.tasks.launch import check_callback_url
from opsgraph.resolvers.tickets import flow
from opsgraph.resolvers.tickets.decisions import notify_decision
from opsgraph.resolvers.tickets.fields import check_values
from opsgraph.resolvers.tickets.services import APPROVAL_SERVICE_KEY, APPROVAL_STATE_ID, approval_service
from opsgraph.resolvers.topology.common import write_transaction

_SN_PLACEHOLDER = "pending-"


def source_of(principal: Principal) -> str:
    """bk-itsm's log `source`: API for app callers, WEB for people on GraphQL."""
    return "API" if principal.app_code else "WEB"


async def acting_as(principal: Principal, operator: str | None) -> Principal:
    """Who an operation is done as: the caller, or (superusers only) the user it names."""
    name = (operator or "").strip()
    if not name or name == principal.username:
        return principal
    if not principal.is_superuser:
        raise PermissionDenied(f"{principal.username!r} may act only as itself, not as {name!r}")
    user = await User.get_or_none(username=name, is_active=True)
    if user is None:
        return Principal(user_id=NO_USER_ID, username=name, app_code=principal.app_code)
    return await principal_for_user(user, app_code=principal.app_code)


def visible(principal: Principal) -> Q | None:
    """The tickets a principal may see, as a filter (None: all)."""
    if principal.is_superuser:
        return None
    mine = Q(business_id__in=list(principal.roles))
    if principal.user_id != NO_USER_ID:
        named = TicketProcessor.filter(username=principal.username).values("ticket_id")
        mine |= Q(creator=principal.username) | Q(id__in=Subquery(named))
    return mine


def visible_tickets(principal: Principal) -> QuerySet[Ticket]:
    condition = visible(principal)
    return Ticket.all() if condition is None else Ticket.filter(condition)


async def get_ticket(principal: Principal, *, ticket_id: int | None = None, sn: str | None = None) -> Ticket:
    lookup = {"id": ticket_id} if ticket_id is not None else {"sn": (sn or "").strip()}
    ticket = await visible_tickets(principal).filter(**lookup).first()
    if ticket is None:
        what = f"ticket {ticket_id}" if ticket_id is not None else f"ticket {sn!r}"
        raise NotFound(f"{what} does not exist", field="sn" if sn is not None else "ticketId", code="TICKET_NOT_FOUND")
    return ticket


@dataclass
class TicketFilter:
    sns: list[str] | None = None
    creator: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    statuses: list[str] | None = None
    business_id: int | None = None
    service_id: int | None = None
    todo: bool = False  # only tickets with a running node the caller is named on


def filtered_tickets(principal: Principal, spec: TicketFilter) -> QuerySet[Ticket]:
    query = visible_tickets(principal)
    if spec.sns is not None:
        query = query.filter(sn__in=spec.sns)
    if spec.creator:
        query = query.filter(creator=spec.creator)
    if spec.created_after is not None:
        query = query.filter(created_at__gte=spec.created_after)
    if spec.created_before is not None:
        query = query.filter(created_at__lte=spec.created_before)
    if spec.statuses:
        query = query.filter(current_status__in=spec.statuses)
    if spec.business_id is not None:
        query = query.filter(business_id=spec.business_id)
    if spec.service_id is not None:
        query = query.filter(service_id=spec.service_id)
    if spec.todo:
        query = query.filter(
            id__in=Subquery(TicketProcessor.filter(username=principal.username).values("ticket_id")),
            current_status="RUNNING",
        )
    return query


@dataclass
class NewTicket:
    service_id: int
    values: dict[str, Any]
    business_id: int | None = None
    callback_url: str | None = None
    # state id (text) → names, or {processors_type, processors} (internal callers)
    state_processors: dict[str, Any] = field(default_factory=dict)
    operator: str | None = None
    origin_kind: str = ""
    origin_task_id: int | None = None
    origin_ref: str = ""
    fast_approval: bool = False  # bk-itsm: the built-in approval service, whatever service_id says


def _state_processors(raw: dict[str, Any], definition: dict[str, Any]) -> dict[str, Any]:
    """bk-itsm meta.state_processors: {"407": "bob,carol"}; states must take people."""
    result: dict[str, Any] = {}
    for key, value in raw.items():
        try:
            state = flow.state_of(definition, int(key))
        except (TypeError, ValueError):
            state = None
        if state is None or state["type"] in {"START", "END"}:
            raise ValidationFailed(
                f"state_processors: the workflow has no processing state {key}", field="stateProcessors"
            )
        if isinstance(value, dict):
            result[str(state["id"])] = value
            continue
        names = value if isinstance(value, list) else str(value or "").split(",")
        people = [str(n).strip() for n in names if str(n).strip()]
        if not people:
            raise ValidationFailed(f"state_processors: state {key} needs at least one name", field="stateProcessors")
        result[str(state["id"])] = people
    return result


async def open_ticket(principal: Principal, spec: NewTicket) -> Ticket:
    """Validate, persist and start a ticket; the decision (a flow straight to END) is announced after commit."""
    service = await approval_service() if spec.fast_approval else await Service.get_or_none(id=spec.service_id)
    if service is None or not service.enabled:
        raise NotFound(f"service {spec.service_id} does not exist", field="serviceId", code="SERVICE_NOT_FOUND")
    actor = await acting_as(principal, spec.operator)
    if spec.business_id is not None and not principal.can(spec.business_id):
        raise NotFound(f"business {spec.business_id} does not exist", field="businessId", code="BUSINESS_NOT_FOUND")
    workflow = await Workflow.get(id=service.workflow_id)
    definition = workflow.definition
    values = check_values(definition["fields"], spec.values, "fields")
    overrides = _state_processors(spec.state_processors, definition)
    if service.key == APPROVAL_SERVICE_KEY and str(APPROVAL_STATE_ID) not in overrides:
        # bk-itsm fast_approval: the APPROVER field names who decides; nobody named → the maintainers.
        people = [p for p in str(values.get("APPROVER") or "").split(",") if p.strip()]
        overrides[str(APPROVAL_STATE_ID)] = (
            {"processors_type": "PERSON", "processors": people}
            if people
            else {"processors_type": "GENERAL", "processors": ["maintainer"]}
        )
    callback_url = check_callback_url(spec.callback_url)
    source = "SYS" if spec.origin_kind else source_of(principal)
    async with write_transaction():
        ticket = await Ticket.create(
            sn=f"{_SN_PLACEHOLDER}{uuid.uuid4().hex}",
            title=str(values.get("title") or service.name)[:256],
            service_id=service.id,
            flow_id=workflow.id,
            business_id=spec.business_id,
            creator=actor.username,
            app_code=principal.app_code,
            values=values,
            state_processors=overrides,
            callback_url=callback_url,
            origin_kind=spec.origin_kind,
            origin_task_id=spec.origin_task_id,
            origin_ref=spec.origin_ref,
            updated_by=actor.username,
        )
        # bk-itsm numbers look like NO2019090519542603: NO, the creation time, then a number of our
        # own; the ticket id keeps them unique.
        ticket.sn = f"NO{ticket.created_at.strftime('%Y%m%d%H%M%S')}{ticket.id:02d}"
        await ticket.save(update_fields=["sn"])
        step = await flow.start(ticket, definition, source)
        await record_operation(
            principal,
            op_type="create",
            op_target="ticket",
            op_desc=f"create ticket {ticket.sn} in service {service.id}"
            + (f" as {actor.username}" if actor is not principal else ""),
            business_id=spec.business_id,
            inst_id=ticket.id,
        )
    if step.decided:
        await after_decision(ticket.id)
    return ticket


async def after_decision(ticket_id: int) -> None:
    """After the commit that ended a ticket: its callback goes out, its origin hears of it."""
    wake_deliveries()
    await notify_decision(ticket_id)
