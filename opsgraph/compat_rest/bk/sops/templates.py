"""bk `sops` templates: get_template_list, get_template_info, import_common_template.

`bk_biz_id` is text in the documented answers ("2"), although newer bk-sops code writes a number:
we follow the v2 doc. Common templates (`template_source=common`) answer with the business asked
about as their project, as bk-sops does. The tree is returned without the canvas layout (`line`,
`location`), as bk-sops pops them.

Example (bkapi-component-open):
    client.sops.get_template_list(params={"bk_biz_id": 2})
    # data: [{"id": 7, "name": "deploy", "category": "Other", "bk_biz_id": "2", ...}]
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk.common import refuse_missing
from opsgraph.compat_rest.bk.envelope import BkReply
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.bk.sops.common import POST, business_id, mutate, positive_id, sops_route, sops_time
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.ids import encode_global_id
from opsgraph.core.settings import Settings


def template_source(params: Params) -> str:
    value = params.get_str("template_source", "business", required=False)
    if value in ("business", "project"):
        return "business"
    if value == "common":
        return "common"
    raise ValidationFailed("template_source must be business or common", field="template_source")


def _summary(template: dict[str, Any], business: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": template["bkTemplateId"],
        "name": template["name"],
        "creator": template["createdBy"],
        "create_time": sops_time(template["createdAt"]),
        "editor": template["updatedBy"] or None,
        "edit_time": sops_time(template["updatedAt"]),
        "category": template["category"],
        "description": template["description"],
        "bk_biz_id": str(business["bkBizId"]),
        "bk_biz_name": business["name"],
        "project_id": business["bkBizId"],
        "project_name": business["name"],
    }


@sops_route("get_template_list", summary="The business's flow templates (or the common ones)")
async def get_template_list(params: Params, principal: Principal, settings: Settings) -> list[dict[str, Any]]:
    biz = business_id(params)
    common = template_source(params) == "common"
    document = load_operation(__name__, "templates.graphql")
    found: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        variables = {
            "bkBizId": biz,
            "first": settings.max_page_size,
            "after": after,
            "filter": {"common": True} if common else {"businessId": encode_global_id("Business", biz)},
        }
        data = await run_operation(document, variables, principal, settings)
        if data["business"] is None:
            raise refuse_missing(principal, biz, f"business {biz} does not exist", "BUSINESS_NOT_FOUND")
        page = data["pipelineTemplates"]
        found += [_summary(t, data["business"]) for t in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


@sops_route("get_template_info", summary="One flow template with its pipeline_tree")
async def get_template_info(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    biz = business_id(params)
    template_id = positive_id(params, "template_id", "TEMPLATE_NOT_FOUND")
    assert template_id is not None
    common = template_source(params) == "common"
    variables = {"id": encode_global_id("PipelineTemplate", template_id), "bkBizId": biz}
    data = await run_operation(load_operation(__name__, "template.graphql"), variables, principal, settings)
    template = data["pipelineTemplate"]
    if data["business"] is None:
        raise refuse_missing(principal, biz, f"business {biz} does not exist", "BUSINESS_NOT_FOUND")
    wrong_place = template is not None and (
        template["isCommon"] != common or (not common and template["bkBizId"] != biz)
    )
    if template is None or wrong_place:
        what = "common template" if common else "template"
        raise refuse_missing(
            principal, biz, f"{what}[id={template_id}] of business[{biz}] does not exist", "TEMPLATE_NOT_FOUND"
        )
    tree = dict(template["pipelineTree"] or {})
    tree.pop("line", None)
    tree.pop("location", None)
    return {**_summary(template, data["business"]), "pipeline_tree": tree, "version": template["versionDigest"]}


@sops_route("import_common_template", methods=POST, summary="Import common flows from an export file")
async def import_common_template(params: Params, principal: Principal, settings: Settings) -> BkReply:
    override = params.get_bool("override", False, required=False)
    variables = {"input": {"templateData": params.get_str("template_data", "", required=False), "override": override}}
    payload = await mutate(
        "import_common_template.graphql", __name__, "importCommonPipelineTemplates", variables, principal, settings
    )
    flows = {str(t["bkTemplateId"]): t["name"] for t in payload["pipelineTemplates"]}
    return BkReply(
        data={"count": payload["count"], "flows": flows},
        message=f"Successfully imported {payload['count']} common flows",
    )
