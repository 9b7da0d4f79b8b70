"""Instances of any model through GraphQL: batches (all or nothing), the `instances` connection with
conditions and keyset paging, `searchInstances` with offset paging and sorting, who may see and
change what, and a constant SQL count however many instances a query returns."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.cmdb.support import (
    DELETE_INSTANCES,
    UPDATE_INSTANCES,
    create_instances,
    new_classification,
    new_model,
    ok,
    payload,
    user_client,
)
from tests.support.server import GraphQLClient, Server
from tests.support.topology import create_business

PAGE = """query($o: String!, $first: Int!, $after: String, $filter: InstanceFilter) {
  instances(objectId: $o, first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor } nodes { name bkInstId bkBizId }
  }
}"""
SEARCH = """query($input: SearchInstancesInput!) { searchInstances(input: $input) { count items { name } } }"""
WIDE = """query($o: String!) { instances(objectId: $o, first: 200) { nodes {
  name bkObjId bkProperties model { bkObjId classification { classificationId } }
  properties { propertyId ... on EnumValue { option { name } } ... on IntValue { int } }
  business { name } associations { node { bkObjId } }
} } }"""


@pytest.fixture(scope="module")
def servers_model(gql: GraphQLClient) -> str:
    tag = uuid.uuid4().hex[:8]
    obj = f"srv{tag}"
    new_model(
        gql,
        obj,
        new_classification(gql, tag),
        {"propertyId": "cores", "type": "int"},
        {"propertyId": "env", "type": "enum", "option": [{"id": "prod", "name": "Prod"}, {"id": "dev", "name": "Dev"}]},
        {"propertyId": "note", "type": "longchar"},
    )
    items = [{"bk_inst_name": f"srv-{i:02d}", "cores": i, "env": "prod" if i % 2 else "dev"} for i in range(1, 21)]
    create_instances(gql, obj, *items)
    return obj


def _names(rows: list[dict[str, Any]]) -> list[str]:
    return [row["name"] for row in rows]


def test_conditions_and_keyset_paging(gql: GraphQLClient, servers_model: str) -> None:
    conditions = [
        {"field": "env", "operator": "$eq", "value": "prod"},
        {"field": "cores", "operator": "$gte", "value": 5},
        {"field": "bk_inst_name", "operator": "$regex", "value": "srv-1"},
    ]
    first = gql.ok(PAGE, {"o": servers_model, "first": 3, "filter": {"conditions": conditions}})["instances"]
    assert first["totalCount"] == 5  # srv-11, 13, 15, 17, 19
    assert _names(first["nodes"]) == ["srv-11", "srv-13", "srv-15"]
    after = first["pageInfo"]["endCursor"]
    rest = gql.ok(PAGE, {"o": servers_model, "first": 3, "after": after, "filter": {"conditions": conditions}})
    assert _names(rest["instances"]["nodes"]) == ["srv-17", "srv-19"]
    assert rest["instances"]["pageInfo"]["hasNextPage"] is False
    not_prod = [
        {"field": "env", "operator": "$ne", "value": "prod"},
        {"field": "cores", "operator": "$in", "value": [2, 3, 4]},
    ]
    others = gql.ok(PAGE, {"o": servers_model, "first": 10, "filter": {"conditions": not_prod}})["instances"]
    assert _names(others["nodes"]) == ["srv-02", "srv-04"]


@pytest.mark.parametrize(
    ("condition", "field"),
    [
        ({"field": "nope", "operator": "$eq", "value": 1}, "field"),
        ({"field": "cores", "operator": "$regex", "value": "1"}, "operator"),  # no regex on numbers
        ({"field": "cores", "operator": "$eq", "value": "many"}, "cores"),
        ({"field": "env", "operator": "$gt", "value": "a"}, "operator"),
        ({"field": "note", "operator": "$regex", "value": "(a|b)*"}, "note"),  # literal substrings only
        ({"field": "cores", "operator": "$in", "value": 3}, "cores"),
    ],
)
def test_bad_conditions_are_refused(
    gql: GraphQLClient, servers_model: str, condition: dict[str, Any], field: str
) -> None:
    response = gql.execute(PAGE, {"o": servers_model, "first": 5, "filter": {"conditions": [condition]}})
    assert response.errors, response.body
    assert response.errors[0]["extensions"]["code"] == "INVALID"
    assert response.errors[0]["extensions"].get("field") == field


def test_search_instances_sorts_and_pages_by_offset(gql: GraphQLClient, servers_model: str) -> None:
    page = {"start": 2, "limit": 3, "sort": "-cores"}
    result = gql.ok(SEARCH, {"input": {"objectId": servers_model, "page": page}})["searchInstances"]
    assert result["count"] == 20
    assert _names(result["items"]) == ["srv-18", "srv-17", "srv-16"]
    limit = gql.execute(SEARCH, {"input": {"objectId": servers_model, "page": {"limit": 501}}})
    assert limit.errors[0]["extensions"]["code"] == "PAGE_LIMIT"


def test_batches_are_all_or_nothing(gql: GraphQLClient, unique: str) -> None:
    obj = f"b{unique}"
    new_model(gql, obj, new_classification(gql, unique), {"propertyId": "cores", "type": "int"})
    a, b = create_instances(gql, obj, {"bk_inst_name": "a", "cores": 1}, {"bk_inst_name": "b", "cores": 2})
    updates = [{"id": a["id"], "properties": {"cores": 10}}, {"id": b["id"], "properties": {"cores": "x"}}]
    result = payload(gql.ok(UPDATE_INSTANCES, {"obj": obj, "updates": updates}), "updateInstances")
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("NEED_INT", "[1].cores")]
    rows = gql.ok(PAGE, {"o": obj, "first": 5})["instances"]["nodes"]
    assert {r["name"] for r in rows} == {"a", "b"}
    cores = {r["name"]: r for r in gql.ok(WIDE, {"o": obj})["instances"]["nodes"]}
    assert cores["a"]["bkProperties"]["cores"] == 1  # the valid half was not written either
    ghost = "SW5zdGFuY2U6MjE0NzQ4MzY0Nw"  # Instance:2147483647
    missing = payload(gql.ok(DELETE_INSTANCES, {"obj": obj, "ids": [a["id"], ghost]}), "deleteInstances")
    assert missing["errors"][0]["code"] == "NOT_FOUND"
    assert gql.ok(PAGE, {"o": obj, "first": 5})["instances"]["totalCount"] == 2
    deleted = ok(gql, DELETE_INSTANCES, {"obj": obj, "ids": [a["id"], b["id"]]}, "deleteInstances")
    assert sorted(deleted["deletedIds"]) == sorted([a["id"], b["id"]])
    assert gql.ok(PAGE, {"o": obj, "first": 5})["instances"]["totalCount"] == 0


def test_business_instances_are_read_with_a_role_and_changed_by_operators(
    server: Server, gql: GraphQLClient, unique: str
) -> None:
    obj = f"acl{unique}"
    new_model(gql, obj, new_classification(gql, unique))
    mine = create_business(gql, f"acl-mine-{unique}")
    theirs = create_business(gql, f"acl-theirs-{unique}")
    [own] = create_instances(gql, obj, {"bk_inst_name": "own"}, business=mine.id)
    [foreign] = create_instances(gql, obj, {"bk_inst_name": "foreign"}, business=theirs.id)
    [shared] = create_instances(gql, obj, {"bk_inst_name": "shared"})
    viewer = user_client(server, f"viewer{unique}", business=mine.bk_biz_id, role="viewer")
    operator = user_client(server, f"operator{unique}", business=mine.bk_biz_id, role="operator")

    assert sorted(_names(viewer.ok(PAGE, {"o": obj, "first": 10})["instances"]["nodes"])) == ["own", "shared"]
    assert viewer.ok("query($id: ID!) { node(id: $id) { id } }", {"id": foreign["id"]})["node"] is None
    rename = [{"id": own["id"], "properties": {"bk_inst_name": "own2"}}]
    denied = viewer.execute(UPDATE_INSTANCES, {"obj": obj, "updates": rename})
    assert denied.errors[0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert (
        ok(operator, UPDATE_INSTANCES, {"obj": obj, "updates": rename}, "updateInstances")["instances"][0]["name"]
        == "own2"
    )
    # Another business's instance is "not found", exactly like one that does not exist.
    foreign_update = payload(
        operator.ok(
            UPDATE_INSTANCES, {"obj": obj, "updates": [{"id": foreign["id"], "properties": {"bk_inst_name": "x"}}]}
        ),
        "updateInstances",
    )
    assert foreign_update["errors"][0]["code"] == "NOT_FOUND"
    assert "foreign" not in foreign_update["errors"][0]["message"]
    global_update = operator.execute(
        UPDATE_INSTANCES, {"obj": obj, "updates": [{"id": shared["id"], "properties": {"bk_inst_name": "x"}}]}
    )
    assert global_update.errors[0]["extensions"]["code"] == "PERMISSION_DENIED"  # global instances: superusers
    create = operator.execute(
        'mutation($o: String!, $b: ID) { createInstance(input: {objectId: $o, properties: {bk_inst_name: "n"}, businessId: $b}) { errors { code } } }',  # noqa: E501
        {"o": obj, "b": theirs.id},
    )
    assert create.errors[0]["extensions"]["code"] == "PERMISSION_DENIED"


def _sql(gql: GraphQLClient, query: str, variables: dict[str, Any]) -> int:
    response = gql.execute(query, variables)
    response.ok()
    assert response.sql_count is not None
    return response.sql_count


def test_sql_count_does_not_grow_with_the_instances_returned(gql: GraphQLClient, unique: str) -> None:
    small, big = f"few{unique}", f"many{unique}"
    classification = new_classification(gql, unique)
    for obj, count in ((small, 2), (big, 120)):
        new_model(
            gql,
            obj,
            classification,
            {"propertyId": "env", "type": "enum", "option": [{"id": "p", "name": "P"}]},
            {"propertyId": "n", "type": "int"},
        )
        business = create_business(gql, f"{obj}-biz")
        items = [{"bk_inst_name": f"i{i}", "env": "p", "n": i} for i in range(count)]
        create_instances(gql, obj, *items, business=business.id)
    assert _sql(gql, WIDE, {"o": small}) == _sql(gql, WIDE, {"o": big})
    assert _sql(gql, WIDE, {"o": big}) <= 12
