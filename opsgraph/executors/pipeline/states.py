"""bk-sops (bamboo) states, and how they map onto the canonical task status.

Engine states: CREATED, READY, RUNNING, SUSPENDED, FINISHED, FAILED, REVOKED (the API documents
a subset; LOOP_READY, BLOCKED and the rollback states have no use here). A node that waits for a
callback or an approval is RUNNING to bk-sops and WAITING canonically; a skipped node is FINISHED
with `skip` to bk-sops and SKIPPED canonically.
"""

from __future__ import annotations

from opsgraph.models.tasks import TaskStatus

CREATED = "CREATED"
READY = "READY"
RUNNING = "RUNNING"
SUSPENDED = "SUSPENDED"
FINISHED = "FINISHED"
FAILED = "FAILED"
REVOKED = "REVOKED"
# Derived states the API reports (bk-sops `format_bamboo_engine_status_legacy`).
NODE_SUSPENDED = "NODE_SUSPENDED"
ARCHIVED = frozenset({FINISHED, FAILED, REVOKED})

_NODE_STATUS = {
    CREATED: TaskStatus.PENDING,
    READY: TaskStatus.PENDING,
    RUNNING: TaskStatus.RUNNING,
    SUSPENDED: TaskStatus.WAITING,
    FINISHED: TaskStatus.SUCCESS,
    FAILED: TaskStatus.FAILED,
    REVOKED: TaskStatus.CANCELLED,
}


def node_status(state: str, *, skipped: bool = False, waiting: bool = False) -> TaskStatus:
    if state == FINISHED and skipped:
        return TaskStatus.SKIPPED
    if state == RUNNING and waiting:
        return TaskStatus.WAITING
    return _NODE_STATUS.get(state, TaskStatus.PENDING)
