"""Approval decisions from ITSM to the pipeline nodes waiting for them.

The ITSM side calls the listener registered here for origin kind PIPELINE_NODE once a decision is
persisted; `redeliver` hands over the decisions made while this server was down. A decision for a
node that no longer waits (revoked, retried) is acknowledged at once so it is not offered again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from opsgraph.executors.pipeline import operations
from opsgraph.executors.pipeline.plugins.approval import ORIGIN_KIND, decision_facts
from opsgraph.executors.pipeline.run_leases import RunElsewhere

if TYPE_CHECKING:
    from opsgraph.executors.pipeline.engine import PipelineEngine

log = logging.getLogger("opsgraph.pipeline")


def _approvals() -> Any:
    try:
        from opsgraph.resolvers.tickets import approvals
    except ImportError:
        return None
    return approvals


def install(engine: PipelineEngine) -> bool:
    """Register the listener; False when this server has no ITSM approvals."""
    approvals = _approvals()
    if approvals is None:
        return False

    async def listener(decision: Any) -> None:
        await deliver(engine, decision)

    approvals.register_approval_listener(ORIGIN_KIND, listener)
    return True


async def deliver(engine: PipelineEngine, decision: Any) -> None:
    approvals = _approvals()
    try:
        waiting = await engine.operate(
            int(decision.origin_task_id), operations.deliver(str(decision.origin_ref), decision_facts(decision))
        )
    except RunElsewhere:
        return  # the process driving the run takes it on its next lease pass (run_leases.py)
    except Exception:
        log.exception("approval decision %s could not reach its pipeline node", decision.ticket_id)
        return
    if not waiting and approvals is not None:
        await approvals.acknowledge_decision(int(decision.ticket_id))


async def redeliver(engine: PipelineEngine) -> int:
    approvals = _approvals()
    if approvals is None:
        return 0
    pending = await approvals.pending_decisions(ORIGIN_KIND)
    for decision in pending:
        await deliver(engine, decision)
    return len(pending)
