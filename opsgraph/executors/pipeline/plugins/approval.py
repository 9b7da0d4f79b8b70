"""`approval` (and bk-sops' name for it, `bk_approve`, 审批): open an ITSM approval ticket and wait
for its decision. Approved: the node finishes. Refused: the node fails with the refusal's reason,
unless `rejected_block` is false (then it finishes with approve_result "拒绝"), as bk-sops does.

Inputs: bk_verifier (approvers, comma separated), bk_approve_title, bk_approve_content (the plugin
code reads `bk_approve_content`; its doc says `bk_approve_message`: both are accepted).

Tickets are the ITSM side's (opsgraph/resolvers/tickets/approvals.py, imported lazily so the engine
runs without it). The decision reaches the node through the listener the engine registers for
origin kind PIPELINE_NODE; it is saved on the node before it is acknowledged, so a restart between
the two loses nothing, and `pending_decisions` delivers what was decided while the server was down.
A node that stops waiting (revoke, forced_fail, timeout) closes its ticket; a shutdown does not.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from opsgraph.executors.pipeline.plugins import NodeWork, Plugin, PluginOutcome, register_plugin

ORIGIN_KIND = "PIPELINE_NODE"
APPROVED, REFUSED = "通过", "拒绝"


def _approvers(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item).strip() for item in value if str(item).strip()]
    return [item for item in re.split(r"[\s,;]+", str(value or "")) if item]


def decision_facts(decision: Any) -> dict[str, Any]:
    return {
        "ticket_id": int(decision.ticket_id),
        "approved": bool(decision.approved),
        "reason": str(decision.reason or ""),
        "operator": str(decision.operator or ""),
    }


@register_plugin
class Approval(Plugin):
    code = "approval"
    name = "审批"
    outputs = {"sn": "单据sn", "approve_result": "审核结果"}
    waits_for_people = True

    def check(self, data: dict[str, Any]) -> str | None:
        if not (data.get("bk_verifier") or {}).get("value"):
            return "bk_verifier (the approvers) is required"
        return None

    async def run(self, work: NodeWork) -> PluginOutcome:
        try:
            from opsgraph.resolvers.tickets import approvals
        except ImportError:
            return PluginOutcome(False, error="approval tickets are not available on this server (no ITSM)")

        ticket_id = work.schedule.get("ticket_id")
        if ticket_id is None:
            approvers = _approvers(work.inputs.get("bk_verifier"))
            if not approvers:
                return PluginOutcome(False, error="bk_verifier names no approver")
            content = work.inputs.get("bk_approve_content", work.inputs.get("bk_approve_message", ""))
            ticket_id = await approvals.open_approval_ticket(
                business_id=int(work.business_id or 0),
                title=str(work.inputs.get("bk_approve_title") or f"pipeline task {work.task_id} approval")[:120],
                approvers=approvers,
                requester=work.executor,
                origin_kind=ORIGIN_KIND,
                origin_task_id=work.task_id,
                origin_ref=work.node_id,
                comment=str(content or ""),
            )
            await work.save_schedule(ticket_id=ticket_id)
        decided = work.schedule.get("decision")
        while not decided:
            try:
                decision = await work.wait_callback()
            except asyncio.CancelledError:
                if work.cancel.is_set():  # revoked, forced to fail or timed out (not a shutdown): close it
                    await approvals.close_approval_ticket(int(ticket_id), "the pipeline node stopped waiting")
                raise
            if isinstance(decision, dict) and decision.get("ticket_id") == ticket_id:
                decided = decision
                await work.save_schedule(decision=decided)
        await approvals.acknowledge_decision(int(ticket_id))
        outputs = {"sn": ticket_id, "approve_result": APPROVED if decided["approved"] else REFUSED}
        if decided["approved"]:
            return PluginOutcome(True, outputs)
        blocking = work.inputs.get("rejected_block", True) not in (False, "false", "False", 0, "0")
        if not blocking:
            return PluginOutcome(True, outputs)
        reason = decided.get("reason") or "no reason given"
        return PluginOutcome(False, outputs, error=f"approval refused by {decided.get('operator')}: {reason}")


@register_plugin
class BkApprove(Approval):
    """The same node under the code bk-sops gives it."""

    code = "bk_approve"
