"""Operating a ticket's current steps, as bk-itsm's operate_node: TRANSITION (submit / approve /
refuse, step_processing.py), CLAIM, DISTRIBUTE, DELIVER, TERMINATE. Each runs in one transaction
holding the ticket row, so two approvers acting at once are serialised; a decision is announced after
the commit. Whole-ticket operations are in ticket_operations.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opsgraph.core.auth.principal import ROLE_RANK, Principal
from opsgraph.core.errors import Conflict, NotFound, ValidationFailed
from opsgraph.models.tickets import ACTIVE_NODE_STATUSES, NodeStatus, StateType, Ticket, TicketNode, TicketStatus
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.tickets import flow
from opsgraph.resolvers.tickets.operation_input import locked_ticket, parse_action, parse_comment
from opsgraph.resolvers.tickets.processors import require_processor
from opsgraph.resolvers.tickets.step_processing import process_step
from opsgraph.resolvers.tickets.tickets import acting_as, after_decision, get_ticket, source_of
from opsgraph.resolvers.tickets.workflows import APPROVE_REMARK, APPROVE_RESULT
from opsgraph.resolvers.topology.common import write_transaction

NODE_ACTIONS = frozenset({"TRANSITION", "CLAIM", "DISTRIBUTE", "DELIVER", "TERMINATE"})


@dataclass
class NodeOperation:
    ticket_id: int | None
    sn: str | None
    state_id: int
    action: str
    values: dict[str, Any] = field(default_factory=dict)
    processors: list[str] | None = None
    processors_type: str | None = None
    comment: str = ""
    operator: str | None = None


async def operate_node(principal: Principal, op: NodeOperation) -> Ticket:
    action = parse_action(op.action, NODE_ACTIONS)
    comment = parse_comment(op.comment, action if action in {"DELIVER", "TERMINATE"} else None)
    actor = await acting_as(principal, op.operator)
    found = await get_ticket(principal, ticket_id=op.ticket_id, sn=op.sn)
    source = source_of(principal)
    async with write_transaction():
        ticket = await locked_ticket(found.id)
        if ticket.current_status != TicketStatus.RUNNING:
            raise Conflict(
                f"ticket {ticket.sn} is {ticket.current_status}: its steps cannot be processed",
                code="TICKET_NOT_RUNNING",
            )
        node = await TicketNode.get_or_none(ticket_id=ticket.id, state_id=op.state_id)
        if node is None or node.status not in ACTIVE_NODE_STATUSES:
            raise NotFound(
                f"state {op.state_id} is not a current step of ticket {ticket.sn}",
                field="stateId",
                code="STATE_NOT_FOUND",
            )
        _check_step_waits_for(node, action)
        definition = await flow.definition_of(ticket)
        state = flow.state_of(definition, node.state_id) or {}
        if action == "TRANSITION":
            step = await process_step(actor, ticket, node, state, definition, op.values, comment, source)
        elif action == "TERMINATE":
            require_processor(actor, ticket, node, "terminate")
            reason = f"terminated by {actor.username} at 【{node.name}】: {comment}"
            await flow.close(ticket, TicketStatus.TERMINATED, reason, actor.username, source)
            step = flow.Step(decided=True)
        else:
            await _reassign(actor, ticket, node, state, action, op, comment, source)
            step = flow.Step()
        await record_operation(
            principal,
            op_type=action.lower(),
            op_target="ticket",
            op_desc=f"{action} step {node.state_id} of ticket {ticket.sn}"
            + (f" as {actor.username}" if actor is not principal else ""),
            business_id=ticket.business_id,
            inst_id=ticket.id,
        )
    if step.decided:
        await after_decision(ticket.id)
    return await Ticket.get(id=found.id)


# A step waiting to be claimed or distributed takes that (or TERMINATE) before anything else.
_FIRST = {NodeStatus.RECEIVING: "CLAIM", NodeStatus.DISTRIBUTING: "DISTRIBUTE"}


def _check_step_waits_for(node: TicketNode, action: str) -> None:
    first = _FIRST.get(node.status)
    if first is not None and action not in {first, "TERMINATE"}:
        raise Conflict(
            f"step {node.state_id} ({node.name}) is {node.status}: {first} it before {action}",
            field="action",
            code=f"STEP_{node.status}",
        )


async def _reassign(
    actor: Principal,
    ticket: Ticket,
    node: TicketNode,
    state: dict[str, Any],
    action: str,
    op: NodeOperation,
    comment: str,
    source: str,
) -> None:
    require_processor(actor, ticket, node, action.lower())
    if state.get("is_multi"):
        raise Conflict(
            f"step {node.state_id} is signed by each of its processors: it cannot be handed over",
            code="NOT_TRANSFERABLE",
        )
    if action == "CLAIM":
        names, kind = [actor.username], "PERSON"
    else:
        kind = (op.processors_type or "PERSON").upper()
        names = [n.strip() for n in (op.processors or []) if n and n.strip()]
        if kind not in {"PERSON", "GENERAL"}:
            raise ValidationFailed("processors_type must be PERSON or GENERAL", field="processorsType")
        if not names:
            raise ValidationFailed(
                f"{action} needs the processors to hand the step to", field="processors", code="FIELD_REQUIRED"
            )
        if kind == "GENERAL" and not set(names) <= set(ROLE_RANK):
            raise ValidationFailed(f"GENERAL processors are business roles {sorted(ROLE_RANK)}", field="processors")
    node.processors_type, node.processors = kind, list(dict.fromkeys(names))
    node.status = NodeStatus.RUNNING  # claimed or distributed: now it is processed
    await node.save(update_fields=["processors_type", "processors", "status"])
    await flow.add_processor_rows(ticket.id, node.processors if kind == "PERSON" else [])
    words = {"CLAIM": "认领", "DISTRIBUTE": "派单", "DELIVER": "转单"}[action]
    detail = f": {comment}" if comment else ""
    message = f"{actor.username} {words}节点【{node.name}】→ {','.join(node.processors)}{detail}"
    await flow.write_log(ticket, actor.username, action, message, source, node.state_id)


def node_operations(ticket_status: str, node_status: str, is_multi: bool) -> list[str]:
    if ticket_status != TicketStatus.RUNNING or node_status not in ACTIVE_NODE_STATUSES:
        return []
    first = _FIRST.get(NodeStatus(node_status))
    if first is not None:
        return [first, "TERMINATE"]
    return ["TRANSITION", "TERMINATE"] if is_multi else ["TRANSITION", "CLAIM", "DISTRIBUTE", "DELIVER", "TERMINATE"]


async def running_approval_state(principal: Principal, ticket_id: int) -> int:
    """The state id of the ticket's one running APPROVAL or SIGN step (for approveTicketStep); with
    parallel branches, the one that names the caller when only one does."""
    ticket = await get_ticket(principal, ticket_id=ticket_id)
    running = await TicketNode.filter(
        ticket_id=ticket.id, status=NodeStatus.RUNNING, type__in=[StateType.APPROVAL, StateType.SIGN]
    ).values("state_id", "processors_type", "processors")
    if len(running) > 1:
        mine = [r for r in running if r["processors_type"] == "PERSON" and principal.username in r["processors"]]
        running = mine if len(mine) == 1 else running
    if len(running) != 1:
        raise NotFound(
            f"ticket {ticket.sn} has {len(running)} running approval steps: name the stateId",
            field="stateId",
            code="STATE_NOT_FOUND",
        )
    return int(running[0]["state_id"])


async def approve_by_confirmation(principal: Principal, ticket_id: int) -> Ticket:
    """confirmTaskStep on a job waiting at its approval step: approve its ticket as the caller."""
    state_id = await running_approval_state(principal, ticket_id)
    op = NodeOperation(
        ticket_id=ticket_id,
        sn=None,
        state_id=state_id,
        action="TRANSITION",
        values={APPROVE_RESULT: "true", APPROVE_REMARK: "confirmed with confirmTaskStep"},
    )
    return await operate_node(principal, op)
