"""What the pipeline resolvers share: roles, loading templates with their visibility rules, and
turning the engine's tree errors into our validation errors.

Visibility: a business template is seen by anyone with a role on its business and written by its
maintainers (as job templates are); a common template is seen by every user and written only by
superusers (bk-sops lets only trusted apps import common flows).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.executors.pipeline.plugins import load_plugins
from opsgraph.executors.pipeline.tree import TreeError
from opsgraph.executors.pipeline.validate import validate_tree
from opsgraph.models.pipelines import PipelineTemplate, PipelineTemplateVersion

READ_ROLE = "viewer"
WRITE_ROLE = "maintainer"
RUN_ROLE = "operator"
CATEGORIES = ("OpsTools", "MonitorAlarm", "ConfManage", "DevTools", "EnterpriseIT", "OfficeApp", "Other")
BUSINESS, COMMON = "business", "common"
MAX_TREE_BYTES = 4 << 20


def digest(tree: dict[str, Any]) -> str:
    """bk-sops identifies a template version by the md5 of its tree."""
    return hashlib.md5(json.dumps(tree, sort_keys=True, ensure_ascii=False).encode(), usedforsecurity=False).hexdigest()


def check_tree(tree: Any, *, field: str = "pipelineTree") -> dict[str, Any]:
    """The engine's rules; a refusal names the node at fault."""
    if not isinstance(tree, dict):
        raise ValidationFailed("pipeline_tree must be an object", field=field)
    if len(json.dumps(tree, ensure_ascii=False)) > MAX_TREE_BYTES:
        raise ValidationFailed(f"pipeline_tree is larger than {MAX_TREE_BYTES >> 20} MiB", field=field)
    try:
        validate_tree(tree, load_plugins())
    except TreeError as exc:
        raise ValidationFailed(f"invalid pipeline_tree: {exc.message}", field=field, code="INVALID_TREE") from exc
    except RecursionError as exc:
        raise ValidationFailed("pipeline_tree is nested too deeply", field=field, code="INVALID_TREE") from exc
    return tree


def check_category(value: Any) -> str:
    if value is None or value == "":
        return "Other"
    if value not in CATEGORIES:
        raise ValidationFailed(f"category must be one of {', '.join(CATEGORIES)}", field="category")
    return str(value)


def check_source(value: Any) -> str:
    if value in (None, "", "project", BUSINESS):
        return BUSINESS  # bk-sops calls a business template's source "project" in newer versions
    if value == COMMON:
        return COMMON
    raise ValidationFailed("template_source must be business or common", field="templateSource")


async def load_template(
    principal: Principal, template_id: int, *, minimum_role: str = READ_ROLE, business_id: int | None = None
) -> PipelineTemplate:
    """A template the caller may use: in `business_id` when given (a business template must be
    there), or a common one. Missing and invisible are answered alike."""
    template = await PipelineTemplate.get_or_none(id=template_id)
    missing = NotFound(f"template[id={template_id}] does not exist", field="templateId", code="TEMPLATE_NOT_FOUND")
    if template is None:
        raise missing
    if template.is_common:
        if minimum_role == WRITE_ROLE:
            principal.require_superuser("changing a common template")
        return template
    owner = template.business_id
    if owner is None or not principal.can(owner) or (business_id is not None and owner != business_id):
        raise missing
    principal.require(owner, minimum_role)
    return template


async def template_tree(template: PipelineTemplate, version: int | None = None) -> PipelineTemplateVersion:
    query = PipelineTemplateVersion.filter(template_id=template.id)
    row = await (query.filter(version=version).first() if version is not None else query.order_by("-version").first())
    if row is None:
        raise NotFound(f"template {template.id} has no version {version}", field="version", code="TEMPLATE_NOT_FOUND")
    return row
