"""bk `sops` templates through the unmodified `bkapi-component-open` client: get_template_list,
get_template_info, and import_common_template with a real export file's format (base64 JSON with the
salted md5 digest), including override and the refusals."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

from tests.compat.sops_support import FORBIDDEN, NOT_EXIST, PARAM_INVALID, VALIDATION_ERROR, ok, refused, sops_client
from tests.pipelines.support import create_template
from tests.pipelines.trees import TreeBuilder
from tests.support.server import GraphQLClient, Server
from tests.support.topology import create_business

TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000$")
SALT = "821a11587ea434eb85c2f5327a90ae54"  # bk-sops TEMPLATE_DATA_SALT


def export_file(flows: dict[str, dict[str, Any]], *, salt: str = SALT) -> str:
    """What bk-sops' 公共流程 → 导出 produces: {template_data, digest} as base64 JSON."""
    template_data = {
        "template": {
            flow_id: {"id": int(flow_id), "category": "OpsTools", "pipeline_template_str_id": f"p{flow_id}"}
            for flow_id in flows
        },
        "pipeline_template_data": {
            "template": {f"p{flow_id}": {"name": f["name"], "tree": f["tree"]} for flow_id, f in flows.items()}
        },
    }
    digest = hashlib.md5((json.dumps(template_data, sort_keys=True) + salt).encode()).hexdigest()
    return base64.b64encode(json.dumps({"template_data": template_data, "digest": digest}).encode()).decode()


def simple_tree(name: str = "step") -> dict[str, Any]:
    t = TreeBuilder()
    t.chain(t.start, t.sleep("0", name=name), t.end)
    return t.tree()


def test_template_list_and_info(server: Server, gql: GraphQLClient, unique: str) -> None:
    client = sops_client(server.url)
    business = create_business(gql, f"sops-tpl-{unique}")
    biz = business.bk_biz_id
    tree = simple_tree()
    tree["line"] = [{"id": "x"}]
    created = create_template(gql, business, tree, f"deploy-{unique}")
    number = gql.ok("query($i: ID!) { pipelineTemplate(id: $i) { bkTemplateId } }", {"i": created})["pipelineTemplate"][
        "bkTemplateId"
    ]
    listed = ok(client.sops.get_template_list(params={"bk_biz_id": biz}))
    assert [t["id"] for t in listed] == [number]
    item = listed[0]
    assert (item["name"], item["category"], item["bk_biz_id"], item["creator"]) == (
        f"deploy-{unique}",
        "Other",
        str(biz),
        "admin",
    )
    assert TIME.match(item["create_time"])
    assert TIME.match(item["edit_time"])

    info = ok(client.sops.get_template_info(params={"bk_biz_id": biz, "template_id": number}))
    assert info["id"] == number
    assert info["bk_biz_name"] == f"sops-tpl-{unique}"
    assert "line" not in info["pipeline_tree"]
    assert info["pipeline_tree"]["activities"] == tree["activities"]
    other = create_business(gql, f"sops-tpl-other-{unique}")
    refused(client.sops.get_template_info(params={"bk_biz_id": other.bk_biz_id, "template_id": number}), NOT_EXIST)
    refused(
        client.sops.get_template_info(params={"bk_biz_id": biz, "template_id": number, "template_source": "common"}),
        NOT_EXIST,
    )
    refused(
        client.sops.get_template_info(params={"bk_biz_id": biz, "template_id": number, "template_source": "nonsense"}),
        PARAM_INVALID,
    )
    assert ok(client.sops.get_template_list(params={"bk_biz_id": other.bk_biz_id})) == []


def test_import_common_templates(server: Server, gql: GraphQLClient, unique: str) -> None:
    client = sops_client(server.url)
    business = create_business(gql, f"sops-import-{unique}")
    biz = business.bk_biz_id
    # The second flow uses the first as a subprocess, by the export's str id.
    parent = TreeBuilder()
    sub = parent.subprocess(0, name="child")
    parent.nodes[sub]["template_id"] = "p1"
    parent.chain(parent.start, sub, parent.end)
    flows = {
        "1": {"name": f"child-{unique}", "tree": simple_tree("inner")},
        "2": {"name": f"parent-{unique}", "tree": parent.tree()},
    }
    response = client.sops.import_common_template(data={"template_data": export_file(flows)})
    data = ok(response)
    assert data["count"] == 2
    assert response["message"] == "Successfully imported 2 common flows"
    ids = {name: int(flow_id) for flow_id, name in data["flows"].items()}
    common = ok(client.sops.get_template_list(params={"bk_biz_id": biz, "template_source": "common"}))
    listed = {t["name"]: t for t in common}
    assert {f"child-{unique}", f"parent-{unique}"} <= set(listed)
    assert listed[f"parent-{unique}"]["category"] == "OpsTools"
    parent_info = ok(
        client.sops.get_template_info(
            params={
                "bk_biz_id": biz,
                "template_id": ids[f"parent-{unique}"],
                "template_source": "common",
            }
        )
    )
    subprocess = next(iter(parent_info["pipeline_tree"]["activities"].values()))
    assert subprocess["template_id"] == ids[f"child-{unique}"]

    # A run of the common parent in this business unfolds the common child.
    created = ok(
        client.sops.create_task(
            data={
                "bk_biz_id": biz,
                "template_id": ids[f"parent-{unique}"],
                "template_source": "common",
                "name": "from common",
            }
        )
    )
    inner = next(iter(created["pipeline_tree"]["activities"].values()))["pipeline"]
    assert [a["name"] for a in inner["activities"].values()] == ["inner"]

    # override: the same ids are replaced (a new version), not added again.
    renamed = {"1": {"name": f"child2-{unique}", "tree": simple_tree("inner")}}
    renamed_file = export_file({str(ids[f"child-{unique}"]): renamed["1"]})
    again = ok(client.sops.import_common_template(data={"template_data": renamed_file, "override": True}))
    assert list(again["flows"]) == [str(ids[f"child-{unique}"])]
    common_after = ok(client.sops.get_template_list(params={"bk_biz_id": biz, "template_source": "common"}))
    assert len(common_after) == len(common)

    refused(
        client.sops.import_common_template(data={"template_data": export_file(flows, salt="x")}),
        VALIDATION_ERROR,
        "digest",
    )
    refused(client.sops.import_common_template(data={"template_data": "not base64!"}), PARAM_INVALID)
    refused(client.sops.import_common_template(data={}), PARAM_INVALID, "template data can not be none")
    name = f"plain{unique}"
    server.cli("admin", "create-user", name, "--password", "plain-password-1")
    plain = sops_client(server.url, name)
    refused(plain.sops.import_common_template(data={"template_data": export_file(flows)}), FORBIDDEN)
