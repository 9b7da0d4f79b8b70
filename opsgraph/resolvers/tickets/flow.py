"""Moving a ticket through its workflow version. Every function runs inside the caller's write
transaction; `Step.decided` tells the caller to announce the decision after the commit.

- `start`: the START node is the submission (finished by the creator), then the flow advances;
- `advance`: out of a finished state by the first transition whose conditions hold (else the
  default one) into the next state, or to END, which finishes the ticket; out of a PARALLEL state
  into every branch at once, a CONVERGE state going on when the last branch arrives (parallel.py);
- `close`: the ticket ends (FINISHED, TERMINATED, REVOKED); `approve_result` is bk-itsm's
  `get_ticket_result`: FINISHED and every APPROVAL node that ran approved (none ran: true);
  a callback is queued in the outbox when the ticket has a callback URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from opsgraph.core.auth.principal import ROLE_RANK
from opsgraph.models.identity import Role, User
from opsgraph.models.tickets import (
    ACTIVE_NODE_STATUSES,
    CallbackStatus,
    NodeStatus,
    StateType,
    Ticket,
    TicketCallback,
    TicketLog,
    TicketNode,
    TicketProcessor,
    TicketSignature,
    TicketStatus,
    Workflow,
)
from opsgraph.resolvers.tickets.workflows import conditions_hold

SYSTEM = "system"


@dataclass
class Step:
    decided: bool = False


def now() -> datetime:
    return datetime.now(tz=UTC)


async def definition_of(ticket: Ticket) -> dict[str, Any]:
    flow = await Workflow.get(id=ticket.flow_id)
    return flow.definition


def state_of(definition: dict[str, Any], state_id: int) -> dict[str, Any] | None:
    return next((s for s in definition["states"] if s["id"] == state_id), None)


async def write_log(
    ticket: Ticket, operator: str, action: str, message: str, source: str, state_id: int | None = None
) -> None:
    await TicketLog.create(
        ticket_id=ticket.id, operator=operator, action=action, message=message[:1024], source=source, state_id=state_id
    )


async def role_holders(business_id: int | None, roles: list[str]) -> list[str]:
    """Active users holding one of `roles` (or a stronger one) on the business, by name."""
    if business_id is None or not roles:
        return []
    weakest = min(ROLE_RANK[r] for r in roles)
    wanted = [name for name, rank in ROLE_RANK.items() if rank >= weakest]
    user_ids = await Role.filter(business_id=business_id, role__in=wanted).values_list("user_id", flat=True)
    names = (
        await User.filter(id__in=list(user_ids), is_active=True).order_by("username").values_list("username", flat=True)
    )
    return [str(n) for n in names]


async def _processors(ticket: Ticket, state: dict[str, Any], overrides: dict[str, Any]) -> tuple[str, list[str]]:
    """(processors_type, processors) for a node starting now. Nodes where several people each sign
    need names, so a role is expanded to the people holding it at this moment."""
    kind, names = state["processors_type"], list(state["processors"])
    override = overrides.get(str(state["id"]))
    if isinstance(override, dict):
        kind, names = str(override["processors_type"]), list(override["processors"])
    elif isinstance(override, list) and override:
        kind, names = "PERSON", list(override)
    if kind == "STARTER":
        kind, names = "PERSON", [ticket.creator]
    if kind == "GENERAL" and state.get("is_multi"):
        kind, names = "PERSON", await role_holders(ticket.business_id, names)
    return kind, names


async def add_processor_rows(ticket_id: int, names: list[str]) -> None:
    existing = set(await TicketProcessor.filter(ticket_id=ticket_id).values_list("username", flat=True))
    rows = [TicketProcessor(ticket_id=ticket_id, username=n) for n in dict.fromkeys(names) if n not in existing]
    if rows:
        await TicketProcessor.bulk_create(rows)


async def start(ticket: Ticket, definition: dict[str, Any], source: str) -> Step:
    first = next(s for s in definition["states"] if s["type"] == StateType.START)
    await TicketNode.create(
        ticket_id=ticket.id,
        state_id=first["id"],
        name=first["name"],
        type=StateType.START,
        status=NodeStatus.FINISHED,
        values=ticket.values,
        operator=ticket.creator,
        finished_at=now(),
    )
    await write_log(
        ticket, ticket.creator, "CREATE", f"{ticket.creator} 提交单据【{ticket.title}】", source, first["id"]
    )
    return await advance(ticket, definition, first["id"], dict(ticket.values), source)


async def advance(
    ticket: Ticket,
    definition: dict[str, Any],
    from_state: int,
    variables: dict[str, Any],
    source: str,
) -> Step:
    ways = [t for t in definition["transitions"] if t["from"] == from_state]
    source_state = state_of(definition, from_state) or {}
    if source_state.get("type") == StateType.PARALLEL:
        targets = [w["to"] for w in ways]
    else:
        chosen = next(
            (w for w in ways if w["conditions"] and conditions_hold(w["conditions"], w["condition_type"], variables)),
            None,
        )
        if chosen is None:
            chosen = next((w for w in ways if w["default"] or not w["conditions"]), None)
        if chosen is None:  # a saved workflow always has a default; kept for safety
            await close(ticket, TicketStatus.TERMINATED, f"no way out of state {from_state} matches", SYSTEM, "SYS")
            return Step(decided=True)
        targets = [chosen["to"]]
    decided = False
    for target_id in targets:
        if ticket.current_status != TicketStatus.RUNNING:
            break  # an earlier branch ended the ticket
        step = await _enter(ticket, definition, target_id, variables, source)
        decided = decided or step.decided
    return Step(decided=decided)


async def _enter(
    ticket: Ticket, definition: dict[str, Any], target_id: int, variables: dict[str, Any], source: str
) -> Step:
    target = state_of(definition, target_id)
    assert target is not None
    if target["type"] == StateType.END:
        await close(ticket, TicketStatus.FINISHED, "", ticket.updated_by or ticket.creator, source)
        return Step(decided=True)
    if target["type"] == StateType.PARALLEL:
        return await _fork(ticket, definition, target, variables, source)
    if target["type"] == StateType.CONVERGE:
        return await _arrive(ticket, definition, target, variables, source)
    kind, names = await _processors(ticket, target, _saved_overrides(ticket))
    status, role = NodeStatus.RUNNING, "处理人"
    if target.get("distribute_type") == "CLAIM_THEN_PROCESS":
        status, role = NodeStatus.RECEIVING, "待认领, 候选处理人"
    elif target.get("distribute_type") == "DISTRIBUTE_THEN_PROCESS":
        # Until it is distributed, the assignors are the ones who act on it.
        status, role = NodeStatus.DISTRIBUTING, "待分派, 派单人"
        kind, names = str(target["assignors_type"]), list(target["assignors"])
        if kind == "STARTER":
            kind, names = "PERSON", [ticket.creator]
    await TicketNode.create(
        ticket_id=ticket.id,
        state_id=target["id"],
        name=target["name"],
        type=StateType(target["type"]),
        status=status,
        processors_type=kind,
        processors=names,
    )
    await add_processor_rows(ticket.id, names if kind == "PERSON" else [])
    who = ",".join(names) if names else kind
    await write_log(ticket, SYSTEM, "FLOW", f"流转到节点【{target['name']}】, {role}: {who}", "SYS", target["id"])
    return Step()


async def _fork(
    ticket: Ticket, definition: dict[str, Any], state: dict[str, Any], variables: dict[str, Any], source: str
) -> Step:
    branches = [t for t in definition["transitions"] if t["from"] == state["id"]]
    converge = state_of(definition, int(definition["converge"][str(state["id"])]))
    assert converge is not None
    moment = now()
    await TicketNode.create(
        ticket_id=ticket.id,
        state_id=state["id"],
        name=state["name"],
        type=StateType.PARALLEL,
        status=NodeStatus.FINISHED,
        operator=SYSTEM,
        finished_at=moment,
    )
    await TicketNode.create(
        ticket_id=ticket.id,
        state_id=converge["id"],
        name=converge["name"],
        type=StateType.CONVERGE,
        status=NodeStatus.WAIT,
        values={"expected": len(branches), "arrived": 0},
    )
    message = f"并行网关【{state['name']}】: {len(branches)} 个分支同时流转, 在【{converge['name']}】汇聚"
    await write_log(ticket, SYSTEM, "FLOW", message, "SYS", state["id"])
    return await advance(ticket, definition, state["id"], variables, source)


async def _arrive(
    ticket: Ticket, definition: dict[str, Any], state: dict[str, Any], variables: dict[str, Any], source: str
) -> Step:
    node = await TicketNode.get(ticket_id=ticket.id, state_id=state["id"])
    arrived = int(node.values.get("arrived", 0)) + 1
    expected = int(node.values.get("expected", 1))
    node.values = {"expected": expected, "arrived": arrived}
    if arrived < expected:
        await node.save(update_fields=["values"])
        return Step()
    node.status, node.operator, node.finished_at = NodeStatus.FINISHED, SYSTEM, now()
    await node.save(update_fields=["values", "status", "operator", "finished_at"])
    message = f"汇聚网关【{state['name']}】: {expected} 个分支均已完成"
    await write_log(ticket, SYSTEM, "FLOW", message, "SYS", state["id"])
    return await advance(ticket, definition, state["id"], variables, source)


def _saved_overrides(ticket: Ticket) -> dict[str, Any]:
    return ticket.state_processors if isinstance(ticket.state_processors, dict) else {}


async def _refusal_reason(ticket: Ticket) -> str:
    refused = await TicketSignature.filter(node__ticket_id=ticket.id, approved=False).order_by("-id").first()
    if refused is None:
        return "refused"
    return (
        f"refused by {refused.processor}: {refused.comment}" if refused.comment else f"refused by {refused.processor}"
    )


async def close(ticket: Ticket, status: TicketStatus, reason: str, operator: str, source: str) -> None:
    moment = now()
    approvals = await TicketNode.filter(ticket_id=ticket.id, type=StateType.APPROVAL).values_list(
        "approve_result", flat=True
    )
    approved = status == TicketStatus.FINISHED and all(result is True for result in approvals)
    if status == TicketStatus.FINISHED and not approved:
        reason = reason or await _refusal_reason(ticket)
    await TicketNode.filter(ticket_id=ticket.id, status__in=[*ACTIVE_NODE_STATUSES, NodeStatus.WAIT]).update(
        status=NodeStatus.TERMINATED, finished_at=moment
    )
    ticket.current_status = status
    ticket.approve_result = approved
    ticket.end_reason = reason[:1024]
    ticket.end_at = moment
    ticket.decided_at = moment
    ticket.updated_by = operator
    await ticket.save(
        update_fields=[
            "current_status",
            "approve_result",
            "end_reason",
            "end_at",
            "decided_at",
            "updated_by",
            "updated_at",
        ]
    )
    words = {
        TicketStatus.FINISHED: "单据结束",
        TicketStatus.TERMINATED: "单据被终止",
        TicketStatus.REVOKED: "单据被撤销",
    }
    detail = f": {reason}" if reason else ""
    await write_log(ticket, operator, "CLOSE", f"{words.get(status, status)}{detail}", source)
    if ticket.callback_url:
        await TicketCallback.create(
            ticket_id=ticket.id,
            url=ticket.callback_url,
            app_code=ticket.app_code,
            body=callback_body(ticket, operator),
            status=CallbackStatus.PENDING,
            next_attempt_at=moment,
        )


def bk_time(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else None


def callback_body(ticket: Ticket, last_approver: str) -> dict[str, Any]:
    """bk-itsm's callback_request body (without its `token`: the request is signed instead)."""
    return {
        "title": ticket.title,
        "current_status": str(ticket.current_status),
        "sn": ticket.sn,
        "ticket_url": ticket_url(ticket.id),
        "update_at": bk_time(ticket.end_at),
        "updated_by": ticket.updated_by,
        "approve_result": bool(ticket.approve_result),
        "last_approver": last_approver,
        "end_reason": ticket.end_reason,
    }


def ticket_url(ticket_id: int) -> str:
    return f"/graphql#ticket/{ticket_id}"
