"""cc custom queries (dynamic groups) through the unmodified bkapi-component-open client:
create/search/detail/update/delete and get_custom_query_data, with the documented shapes and codes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.compat.cc_component_client import CoreClient, component_client
from tests.compat.cc_host_support import ok, refused
from tests.support.custom_attributes import declare_attributes
from tests.support.server import GraphQLClient, Server
from tests.support.topology import add_hosts, create_business, create_module, create_set, place_hosts


@pytest.fixture(scope="module")
def cc(server: Server) -> CoreClient:
    return component_client(server.url, "admin")


def _info(*clauses: dict[str, Any], **extra: Any) -> str:
    return json.dumps({"condition": list(clauses), **extra})


def _clause(obj: str, *conditions: tuple[str, str, Any], fields: list[str] | None = None) -> dict[str, Any]:
    return {
        "bk_obj_id": obj,
        "fields": fields or [],
        "condition": [{"field": f, "operator": op, "value": v} for f, op, v in conditions],
    }


@pytest.fixture
def estate(gql: GraphQLClient, unique: str, ip_allocator: Any) -> dict[str, Any]:
    declare_attributes(gql, "host", env="singlechar")
    business = create_business(gql, f"cq-{unique}")
    create_set(gql, business, "web")
    create_set(gql, business, "db")
    create_module(gql, business, "web", "nginx")
    create_module(gql, business, "db", "mysql")
    web_ips = [next(ip_allocator) for _ in range(3)]
    db_ips = [next(ip_allocator) for _ in range(2)]
    web = add_hosts(gql, web_ips, business, hostName=f"web-{unique}", attributes={"env": "prod"})
    db = add_hosts(gql, db_ips, business, hostName=f"db-{unique}", attributes={"env": "dev"})
    place_hosts(gql, business, web, [business.modules["nginx"]])
    place_hosts(gql, business, db, [business.modules["mysql"]])
    spare = next(ip_allocator)
    return {
        "business": business,
        "biz": business.bk_biz_id,
        "web_ips": web_ips,
        "db_ips": db_ips,
        "unique": unique,
        "spare": spare,
    }


def test_create_run_search_update_delete(cc: CoreClient, estate: dict[str, Any], gql: GraphQLClient) -> None:
    biz = estate["biz"]
    info = _info(
        _clause("set", ("bk_set_name", "$eq", "web"), fields=["bk_set_name"]),
        _clause("host", ("env", "$eq", "prod"), fields=["bk_host_innerip", "bk_host_name"]),
    )
    created = ok(cc.cc.create_custom_query(data={"bk_biz_id": biz, "name": "prod web", "info": info}))
    group_id = created["id"]
    assert isinstance(group_id, str)
    assert len(group_id) == 20

    data = ok(cc.cc.get_custom_query_data(data={"bk_biz_id": biz, "id": group_id, "start": 0, "limit": 10}))
    assert data["count"] == 3
    assert sorted(row["host"]["bk_host_innerip"] for row in data["info"]) == sorted(estate["web_ips"])
    row = data["info"][0]
    # The doc's shape: biz, set and module are single objects; `fields` select their properties.
    assert set(row["host"]) == {"bk_host_innerip", "bk_host_name"}
    assert row["set"] == {"bk_set_name": "web"}
    assert row["module"]["bk_module_name"] == "nginx"
    assert row["biz"]["bk_biz_id"] == biz

    page = ok(cc.cc.get_custom_query_data(data={"bk_biz_id": biz, "id": group_id, "start": 2, "limit": 2}))
    assert page["count"] == 3
    assert len(page["info"]) == 1

    # A host added to the set later is in the group's data at once: it is resolved when run.
    late = add_hosts(gql, [estate["spare"]], estate["business"], attributes={"env": "prod"})
    place_hosts(gql, estate["business"], late, [estate["business"].modules["nginx"]])
    assert (
        ok(cc.cc.get_custom_query_data(data={"bk_biz_id": biz, "id": group_id, "start": 0, "limit": 10}))["count"] == 4
    )

    detail = ok(cc.cc.get_custom_query_detail(data={"bk_biz_id": biz, "id": group_id}))
    assert detail["id"] == group_id
    assert detail["name"] == "prod web"
    assert detail["bk_biz_id"] == biz
    assert detail["info"] == info  # stored as given
    assert detail["create_user"] == "admin"
    assert detail["modify_user"] == "admin"
    assert detail["create_time"]
    assert detail["last_time"]

    ok(
        cc.cc.create_custom_query(
            data={"bk_biz_id": biz, "name": "db hosts", "info": _info(_clause("set", ("bk_set_name", "$eq", "db")))}
        )
    )
    found = ok(
        cc.cc.search_custom_query(data={"bk_biz_id": biz, "condition": {"name": "prod"}, "start": 0, "limit": 10})
    )
    assert found["count"] == 1
    assert found["info"][0]["id"] == group_id
    everything = ok(cc.cc.search_custom_query(data={"bk_biz_id": biz, "start": 0, "limit": 10}))
    assert [item["name"] for item in everything["info"]] == ["db hosts", "prod web"]  # newest first

    # Update: `$neq` (the doc's table) and `$ne` (its example) both work.
    new_info = _info(_clause("set", ("bk_set_name", "$neq", "web")), _clause("host", ("env", "$ne", "prod")))
    assert (
        ok(cc.cc.update_custom_query(data={"bk_biz_id": biz, "id": group_id, "info": new_info, "name": "not web"}))
        == {}
    )
    data = ok(cc.cc.get_custom_query_data(data={"bk_biz_id": biz, "id": group_id, "start": 0, "limit": 10}))
    assert sorted(row["host"]["bk_host_innerip"] for row in data["info"]) == sorted(estate["db_ips"])
    assert ok(cc.cc.get_custom_query_detail(data={"bk_biz_id": biz, "id": group_id}))["name"] == "not web"

    assert ok(cc.cc.delete_custom_query(data={"bk_biz_id": biz, "id": group_id})) == {}
    refused(cc.cc.get_custom_query_detail(data={"bk_biz_id": biz, "id": group_id}), 1199019)


def test_object_clause_and_pattern(cc: CoreClient, estate: dict[str, Any]) -> None:
    biz, unique = estate["biz"], estate["unique"]
    # bk_obj_id "object": the mainline instance above the sets (here the business) by bk_inst_id.
    below_business = _info(_clause("object", ("bk_inst_id", "$eq", biz)))
    group = ok(cc.cc.create_custom_query(data={"bk_biz_id": biz, "name": "mainline", "info": below_business}))["id"]
    data = ok(cc.cc.get_custom_query_data(data={"bk_biz_id": biz, "id": group, "start": 0, "limit": 50}))
    assert data["count"] == 5
    nowhere = _info(_clause("object", ("bk_inst_id", "$eq", biz + 100_000)))
    group = ok(cc.cc.create_custom_query(data={"bk_biz_id": biz, "name": "other mainline", "info": nowhere}))["id"]
    assert ok(cc.cc.get_custom_query_data(data={"bk_biz_id": biz, "id": group, "start": 0, "limit": 50}))["count"] == 0

    by_pattern = json.dumps({"condition": [], "pattern": f"DB-{unique}"})
    group = ok(cc.cc.create_custom_query(data={"bk_biz_id": biz, "name": "pattern", "info": by_pattern}))["id"]
    data = ok(cc.cc.get_custom_query_data(data={"bk_biz_id": biz, "id": group, "start": 0, "limit": 50}))
    assert sorted(row["host"]["bk_host_innerip"] for row in data["info"]) == sorted(estate["db_ips"])


@pytest.mark.parametrize(
    ("info", "code"),
    [
        ("{not json", 1199000),
        ('["a list"]', 1199006),
        (_info(_clause("host", ("bk_host_name", "$like", "x"))), 1199006),
        (json.dumps({"condition": [{"condition": []}]}), 1199006),
    ],
)
def test_create_refuses_a_bad_body(cc: CoreClient, estate: dict[str, Any], info: str, code: int) -> None:
    refused(cc.cc.create_custom_query(data={"bk_biz_id": estate["biz"], "name": "bad", "info": info}), code)
    assert ok(cc.cc.search_custom_query(data={"bk_biz_id": estate["biz"], "start": 0, "limit": 10}))["count"] == 0


def test_refusals(cc: CoreClient, estate: dict[str, Any], server: Server, unique: str) -> None:
    biz = estate["biz"]
    info = _info(_clause("set", ("bk_set_name", "$eq", "web")))
    group = ok(cc.cc.create_custom_query(data={"bk_biz_id": biz, "name": "dup", "info": info}))["id"]
    refused(cc.cc.create_custom_query(data={"bk_biz_id": biz, "name": "dup", "info": info}), 1199014)
    refused(cc.cc.create_custom_query(data={"bk_biz_id": biz, "info": info}), 1199008)
    refused(cc.cc.create_custom_query(data={"bk_biz_id": biz, "name": "x"}), 1199008)
    refused(cc.cc.get_custom_query_data(data={"bk_biz_id": biz, "id": group, "start": 0, "limit": 201}), 1199059)
    refused(cc.cc.get_custom_query_data(data={"bk_biz_id": biz, "id": "nope", "start": 0, "limit": 10}), 1199019)
    no_instance = _info(_clause("object", ("bk_obj_name", "$eq", "x")))
    broken = ok(cc.cc.create_custom_query(data={"bk_biz_id": biz, "name": "no inst", "info": no_instance}))["id"]
    refused(cc.cc.get_custom_query_data(data={"bk_biz_id": biz, "id": broken, "start": 0, "limit": 10}), 1110058)
    refused(cc.cc.search_custom_query(data={"bk_biz_id": biz, "condition": {"owner": "x"}}), 1199006)

    server.cli("admin", "create-user", f"cq-nobody-{unique}", "--password", "a-long-password-1")
    stranger = component_client(server.url, f"cq-nobody-{unique}")
    refused(stranger.cc.get_custom_query_detail(data={"bk_biz_id": biz, "id": group}), 9900403)
    refused(stranger.cc.create_custom_query(data={"bk_biz_id": biz, "name": "mine", "info": info}), 9900403)
    refused(stranger.cc.delete_custom_query(data={"bk_biz_id": biz, "id": group}), 9900403)
    assert ok(cc.cc.get_custom_query_detail(data={"bk_biz_id": biz, "id": group}))["name"] == "dup"
