"""Dynamic groups through GraphQL: create/update/delete, listing, the hosts a group matches (with
the full search_host language), refusals that change nothing, and a constant SQL count."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.cmdb_groups.support import (
    DELETE_GROUP,
    GROUP_HOSTS,
    GROUPS,
    UPDATE_GROUP,
    body,
    create_group,
    group_ips,
)
from tests.executors.support import login
from tests.support.custom_attributes import declare_attributes
from tests.support.server import GraphQLClient, Server
from tests.support.topology import (
    Business,
    add_hosts,
    create_business,
    create_module,
    create_set,
    mutate_ok,
    place_hosts,
    run_mutation,
)

CREATE = """
mutation($input: CreateDynamicGroupInput!) {
  createDynamicGroup(input: $input) { group { id } errors { code field message } }
}"""


@pytest.fixture
def estate(gql: GraphQLClient, unique: str, ip_allocator: Any) -> tuple[Business, dict[str, list[str]]]:
    declare_attributes(gql, "host", env="singlechar")
    business = create_business(gql, f"dg-{unique}")
    create_set(gql, business, "web")
    create_set(gql, business, "db")
    create_module(gql, business, "web", "nginx")
    create_module(gql, business, "db", "mysql")
    ips = {
        "prod-web": [next(ip_allocator) for _ in range(2)],
        "dev-web": [next(ip_allocator)],
        "db": [next(ip_allocator)],
    }
    for key, module, env in (("prod-web", "nginx", "prod"), ("dev-web", "nginx", "dev"), ("db", "mysql", "prod")):
        host_ids = add_hosts(gql, ips[key], business, hostName=f"{key}-{unique}", attributes={"env": env})
        place_hosts(gql, business, host_ids, [business.modules[module]])
    return business, ips


def test_groups_resolve_the_search_host_language(
    gql: GraphQLClient, estate: tuple[Business, dict[str, list[str]]], unique: str
) -> None:
    business, ips = estate
    biz = business.bk_biz_id
    prod_web = create_group(
        gql, business.id, "prod web", body(("set", [("bk_set_name", "$eq", "web")]), ("host", [("env", "$eq", "prod")]))
    )
    assert prod_web["bkBizId"] == biz
    assert prod_web["createUser"] == "admin"
    assert prod_web["business"]["name"] == f"dg-{unique}"
    assert group_ips(gql, biz, prod_web["bkId"]) == sorted(ips["prod-web"])
    cases = {
        "in": body(("module", [("bk_module_name", "$in", ["nginx", "mysql"])])),
        "nin": body(("module", [("bk_module_name", "$nin", ["nginx"])])),
        "regex": body(("host", [("bk_host_name", "$regex", "dev-web")])),
        "ip": body(ip={"data": ips["db"], "exact": 1, "flag": "bk_host_innerip"}),
        "pattern": body(pattern=f"PROD-WEB-{unique}"),
        "object": body(("object", [("bk_inst_id", "$eq", biz)])),
        # The doc's INFO table: one clause, no outer condition list.
        "table form": json.dumps(
            {
                "bk_obj_id": "set",
                "fields": [],
                "condition": [{"field": "bk_set_name", "operator": "$eq", "value": "db"}],
            }
        ),
    }
    expected = {
        "in": ips["prod-web"] + ips["dev-web"] + ips["db"],
        "nin": ips["db"],
        "regex": ips["dev-web"],
        "ip": ips["db"],
        "pattern": ips["prod-web"],
        "object": ips["prod-web"] + ips["dev-web"] + ips["db"],
        "table form": ips["db"],
    }
    for name, info in cases.items():
        group = create_group(gql, business.id, name, info)
        assert group_ips(gql, biz, group["bkId"]) == sorted(expected[name]), name

    listed = gql.ok(GROUPS, {"b": biz, "filter": {"nameContains": "IN"}})["dynamicGroups"]
    assert sorted(item["name"] for item in listed["items"]) == ["in", "nin"]
    assert gql.ok(GROUPS, {"b": biz})["dynamicGroups"]["count"] == 1 + len(cases)

    updated = mutate_ok(
        gql,
        UPDATE_GROUP,
        {
            "input": {
                "groupId": prod_web["id"],
                "name": "all web",
                "info": body(("set", [("bk_set_name", "$eq", "web")])),
            }
        },
    )
    assert updated["group"]["name"] == "all web"
    assert group_ips(gql, biz, prod_web["bkId"]) == sorted(ips["prod-web"] + ips["dev-web"])
    # By bk id with its business, as the REST dialect addresses it.
    mutate_ok(gql, UPDATE_GROUP, {"input": {"groupId": prod_web["bkId"], "businessId": business.id, "name": "web"}})
    assert mutate_ok(gql, DELETE_GROUP, {"input": {"groupId": prod_web["id"]}})["deletedId"] == prod_web["id"]
    error = gql.execute(GROUP_HOSTS, {"b": biz, "g": prod_web["bkId"]}).errors[0]
    assert error["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("info", "code"),
    [
        ("{oops", "MALFORMED_JSON"),
        ("42", "INVALID"),
        (body(("host", [("bk_host_name", "$like", "x")])), "INVALID"),
        ('{"condition": [{"bk_obj_id": "host", "condition": "x"}]}', "INVALID"),
        ('{"ip": {"data": ["10.0.0.1"], "flag": "bk_host_lanip"}}', "INVALID"),
    ],
)
def test_a_bad_body_is_refused_and_nothing_is_saved(gql: GraphQLClient, unique: str, info: str, code: str) -> None:
    business = create_business(gql, f"dg-bad-{unique}")
    payload = run_mutation(gql, CREATE, {"input": {"businessId": business.id, "name": "bad", "info": info}})
    assert payload["group"] is None
    assert payload["errors"][0]["code"] == code
    assert gql.ok(GROUPS, {"b": business.bk_biz_id})["dynamicGroups"]["count"] == 0


def test_names_are_unique_per_business_and_roles_apply(server: Server, gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"dg-roles-{unique}")
    info = body(("host", [("bk_host_name", "$eq", "x")]))
    create_group(gql, business.id, "same", info)
    payload = run_mutation(gql, CREATE, {"input": {"businessId": business.id, "name": "same", "info": info}})
    assert payload["errors"][0]["code"] == "DUPLICATE"
    other = create_business(gql, f"dg-roles-other-{unique}")
    create_group(gql, other.id, "same", info)  # another business may use the name

    viewer = f"dg-viewer-{unique}"
    server.cli("admin", "create-user", viewer, "--password", "a-long-password-1")
    server.cli("admin", "grant-role", viewer, "--biz", str(business.bk_biz_id), "--role", "viewer")
    as_viewer = login(server.url, viewer, "a-long-password-1")
    assert gql.ok(GROUPS, {"b": business.bk_biz_id})["dynamicGroups"]["count"] == 1
    assert as_viewer.ok(GROUPS, {"b": business.bk_biz_id})["dynamicGroups"]["count"] == 1
    refused = as_viewer.execute(CREATE, {"input": {"businessId": business.id, "name": "mine", "info": info}})
    assert refused.errors[0]["extensions"]["code"] == "PERMISSION_DENIED"
    hidden = as_viewer.execute(GROUPS, {"b": other.bk_biz_id})
    assert hidden.errors[0]["extensions"]["code"] == "PERMISSION_DENIED"


def test_group_hosts_sql_count_does_not_grow(gql: GraphQLClient, unique: str, ip_allocator: Any) -> None:
    counts = []
    for size in (2, 40):
        business = create_business(gql, f"dg-count-{size}-{unique}")
        create_set(gql, business, "web")
        module = create_module(gql, business, "web", "nginx")
        host_ids = add_hosts(gql, [next(ip_allocator) for _ in range(size)], business)
        place_hosts(gql, business, host_ids, [module])
        group = create_group(gql, business.id, "web", body(("set", [("bk_set_name", "$eq", "web")])))
        response = gql.execute(GROUP_HOSTS, {"b": business.bk_biz_id, "g": group["bkId"], "page": {"limit": 200}})
        assert response.ok()["dynamicGroupHosts"]["count"] == size
        counts.append(response.sql_count)
    assert counts[0] == counts[1], counts
