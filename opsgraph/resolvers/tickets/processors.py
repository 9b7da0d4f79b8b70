"""Who may act on a ticket node, and on the ticket as a whole.

A node's processors are usernames (PERSON), business roles of the ticket's business (GENERAL: the
role or a stronger one), or anyone who can see the ticket (OPEN). A superuser may act on any node:
an administrator's override, written in the ticket log under its own name.
"""

from __future__ import annotations

from opsgraph.core.auth.principal import NO_USER_ID, ROLE_RANK, Principal
from opsgraph.core.errors import OpsGraphError
from opsgraph.models.tickets import ACTIVE_NODE_STATUSES, Ticket, TicketNode


class NotProcessor(OpsGraphError):
    """The caller can see the ticket but is not among the people who may do this."""

    code = "NOT_PROCESSOR"


def may_process(actor: Principal, ticket: Ticket, node: TicketNode) -> bool:
    if actor.is_superuser:
        return True
    if actor.user_id == NO_USER_ID:  # a bare name (login-exempt app, no such user) is nobody's processor
        return False
    if node.processors_type == "PERSON":
        return actor.username in node.processors
    if node.processors_type == "GENERAL":
        roles = [r for r in node.processors if r in ROLE_RANK]
        return ticket.business_id is not None and any(actor.can(ticket.business_id, r) for r in roles)
    return node.processors_type == "OPEN"


def require_processor(actor: Principal, ticket: Ticket, node: TicketNode, what: str) -> None:
    if not may_process(actor, ticket, node):
        names = ",".join(node.processors) or node.processors_type
        raise NotProcessor(
            f"{actor.username!r} may not {what} step {node.state_id} ({node.name}) of ticket {ticket.sn}: "
            f"its processors are {names}",
            field="operator",
        )


async def may_manage(actor: Principal, ticket: Ticket) -> bool:
    """Suspend, resume or terminate a whole ticket: its creator, a processor of a running step,
    a maintainer of its business, or a superuser."""
    if actor.is_superuser:
        return True
    if actor.user_id == NO_USER_ID:
        return False
    if actor.username == ticket.creator:
        return True
    if ticket.business_id is not None and actor.can(ticket.business_id, "maintainer"):
        return True
    running = await TicketNode.filter(ticket_id=ticket.id, status__in=ACTIVE_NODE_STATUSES)
    return any(may_process(actor, ticket, node) for node in running)
