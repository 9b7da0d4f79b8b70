"""Approvals that gate runs: a job template's approval step ("JOB_STEP") or a pipeline's approval
node ("PIPELINE_NODE") opens a ticket in the built-in approval service and waits for its decision.

The contract with the waiting side:
- `open_approval_ticket(...)` persists the ticket (START → APPROVAL → END) and returns its id;
  `approvers` are the people who may decide (any one of them decides, or with `everyone` each of
  them must approve and the first refusal decides: the built-in unanimous service, whose approval
  node is `is_multi`); none given means the maintainers of the business (a superuser may always
  decide, as an override);
- after a decision is committed, the listener registered for the origin kind is called with an
  `ApprovalDecision`; `approved` is true only for a ticket that FINISHED approved; a refusal,
  a termination or a withdrawal is `approved=False` with the reason ("refused by bob: …");
- `pending_decisions(kind)` lists decided tickets not yet acknowledged (recovery after a restart),
  and `acknowledge_decision(ticket_id)` marks one handled;
- `close_approval_ticket(ticket_id, reason)` ends a ticket whose run no longer waits (the run
  was cancelled or revoked): TERMINATED, already acknowledged, so no listener fires.

Example:
    ticket_id = await open_approval_ticket(business_id=2, title="deploy: go?", approvers=["bob"],
        requester="alice", origin_kind="JOB_STEP", origin_task_id=41, origin_ref="7")
    register_approval_listener("JOB_STEP", wake_the_runner)
"""

from __future__ import annotations

from opsgraph.core.auth.principal import CLI_OPERATOR, Principal
from opsgraph.core.errors import Duplicate, ValidationFailed
from opsgraph.models.tickets import ENDED_TICKET_STATUSES, Service, Ticket, TicketStatus, Workflow
from opsgraph.resolvers.tickets import flow
from opsgraph.resolvers.tickets.decisions import (
    ApprovalDecision,
    acknowledge_decision,
    pending_decisions,
    register_approval_listener,
)
from opsgraph.resolvers.tickets.services import APPROVAL_STATE_ID, APPROVAL_WORKFLOW, approval_service
from opsgraph.resolvers.tickets.tickets import NewTicket, open_ticket
from opsgraph.resolvers.tickets.workflows import check_workflow
from opsgraph.resolvers.topology.common import write_transaction

__all__ = [
    "ApprovalDecision",
    "acknowledge_decision",
    "close_approval_ticket",
    "open_approval_ticket",
    "pending_decisions",
    "register_approval_listener",
]
ORIGIN_KINDS = frozenset({"JOB_STEP", "PIPELINE_NODE"})
# Tickets are opened by the system on the run's behalf: the requester is the ticket's creator.
_SYSTEM = Principal(user_id=CLI_OPERATOR.user_id, username="system", is_superuser=True)
UNANIMOUS_SERVICE_KEY = "builtin_approval_unanimous"


async def unanimous_approval_service() -> Service:
    """The built-in approval service whose approval node needs every approver (created once, in
    the catalog of the built-in approval service; a concurrent creator loses and reads it)."""
    service = await Service.get_or_none(key=UNANIMOUS_SERVICE_KEY)
    if service is not None:
        return service
    base = await approval_service()
    states = [
        {**state, "is_multi": True} if state["id"] == APPROVAL_STATE_ID else state
        for state in APPROVAL_WORKFLOW["states"]
    ]
    try:
        async with write_transaction():
            service = await Service.create(
                catalog_id=base.catalog_id,
                key=UNANIMOUS_SERVICE_KEY,
                name="内置会签审批服务",
                desc="approval steps every approver must approve (OpenC3 `everyone: on`)",
                service_type="request",
                is_builtin=True,
                created_by="system",
            )
            flow = await Workflow.create(
                service=service, version=1, definition=check_workflow({**APPROVAL_WORKFLOW, "states": states})
            )
            service.workflow_id = flow.id
            await service.save(update_fields=["workflow_id"])
    except Duplicate:  # another request created it first
        pass
    return await Service.get(key=UNANIMOUS_SERVICE_KEY)


async def open_approval_ticket(
    *,
    business_id: int,
    title: str,
    approvers: list[str],
    requester: str,
    origin_kind: str,
    origin_task_id: int,
    origin_ref: str,
    comment: str = "",
    everyone: bool = False,
) -> int:
    if origin_kind not in ORIGIN_KINDS:
        raise ValidationFailed(f"unknown approval origin {origin_kind!r}", field="originKind")
    service = await (unanimous_approval_service() if everyone else approval_service())
    people = list(dict.fromkeys(a.strip() for a in approvers if a and a.strip()))
    processors: dict[str, object] = (
        {"processors_type": "PERSON", "processors": people}
        if people
        else {"processors_type": "GENERAL", "processors": ["maintainer"]}
    )
    spec = NewTicket(
        service_id=service.id,
        values={"title": (title or "approval")[:120], "APPROVER": ",".join(people), "APPROVAL_CONTENT": comment},
        business_id=business_id,
        state_processors={str(APPROVAL_STATE_ID): processors},
        operator=requester or "system",
        origin_kind=origin_kind,
        origin_task_id=origin_task_id,
        origin_ref=str(origin_ref),
    )
    ticket = await open_ticket(_SYSTEM, spec)
    return ticket.id


async def close_approval_ticket(ticket_id: int, reason: str) -> None:
    """End an approval ticket nobody waits for any more (no listener is called)."""
    async with write_transaction():
        ticket = await Ticket.select_for_update().get_or_none(id=ticket_id)
        if ticket is None or ticket.current_status in ENDED_TICKET_STATUSES:
            return
        await flow.close(ticket, TicketStatus.TERMINATED, reason, flow.SYSTEM, "SYS")
        ticket.decision_acknowledged = True
        await ticket.save(update_fields=["decision_acknowledged"])
