"""Processing a current step (operate_node's TRANSITION): submitting a NORMAL step's fields, or one
processor's answer to an APPROVAL / SIGN step, tallied into the step's result.

APPROVAL nodes: one processor's answer decides, unless `is_multi` (everyone must approve; the
first refusal decides). SIGN nodes: everyone signs, or fewer when `finish_condition` holds over
PROCESS_COUNT / PASS_COUNT / REJECT_COUNT / PASS_RATE / REJECT_RATE. A refusal needs a remark.
Refusal ends the ticket TERMINATED when the state says `terminate_on_reject`; otherwise the flow
goes on (NODE_APPROVE_RESULT is "false" for the transition conditions) and the ticket finishes
with approve_result false.
"""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, ValidationFailed
from opsgraph.models.tickets import NodeStatus, StateType, Ticket, TicketNode, TicketSignature, TicketStatus
from opsgraph.resolvers.tickets import flow
from opsgraph.resolvers.tickets.fields import check_values
from opsgraph.resolvers.tickets.processors import NotProcessor, require_processor
from opsgraph.resolvers.tickets.workflows import APPROVE_REMARK, APPROVE_RESULT, conditions_hold, state_fields


async def process_step(
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
