"""Operating a whole ticket (bk-itsm operate_ticket): SUSPEND, UNSUSPEND, WITHDRAW, TERMINATE, in one
transaction holding the ticket row; a decision (withdrawn, terminated) is announced after the commit."""

from __future__ import annotations

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict
from opsgraph.models.tickets import (
    ENDED_TICKET_STATUSES,
    NodeStatus,
    Service,
    StateType,
    Ticket,
    TicketNode,
    TicketSignature,
    TicketStatus,
)
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.tickets import flow
from opsgraph.resolvers.tickets.operation_input import locked_ticket, parse_action, parse_comment
from opsgraph.resolvers.tickets.processors import NotProcessor, may_manage
from opsgraph.resolvers.tickets.tickets import acting_as, after_decision, get_ticket, source_of
from opsgraph.resolvers.topology.common import write_transaction

TICKET_ACTIONS = frozenset({"SUSPEND", "UNSUSPEND", "WITHDRAW", "TERMINATE"})


async def operate_ticket(
    principal: Principal,
    *,
    ticket_id: int | None,
    sn: str | None,
    action: str,
    comment: str | None = None,
    operator: str | None = None,
) -> Ticket:
    chosen = parse_action(action, TICKET_ACTIONS)
    text = parse_comment(comment, chosen if chosen in {"SUSPEND", "TERMINATE"} else None)
    actor = await acting_as(principal, operator)
    found = await get_ticket(principal, ticket_id=ticket_id, sn=sn)
    source = source_of(principal)
    decided = False
    async with write_transaction():
        ticket = await locked_ticket(found.id)
        if ticket.current_status in ENDED_TICKET_STATUSES:
            raise Conflict(f"ticket {ticket.sn} has already ended ({ticket.current_status})", code="TICKET_ENDED")
        if chosen == "WITHDRAW":
            await _withdraw(actor, ticket, text, source)
            decided = True
        else:
            if not await may_manage(actor, ticket):
                raise NotProcessor(f"{actor.username!r} may not {chosen.lower()} ticket {ticket.sn}", field="operator")
            decided = await _change_status(actor, ticket, chosen, text, source)
        await record_operation(
            principal,
            op_type=chosen.lower(),
            op_target="ticket",
            op_desc=f"{chosen} ticket {ticket.sn}" + (f" as {actor.username}" if actor is not principal else ""),
            business_id=ticket.business_id,
            inst_id=ticket.id,
        )
    if decided:
        await after_decision(found.id)
    return await Ticket.get(id=found.id)


async def _change_status(actor: Principal, ticket: Ticket, action: str, comment: str, source: str) -> bool:
    detail = f": {comment}" if comment else ""
    if action == "TERMINATE":
        reason = f"terminated by {actor.username}{detail}"
        await flow.close(ticket, TicketStatus.TERMINATED, reason, actor.username, source)
        return True
    wanted, becomes = (
        (TicketStatus.RUNNING, TicketStatus.SUSPENDED)
        if action == "SUSPEND"
        else (TicketStatus.SUSPENDED, TicketStatus.RUNNING)
    )
    if ticket.current_status != wanted:
        raise Conflict(
            f"ticket {ticket.sn} is {ticket.current_status}, not {wanted}: cannot {action.lower()}",
            code="TICKET_NOT_" + wanted,
        )
    ticket.current_status, ticket.updated_by = becomes, actor.username
    await ticket.save(update_fields=["current_status", "updated_by", "updated_at"])
    words = "挂起单据" if action == "SUSPEND" else "恢复单据"
    await flow.write_log(ticket, actor.username, action, f"{actor.username} {words}{detail}", source)
    return False


async def _withdraw(actor: Principal, ticket: Ticket, comment: str, source: str) -> None:
    """bk-itsm withdraw_validate: the creator, a revocable service, nothing processed after submit."""
    if actor.username != ticket.creator and not actor.is_superuser:
        raise NotProcessor(f"only the creator {ticket.creator!r} may withdraw ticket {ticket.sn}", field="operator")
    service = await Service.get(id=ticket.service_id)
    if not service.revocable:
        raise Conflict(f"tickets of service {service.name!r} cannot be withdrawn", code="NOT_REVOCABLE")
    processed = (
        await TicketNode.filter(ticket_id=ticket.id, status=NodeStatus.FINISHED)
        .exclude(type__in=[StateType.START, StateType.PARALLEL, StateType.CONVERGE])
        .exists()
    )
    signed = await TicketSignature.filter(node__ticket_id=ticket.id).exists()
    if processed or signed:
        raise Conflict(
            f"ticket {ticket.sn} has been processed since it was submitted: it cannot be withdrawn",
            code="ALREADY_PROCESSED",
        )
    detail = f": {comment}" if comment else ""
    await flow.close(ticket, TicketStatus.REVOKED, f"withdrawn by {actor.username}{detail}", actor.username, source)


def ticket_operations(status: str) -> list[str]:
    """What can be done to a ticket in this status (bk-itsm get_ticket_status `operations`)."""
    if status == TicketStatus.RUNNING:
        return ["SUSPEND", "WITHDRAW", "TERMINATE"]
    if status == TicketStatus.SUSPENDED:
        return ["UNSUSPEND", "WITHDRAW", "TERMINATE"]
    return []
