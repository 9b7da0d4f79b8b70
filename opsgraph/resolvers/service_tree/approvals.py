"""OpenC3 approvals: the approval steps of OpenC3 tasks, which are ITSM tickets of the built-in
approval service (a job's approval step opens one and waits; see executors/approval_wait.py).

- `my_approvals`: the caller's approvals (they are an approver of the step), newest first, each with
  the caller's own uuid (approval_links.py);
- `approvals_of_link`: what a uuid shows without a login: the step's approvers and their opinions;
  only the link's own row carries a uuid (another approver's uuid would let the holder act for them);
- `decide`: agree or refuse as the link's approver, through the ticket (the approver must be one of
  the ticket's processors). A logged-in caller may use only their own uuid (a superuser any).
Opinions: agree / refuse for the approver who decided, unconfirmed otherwise.
"""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import NO_USER_ID, Principal
from opsgraph.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from opsgraph.models.identity import User
from opsgraph.models.service_tree import TreeTask
from opsgraph.models.tasks import TaskStep
from opsgraph.models.tickets import NodeStatus, StateType, Ticket, TicketNode, TicketSignature
from opsgraph.resolvers.identity import principal_for_user
from opsgraph.resolvers.service_tree.approval_links import ApprovalLink, issue, parse
from opsgraph.resolvers.tickets.operations import NodeOperation, operate_node
from opsgraph.resolvers.tickets.workflows import APPROVE_REMARK, APPROVE_RESULT

MAX_ROWS = 100
_SCAN = 2000  # newest approval steps looked at for one caller's list
ORIGIN = "JOB_STEP"


async def _tickets(step_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The newest ticket of each approval step, with its approval node."""
    tickets: dict[int, dict[str, Any]] = {}
    rows = (
        await Ticket.filter(origin_kind=ORIGIN, origin_ref__in=[str(s) for s in step_ids])
        .order_by("id")
        .values("id", "origin_ref", "current_status", "approve_result", "end_reason", "created_at", "end_at")
    )
    for row in rows:
        tickets[int(row["origin_ref"])] = row  # the newest wins (a retry opens a new ticket)
    nodes = {
        row["ticket_id"]: row
        for row in await TicketNode.filter(
            ticket_id__in=[t["id"] for t in tickets.values()], type__in=[StateType.APPROVAL, StateType.SIGN]
        ).values("id", "ticket_id", "status", "approve_result", "operator", "comment", "finished_at")
    }
    signatures: dict[int, dict[str, dict[str, Any]]] = {}
    for row in await TicketSignature.filter(node_id__in=[n["id"] for n in nodes.values()]).values(
        "node_id", "processor", "approved", "comment", "created_at"
    ):
        signatures.setdefault(row["node_id"], {})[row["processor"]] = row
    for ticket in tickets.values():
        ticket["node"] = nodes.get(ticket["id"])
        ticket["signatures"] = signatures.get(ticket["node"]["id"], {}) if ticket["node"] else {}
    return tickets


def _opinion(ticket: dict[str, Any] | None, approver: str) -> tuple[str, str]:
    """Each approver's own answer (with `everyone: on` several answer, each a signature)."""
    signed = ((ticket or {}).get("signatures") or {}).get(approver)
    if signed is not None:
        return ("agree" if signed["approved"] else "refuse"), signed["comment"] or ""
    return "unconfirmed", ""


def _row(step: dict[str, Any], task: dict[str, Any], approver: str, ticket: dict[str, Any] | None) -> dict[str, Any]:
    opinion, remarks = _opinion(ticket, approver)
    node = (ticket or {}).get("node") or {}
    return {
        "id": step["id"],
        "taskuuid": task["uuid"],
        "tree_id": task["tree_id"],
        "name": step["name"],
        "cont": step["config"].get("message", ""),
        "user": approver,
        "opinion": opinion,
        "remarks": remarks,
        "submitter": task["user"],
        "create_time": ticket["created_at"] if ticket else None,
        "finishtime": (((ticket or {}).get("signatures") or {}).get(approver) or {}).get("created_at"),
        "status": "wait" if ticket and node.get("status") == NodeStatus.RUNNING else "done" if ticket else "init",
        "uuid": "",
    }


async def my_approvals(principal: Principal, secret: str) -> list[dict[str, Any]]:
    steps = (
        await TaskStep.filter(kind="approval", task__tree_task__id__isnull=False)
        .order_by("-id")
        .limit(_SCAN)
        .values("id", "task_id", "position", "name", "config", "started_at")
    )
    mine = [s for s in steps if principal.username in (s["config"] or {}).get("approvers", [])][:MAX_ROWS]
    tasks = {
        row["task_id"]: row
        for row in await TreeTask.filter(task_id__in=[s["task_id"] for s in mine]).values(
            "task_id", "uuid", "tree_id", "user"
        )
    }
    tickets = await _tickets([s["id"] for s in mine])
    notices = {
        (row["task_id"], row["position"] + 1): row["started_at"]
        for row in await TaskStep.filter(task_id__in=[s["task_id"] for s in mine], kind="approval_notice").values(
            "task_id", "position", "started_at"
        )
    }
    rows = []
    for step in mine:
        row = _row(step, tasks[step["task_id"]], principal.username, tickets.get(step["id"]))
        # The uuid the approver was mailed: it counts from when the notice ran (else the step's start).
        base = notices.get((step["task_id"], step["position"])) or step["started_at"]
        row["uuid"] = issue(
            secret, step_id=step["id"], approver=principal.username, now=base.timestamp() if base else None
        )
        rows.append(row)
    return rows


async def _step_of(link: ApprovalLink) -> tuple[dict[str, Any], dict[str, Any]]:
    steps = await TaskStep.filter(id=link.step_id, kind="approval").values("id", "task_id", "name", "config")
    task = await TreeTask.filter(task_id=steps[0]["task_id"]).values("uuid", "tree_id", "user") if steps else []
    if not steps or not task or link.approver not in (steps[0]["config"] or {}).get("approvers", []):
        raise NotFound("no such approval (or it is not yours to decide)", field="uuid")
    return steps[0], task[0]


async def approvals_of_link(secret: str, uuid: str) -> list[dict[str, Any]]:
    """Every approver's row of the step the uuid belongs to; the uuid's own row first."""
    link = parse(secret, uuid)
    step, task = await _step_of(link)
    ticket = (await _tickets([step["id"]])).get(step["id"])
    rows = []
    for approver in sorted(step["config"].get("approvers", []), key=lambda name: name != link.approver):
        row = _row(step, task, approver, ticket)
        if approver == link.approver:
            row["uuid"] = uuid
        rows.append(row)
    return rows


async def decide(principal: Principal, secret: str, uuid: str, opinion: str, remark: str = "") -> dict[str, Any]:
    if opinion not in ("agree", "refuse"):
        raise ValidationFailed('check format fail opinion: "agree" or "refuse"', field="opinion")
    link = parse(secret, uuid)
    if principal.user_id != NO_USER_ID and principal.username != link.approver and not principal.is_superuser:
        raise PermissionDenied("Unauthorized: this approval is someone else's to decide")
    step, _ = await _step_of(link)
    ticket = (await _tickets([step["id"]])).get(step["id"])
    node = (ticket or {}).get("node")
    if ticket is None or node is None:
        raise Conflict("the task has not reached this approval yet", code="APPROVAL_NOT_OPEN")
    if node["status"] != NodeStatus.RUNNING:
        raise Conflict("this approval has already been decided", code="APPROVAL_DECIDED")
    user = await User.get_or_none(username=link.approver, is_active=True)
    if user is None:
        raise NotFound(f"approver {link.approver!r} is not a user here", field="uuid")
    approver = await principal_for_user(user)
    text = remark.strip() or ("approved" if opinion == "agree" else "refused") + " on the approval page"
    state_ids: list[int] = await TicketNode.filter(ticket_id=ticket["id"], status=NodeStatus.RUNNING).values_list(
        "state_id", flat=True
    )  # type: ignore[assignment]
    await operate_node(
        approver,
        NodeOperation(
            ticket_id=ticket["id"],
            sn=None,
            state_id=int(state_ids[0]),
            action="TRANSITION",
            values={APPROVE_RESULT: "true" if opinion == "agree" else "false", APPROVE_REMARK: text},
            comment=text,
        ),
    )
    return (await approvals_of_link(secret, uuid))[0]
