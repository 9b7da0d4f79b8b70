"""Telling whoever waits on a ticket (a job's approval step, a pipeline's approval node) that it
was decided, in-process and after a restart.

A ticket is decided when it ends (`decided_at` is set in the same transaction). Right after the
commit the listener registered for the ticket's `origin_kind` is called; if the process dies before
the waiting side acknowledges, `pending_decisions` returns the decision again on start-up.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from opsgraph.models.tickets import Ticket, TicketStatus

log = logging.getLogger("opsgraph.tickets.decisions")


@dataclass(frozen=True)
class ApprovalDecision:
    ticket_id: int
    origin_task_id: int
    origin_ref: str
    approved: bool
    reason: str
    operator: str


Listener = Callable[[ApprovalDecision], Awaitable[None]]
_LISTENERS: dict[str, Listener] = {}


def register_approval_listener(origin_kind: str, listener: Listener) -> None:
    """One listener per origin kind ("JOB_STEP", "PIPELINE_NODE"); registering again replaces it."""
    _LISTENERS[origin_kind] = listener


def decision_of(ticket: Ticket) -> ApprovalDecision:
    approved = ticket.current_status == TicketStatus.FINISHED and ticket.approve_result is True
    return ApprovalDecision(
        ticket_id=ticket.id,
        origin_task_id=int(ticket.origin_task_id or 0),
        origin_ref=ticket.origin_ref,
        approved=approved,
        reason="" if approved else ticket.end_reason,
        operator=ticket.updated_by,
    )


async def notify_decision(ticket_id: int) -> None:
    """Call the origin's listener for a decided, unacknowledged ticket; a listener's failure is
    logged (the decision stays pending for recovery), never the caller's error."""
    ticket = await Ticket.get_or_none(id=ticket_id)
    if ticket is None or not ticket.origin_kind or ticket.decided_at is None or ticket.decision_acknowledged:
        return
    listener = _LISTENERS.get(ticket.origin_kind)
    if listener is None:
        return
    try:
        await listener(decision_of(ticket))
    except Exception:
        log.exception("approval listener for %s failed on ticket %s", ticket.origin_kind, ticket_id)


async def pending_decisions(origin_kind: str) -> list[ApprovalDecision]:
    """Decided tickets of this origin kind whose origin has not acknowledged them, oldest first."""
    tickets = await Ticket.filter(
        origin_kind=origin_kind, decided_at__isnull=False, decision_acknowledged=False
    ).order_by("id")
    return [decision_of(ticket) for ticket in tickets]


async def acknowledge_decision(ticket_id: int) -> None:
    await Ticket.filter(id=ticket_id).update(decision_acknowledged=True)
