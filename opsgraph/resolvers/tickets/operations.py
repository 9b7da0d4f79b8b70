"""Operating tickets: per node (TRANSITION to submit / approve / refuse, CLAIM, DISTRIBUTE,
DELIVER, TERMINATE) and per ticket (SUSPEND, UNSUSPEND, WITHDRAW, TERMINATE), as bk-itsm's
operate_node / operate_ticket. Each runs in one transaction holding the ticket row, so two
approvers acting at once are serialised; a decision is announced after the commit.

APPROVAL nodes: one processor's answer decides, unless `is_multi` (everyone must approve; the
first refusal decides). SIGN nodes: everyone signs, or fewer when `finish_condition` holds over
PROCESS_COUNT / PASS_COUNT / REJECT_COUNT / PASS_RATE / REJECT_RATE. A refusal needs a remark.
Refusal ends the ticket TERMINATED when the state says `terminate_on_reject`; otherwise the flow
goes on (NODE_APPROVE_RESULT is "false" for the transition conditions) and the ticket finishes
with approve_result false.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opsgraph.core.auth.principal import ROLE_RANK, Principal
from opsgraph.core.errors import Conflict, NotFound, ValidationFailed
from opsgraph.models.tickets import (
    ACTIVE_NODE_STATUSES,
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
from opsgraph.resolvers.tickets.fields import check_values
from opsgraph.resolvers.tickets.processors import NotProcessor, may_manage, require_processor
from opsgraph.resolvers.tickets.tickets import acting_as, after_decision, get_ticket, source_of
from opsgraph.resolvers.tickets.workflows import (
    APPROVE_REMARK,
    APPROVE_RESULT,
    conditions_hold,
    state_fields,
)
from opsgraph.resolvers.topology.common import write_transaction

NODE_ACTIONS = frozenset({"TRANSITION", "CLAIM", "DISTRIBUTE", "DELIVER", "TERMINATE"})
TICKET_ACTIONS = frozenset({"SUSPEND", "UNSUSPEND", "WITHDRAW", "TERMINATE"})
MAX_COMMENT = 1024


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


def _action(raw: str, allowed: frozenset[str]) -> str:
    action = (raw or "").strip().upper()
    if action not in allowed:
        raise ValidationFailed(
            f"unsupported action {raw!r} (one of {', '.join(sorted(allowed))})",
            field="action",
            code="UNSUPPORTED_ACTION",
        )
    return action


def _comment(text: str | None, required_for: str | None) -> str:
    comment = (text or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(f"the comment is longer than {MAX_COMMENT} characters", field="comment")
    if required_for and not comment:
        raise ValidationFailed(
            f"{required_for} needs a comment (action_message)", field="comment", code="FIELD_REQUIRED"
        )
    return comment


async def _locked(ticket_id: int) -> Ticket:
    """The ticket row, locked for this transaction (PostgreSQL; SQLite has one writer anyway)."""
    return await Ticket.select_for_update().get(id=ticket_id)


async def operate_node(principal: Principal, op: NodeOperation) -> Ticket:
    action = _action(op.action, NODE_ACTIONS)
    comment = _comment(op.comment, action if action in {"DELIVER", "TERMINATE"} else None)
    actor = await acting_as(principal, op.operator)
    found = await get_ticket(principal, ticket_id=op.ticket_id, sn=op.sn)
    source = source_of(principal)
    async with write_transaction():
        ticket = await _locked(found.id)
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
            step = await _transition(actor, ticket, node, state, definition, op.values, comment, source)
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


async def _transition(
    actor: Principal,
    ticket: Ticket,
    node: TicketNode,
    state: dict[str, Any],
    definition: dict[str, Any],
    submitted: dict[str, Any],
    comment: str,
    source: str,
) -> flow.Step:
    require_processor(actor, ticket, node, "process")
    values = check_values(state_fields(state), submitted, "fields")
    ticket.updated_by = actor.username
    await ticket.save(update_fields=["updated_by", "updated_at"])
    if node.type == StateType.NORMAL:
        await _finish_node(node, actor.username, values, comment, None)
        await flow.write_log(
            ticket,
            actor.username,
            "TRANSITION",
            f"{actor.username} 处理节点【{node.name}】(提交)",
            source,
            node.state_id,
        )
        return await flow.advance(ticket, definition, node.state_id, {**ticket.values, **values}, source)
    approved = values[APPROVE_RESULT] == "true"
    remark = str(values.get(APPROVE_REMARK) or comment)
    if not approved and not remark:
        raise ValidationFailed(
            "a refusal needs a remark (approve_remark)", field="fields.approve_remark", code="FIELD_REQUIRED"
        )
    signed = await TicketSignature.filter(node_id=node.id).order_by("id")
    if any(s.processor == actor.username for s in signed):
        raise Conflict(f"{actor.username!r} has already signed step {node.state_id}", code="ALREADY_SIGNED")
    if state.get("is_sequential") and not actor.is_superuser:
        waiting = [p for p in node.processors if p not in {s.processor for s in signed}]
        if waiting and waiting[0] != actor.username:
            raise NotProcessor(f"step {node.state_id} is signed in order: {waiting[0]!r} signs next", field="operator")
    await TicketSignature.create(node_id=node.id, processor=actor.username, approved=approved, comment=remark[:1024])
    verdict = "通过" if approved else "拒绝"
    await flow.write_log(
        ticket,
        actor.username,
        "TRANSITION",
        f"{actor.username} 处理节点【{node.name}】({verdict})",
        source,
        node.state_id,
    )
    signatures = [*signed, TicketSignature(processor=actor.username, approved=approved)]
    done, result, counts = _tally(node, state, signatures)
    if not done:
        return flow.Step()
    result_text = "true" if result else "false"
    node_values = {**values, APPROVE_RESULT: result_text, APPROVE_REMARK: remark}
    await _finish_node(node, actor.username, node_values, comment, result if node.type == StateType.APPROVAL else None)
    if node.type == StateType.APPROVAL and not result and state.get("terminate_on_reject"):
        reason = f"refused by {actor.username}: {remark}"
        await flow.close(ticket, TicketStatus.TERMINATED, reason, actor.username, source)
        return flow.Step(decided=True)
    approvers = ",".join(s.processor for s in signatures)
    variables = {**ticket.values, **values, **counts, "NODE_APPROVE_RESULT": result_text, "NODE_APPROVER": approvers}
    return await flow.advance(ticket, definition, node.state_id, variables, source)


def _tally(
    node: TicketNode, state: dict[str, Any], signatures: list[TicketSignature]
) -> tuple[bool, bool, dict[str, Any]]:
    """(finished, approved, the sign variables) after one more signature."""
    processed = len(signatures)
    passed = sum(1 for s in signatures if s.approved)
    rejected = processed - passed
    total = max(len(node.processors), processed, 1)
    counts = {
        "PROCESS_COUNT": processed,
        "PASS_COUNT": passed,
        "REJECT_COUNT": rejected,
        "PASS_RATE": round(passed * 100 / total, 2),
        "REJECT_RATE": round(rejected * 100 / total, 2),
    }
    everyone = node.processors_type != "PERSON" or processed >= len(node.processors)
    if node.type == StateType.APPROVAL and not state.get("is_multi"):
        return True, rejected == 0, counts
    condition = state.get("finish_condition")
    met = condition is not None and conditions_hold(condition["expressions"], condition["type"], counts)
    if node.type == StateType.APPROVAL:  # is_multi: the first refusal decides
        return rejected > 0 or everyone or met, rejected == 0, counts
    return everyone or met, rejected == 0, counts


async def _finish_node(
    node: TicketNode, operator: str, values: dict[str, Any], comment: str, approve_result: bool | None
) -> None:
    node.status = NodeStatus.FINISHED
    node.values = values
    node.operator = operator
    node.comment = comment
    node.approve_result = approve_result
    node.finished_at = flow.now()
    await node.save(update_fields=["status", "values", "operator", "comment", "approve_result", "finished_at"])


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


async def operate_ticket(
    principal: Principal,
    *,
    ticket_id: int | None,
    sn: str | None,
    action: str,
    comment: str | None = None,
    operator: str | None = None,
) -> Ticket:
    chosen = _action(action, TICKET_ACTIONS)
    text = _comment(comment, chosen if chosen in {"SUSPEND", "TERMINATE"} else None)
    actor = await acting_as(principal, operator)
    found = await get_ticket(principal, ticket_id=ticket_id, sn=sn)
    source = source_of(principal)
    decided = False
    async with write_transaction():
        ticket = await _locked(found.id)
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
