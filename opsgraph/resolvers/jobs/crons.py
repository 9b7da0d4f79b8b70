"""Crons: a job template on a 5-field cron schedule (minute hour day month weekday, UTC).

Created paused, as bk-job's save_cron documents; enabling computes `next_run_at` with croniter,
pausing clears it. (bk-job's Quartz expressions, with seconds and `?`, are converted by the compat
layer before they get here.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.models.jobs import Cron, JobTemplate
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.jobs.common import READ_ROLE, WRITE_ROLE, clean_name, load_owned
from opsgraph.resolvers.jobs.templates import check_variables
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import write_transaction

_UPDATABLE = frozenset({"name", "expression", "variables", "template_id"})


def check_expression(expression: Any) -> str:
    """Five fields, each valid for croniter; extra fields (seconds, years) are refused, not guessed."""
    if not isinstance(expression, str) or len(expression.split()) != 5:
        raise ValidationFailed(
            "cron expression needs 5 fields: minute hour day-of-month month day-of-week", field="expression"
        )
    normalised = " ".join(expression.split())
    if not croniter.is_valid(normalised):
        raise ValidationFailed(f"invalid cron expression {expression!r}", field="expression")
    return normalised


def next_run_time(expression: str, after: datetime | None = None) -> datetime:
    """The first time strictly after `after` (default now) the expression fires, in UTC."""
    start = after or datetime.now(tz=UTC)
    try:
        following: datetime = croniter(expression, start.astimezone(UTC)).get_next(datetime)
        return following
    except (CroniterBadCronError, CroniterBadDateError) as exc:
        # e.g. "0 0 30 2 *" parses but never fires.
        raise ValidationFailed(f"cron expression {expression!r} never fires", field="expression") from exc


async def get_cron(principal: Principal, cron_id: int, minimum_role: str = READ_ROLE) -> Cron:
    return await load_owned(principal, Cron, cron_id, minimum_role=minimum_role, label="cron", field="cronId")


async def create_cron(
    principal: Principal,
    business_id: int,
    *,
    template_id: int,
    name: str,
    expression: str,
    variables: Any = None,
) -> Cron:
    await get_business(principal, business_id, WRITE_ROLE)
    name = clean_name(name, field="name", label="cron name")
    expression = check_expression(expression)
    next_run_time(expression)  # refuse expressions that never fire now, not when enabled
    clean_variables = check_variables(variables)
    await _check_template(template_id, business_id)
    async with write_transaction():
        cron = await Cron.create(
            business_id=business_id,
            template_id=template_id,
            name=name,
            expression=expression,
            variables=clean_variables,
            enabled=False,
            next_run_at=None,
            created_by=principal.username,
        )
        await record_operation(
            principal,
            op_type="create",
            op_target="cron",
            op_desc=f"create cron {name}",
            business_id=business_id,
            inst_id=cron.id,
            cur_data=_snapshot(cron),
        )
    return cron


async def set_cron_enabled(principal: Principal, cron_id: int, enabled: bool) -> Cron:
    """bk update_cron_status: 1 start / 2 pause. Enabling an enabled cron recomputes its next run."""
    cron = await get_cron(principal, cron_id, WRITE_ROLE)
    before = _snapshot(cron)
    async with write_transaction():
        cron.enabled = enabled
        cron.next_run_at = next_run_time(cron.expression) if enabled else None
        await cron.save(update_fields=["enabled", "next_run_at", "updated_at"])
        await record_operation(
            principal,
            op_type="update",
            op_target="cron",
            op_desc=f"{'enable' if enabled else 'pause'} cron {cron.name}",
            business_id=cron.business_id,
            inst_id=cron_id,
            pre_data=before,
            cur_data=_snapshot(cron),
        )
    return cron


async def update_cron(principal: Principal, cron_id: int, changes: dict[str, Any]) -> Cron:
    """Changes by column name; a new expression on an enabled cron moves its next run."""
    cron = await get_cron(principal, cron_id, WRITE_ROLE)
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ValidationFailed(f"{sorted(unknown)[0]} cannot be changed here", field=sorted(unknown)[0])
    columns: dict[str, Any] = {}
    if "name" in changes:
        columns["name"] = clean_name(changes["name"], field="name", label="cron name")
    if "expression" in changes:
        columns["expression"] = check_expression(changes["expression"])
        next_run = next_run_time(columns["expression"])
        if cron.enabled:
            columns["next_run_at"] = next_run
    if "variables" in changes:
        columns["variables"] = check_variables(changes["variables"])
    if "template_id" in changes:
        await _check_template(changes["template_id"], cron.business_id)
        columns["template_id"] = changes["template_id"]
    before = _snapshot(cron)
    async with write_transaction():
        cron.update_from_dict(columns)
        await cron.save()
        await record_operation(
            principal,
            op_type="update",
            op_target="cron",
            op_desc=f"update cron {cron.name}",
            business_id=cron.business_id,
            inst_id=cron_id,
            pre_data=before,
            cur_data=_snapshot(cron),
        )
    return cron


async def delete_cron(principal: Principal, cron_id: int) -> None:
    cron = await get_cron(principal, cron_id, WRITE_ROLE)
    before = _snapshot(cron)
    async with write_transaction():
        await cron.delete()
        await record_operation(
            principal,
            op_type="delete",
            op_target="cron",
            op_desc=f"delete cron {cron.name}",
            business_id=cron.business_id,
            inst_id=cron_id,
            pre_data=before,
        )


async def list_crons(
    principal: Principal, business_id: int, *, name: str | None = None, enabled: bool | None = None
) -> list[dict[str, Any]]:
    """bk get_cron_list: a business's crons, oldest first."""
    await get_business(principal, business_id, READ_ROLE)
    query = Cron.filter(business_id=business_id)
    if name is not None:
        query = query.filter(name=name)
    if enabled is not None:
        query = query.filter(enabled=enabled)
    return await query.order_by("id").values()


async def _check_template(template_id: Any, business_id: int) -> None:
    if not await JobTemplate.exists(id=template_id, business_id=business_id):
        raise ValidationFailed(
            f"job template {template_id} does not exist in business {business_id}", field="jobTemplateId"
        )


def _snapshot(cron: Cron) -> dict[str, Any]:
    return {
        "bk_cron_id": cron.id,
        "bk_biz_id": cron.business_id,
        "bk_job_id": cron.template_id,
        "name": cron.name,
        "expression": cron.expression,
        "enabled": cron.enabled,
        "next_run_at": cron.next_run_at.isoformat() if cron.next_run_at else None,
        "variables": cron.variables,
    }
