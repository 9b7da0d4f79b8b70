"""Periodic tasks: a template's tree with its constants, started on a cron schedule (UTC).

The schedule is bk-sops' cron dict (minute, hour, day_of_week, day_of_month, month_of_year, each
`*` by default) and is shown as bk-sops shows it: `"*/5 * * * * (m/h/d/dM/MY)"`. Created
disabled, as bk-sops (celery beat) creates them; enabling computes `next_run_at`. The tree is a
copy taken at creation (constants applied, excluded nodes removed), so editing the template later
does not change what runs; `modify_constants` edits that copy's constants.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.executors.pipeline.instance import apply_constants, exclude_nodes
from opsgraph.executors.pipeline.tree import TreeError
from opsgraph.models.pipelines import PeriodicTask
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.jobs.common import clean_name
from opsgraph.resolvers.pipelines.common import COMMON, RUN_ROLE, check_source, load_template, template_tree
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import write_transaction

CRON_FIELDS = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")
_UPDATABLE = frozenset({"name", "cron", "constants"})


def check_cron(value: Any) -> tuple[dict[str, str], str]:
    """(the bk cron dict with defaults, the croniter expression "m h dM MY d")."""
    if value is None:
        value = {}
    if isinstance(value, str):
        parts = value.split("(")[0].split()
        if len(parts) != 5:
            raise ValidationFailed(
                "cron must be an object {minute, hour, day_of_week, day_of_month, month_of_year}", field="cron"
            )
        value = dict(zip(CRON_FIELDS, parts, strict=True))
    if not isinstance(value, dict):
        raise ValidationFailed(
            "cron must be an object {minute, hour, day_of_week, day_of_month, month_of_year}", field="cron"
        )
    unknown = set(value) - set(CRON_FIELDS)
    if unknown:
        raise ValidationFailed(f"cron has no field {sorted(unknown)[0]!r}", field="cron")
    cron = {}
    for name in CRON_FIELDS:
        part = value.get(name, "*")
        part = "*" if part in (None, "") else str(part).strip()
        if not part or len(part) > 64 or any(ch.isspace() for ch in part):
            raise ValidationFailed(f"cron.{name} must be one cron field without spaces", field="cron")
        cron[name] = part
    expression = " ".join(cron[name] for name in ("minute", "hour", "day_of_month", "month_of_year", "day_of_week"))
    if not croniter.is_valid(expression):
        raise ValidationFailed(f"invalid cron {display(cron)!r}", field="cron")
    next_run(expression)
    return cron, expression


def display(cron: dict[str, Any]) -> str:
    return " ".join(str(cron.get(name, "*")) for name in CRON_FIELDS) + " (m/h/d/dM/MY)"


def next_run(expression: str, after: datetime | None = None) -> datetime:
    try:
        value: datetime = croniter(expression, (after or datetime.now(tz=UTC)).astimezone(UTC)).get_next(datetime)
    except (CroniterBadCronError, CroniterBadDateError) as exc:
        raise ValidationFailed(f"cron {expression!r} never fires", field="cron") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def get_periodic_task(principal: Principal, periodic_id: int, minimum_role: str = "viewer") -> PeriodicTask:
    found = await PeriodicTask.get_or_none(id=periodic_id)
    if found is None or not principal.can(found.business_id):
        raise NotFound(f"task({periodic_id}) does not exist", field="periodicTaskId", code="PERIODIC_TASK_NOT_FOUND")
    principal.require(found.business_id, minimum_role)
    return found


async def create_periodic_task(
    principal: Principal,
    business_id: int,
    *,
    template_id: int,
    name: Any,
    cron: Any,
    template_source: Any = None,
    constants: Any = None,
    exclude_nodes_ids: Any = None,
) -> PeriodicTask:
    await get_business(principal, business_id, RUN_ROLE)
    source = check_source(template_source)
    template = await load_template(principal, template_id, business_id=None if source == COMMON else business_id)
    if template.is_common != (source == COMMON):
        raise NotFound(f"template[id={template_id}] does not exist", field="templateId", code="TEMPLATE_NOT_FOUND")
    clean = clean_name(name, field="name", label="periodic task name")
    cron_dict, expression = check_cron(cron)
    version = await template_tree(template)
    tree = _with_constants(dict(version.tree), constants)
    if exclude_nodes_ids is not None:
        if not isinstance(exclude_nodes_ids, list) or not all(isinstance(i, str) for i in exclude_nodes_ids):
            raise ValidationFailed("exclude_task_nodes_id must be a list of node ids", field="excludeTaskNodesId")
        try:
            tree = exclude_nodes(tree, exclude_nodes_ids)
        except TreeError as exc:
            raise ValidationFailed(exc.message, field="excludeTaskNodesId") from exc
    async with write_transaction():
        periodic = await PeriodicTask.create(
            business_id=business_id,
            template_id=template.id,
            template_version=version.version,
            name=clean,
            cron=cron_dict,
            expression=expression,
            enabled=False,
            tree=tree,
            created_by=principal.username,
            updated_by=principal.username,
        )
        await _audit(principal, periodic, "create", f"create periodic task {clean}", cur=_snapshot(periodic))
    return periodic


def _with_constants(tree: dict[str, Any], constants: Any) -> dict[str, Any]:
    if constants is None:
        return tree
    if not isinstance(constants, dict):
        raise ValidationFailed('constants must be an object of "${key}": value', field="constants")
    return apply_constants(tree, constants)


async def set_enabled(principal: Principal, periodic_id: int, enabled: bool) -> PeriodicTask:
    periodic = await get_periodic_task(principal, periodic_id, RUN_ROLE)
    before = _snapshot(periodic)
    async with write_transaction():
        periodic.enabled = enabled
        periodic.next_run_at = next_run(periodic.expression) if enabled else None
        periodic.updated_by = principal.username
        await periodic.save(update_fields=["enabled", "next_run_at", "updated_by", "updated_at"])
        verb = "enable" if enabled else "disable"
        await _audit(
            principal, periodic, "update", f"{verb} periodic task {periodic.name}", before, _snapshot(periodic)
        )
    return periodic


async def update_periodic_task(principal: Principal, periodic_id: int, changes: dict[str, Any]) -> PeriodicTask:
    periodic = await get_periodic_task(principal, periodic_id, RUN_ROLE)
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ValidationFailed(f"{sorted(unknown)[0]} cannot be changed here", field=sorted(unknown)[0])
    before = _snapshot(periodic)
    if "name" in changes:
        periodic.name = clean_name(changes["name"], field="name", label="periodic task name")
    if "cron" in changes:
        periodic.cron, periodic.expression = check_cron(changes["cron"])
        if periodic.enabled:
            periodic.next_run_at = next_run(periodic.expression)
    if "constants" in changes:
        periodic.tree = _with_constants(dict(periodic.tree), changes["constants"])
    periodic.updated_by = principal.username
    async with write_transaction():
        await periodic.save()
        await _audit(
            principal, periodic, "update", f"update periodic task {periodic.name}", before, _snapshot(periodic)
        )
    return periodic


async def delete_periodic_task(principal: Principal, periodic_id: int) -> None:
    periodic = await get_periodic_task(principal, periodic_id, RUN_ROLE)
    before = _snapshot(periodic)
    async with write_transaction():
        await periodic.delete()
        await _audit(principal, periodic, "delete", f"delete periodic task {periodic.name}", before, None)


async def _audit(
    principal: Principal, periodic: PeriodicTask, op_type: str, description: str, pre: Any = None, cur: Any = None
) -> None:
    await record_operation(
        principal,
        op_type=op_type,
        op_target="periodic_task",
        op_desc=description,
        business_id=periodic.business_id,
        inst_id=periodic.id,
        pre_data=pre,
        cur_data=cur,
    )


def _snapshot(periodic: PeriodicTask) -> dict[str, Any]:
    return {
        "id": periodic.id,
        "bk_biz_id": periodic.business_id,
        "template_id": periodic.template_id,
        "name": periodic.name,
        "cron": display(periodic.cron),
        "enabled": periodic.enabled,
        "constants": {
            k: v.get("value") for k, v in (periodic.tree.get("constants") or {}).items() if isinstance(v, dict)
        },
    }
