"""How a big host step is cut into shards, and the names that go with them.

A step's host results, ordered by id, are cut into consecutive ranges of near-equal size (at most
`shard_hosts` each). The ranges are stored in the step's config (`shards`: `[[first id, last id],
…]`) before any shard is queued, so every process — the task's owner, the workers running shards,
an owner taking over after a crash — reads the same layout, even if the setting changes meanwhile.
A result belongs to the range holding its id; the layout never changes while the step runs.

A shard is run under its own lease `shard:<step id>:<index>` (executors/leases.py); its queue
message is marked in flight by `queued:shard:<step id>:<index>` until a worker takes the lease.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from typing import Any

from opsgraph.models.tasks import TaskStatus, TaskStep

LAYOUT_KEY = "shards"
Layout = list[tuple[int, int]]


def shard_lease(step_id: int, index: int) -> str:
    return f"shard:{step_id}:{index}"


def shard_queued_mark(step_id: int, index: int) -> str:
    return f"queued:shard:{step_id}:{index}"


def cut(result_ids: list[int], size: int) -> Layout:
    """Consecutive ranges of `result_ids` (sorted), as even as possible, none over `size`."""
    if not result_ids:
        return []
    count = -(-len(result_ids) // max(1, size))
    base, extra = divmod(len(result_ids), count)
    layout: Layout = []
    start = 0
    for index in range(count):
        end = start + base + (1 if index < extra else 0)
        layout.append((result_ids[start], result_ids[end - 1]))
        start = end
    return layout


def stored_layout(config: dict[str, Any] | None) -> Layout | None:
    """The layout stored in a step's config, or None (not sharded, or not a layout we wrote)."""
    value = (config or {}).get(LAYOUT_KEY)
    if not isinstance(value, list) or not value:
        return None
    try:
        return [(int(first), int(last)) for first, last in value]
    except (TypeError, ValueError):
        return None


def covers(layout: Layout, result_ids: Iterable[int]) -> bool:
    return all(shard_of(layout, rid) is not None for rid in result_ids)


def shard_of(layout: Layout, result_id: int) -> int | None:
    index = bisect_right([first for first, _ in layout], result_id) - 1
    if index < 0 or result_id > layout[index][1]:
        return None
    return index


async def sharded_step_open(task_id: int) -> bool:
    """The task is in the middle of a sharded step: its first unfinished step is RUNNING with a
    layout. Such a task outlives its owner: another worker carries it on (the shards run elsewhere)."""
    steps = await TaskStep.filter(task_id=task_id).order_by("position").values("status", "config")
    for step in steps:
        if step["status"] in {TaskStatus.SUCCESS, TaskStatus.SKIPPED}:
            continue
        return step["status"] == TaskStatus.RUNNING and stored_layout(step["config"]) is not None
    return False
