"""OpenC3's release check (`/release?id=1,2`): may these tree nodes be released, i.e. does nothing
still run there on a schedule? True when no enabled crontab belongs to a job of those nodes.

Upstream answers it without a login (the CMDB asks before it retires a node); so does this: it
tells only yes or no, and for nodes that do not exist, yes.
"""

from __future__ import annotations

from opsgraph.core.errors import ValidationFailed
from opsgraph.models.jobs import Cron
from opsgraph.models.service_tree import TreeCrontab

MAX_IDS = 1000


async def releasable(tree_ids: list[int]) -> bool:
    if not tree_ids or len(tree_ids) > MAX_IDS:
        raise ValidationFailed(f"check format fail id: 1..{MAX_IDS} tree ids", field="id")
    cron_ids = await TreeCrontab.filter(tree_id__in=tree_ids).values_list("cron_id", flat=True)
    return not await Cron.filter(id__in=list(cron_ids), enabled=True).exists()
