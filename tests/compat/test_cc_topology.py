"""cc business, set and module endpoints through bkapi-client-core: the documented answers, and
that each write really changed what the searches (and the topology tree) report."""

from __future__ import annotations

import pytest

from tests.compat.bk_client import LegacyClient
from tests.compat.cc_topology_support import (
    BIZ_STAFF,
    DOC_CREATE_KEYS,
    DOC_INTERNAL_MODULE_KEYS,
    DOC_MAINLINE_KEYS,
    DOC_PAGE_KEYS,
    DOC_TOPO_NODE_KEYS,
    business_row,
    modules_of,
    new_business,
    new_module,
    new_set,
    ok,
    sets_of,
)
from tests.support.custom_attributes import declare_attributes
from tests.support.server import GraphQLClient


@pytest.fixture(autouse=True)
def _declared_attributes(gql: GraphQLClient) -> None:
    """The custom attributes these tests store; an undeclared one is dropped (tested below)."""
    declare_attributes(gql, "biz", region="singlechar", suite="singlechar")
    declare_attributes(gql, "module", tier="singlechar")


def test_create_business_answers_the_documented_id_and_stores_every_property(bk: LegacyClient, unique: str) -> None:
    properties = {"bk_biz_name": f"biz-{unique}", **BIZ_STAFF, "region": "sz", "undeclared_key": "x"}
    body = {"bk_supplier_account": "0", "data": properties}
    data = ok(bk.cc.create_business(data=body))
    assert set(data) == DOC_CREATE_KEYS["create_business"]
    row = business_row(bk, data["bk_biz_id"])
    assert row is not None
    assert row["bk_biz_name"] == f"biz-{unique}"
    assert {k: row[k] for k in BIZ_STAFF} == BIZ_STAFF
    assert row["region"] == "sz"  # a custom attribute
    assert "undeclared_key" not in row  # dropped, as bk-cmdb drops what the model does not declare
    assert row["default"] == 0
    assert row["bk_data_status"] == "enable"
    assert row["bk_supplier_account"] == "0"


def test_update_business_changes_only_the_given_properties(bk: LegacyClient, unique: str) -> None:
    biz = new_business(bk, f"upd-{unique}")
    body = {"bk_biz_id": biz, "data": {"bk_biz_developer": "dev1", "region": "gz", "undeclared_key": "x"}}
    assert ok(bk.cc.update_business(data=body)) == {}
    row = business_row(bk, biz)
    assert row is not None
    assert (row["bk_biz_developer"], row["region"], row["bk_biz_tester"]) == ("dev1", "gz", "admin")
    assert "undeclared_key" not in row
    assert row["bk_biz_name"] == f"upd-{unique}"


def test_update_business_enable_status_archives_and_restores(bk: LegacyClient, unique: str) -> None:
    biz = new_business(bk, f"arch-{unique}")
    body = {"bk_biz_id": str(biz), "bk_supplier_account": "0", "flag": "disabled"}  # the doc's example: a string id
    assert ok(bk.cc.update_business_enable_status(data=body)) == "success"
    assert business_row(bk, biz) is None  # archived businesses are hidden by default, as in bk-cmdb
    archived = business_row(bk, biz, archived=True)
    assert archived is not None
    assert archived["bk_data_status"] == "disabled"
    assert ok(bk.cc.update_business_enable_status(data={**body, "flag": "enable"})) == "success"
    assert business_row(bk, biz) is not None


def test_delete_business_answers_empty_data_and_removes_it(bk: LegacyClient, unique: str) -> None:
    biz = new_business(bk, f"del-{unique}")
    assert ok(bk.cc.delete_business(data={"bk_supplier_account": "0", "bk_biz_id": biz})) == {}
    assert business_row(bk, biz) is None
    assert business_row(bk, biz, archived=True) is None


def test_search_business_pages_sorts_and_narrows_fields(bk: LegacyClient, unique: str) -> None:
    ids = [new_business(bk, f"page-{unique}-{i}", suite=unique) for i in range(3)]
    body = {
        "fields": ["bk_biz_id", "bk_biz_name"],
        "condition": {"suite": unique},
        "page": {"start": 0, "limit": 2, "sort": "-bk_biz_id"},
    }
    data = ok(bk.cc.search_business(data=body))
    assert set(data) == DOC_PAGE_KEYS
    assert data["count"] == 3
    assert [row["bk_biz_id"] for row in data["info"]] == sorted(ids, reverse=True)[:2]
    assert all(set(row) == {"bk_biz_id", "bk_biz_name"} for row in data["info"])
    second = ok(bk.cc.search_business(data={**body, "page": {"start": 2, "limit": 2, "sort": "-bk_biz_id"}}))
    assert [row["bk_biz_id"] for row in second["info"]] == [min(ids)]
    # No page at all: every match, as bk-cmdb answers (ParsePage → no limit).
    everything = ok(bk.cc.search_business(data={"condition": {"suite": unique}, "fields": ["bk_biz_id"]}))
    assert sorted(row["bk_biz_id"] for row in everything["info"]) == sorted(ids)
    by_name = ok(bk.cc.search_business(data={"condition": {"bk_biz_name": f"page-{unique}-1"}}))
    assert [row["bk_biz_id"] for row in by_name["info"]] == [ids[1]]


def test_set_lifecycle(bk: LegacyClient, unique: str) -> None:
    biz = new_business(bk, f"sets-{unique}")
    body = {
        "bk_supplier_account": "0",
        "bk_biz_id": biz,
        # The doc's example data, typo (`bk_cet_desc`, which the set model does not declare) included.
        "data": {
            "bk_parent_id": biz,
            "bk_set_name": "test-set",
            "bk_cet_desc": "test-set",
            "bk_capacity": 1000,
            "description": "description",
        },
    }
    created = ok(bk.cc.create_set(data=body))
    assert set(created) == DOC_CREATE_KEYS["create_set"]
    set_id = created["bk_set_id"]
    row = sets_of(bk, biz)["test-set"]
    assert (row["bk_set_id"], row["bk_capacity"], row["bk_parent_id"], row["default"]) == (set_id, 1000, biz, 0)
    assert row["description"] == "description"
    assert "bk_cet_desc" not in row  # an undeclared attribute is dropped, as bk-cmdb does

    update = {"bk_biz_id": biz, "bk_set_id": set_id, "data": {"bk_set_name": "renamed", "bk_capacity": "20"}}
    assert ok(bk.cc.update_set(data=update)) == {}
    assert sets_of(bk, biz)["renamed"]["bk_capacity"] == 20

    search = {
        "bk_biz_id": biz,
        "fields": ["bk_set_name"],
        "condition": {"bk_set_name": "renamed"},
        "page": {"start": 0, "limit": 10, "sort": "bk_set_name"},
    }
    assert ok(bk.cc.search_set(data=search)) == {"count": 1, "info": [{"bk_set_name": "renamed"}]}

    assert ok(bk.cc.delete_set(data={"bk_biz_id": biz, "bk_set_id": set_id})) == {}
    assert set(sets_of(bk, biz)) == {"空闲机池"}


def test_batch_delete_set_accepts_ids_at_top_level_and_under_delete(bk: LegacyClient, unique: str) -> None:
    biz = new_business(bk, f"batch-{unique}")
    first = [new_set(bk, biz, f"a{i}") for i in range(2)]
    second = [new_set(bk, biz, f"b{i}") for i in range(2)]
    kept = new_set(bk, biz, "kept")
    assert ok(bk.cc.batch_delete_set(data={"bk_biz_id": biz, "inst_ids": first})) == "success"
    assert ok(bk.cc.batch_delete_set(data={"bk_biz_id": biz, "delete": {"inst_ids": second}})) == "success"
    remaining = sets_of(bk, biz)
    assert set(remaining) == {"空闲机池", "kept"}
    assert remaining["kept"]["bk_set_id"] == kept


def test_module_lifecycle(bk: LegacyClient, unique: str) -> None:
    biz = new_business(bk, f"mods-{unique}")
    set_id = new_set(bk, biz, "web")
    body = {"bk_biz_id": biz, "bk_set_id": set_id, "data": {"bk_parent_id": set_id, "bk_module_name": "test"}}
    created = ok(bk.cc.create_module(data=body))
    assert set(created) == DOC_CREATE_KEYS["create_module"]
    module_id = created["bk_module_id"]
    row = modules_of(bk, biz, set_id)["test"]
    assert (row["bk_module_id"], row["bk_set_id"], row["bk_biz_id"], row["default"]) == (module_id, set_id, biz, 0)

    update = {
        "bk_biz_id": biz,
        "bk_set_id": set_id,
        "bk_module_id": module_id,
        "data": {"bk_module_name": "nginx", "operator": "ops1", "tier": "front"},
    }
    assert ok(bk.cc.update_module(data=update)) == {}
    row = modules_of(bk, biz, set_id)["nginx"]
    assert (row["operator"], row["tier"]) == ("ops1", "front")

    new_module(bk, biz, set_id, "api")
    search = {
        "bk_biz_id": biz,
        "bk_set_id": set_id,
        "fields": ["bk_module_name", "tier"],
        "condition": {},
        "page": {"start": 0, "limit": 1, "sort": "-bk_module_name"},
    }
    data = ok(bk.cc.search_module(data=search))
    assert data == {"count": 2, "info": [{"bk_module_name": "nginx", "tier": "front"}]}

    path = {"bk_biz_id": biz, "bk_set_id": set_id, "bk_module_id": module_id}
    assert ok(bk.cc.delete_module(data=path)) == {}
    assert set(modules_of(bk, biz, set_id)) == {"api"}


def test_get_biz_internal_module_by_get_and_post(bk: LegacyClient, unique: str) -> None:
    biz = new_business(bk, f"idle-{unique}")
    answer = ok(bk.cc.get_biz_internal_module(data={"bk_biz_id": biz, "bk_supplier_account": "0"}))
    assert set(answer) == DOC_INTERNAL_MODULE_KEYS
    assert answer["bk_set_name"] == "空闲机池"
    assert answer["bk_set_id"] == sets_of(bk, biz)["空闲机池"]["bk_set_id"]
    assert {(m["bk_module_name"], m["default"]) for m in answer["module"]} == {
        ("空闲机", 1),
        ("故障机", 2),
        ("待回收", 3),
    }
    assert all(set(m) == {"bk_module_id", "bk_module_name", "default"} for m in answer["module"])
    assert ok(bk.cc.get_biz_internal_module__post(data={"bk_biz_id": biz})) == answer


def test_search_biz_inst_topo_levels(bk: LegacyClient, unique: str) -> None:
    biz = new_business(bk, f"topo-{unique}")
    web, db = new_set(bk, biz, "web"), new_set(bk, biz, "db")
    modules = {name: new_module(bk, biz, web, name) for name in ("nginx", "api")}
    new_module(bk, biz, db, "mysql")

    tree = ok(bk.cc.search_biz_inst_topo(data={"bk_biz_id": biz}))  # GET, default level 2
    (root,) = tree
    assert DOC_TOPO_NODE_KEYS <= set(root) <= DOC_TOPO_NODE_KEYS | {"bk_obj_icon", "default"}
    assert (root["bk_inst_id"], root["bk_inst_name"], root["bk_obj_id"], root["default"]) == (
        biz,
        f"topo-{unique}",
        "biz",
        0,
    )
    # Sorted by name, the built-in idle pool set left out (bk-cmdb's withDefault=false).
    assert [(s["bk_obj_id"], s["bk_inst_id"], s["bk_inst_name"]) for s in root["child"]] == [
        ("set", db, "db"),
        ("set", web, "web"),
    ]
    web_node = root["child"][1]
    assert [(m["bk_inst_name"], m["bk_inst_id"], m["bk_obj_id"], m["child"]) for m in web_node["child"]] == [
        ("api", modules["api"], "module", []),
        ("nginx", modules["nginx"], "module", []),
    ]
    assert ok(bk.cc.search_biz_inst_topo__post(data={"bk_biz_id": biz, "level": -1})) == tree
    level1 = ok(bk.cc.search_biz_inst_topo(data={"bk_biz_id": biz, "level": 1}))
    assert [s["child"] for s in level1[0]["child"]] == [[], []]
    level0 = ok(bk.cc.search_biz_inst_topo(data={"bk_biz_id": biz, "level": 0}))
    assert level0[0]["child"] == []
    with_idle = ok(bk.cc.search_biz_inst_topo(data={"bk_biz_id": biz, "with_default": 1}))
    idle = next(s for s in with_idle[0]["child"] if s["default"] == 1)
    assert sorted(m["default"] for m in idle["child"]) == [1, 2, 3]


def test_get_mainline_object_topo_in_the_bk_error_code_envelope(bk: LegacyClient) -> None:
    response = bk.cc.get_mainline_object_topo(data={"bk_supplier_account": "0"})
    assert response["bk_error_msg"] == "success"
    chain = ok(response, style="bk_error_code")
    assert all(set(item) == DOC_MAINLINE_KEYS for item in chain)
    assert [(o["bk_pre_obj_id"], o["bk_obj_id"], o["bk_next_obj"]) for o in chain] == [
        ("", "biz", "set"),
        ("biz", "set", "module"),
        ("set", "module", "host"),
        ("module", "host", ""),
    ]
    assert chain[0]["bk_next_name"] == chain[1]["bk_obj_name"]
    assert chain[1]["bk_pre_obj_name"] == chain[0]["bk_obj_name"]
    assert ok(bk.cc.get_mainline_object_topo__post(), style="bk_error_code") == chain
