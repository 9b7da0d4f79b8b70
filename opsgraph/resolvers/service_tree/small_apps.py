"""OpenC3 light apps (`smallapplication`): a titled shortcut that starts one job.

`jobid` names the job by its uuid or its bkJobId. Reading follows the job's node (level 0),
writing needs level 2 there.
"""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.models.service_tree import SmallApplication, TreeJob
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.service_tree.access import READ, WRITE, node_for

COLUMNS = ("id", "type", "title", "parameter", "created_by", "created_at", "edited_by", "updated_at", "tree_job_id")
RELATED = {
    "describe": "description",
    "job_uuid": "tree_job__uuid",
    "tree_id": "tree_job__tree_id",
    "job_name": "tree_job__template__name",
    "bk_job_id": "tree_job__template_id",
}


async def _job(principal: Principal, job: Any, level: int) -> TreeJob:
    text = "" if job is None else str(job)
    lookup = {"template_id": int(text)} if text.isdigit() else {"uuid": text}
    found = await TreeJob.get_or_none(**lookup) if text else None
    if found is None or not principal.can(found.business_id):
        raise NotFound(f"check format fail jobid: no job {text!r}", field="jobid")
    await node_for(principal, found.tree_id, level)
    return found


def _fields(spec: dict[str, Any]) -> dict[str, str]:
    title = spec.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 256:
        raise ValidationFailed("check format fail title: 1..256 characters", field="title")
    out = {"title": title.strip()}
    for key, limit in (("type", 64), ("describe", 1024), ("parameter", 64 * 1024)):
        value = spec.get(key) or ""
        if not isinstance(value, str) or len(value) > limit:
            raise ValidationFailed(f"check format fail {key}: text of at most {limit} characters", field=key)
        out["description" if key == "describe" else key] = value
    return out


async def list_small_apps(principal: Principal, tree_id: int | None = None) -> list[dict[str, Any]]:
    query = SmallApplication.all()
    if tree_id is not None:
        node = await node_for(principal, tree_id, READ)
        query = query.filter(tree_job__tree_id=node.tree_id)
    visible = principal.visible_business_ids()
    if visible is not None:
        query = query.filter(tree_job__business_id__in=visible)
    return list(await query.order_by("-id").values(*COLUMNS, **RELATED))


async def get_small_app(principal: Principal, app_id: int) -> dict[str, Any]:
    rows = [row for row in await list_small_apps(principal) if row["id"] == app_id]
    if not rows:
        raise NotFound(f"no light app {app_id}", field="id")
    return rows[0]


async def save_small_app(principal: Principal, app_id: int | None, spec: dict[str, Any]) -> int:
    job = await _job(principal, spec.get("jobid"), WRITE)
    fields = _fields(spec)
    if app_id is None:
        app = await SmallApplication.create(
            tree_job_id=job.id,
            created_by=principal.username,
            edited_by=principal.username,
            title=fields["title"],
            type=fields["type"],
            description=fields["description"],
            parameter=fields["parameter"],
        )
    else:
        await get_small_app(principal, app_id)
        await SmallApplication.filter(id=app_id).update(tree_job_id=job.id, edited_by=principal.username, **fields)
        app = await SmallApplication.get(id=app_id)
    await record_operation(
        principal,
        op_type="create" if app_id is None else "update",
        op_target="small_application",
        op_desc=f"{'add' if app_id is None else 'edit'} light app {fields['title']}",
        business_id=job.business_id,
        inst_id=app.id,
        cur_data={"job": job.uuid, **fields},
    )
    return app.id


async def delete_small_app(principal: Principal, app_id: int) -> None:
    row = await get_small_app(principal, app_id)
    await node_for(principal, row["tree_id"], WRITE)
    await SmallApplication.filter(id=app_id).delete()
    await record_operation(
        principal,
        op_type="delete",
        op_target="small_application",
        op_desc=f"delete light app {row['title']}",
        inst_id=app_id,
    )
