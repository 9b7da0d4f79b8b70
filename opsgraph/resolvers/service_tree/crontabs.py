"""OpenC3 crontabs: Crons of the job's template (the scheduler starts them with `runJob`), with the
tree, job uuid, mutex and last editor OpenC3 also keeps.

- Level 2 (write) on the node to write, level 0 to read.
- Doc and code disagree on a new crontab's state: the doc says enabled, upstream's code inserts it
  `unavailable`. Like upstream's code (and bk-job), a crontab starts paused; `status` available /
  unavailable switches it.
- A scheduled run goes through `runJob`, which knows a step's hosts only when they were listed
  (`buildin`) and its sources when they were a host path; a job whose steps take hosts from a node
  group or a variable, or files from the file store, is refused here with the step named.
- Deleting removes the Cron (upstream marks the row `deleted`).
- Runs the scheduler started show among the node's OpenC3 tasks (`adopt_scheduled_runs`).
"""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.models.jobs import Cron, JobStep, JobTemplate
from opsgraph.models.service_tree import TreeCrontab, TreeJob, TreeTask
from opsgraph.models.tasks import Task, TaskKind
from opsgraph.resolvers.jobs.crons import create_cron, delete_cron, set_cron_enabled, update_cron
from opsgraph.resolvers.service_tree.access import READ, WRITE, TreeNode, node_for
from opsgraph.resolvers.service_tree.jobs import new_uuid
from opsgraph.resolvers.topology.common import write_transaction

STATUSES = ("available", "unavailable")
COLUMNS = (
    "id",
    "name",
    "expression",
    "enabled",
    "created_by",
    "created_at",
    "updated_at",
    "next_run_at",
    "last_run_at",
)


async def _job(node: TreeNode, job_uuid: str) -> TreeJob:
    job = await TreeJob.get_or_none(uuid=job_uuid, tree_id=node.tree_id)
    if job is None:
        raise NotFound(f"check format fail jobuuid: tree node {node.tree_id} has no job {job_uuid}", field="jobuuid")
    return job


async def check_schedulable(job: TreeJob) -> None:
    for step in await JobStep.filter(template_id=job.template_id).order_by("position"):
        config = step.config
        if step.kind == "approval":
            continue
        fixed = bool(config.get("host_ids"))
        if step.kind == "file":
            fixed = fixed and bool(config.get("sources")) and bool(config.get("target_path"))
        if not fixed:
            raise ValidationFailed(
                f"step {step.position} ({step.name}) takes its hosts or files from a node group, a variable or the "
                "file store: scheduled runs need listed hosts and host paths",
                field="jobuuid",
            )


def _mutex(value: Any) -> str:
    text = "" if value is None else str(value)
    if text and not text.isalnum():
        raise ValidationFailed("check format fail mutex: letters and digits only", field="mutex")
    return text[:128]


async def create_crontab(
    principal: Principal, tree_id: int, name: Any, job_uuid: str, cron: Any, mutex: Any = "", status: str = ""
) -> Cron:
    node = await node_for(principal, tree_id, WRITE)
    job = await _job(node, job_uuid)
    await check_schedulable(job)
    clean_mutex = _mutex(mutex)
    if status and status not in STATUSES:
        raise ValidationFailed("check format fail status: available or unavailable", field="status")
    created = await create_cron(principal, node.business_id, template_id=job.template_id, name=name, expression=cron)
    await TreeCrontab.create(
        cron_id=created.id, tree_id=node.tree_id, job_uuid=job.uuid, mutex=clean_mutex, edited_by=principal.username
    )
    if status == "available":
        created = await set_cron_enabled(principal, created.id, True)
    return created


async def _own(principal: Principal, tree_id: int, crontab_id: int, level: int) -> tuple[TreeNode, TreeCrontab]:
    node = await node_for(principal, tree_id, level)
    row = await TreeCrontab.get_or_none(cron_id=crontab_id, tree_id=node.tree_id)
    if row is None:
        raise NotFound(f"tree node {tree_id} has no crontab {crontab_id}", field="crontabid")
    return node, row


async def update_crontab(
    principal: Principal, tree_id: int, crontab_id: int, name: Any, job_uuid: str, cron: Any, mutex: Any = ""
) -> Cron:
    node, row = await _own(principal, tree_id, crontab_id, WRITE)
    job = await _job(node, job_uuid)
    await check_schedulable(job)
    clean_mutex = _mutex(mutex)
    updated = await update_cron(
        principal, crontab_id, {"name": name, "expression": cron, "template_id": job.template_id}
    )
    await TreeCrontab.filter(id=row.id).update(job_uuid=job.uuid, mutex=clean_mutex, edited_by=principal.username)
    return updated


async def set_crontab_status(principal: Principal, tree_id: int, crontab_id: int, status: str) -> Cron:
    if status not in STATUSES:
        raise ValidationFailed("check format fail status: available or unavailable", field="status")
    _, row = await _own(principal, tree_id, crontab_id, WRITE)
    cron = await set_cron_enabled(principal, crontab_id, status == "available")
    await TreeCrontab.filter(id=row.id).update(edited_by=principal.username)
    return cron


async def delete_crontab(principal: Principal, tree_id: int, crontab_id: int) -> None:
    await _own(principal, tree_id, crontab_id, WRITE)
    await delete_cron(principal, crontab_id)


async def list_crontabs(principal: Principal, tree_id: int) -> list[dict[str, Any]]:
    node = await node_for(principal, tree_id, READ)
    extras = {row["cron_id"]: row for row in await TreeCrontab.filter(tree_id=node.tree_id).values()}
    crons = await Cron.filter(id__in=list(extras)).order_by("-id").values(*COLUMNS)
    return [{**cron, **{k: v for k, v in extras[cron["id"]].items() if k != "id"}} for cron in crons]


async def adopt_scheduled_runs(node: TreeNode) -> None:
    """Runs a crontab of this node started (through runJob) become OpenC3 tasks of the node."""
    crons = await TreeCrontab.filter(tree_id=node.tree_id).values("cron_id", "job_uuid")
    if not crons:
        return
    template_ids = dict(
        await Cron.filter(id__in=[c["cron_id"] for c in crons]).values_list("template_id", "created_by")
    )
    if not template_ids:
        return
    names = dict(await JobTemplate.filter(id__in=list(template_ids)).values_list("name", "id"))
    uuids = dict(await TreeJob.filter(template_id__in=list(template_ids)).values_list("template_id", "uuid"))
    runs = await Task.filter(
        business_id=node.business_id, kind=TaskKind.JOB, start_way=3, name__in=list(names), tree_task__id__isnull=True
    ).values("id", "name", "creator", "created_at")
    if not runs:
        return
    async with write_transaction():
        for run in runs:
            await TreeTask.get_or_create(
                task_id=run["id"],
                defaults={
                    "uuid": new_uuid(),
                    "business_id": node.business_id,
                    "tree_id": node.tree_id,
                    "name": run["name"],
                    "user": run["creator"],
                    "calltype": "crontab",
                    "jobtype": "jobs",
                    "job_uuid": uuids.get(names[run["name"]], ""),
                },
            )
