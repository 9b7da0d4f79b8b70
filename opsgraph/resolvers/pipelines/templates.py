"""Pipeline templates: create, edit (a new tree is a new version), delete, and the subprocess
references between them.

A SubProcess node names a template of the same business or a common one; the chain of
subprocesses is unfolded on save to refuse a template that contains itself.
"""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, ValidationFailed
from opsgraph.executors.pipeline.instance import unfold
from opsgraph.executors.pipeline.tree import SUBPROCESS, TreeError
from opsgraph.models.pipelines import PeriodicTask, PipelineTemplate, PipelineTemplateVersion
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.jobs.common import clean_description, clean_name
from opsgraph.resolvers.pipelines.common import (
    WRITE_ROLE,
    check_category,
    check_tree,
    digest,
    load_template,
)
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import write_transaction

_UPDATABLE = frozenset({"name", "category", "description", "pipeline_tree"})


def subprocess_loader(business_id: int | None) -> Any:
    """Load a subprocess's tree: a template of `business_id` or a common one (else not found)."""

    async def load(template_id: int, version_digest: str, latest: bool) -> dict[str, Any]:
        template = await PipelineTemplate.get_or_none(id=template_id)
        if template is None or not (template.is_common or template.business_id == business_id):
            raise TreeError(f"subprocess template {template_id} does not exist in this business")
        versions = PipelineTemplateVersion.filter(template_id=template_id)
        chosen = None if latest else await versions.filter(digest=version_digest).order_by("-version").first()
        chosen = chosen or await versions.order_by("-version").first()
        if chosen is None:
            raise TreeError(f"subprocess template {template_id} has no tree")
        return dict(chosen.tree)

    return load


async def check_subprocesses(tree: dict[str, Any], business_id: int | None, template_id: int | None = None) -> None:
    """Every SubProcess names a usable template, and no chain of them comes back to `template_id`."""
    try:
        await unfold(tree, subprocess_loader(business_id), chain=(template_id,) if template_id else ())
    except TreeError as exc:
        raise ValidationFailed(
            f"invalid pipeline_tree: {exc.message}", field="pipelineTree", code="INVALID_TREE"
        ) from exc


async def create_template(
    principal: Principal,
    business_id: int | None,
    *,
    name: Any,
    pipeline_tree: Any,
    category: Any = None,
    description: Any = None,
) -> PipelineTemplate:
    if business_id is None:
        principal.require_superuser("creating a common template")
    else:
        await get_business(principal, business_id, WRITE_ROLE)
    clean = clean_name(name, field="name", label="template name")
    tree = check_tree(pipeline_tree)
    await check_subprocesses(tree, business_id)
    async with write_transaction():
        template = await PipelineTemplate.create(
            business_id=business_id,
            is_common=business_id is None,
            name=clean,
            category=check_category(category),
            description=clean_description(description),
            version=1,
            digest=digest(tree),
            created_by=principal.username,
            updated_by=principal.username,
        )
        await PipelineTemplateVersion.create(
            template=template, version=1, digest=template.digest, tree=tree, created_by=principal.username
        )
        await record_operation(
            principal,
            op_type="create",
            op_target="pipeline_template",
            op_desc=f"create pipeline template {clean}",
            business_id=business_id,
            inst_id=template.id,
            cur_data=_snapshot(template),
        )
    return template


async def update_template(principal: Principal, template_id: int, changes: dict[str, Any]) -> PipelineTemplate:
    template = await load_template(principal, template_id, minimum_role=WRITE_ROLE)
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ValidationFailed(f"{sorted(unknown)[0]} cannot be changed here", field=sorted(unknown)[0])
    before = _snapshot(template)
    columns: dict[str, Any] = {}
    if "name" in changes:
        columns["name"] = clean_name(changes["name"], field="name", label="template name")
    if "category" in changes:
        columns["category"] = check_category(changes["category"])
    if "description" in changes:
        columns["description"] = clean_description(changes["description"])
    tree: dict[str, Any] | None = None
    if changes.get("pipeline_tree") is not None:
        tree = check_tree(changes["pipeline_tree"])
        await check_subprocesses(tree, template.business_id, template.id)
    async with write_transaction():
        if tree is not None and digest(tree) != template.digest:
            columns["version"] = template.version + 1
            columns["digest"] = digest(tree)
            await PipelineTemplateVersion.create(
                template_id=template.id,
                version=columns["version"],
                digest=columns["digest"],
                tree=tree,
                created_by=principal.username,
            )
        columns["updated_by"] = principal.username
        template.update_from_dict(columns)
        await template.save()
        await record_operation(
            principal,
            op_type="update",
            op_target="pipeline_template",
            op_desc=f"update pipeline template {template.name}",
            business_id=template.business_id,
            inst_id=template.id,
            pre_data=before,
            cur_data=_snapshot(template),
        )
    return template


async def delete_template(principal: Principal, template_id: int) -> None:
    template = await load_template(principal, template_id, minimum_role=WRITE_ROLE)
    if await PeriodicTask.exists(template_id=template_id):
        raise Conflict(
            f"template {template_id} is used by periodic tasks; delete them first",
            field="templateId",
            code="TEMPLATE_IN_USE",
        )
    user = await _subprocess_user(template)
    if user is not None:
        raise Conflict(
            f"template {template_id} is the subprocess of template {user}", field="templateId", code="TEMPLATE_IN_USE"
        )
    before = _snapshot(template)
    async with write_transaction():
        await template.delete()
        await record_operation(
            principal,
            op_type="delete",
            op_target="pipeline_template",
            op_desc=f"delete pipeline template {template.name}",
            business_id=template.business_id,
            inst_id=template_id,
            pre_data=before,
        )


async def _subprocess_user(template: PipelineTemplate) -> int | None:
    """A template whose current tree uses `template` as a subprocess, if any."""
    query = PipelineTemplate.exclude(id=template.id)
    if not template.is_common:
        query = query.filter(business_id=template.business_id)
    for other in await query.values("id", "version"):
        row = await PipelineTemplateVersion.filter(template_id=other["id"], version=other["version"]).first()
        activities = (row.tree.get("activities") if row else None) or {}
        for node in activities.values():
            if (
                isinstance(node, dict)
                and node.get("type") == SUBPROCESS
                and str(node.get("template_id")) == str(template.id)
            ):
                return int(other["id"])
    return None


def _snapshot(template: PipelineTemplate) -> dict[str, Any]:
    return {
        "id": template.id,
        "bk_biz_id": template.business_id,
        "name": template.name,
        "category": template.category,
        "version": template.version,
        "digest": template.digest,
    }
