"""cc instance endpoints through the unmodified bkapi-component-open Client: writes with the
documented answers (unknown keys dropped as upstream does), ids at the top level or under `delete`,
searches with conditions on the model and on associated models, cloud areas as `plat`, and
refusals that change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from bkapi_component.open.client import Client

from tests.cmdb.support import CREATE_ASSOCIATION
from tests.compat.cc_model_support import new_model, ok, open_client, refused, tag
from tests.support.server import GraphQLClient, Server


@pytest.fixture(scope="module")
def cc_open(server: Server) -> Client:
    """The superuser through the login-exempt test app, with the published Client."""
    return open_client(server)


def _rows(client: Client, obj: str, **extra: Any) -> list[dict[str, Any]]:
    body = {"bk_obj_id": obj, "bk_supplier_account": "0", "page": {"start": 0, "limit": 200}, **extra}
    return list(ok(client.cc.search_inst(data=body))["info"])


def _model(client: Client) -> str:
    obj = f"o{tag()}"
    new_model(
        client,
        obj,
        {"bk_property_id": "cores", "bk_property_type": "int", "option": {"min": "1", "max": "128"}},
        {
            "bk_property_id": "env",
            "bk_property_type": "enum",
            "option": [
                {"id": "prod", "name": "Prod", "type": "text", "is_default": True},
                {"id": "dev", "name": "Dev", "type": "text"},
            ],
        },
        {"bk_property_id": "serial", "bk_property_type": "singlechar", "isonly": "true"},
    )
    return obj


def test_create_update_delete_answer_as_documented(cc_open: Client) -> None:
    obj = _model(cc_open)
    created = ok(
        cc_open.cc.create_inst(
            data={
                "bk_obj_id": obj,
                "bk_inst_name": "example18",
                "bk_supplier_account": "0",
                "bk_biz_id": 0,
                "cores": "8",
                "junk": "dropped",
            }
        )
    )
    assert set(created) == {"bk_inst_id"}
    [row] = _rows(cc_open, obj)
    assert (row["bk_inst_id"], row["bk_inst_name"], row["cores"], row["env"]) == (
        created["bk_inst_id"],
        "example18",
        8,
        "prod",
    )
    assert "junk" not in row  # undeclared keys are dropped, as bk-cmdb does
    assert (row["bk_obj_id"], row["bk_supplier_account"]) == (obj, "0")
    update = {
        "bk_supplier_account": "0",
        "bk_obj_id": obj,
        "bk_inst_id": created["bk_inst_id"],
        "bk_inst_name": "test",
        "env": "dev",
    }
    assert ok(cc_open.cc.update_inst(data=update)) == "success"
    [row] = _rows(cc_open, obj)
    assert (row["bk_inst_name"], row["env"], row["cores"]) == ("test", "dev", 8)  # partial
    delete = {"bk_supplier_account": "0", "bk_obj_id": obj, "delete": {"bk_inst_id": created["bk_inst_id"]}}
    assert ok(cc_open.cc.delete_inst(data=delete)) == "success"
    assert _rows(cc_open, obj) == []


def test_refused_writes_change_nothing(cc_open: Client) -> None:
    obj = _model(cc_open)
    first = ok(cc_open.cc.create_inst(data={"bk_obj_id": obj, "bk_inst_name": "a", "serial": "S1", "cores": 4}))
    refused(cc_open.cc.create_inst(data={"bk_obj_id": obj, "bk_inst_name": "b", "serial": "S1"}), 1199014)
    refused(cc_open.cc.create_inst(data={"bk_obj_id": obj, "bk_inst_name": "c", "cores": 0}), 1199006)
    refused(cc_open.cc.create_inst(data={"bk_obj_id": obj, "bk_inst_name": "d", "cores": "many"}), 1199009)
    refused(cc_open.cc.create_inst(data={"bk_obj_id": obj, "env": "prod"}), 1199010)  # no bk_inst_name
    refused(cc_open.cc.create_inst(data={"bk_obj_id": "nosuchmodel", "bk_inst_name": "x"}), 1199011)
    refused(cc_open.cc.update_inst(data={"bk_obj_id": obj, "bk_inst_id": first["bk_inst_id"], "cores": 999}), 1199006)
    refused(cc_open.cc.update_inst(data={"bk_obj_id": obj, "bk_inst_id": 2_000_000_000, "cores": 9}), 1199019)
    [row] = _rows(cc_open, obj)
    assert (row["bk_inst_name"], row["cores"], row["serial"]) == ("a", 4, "S1")


def test_batches_accept_both_documented_shapes_and_are_all_or_nothing(cc_open: Client) -> None:
    obj = _model(cc_open)
    ids = [
        ok(cc_open.cc.create_inst(data={"bk_obj_id": obj, "bk_inst_name": f"n{i}", "cores": i}))["bk_inst_id"]
        for i in (1, 2, 3)
    ]
    update = {
        "bk_supplier_account": "0",
        "bk_obj_id": obj,
        "update": [
            {
                "inst_id": ids[0],
                "datas": {"cores": 10},
                "bk_inst_name": "renamed",
            },  # bk_inst_name beside datas, as the table
            {"inst_id": ids[1], "datas": {"bk_inst_name": "inside", "cores": 20}},
        ],
    }
    assert ok(cc_open.cc.batch_update_inst(data=update)) == "success"
    names = {row["bk_inst_id"]: (row["bk_inst_name"], row["cores"]) for row in _rows(cc_open, obj)}
    assert names == {ids[0]: ("renamed", 10), ids[1]: ("inside", 20), ids[2]: ("n3", 3)}
    bad = {
        **update,
        "update": [{"inst_id": ids[2], "datas": {"cores": 30}}, {"inst_id": ids[1], "datas": {"cores": 999}}],
    }
    refused(cc_open.cc.batch_update_inst(data=bad), 1199006)
    assert {row["bk_inst_id"]: row["cores"] for row in _rows(cc_open, obj)}[ids[2]] == 3
    assert ok(cc_open.cc.batch_delete_inst(data={"bk_obj_id": obj, "delete": {"inst_ids": ids[:2]}})) == "success"
    assert (
        ok(cc_open.cc.batch_delete_inst(data={"bk_obj_id": obj, "inst_ids": ids[2:]})) == "success"
    )  # the table's form
    assert _rows(cc_open, obj) == []


def test_search_inst_conditions_paging_fields_and_associated_models(cc_open: Client, gql: GraphQLClient) -> None:
    obj = _model(cc_open)
    for i in range(1, 8):
        ok(
            cc_open.cc.create_inst(
                data={"bk_obj_id": obj, "bk_inst_name": f"web{i}", "cores": i, "env": "prod" if i % 2 else "dev"}
            )
        )
    condition = {
        obj: [
            {"field": "env", "operator": "$eq", "value": "prod"},
            {"field": "bk_inst_name", "operator": "$regex", "value": "web"},
            {"field": "cores", "operator": "$ne", "value": 3},
        ]
    }
    page = {"start": 1, "limit": 2, "sort": "-cores"}
    data = ok(
        cc_open.cc.search_inst(
            data={"bk_obj_id": obj, "condition": condition, "page": page, "fields": ["bk_inst_name", "cores"]}
        )
    )
    assert data["count"] == 3  # web1, web5, web7
    assert data["info"] == [{"bk_inst_name": "web5", "cores": 5}, {"bk_inst_name": "web1", "cores": 1}]
    refused(cc_open.cc.search_inst(data={"bk_obj_id": obj, "page": {"start": 0, "limit": 201}}), 1199059)
    refused(
        cc_open.cc.search_inst(
            data={"bk_obj_id": obj, "condition": {obj: [{"field": "nope", "operator": "$eq", "value": 1}]}}
        ),
        1199006,
    )

    rack = f"r{tag()}"
    new_model(cc_open, rack, {"bk_property_id": "room", "bk_property_type": "singlechar"})
    r1 = ok(cc_open.cc.create_inst(data={"bk_obj_id": rack, "bk_inst_name": "rack1", "room": "A"}))["bk_inst_id"]
    ok(cc_open.cc.create_inst(data={"bk_obj_id": rack, "bk_inst_name": "rack2", "room": "B"}))
    association = _associate(gql, obj, rack)
    web2 = next(r["bk_inst_id"] for r in _rows(cc_open, obj) if r["bk_inst_name"] == "web2")
    ok(
        cc_open.cc.add_instance_association(
            data={"condition": {"bk_obj_asst_id": association, "bk_inst_id": web2, "bk_asst_inst_id": r1}}
        )
    )
    in_room_a = ok(
        cc_open.cc.search_inst(
            data={
                "bk_obj_id": obj,
                "page": {"start": 0, "limit": 10},
                "condition": {rack: [{"field": "room", "operator": "$eq", "value": "A"}]},
            }
        )
    )
    assert [row["bk_inst_name"] for row in in_room_a["info"]] == ["web2"]


def _associate(gql: GraphQLClient, source: str, target: str) -> str:
    """A model association, made through GraphQL: the catalogue has no REST row that creates one."""
    input = {"bkObjId": source, "bkAsstId": "belong", "bkAsstObjId": target, "mapping": "n:n"}
    created = gql.ok(CREATE_ASSOCIATION, {"input": input})["createObjectAssociation"]
    assert created["errors"] == []
    return str(created["association"]["bkObjAsstId"])


def test_search_inst_by_object_and_cloud_areas_as_plat(cc_open: Client) -> None:
    obj = _model(cc_open)
    for i in (1, 2, 3):
        ok(cc_open.cc.create_inst(data={"bk_obj_id": obj, "bk_inst_name": f"p{i}", "cores": i}))
    example = {
        "bk_supplier_account": "123456789",
        "bk_obj_id": obj,
        "fields": [],
        "condition": {"cores": 2},
        "page": {"start": 0, "limit": 10, "sort": ""},
    }
    data = ok(cc_open.cc.search_inst_by_object(data=example))
    assert (data["count"], [r["bk_inst_name"] for r in data["info"]]) == (1, ["p2"])
    everything = ok(cc_open.cc.search_inst_by_object(data={"bk_obj_id": obj, "fields": ["bk_inst_name"]}))
    assert everything == {"count": 3, "info": [{"bk_inst_name": "p1"}, {"bk_inst_name": "p2"}, {"bk_inst_name": "p3"}]}

    name = f"cloud{tag()}"
    area = ok(cc_open.cc.create_inst(data={"bk_obj_id": "plat", "bk_cloud_name": name, "bk_supplier_account": "0"}))[
        "bk_inst_id"
    ]
    areas = ok(cc_open.cc.search_inst_by_object(data={"bk_obj_id": "plat", "condition": {"bk_cloud_name": name}}))
    assert areas == {"count": 1, "info": [{"bk_cloud_id": area, "bk_cloud_name": name, "bk_supplier_account": "0"}]}
    assert (
        ok(cc_open.cc.update_inst(data={"bk_obj_id": "plat", "bk_inst_id": area, "bk_cloud_name": f"{name}2"}))
        == "success"
    )
    renamed = ok(
        cc_open.cc.search_inst_by_object(data={"bk_obj_id": "plat", "condition": {"bk_cloud_name": f"{name}2"}})
    )
    assert renamed["count"] == 1
    refused(cc_open.cc.delete_inst(data={"bk_obj_id": "plat", "bk_inst_id": 0}), 1199054)  # the default area
    assert ok(cc_open.cc.delete_inst(data={"bk_obj_id": "plat", "delete": {"bk_inst_id": area}})) == "success"
    assert (
        ok(cc_open.cc.search_inst_by_object(data={"bk_obj_id": "plat", "condition": {"bk_cloud_name": f"{name}2"}}))[
            "count"
        ]
        == 0
    )
