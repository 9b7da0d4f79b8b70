"""import_common_template: common flows from a bk-sops export file.

The file (标准运维 → 公共流程 → 导出) is base64 of `{"template_data": …, "digest": …}`, the digest
being md5(json(template_data, sort_keys) + salt) with bk-sops' published salt (the older community
salt is accepted too, as upstream does). `template_data.template` maps template ids to their
category and `pipeline_template_str_id`; `template_data.pipeline_template_data.template` maps those
str ids to `{name, description, tree}`. SubProcess nodes name other templates by str id; they are
pointed at the imported templates.

`override`: a common template with the same id is replaced (its tree becomes a new version);
otherwise every flow is created anew. Ids are never forced: a business template that happens to
have the id is not touched (the flow is created anew). Only superusers import common flows (bk-sops
asks for a trusted app).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.executors.pipeline.instance import unfold
from opsgraph.executors.pipeline.tree import SUBPROCESS, TreeError
from opsgraph.models.pipelines import PipelineTemplate, PipelineTemplateVersion
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.pipelines.common import check_category, check_tree, digest
from opsgraph.resolvers.pipelines.templates import subprocess_loader
from opsgraph.resolvers.topology.common import write_transaction

# bk-sops config/default.py TEMPLATE_DATA_SALT and OLD_COMMUNITY_TEMPLATE_DATA_SALT (published).
SALTS = ("821a11587ea434eb85c2f5327a90ae54", "e5483c1ccde63392bd439775bba6a7ae")
FIELD = "template_data"


@dataclass
class Flow:
    export_id: str
    str_id: str
    name: str
    category: str
    description: str
    tree: dict[str, Any]


def read_export(content: Any) -> dict[str, Any]:
    if not isinstance(content, str) or not content.strip():
        raise ValidationFailed("template data can not be none", field=FIELD, code="MISSING_FIELD")
    try:
        data = json.loads(base64.b64decode(content.strip(), validate=True))
        templates, data_digest = data["template_data"], data["digest"]
    except (binascii.Error, ValueError, TypeError, KeyError, RecursionError) as exc:
        raise ValidationFailed("模板解析失败: 文件解析异常 (the file is not a bk-sops export)", field=FIELD) from exc
    if not isinstance(templates, dict):
        raise ValidationFailed("template_data is not an export's content", field=FIELD)
    text = json.dumps(templates, sort_keys=True)
    if not any(hashlib.md5((text + salt).encode(), usedforsecurity=False).hexdigest() == data_digest for salt in SALTS):
        raise ValidationFailed("模板解析失败: 模板参数非法 (the digest does not match)", field=FIELD, code="VALIDATION")
    return templates


def _flows(templates: dict[str, Any]) -> list[Flow]:
    try:
        listed = templates["template"]
        trees = templates["pipeline_template_data"]["template"]
        flows = []
        for export_id, item in listed.items():
            pipeline = trees[item["pipeline_template_str_id"]]
            flows.append(
                Flow(
                    export_id=str(export_id),
                    str_id=str(item["pipeline_template_str_id"]),
                    name=str(pipeline.get("name") or item.get("name") or f"flow {export_id}")[:256],
                    category=check_category(item.get("category") if item.get("category") != "Default" else None),
                    description=str(pipeline.get("description") or "")[:1024],
                    tree=dict(pipeline["tree"]),
                )
            )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValidationFailed(f"the export lacks {exc} for one of its flows", field=FIELD) from exc
    if not flows:
        raise ValidationFailed("the export holds no flow", field=FIELD)
    return flows


async def import_common_templates(principal: Principal, content: Any, override: bool) -> list[PipelineTemplate]:
    principal.require_superuser("importing common flows")
    flows = _flows(read_export(content))
    targets: dict[str, PipelineTemplate | None] = {}
    for flow in flows:
        existing = await PipelineTemplate.get_or_none(id=int(flow.export_id)) if flow.export_id.isdigit() else None
        targets[flow.str_id] = existing if override and existing is not None and existing.is_common else None
    async with write_transaction():
        for flow in flows:
            if targets[flow.str_id] is None:
                targets[flow.str_id] = await PipelineTemplate.create(
                    business_id=None,
                    is_common=True,
                    name=flow.name,
                    category=flow.category,
                    version=0,
                    description=flow.description,
                    created_by=principal.username,
                    updated_by=principal.username,
                )
        ids = {str_id: template.id for str_id, template in targets.items() if template is not None}
        trees = {flow.str_id: _point_subprocesses(flow, ids) for flow in flows}
        await _check(trees, ids)
        imported = []
        for flow in flows:
            template = targets[flow.str_id]
            assert template is not None
            tree = trees[flow.str_id]
            template.version += 1
            template.digest = digest(tree)
            template.update_from_dict({"name": flow.name, "category": flow.category, "description": flow.description})
            template.updated_by = principal.username
            await template.save()
            await PipelineTemplateVersion.create(
                template_id=template.id,
                version=template.version,
                digest=template.digest,
                tree=tree,
                created_by=principal.username,
            )
            imported.append(template)
        await record_operation(
            principal,
            op_type="import",
            op_target="pipeline_template",
            op_desc=f"import {len(imported)} common flows" + (" (override)" if override else ""),
            cur_data={"templates": [t.id for t in imported]},
        )
    return imported


def _point_subprocesses(flow: Flow, ids: dict[str, int]) -> dict[str, Any]:
    tree = flow.tree
    raw = tree.get("activities")
    activities: dict[str, Any] = raw if isinstance(raw, dict) else {}
    for node_id, node in activities.items():
        if isinstance(node, dict) and node.get("type") == SUBPROCESS:
            reference = str(node.get("template_id"))
            if reference not in ids:
                raise ValidationFailed(
                    f"flow {flow.name!r}: subprocess {node_id} uses template {reference}, which the export lacks",
                    field=FIELD,
                )
            node["template_id"] = ids[reference]
            node["always_use_latest"] = True
    return check_tree(tree, field=FIELD)


async def _check(trees: dict[str, dict[str, Any]], ids: dict[str, int]) -> None:
    """No imported flow contains itself through its subprocesses."""
    by_id = {ids[str_id]: tree for str_id, tree in trees.items()}
    fallback = subprocess_loader(None)

    async def load(template_id: int, version: str, latest: bool) -> dict[str, Any]:
        return by_id[template_id] if template_id in by_id else await fallback(template_id, version, latest)

    for template_id, tree in by_id.items():
        try:
            await unfold(tree, load, chain=(template_id,))
        except TreeError as exc:
            raise ValidationFailed(f"invalid flow: {exc.message}", field=FIELD) from exc
