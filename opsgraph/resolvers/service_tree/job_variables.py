"""A job's stored variables (OpenC3 `variable`): name, value and description.

Values live in the JobTemplate's `variables` (what crons and runJob use too); descriptions beside
them on the TreeJob. Writing needs level 2 on the job's node. `_authorization_ = true` lets level 1
start the job (resolvers/service_tree/runs.py).
"""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.models.jobs import JobTemplate
from opsgraph.models.service_tree import TreeJob
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.jobs.templates import check_variables
from opsgraph.resolvers.service_tree.access import WRITE
from opsgraph.resolvers.service_tree.jobs import get_tree_job
from opsgraph.resolvers.topology.common import write_transaction


def variable_rows(values: dict[str, Any], notes: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"name": name, "value": "" if value is None else str(value), "describe": str(notes.get(name, ""))}
        for name, value in sorted(values.items())
    ]


def _entry(item: Any, where: str) -> tuple[str, str, str]:
    if not isinstance(item, dict):
        raise ValidationFailed(f"check format fail {where}: must be an object with name, value, describe", field=where)
    name, value, describe = item.get("name"), item.get("value", ""), item.get("describe", "")
    if not isinstance(name, str) or not name:
        raise ValidationFailed(f"check format fail {where}.name: is required", field=f"{where}.name")
    for key, text in (("value", value), ("describe", describe)):
        if (text is not None and not isinstance(text, str | int | float)) or isinstance(text, bool):
            raise ValidationFailed(f"check format fail {where}.{key}: must be text", field=f"{where}.{key}")
    return name, "" if value is None else str(value), "" if describe is None else str(describe)[:1024]


async def _save(principal: Principal, job: TreeJob, values: dict[str, Any], notes: dict[str, Any], action: str) -> None:
    checked = check_variables(values)
    template = await JobTemplate.get(id=job.template_id)
    before = variable_rows(template.variables, job.variable_notes)
    async with write_transaction():
        await JobTemplate.filter(id=template.id).update(variables=checked)
        await TreeJob.filter(id=job.id).update(variable_notes={k: v for k, v in notes.items() if k in checked})
        await record_operation(
            principal,
            op_type=action,
            op_target="tree_job_variable",
            op_desc=f"{action} variables of job {template.name}",
            business_id=job.business_id,
            inst_id=template.id,
            ext_key=job.uuid,
            pre_data=before,
            cur_data=variable_rows(checked, notes),
        )


async def set_variable(principal: Principal, tree_id: int, job_uuid: str, item: Any) -> None:
    """Add or replace one variable."""
    _, job = await get_tree_job(principal, tree_id, job_uuid, WRITE)
    name, value, describe = _entry(item, "variable")
    template = await JobTemplate.get(id=job.template_id)
    await _save(principal, job, {**template.variables, name: value}, {**job.variable_notes, name: describe}, "update")


async def replace_variables(principal: Principal, tree_id: int, job_uuid: str, items: Any) -> None:
    """`/variable/:treeid/update`: the job's variables become exactly `data`."""
    _, job = await get_tree_job(principal, tree_id, job_uuid, WRITE)
    if not isinstance(items, list):
        raise ValidationFailed("check format fail data: must be a list of {name, value, describe}", field="data")
    entries = [_entry(item, f"data[{index}]") for index, item in enumerate(items)]
    await _save(principal, job, {n: v for n, v, _ in entries}, {n: d for n, _, d in entries}, "replace")


async def delete_variable(principal: Principal, tree_id: int, job_uuid: str, name: str) -> None:
    _, job = await get_tree_job(principal, tree_id, job_uuid, WRITE)
    template = await JobTemplate.get(id=job.template_id)
    if name not in template.variables:
        raise NotFound(f"job {job_uuid} has no variable {name!r}", field="name")
    values = {k: v for k, v in template.variables.items() if k != name}
    await _save(principal, job, values, dict(job.variable_notes), "delete")
