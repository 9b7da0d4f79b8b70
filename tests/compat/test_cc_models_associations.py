"""cc association, model-topology and process-binding endpoints: bkapi-component-open's Client for
what it declares, bkapi-client-core for the four it lacks. Documented answers, the v3.2 request
shape (`condition` + `metadata.label`) and the newer flat one, and the mapping refusals' codes."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from bkapi_component.open.client import Client

from tests.cmdb.support import CREATE_ASSOCIATION
from tests.compat.cc_model_support import core_client, new_model, ok, open_client, refused, tag
from tests.support.server import APP_CODE, APP_SECRET, GraphQLClient, Server
from tests.support.topology import add_hosts, create_business, create_module, create_set


@pytest.fixture(scope="module")
def cc_open(server: Server) -> Client:
    """The superuser through the login-exempt test app, with the published Client."""
    return open_client(server)


def _associate(gql: GraphQLClient, source: str, kind: str, target: str, mapping: str) -> str:
    """A model association, made through GraphQL: the catalogue has no REST row that creates one."""
    input = {"bkObjId": source, "bkAsstId": kind, "bkAsstObjId": target, "mapping": mapping}
    created = gql.ok(CREATE_ASSOCIATION, {"input": input})["createObjectAssociation"]
    assert created["errors"] == []
    return str(created["association"]["bkObjAsstId"])


def _instance(client: Client, obj: str, name: str) -> int:
    return int(ok(client.cc.create_inst(data={"bk_obj_id": obj, "bk_inst_name": name}))["bk_inst_id"])


def _link(client: Client, association: str, source: int, target: int) -> dict[str, Any]:
    body = {
        "metadata": {"label": {"bk_biz_id": "1"}},
        "condition": {"bk_obj_asst_id": association, "bk_inst_id": source, "bk_asst_inst_id": target},
    }
    answer: dict[str, Any] = client.cc.add_instance_association(data=body)
    return answer


def test_links_with_their_mapping_codes_find_and_delete(server: Server, cc_open: Client, gql: GraphQLClient) -> None:
    switch, rack = f"sw{tag()}", f"rk{tag()}"
    new_model(cc_open, switch)
    new_model(cc_open, rack)
    one_one = _associate(gql, switch, "belong", rack, "1:1")
    one_many = _associate(gql, rack, "group", switch, "1:n")
    s1, s2 = _instance(cc_open, switch, "s1"), _instance(cc_open, switch, "s2")
    r1, r2 = _instance(cc_open, rack, "r1"), _instance(cc_open, rack, "r2")

    created = ok(_link(cc_open, one_one, s1, r1))
    assert set(created) == {"id"}
    refused(_link(cc_open, one_one, s1, r2), 1101052)
    refused(_link(cc_open, one_one, s2, r1), 1101052)
    ok(_link(cc_open, one_many, r1, s1))
    refused(_link(cc_open, one_many, r2, s1), 1101061)  # s1 has its rack already
    refused(_link(cc_open, one_one, 2_000_000_000, r2), 1101074)
    refused(_link(cc_open, one_one, s2, 2_000_000_000), 1101073)
    refused(_link(cc_open, "no_such_association", s2, r2), 1101056)
    refused(_link(cc_open, "host_bk_mainline_module", 1, 1), 1101082)
    # The newer flat form works too.
    flat = {"bk_obj_asst_id": one_one, "bk_inst_id": s2, "bk_asst_inst_id": r2}
    second = ok(cc_open.cc.add_instance_association(data=flat))

    # find_instance_association's example: empty strings mean "any", and bk_object_id for bk_obj_id.
    example = {
        "condition": {"bk_obj_asst_id": one_one, "bk_asst_id": "", "bk_object_id": "", "bk_asst_obj_id": ""},
        "metadata": {"label": {"bk_biz_id": "3"}},
    }
    rows = ok(cc_open.cc.find_instance_association(data=example))
    assert [
        (r["id"], r["bk_inst_id"], r["bk_asst_inst_id"], r["bk_obj_id"], r["bk_asst_obj_id"], r["bk_asst_id"])
        for r in rows
    ] == [
        (created["id"], s1, r1, switch, rack, "belong"),
        (second["id"], s2, r2, switch, rack, "belong"),
    ]
    refused(cc_open.cc.delete_inst(data={"bk_obj_id": switch, "bk_inst_id": s1}), 1101075)
    assert ok(cc_open.cc.delete_instance_association(data={"id": created["id"]})) == "success"  # the client's POST
    assert [r["id"] for r in ok(cc_open.cc.find_instance_association(data=example))] == [second["id"]]
    # The doc's method is DELETE, with the id in a JSON body.
    auth = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "admin"}
    answer = httpx.request(
        "DELETE",
        f"{server.url}/api/c/compapi/v2/cc/delete_instance_association/",
        json={"id": second["id"]},
        headers={"X-Bkapi-Authorization": json.dumps(auth)},
    ).json()
    assert ok(answer) == "success"
    assert ok(cc_open.cc.find_instance_association(data=example)) == []


def test_find_object_association_answers_names_mapping_and_on_delete(cc_open: Client, gql: GraphQLClient) -> None:
    switch = f"sw{tag()}"
    new_model(cc_open, switch)
    association = _associate(gql, switch, "connect", "host", "n:n")
    body = {
        "condition": {"bk_asst_id": "connect", "bk_obj_id": switch, "bk_asst_obj_id": "host"},
        "metadata": {"label": {"bk_biz_id": "1"}},
    }
    [row] = ok(cc_open.cc.find_object_association(data=body))
    assert row == {
        "id": row["id"],
        "bk_obj_asst_id": association,
        "bk_obj_asst_name": "",
        "bk_asst_id": "connect",
        "bk_asst_name": "connect",
        "bk_obj_id": switch,
        "bk_obj_name": switch,
        "bk_asst_obj_id": "host",
        "bk_asst_obj_name": "主机",
        "mapping": "n:n",
        "on_delete": "none",
        "ispre": False,
        "bk_supplier_account": "0",
    }


def test_instance_topology_around_a_host(cc_open: Client, gql: GraphQLClient, ip_allocator: Any) -> None:
    switch = f"sw{tag()}"
    new_model(cc_open, switch)
    association = _associate(gql, "host", "connect", switch, "n:n")
    business = create_business(gql, f"topo-{tag()}")
    add_hosts(gql, [next(ip_allocator)], business)
    host = gql.ok(
        "query($b: ID!) { hosts(first: 1, filter: {businessId: $b}) { nodes { bkHostId innerIp } } }",
        {"b": business.id},
    )["hosts"]["nodes"][0]
    core = _instance(cc_open, switch, "core")
    ok(_link(cc_open, association, host["bkHostId"], core))
    [topo] = ok(
        cc_open.cc.search_inst_association_topo(
            data={"bk_supplier_account": "0", "bk_obj_id": switch, "bk_inst_id": core}
        )
    )
    assert topo["curr"] == {
        "bk_inst_id": core,
        "bk_inst_name": "core",
        "bk_obj_icon": "icon-cc-default",
        "bk_obj_id": switch,
        "bk_obj_name": switch,
        "children": [],
        "count": 0,
    }
    assert topo["next"] == []
    [hosts] = topo["prev"]
    assert (hosts["bk_obj_id"], hosts["count"], hosts["bk_obj_name"]) == ("host", 1, "主机")
    assert hosts["children"] == [
        {
            "bk_inst_id": host["bkHostId"],
            "bk_inst_name": host["innerIp"],
            "bk_obj_icon": "",
            "bk_obj_id": "host",
            "bk_obj_name": "",
            "id": str(host["bkHostId"]),
        }
    ]
    refused(cc_open.cc.search_inst_association_topo(data={"bk_obj_id": switch, "bk_inst_id": 2_000_000_000}), 1199019)


def test_object_topology_and_saved_graph_positions(server: Server, cc_open: Client, gql: GraphQLClient) -> None:
    switch = f"sw{tag()}"
    new_model(cc_open, switch)
    association = _associate(gql, switch, "connect", "bk_router", "n:n")
    edges = ok(cc_open.cc.search_object_topo(data={"bk_classification_id": f"c{switch}"}))
    [edge] = [e for e in edges if e["label"] == association]
    assert (edge["arrows"], edge["from"]["bk_obj_id"], edge["to"]["bk_obj_id"], edge["label_name"]) == (
        "to",
        switch,
        "bk_router",
        "上联",
    )
    assert edge["to"]["bk_classification_id"] == "bk_network"
    scope = f"s{tag()}"
    example = {
        "bk_supplier_account": "0",
        "scope_type": "cls",
        "scope_id": scope,
        "action": "update",
        "data": [
            {
                "node_type": "obj",
                "bk_obj_id": switch,
                "bk_inst_id": 0,
                "position": {"x": 100, "y": 100},
                "ext": {},
                "bk_obj_icon": "icon-cc-switch2",
            }
        ],
    }
    answer = cc_open.cc.update_object_topo_graphics(data=example)
    assert (ok(answer), answer["message"]) == ("success", "success")
    core = core_client(server)
    nodes = {
        n["bk_obj_id"]: n
        for n in ok(core.cc.search_object_topo_graphics(data={"scope_type": "cls", "scope_id": scope}))
    }
    assert (nodes[switch]["position"], nodes[switch]["bk_obj_icon"]) == ({"x": 100, "y": 100}, "icon-cc-switch2")
    assert [a["bk_obj_id"] for a in nodes[switch]["assts"]] == ["bk_router"]
    assert nodes["host"]["position"] == {}  # never placed in this scope
    core_id = _instance(cc_open, switch, "core")
    placed = {
        **example,
        "data": [{"node_type": "inst", "bk_obj_id": switch, "bk_inst_id": core_id, "position": {"x": 5}}],
    }
    assert ok(cc_open.cc.update_object_topo_graphics(data=placed)) == "success"
    graph = ok(core.cc.search_object_topo_graphics(data={"scope_type": "cls", "scope_id": scope}))
    [inst] = [n for n in graph if n["node_type"] == "inst"]
    assert (inst["bk_inst_id"], inst["node_name"], inst["position"]) == (core_id, "core", {"x": 5})
    override = {**example, "action": "override", "data": []}
    assert ok(cc_open.cc.update_object_topo_graphics(data=override)) == "success"
    cleared = ok(core.cc.search_object_topo_graphics(data={"scope_type": "cls", "scope_id": scope}))
    assert [n for n in cleared if n["node_type"] == "inst"] == []
    assert next(n for n in cleared if n["bk_obj_id"] == switch)["position"] == {}
    bad = {**example, "data": [{"node_type": "edge", "bk_obj_id": switch}]}
    refused(cc_open.cc.update_object_topo_graphics(data=bad), 1199006)
    refused(core.cc.search_object_topo_graphics(data={"scope_type": "planet", "scope_id": "0"}), 1199006)


def test_process_bindings_by_module_name(server: Server, cc_open: Client, gql: GraphQLClient) -> None:
    business = create_business(gql, f"proc-{tag()}")
    for set_name in ("s1", "s2"):
        create_set(gql, business, set_name)
        create_module(gql, business, set_name, "db" if set_name == "s1" else "web")
    create_module(gql, business, "s2", "db")  # "db" is in two sets
    created = cc_open.cc.create_inst(
        data={"bk_obj_id": "process", "bk_biz_id": business.bk_biz_id, "bk_process_name": "mysqld", "port": "3306"}
    )
    process = ok(created)["bk_inst_id"]
    core = core_client(server)
    body = {
        "bk_supplier_account": "0",
        "bk_biz_id": business.bk_biz_id,
        "bk_process_id": process,
        "bk_module_name": "db",
    }
    answer = core.cc.bind_process_module(data=body)
    assert (answer["bk_error_code"], answer["data"]) == (0, "success")  # this endpoint's envelope
    assert ok(core.cc.bind_process_module(data=body)) == "success"  # idempotent
    query = {"bk_supplier_account": "0", "bk_biz_id": business.bk_biz_id, "bk_process_id": process}
    modules = core.cc.get_process_bind_module(params=query)
    assert "bk_error_code" in modules
    assert ok(modules) == [
        {"bk_module_name": "db", "set_num": 2, "is_bind": 1},
        {"bk_module_name": "web", "set_num": 1, "is_bind": 0},
    ]
    refused(core.cc.bind_process_module(data={**body, "bk_module_name": "cache"}), 1199019)
    refused(core.cc.bind_process_module(data={**body, "bk_process_id": 2_000_000_000}), 1199019)
    unbound = core.cc.delete_process_module_bind(data=body)
    assert (unbound["code"], unbound["data"]) == (0, "success")  # ...and this one's
    assert ok(core.cc.get_process_bind_module(params=query))[0]["is_bind"] == 0
    refused(cc_open.cc.create_inst(data={"bk_obj_id": "process", "bk_process_name": "orphan"}), 1199010)  # no business
