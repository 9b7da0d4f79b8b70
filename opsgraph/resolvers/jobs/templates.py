"""Job templates: a named, ordered list of steps (script / file / approval) with variables.

Updating the steps replaces them all (positions 1..n in the order given), in one transaction.
"""

from __future__ import annotations

import json
import re
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, Duplicate, ValidationFailed
from opsgraph.models.jobs import Cron, JobStep, JobTemplate
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.jobs.common import READ_ROLE, WRITE_ROLE, clean_description, clean_name, load_owned
from opsgraph.resolvers.jobs.steps import StepSpec, audit_config, normalise_steps
from opsgraph.resolvers.tasks.ip_variables import check_ip_variable, is_ip_variable
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import check_page, write_transaction

_UPDATABLE = frozenset({"name", "description", "variables", "steps"})
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_MAX_VARIABLES = 100
_MAX_VARIABLES_BYTES = 64 * 1024


async def get_job_template(principal: Principal, template_id: int, minimum_role: str = READ_ROLE) -> JobTemplate:
    return await load_owned(
        principal, JobTemplate, template_id, minimum_role=minimum_role, label="job template", field="jobTemplateId"
    )


async def create_job_template(
    principal: Principal,
    business_id: int,
    *,
    name: str,
    steps: list[StepSpec],
    variables: Any = None,
    description: str | None = None,
) -> JobTemplate:
    await get_business(principal, business_id, WRITE_ROLE)
    name = clean_name(name, field="name", label="job template name")
    clean_variables = check_variables(variables)
    normalised = await normalise_steps(business_id, steps)
    check_variable_targets(clean_variables, [config for _, _, config in normalised])
    await _check_unique_name(business_id, name)
    async with write_transaction("job template name is already used"):
        template = await JobTemplate.create(
            business_id=business_id,
            name=name,
            description=clean_description(description),
            variables=clean_variables,
            created_by=principal.username,
        )
        created = await _replace_steps(template, normalised)
        await record_operation(
            principal,
            op_type="create",
            op_target="job_template",
            op_desc=f"create job template {name}",
            business_id=business_id,
            inst_id=template.id,
            cur_data=_snapshot(template, created),
        )
    return template


async def update_job_template(principal: Principal, template_id: int, changes: dict[str, Any]) -> JobTemplate:
    """Changes by column name; `steps` (a list of StepSpec) replaces every step."""
    template = await get_job_template(principal, template_id, WRITE_ROLE)
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ValidationFailed(f"{sorted(unknown)[0]} cannot be changed here", field=sorted(unknown)[0])
    columns: dict[str, Any] = {}
    if "name" in changes:
        columns["name"] = clean_name(changes["name"], field="name", label="job template name")
        await _check_unique_name(template.business_id, columns["name"], exclude_id=template_id)
    if "description" in changes:
        columns["description"] = clean_description(changes["description"])
    if "variables" in changes:
        columns["variables"] = check_variables(changes["variables"])
    normalised = None
    if changes.get("steps") is not None:
        normalised = await normalise_steps(template.business_id, changes["steps"])
    old_steps = await template_steps(template_id)
    step_configs = [c for _, _, c in normalised] if normalised is not None else [s.config for s in old_steps]
    check_variable_targets(columns.get("variables", template.variables), step_configs)
    before = _snapshot(template, old_steps)
    async with write_transaction("job template name is already used"):
        template.update_from_dict(columns)
        await template.save()
        new_steps = await _replace_steps(template, normalised) if normalised is not None else old_steps
        await record_operation(
            principal,
            op_type="update",
            op_target="job_template",
            op_desc=f"update job template {template.name}",
            business_id=template.business_id,
            inst_id=template_id,
            pre_data=before,
            cur_data=_snapshot(template, new_steps),
        )
    return template


async def delete_job_template(principal: Principal, template_id: int) -> None:
    """Refused while crons schedule it: deleting a template must not silently drop schedules."""
    template = await get_job_template(principal, template_id, WRITE_ROLE)
    if await Cron.filter(template_id=template_id).exists():
        raise Conflict(f"job template {template.name!r} is scheduled by crons", code="TEMPLATE_HAS_CRONS")
    before = _snapshot(template, await template_steps(template_id))
    async with write_transaction():
        await template.delete()
        await record_operation(
            principal,
            op_type="delete",
            op_target="job_template",
            op_desc=f"delete job template {template.name}",
            business_id=template.business_id,
            inst_id=template_id,
            pre_data=before,
        )


async def search_job_templates(
    principal: Principal,
    business_id: int,
    *,
    name: str | None = None,
    name_contains: str | None = None,
    start: int = 0,
    limit: int = 100,
) -> tuple[int, list[dict[str, Any]]]:
    """bk get_job_list: offset-paged template rows, oldest first."""
    check_page(start, limit)
    await get_business(principal, business_id, READ_ROLE)
    query = JobTemplate.filter(business_id=business_id)
    if name is not None:
        query = query.filter(name=name)
    if name_contains:
        query = query.filter(name__icontains=name_contains)
    total = await query.count()
    return total, await query.order_by("id").offset(start).limit(limit).values()


async def template_steps(template_id: int) -> list[JobStep]:
    """The steps in run order. For the executors: no role check."""
    return await JobStep.filter(template_id=template_id).order_by("position")


def check_variables(value: Any) -> dict[str, Any]:
    """name → default; defaults are JSON scalars or lists of scalars (string variables), or
    `{"ip_list": [{ip, bk_cloud_id}]}` for an IP variable (resolvers/tasks/ip_variables.py)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationFailed("variables must be an object of name → default", field="variables")
    if len(value) > _MAX_VARIABLES:
        raise ValidationFailed(f"at most {_MAX_VARIABLES} variables", field="variables")
    scalar = (str, int, float, bool, type(None))
    value = dict(value)
    for key, default in value.items():
        if not _VARIABLE_NAME.match(key):
            raise ValidationFailed(f"invalid variable name {key!r}", field="variables")
        if is_ip_variable(default):
            value[key] = check_ip_variable(key, default)
        elif not isinstance(default, scalar) and not (
            isinstance(default, list) and all(isinstance(v, scalar) for v in default)
        ):
            message = f"variable {key!r}: default must be a scalar, a list of scalars or {{ip_list: [...]}}"
            raise ValidationFailed(message, field="variables")
    if len(json.dumps(value)) > _MAX_VARIABLES_BYTES:
        raise ValidationFailed(f"variables exceed {_MAX_VARIABLES_BYTES} bytes", field="variables")
    return value


def check_variable_targets(variables: dict[str, Any], step_configs: list[dict[str, Any]]) -> None:
    """A step that targets a variable's hosts names an IP variable the template has."""
    for config in step_configs:
        name = config.get("target_variable")
        if name is not None and not is_ip_variable(variables.get(name)):
            raise ValidationFailed(
                f"a step targets the hosts of variable {name!r}, which is not an IP variable of the template",
                field="steps.config.target_variable",
            )


async def _check_unique_name(business_id: int, name: str, exclude_id: int | None = None) -> None:
    query = JobTemplate.filter(business_id=business_id, name=name)
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    if await query.exists():
        raise Duplicate(f"job template name {name!r} is already used in business {business_id}", field="name")


async def _replace_steps(template: JobTemplate, normalised: list[Any]) -> list[JobStep]:
    await JobStep.filter(template_id=template.id).delete()
    steps = [
        JobStep(template_id=template.id, position=position, kind=kind, name=name, config=config)
        for position, (kind, name, config) in enumerate(normalised, start=1)
    ]
    await JobStep.bulk_create(steps)
    return steps


def _snapshot(template: JobTemplate, steps: list[JobStep]) -> dict[str, Any]:
    return {
        "bk_job_id": template.id,
        "bk_biz_id": template.business_id,
        "name": template.name,
        "description": template.description,
        "variables": template.variables,
        "steps": [
            {"position": s.position, "kind": str(s.kind), "name": s.name, "config": audit_config(s.config)}
            for s in steps
        ],
    }
