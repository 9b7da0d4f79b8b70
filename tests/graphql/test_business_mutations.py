"""Business mutations: create (with the idle pool), update, archive, delete.

Every refused mutation is checked twice: one `UserError` of the expected code, and a re-query
showing that nothing changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.graphql.topology_ops import (
    CREATE_BUSINESS,
    DELETE_BUSINESS,
    RETURN,
    SET_BUSINESS_ENABLED,
    UPDATE_BUSINESS,
    business_count,
    business_state,
    logged,
    node_exists,
)
from tests.support.custom_attributes import declare_attributes
from tests.support.server import GraphQLClient
from tests.support.topology import (
    add_hosts,
    create_business,
    create_module,
    create_set,
    global_id,
    mutate_ok,
    mutate_refused,
    resource_pool,
)

# --- businesses ----------------------------------------------------------------------------------


def _declare_business_attributes(gql: GraphQLClient) -> None:
    declare_attributes(gql, "biz", tier="singlechar", rank="int", region="singlechar")


def test_create_business_gets_idle_pool_with_builtin_modules(gql: GraphQLClient, unique: str) -> None:
    _declare_business_attributes(gql)
    name = f"created-{unique}"
    variables = {"input": {"name": name, "maintainer": "alice", "attributes": {"tier": "gold", "rank": 2}}}
    business = mutate_ok(gql, CREATE_BUSINESS, variables)["business"]

    assert business["name"] == name
    assert business["maintainer"] == "alice"
    assert business["enabled"] is True
    assert business["isResourcePool"] is False
    assert business["attributes"] == {"tier": "gold", "rank": 2}
    assert business["sets"]["totalCount"] == 1
    idle_pool = business["idlePool"]
    assert (idle_pool["name"], idle_pool["isBuiltin"]) == ("空闲机池", True)
    modules = {(m["name"], m["builtin"]) for m in idle_pool["modules"]["nodes"]}
    assert modules == {("空闲机", "IDLE"), ("故障机", "FAULT"), ("待回收", "RECYCLE")}

    (entry,) = logged(gql, "create", "biz", business["bkBizId"], business["bkBizId"])
    assert entry["curData"]["bk_biz_name"] == name


def test_business_name_must_be_unique_and_not_blank(gql: GraphQLClient, unique: str) -> None:
    name = f"dup-{unique}"
    create_business(gql, name)
    before = business_count(gql)

    error = mutate_refused(gql, CREATE_BUSINESS, {"input": {"name": name}}, "DUPLICATE")
    assert error["field"] == "name"
    for blank in ("", "   "):
        error = mutate_refused(gql, CREATE_BUSINESS, {"input": {"name": blank}}, "INVALID")
        assert error["field"] == "name"

    assert business_count(gql) == before


def test_update_business_merges_custom_attributes(gql: GraphQLClient, unique: str) -> None:
    _declare_business_attributes(gql)
    created = mutate_ok(
        gql, CREATE_BUSINESS, {"input": {"name": f"upd-{unique}", "attributes": {"tier": "gold", "rank": 2}}}
    )["business"]
    new_name = f"renamed-{unique}"
    variables = {
        "businessId": created["id"],
        "name": new_name,
        "maintainer": "bob",
        "attributes": {"rank": 3, "region": "sh"},
    }
    updated = mutate_ok(gql, UPDATE_BUSINESS, {"input": variables})["business"]

    expected_attributes = {"tier": "gold", "rank": 3, "region": "sh"}
    assert (updated["name"], updated["maintainer"], updated["attributes"]) == (new_name, "bob", expected_attributes)
    state = business_state(gql, created["id"])
    assert state is not None
    assert (state["name"], state["maintainer"], state["attributes"]) == (new_name, "bob", expected_attributes)

    (entry,) = logged(gql, "update", "biz", created["bkBizId"], created["bkBizId"])
    assert (entry["preData"]["bk_biz_name"], entry["preData"]["rank"]) == (f"upd-{unique}", 2)
    assert (entry["curData"]["bk_biz_name"], entry["curData"]["rank"]) == (new_name, 3)


def test_update_business_refusals_change_nothing(gql: GraphQLClient, unique: str) -> None:
    _declare_business_attributes(gql)
    taken = create_business(gql, f"taken-{unique}")
    target = create_business(gql, f"target-{unique}")
    before = business_state(gql, target.id)
    taken_name = f"taken-{unique}"

    def refuse(code: str, **changes: Any) -> dict[str, Any]:
        return mutate_refused(gql, UPDATE_BUSINESS, {"input": {"businessId": target.id, **changes}}, code)

    assert refuse("DUPLICATE", name=taken_name)["field"] == "name"
    assert refuse("INVALID", name=" ")["field"] == "name"
    assert refuse("INVALID", attributes="not an object")["field"] == "attributes"
    assert refuse("INVALID", attributes={"tier": {"x": 1}})["field"] == "attributes.tier"
    assert refuse("NEED_INT", attributes={"rank": "two"})["field"] == "attributes.rank"
    # Keys the biz model does not declare are refused, naming the attribute.
    assert refuse("INVALID", attributes={"nested": {"x": 1}})["field"] == "attributes.nested"
    assert refuse("INVALID", attributes={"bad key!": 1})["field"] == "attributes.bad key!"
    missing = global_id("Business", 987_654_321)
    mutate_refused(gql, UPDATE_BUSINESS, {"input": {"businessId": missing, "name": f"x-{unique}"}}, "NOT_FOUND")

    assert business_state(gql, target.id) == before
    assert business_state(gql, taken.id) is not None


def test_archive_and_reenable_business(gql: GraphQLClient, unique: str, ip_allocator: Iterator[str]) -> None:
    name = f"archive-{unique}"
    business = create_business(gql, name)
    by_name = """query($name: String!, $all: Boolean!) {
      businesses(first: 5, filter: {name: $name, includeDisabled: $all}) { nodes { id enabled } } }"""

    archived = mutate_ok(gql, SET_BUSINESS_ENABLED, {"input": {"businessId": business.id, "enabled": False}})
    assert archived["business"] == {"id": business.id, "enabled": False}
    assert gql.ok(by_name, {"name": name, "all": False})["businesses"]["nodes"] == []
    assert gql.ok(by_name, {"name": name, "all": True})["businesses"]["nodes"] == [
        {"id": business.id, "enabled": False}
    ]

    enabled = mutate_ok(gql, SET_BUSINESS_ENABLED, {"input": {"businessId": business.id, "enabled": True}})
    assert enabled["business"] == {"id": business.id, "enabled": True}
    entries = logged(gql, "update", "biz", business.bk_biz_id, business.bk_biz_id)
    assert [e["curData"] for e in entries] == [{"enabled": True}, {"enabled": False}]

    add_hosts(gql, [next(ip_allocator)], business)
    before = business_state(gql, business.id)
    variables = {"input": {"businessId": business.id, "enabled": False}}
    mutate_refused(gql, SET_BUSINESS_ENABLED, variables, "BUSINESS_HAS_HOSTS")
    assert business_state(gql, business.id) == before


def test_delete_business_only_without_hosts(gql: GraphQLClient, unique: str, ip_allocator: Iterator[str]) -> None:
    business = create_business(gql, f"del-{unique}")
    set_id = create_set(gql, business, "web")
    module_id = create_module(gql, business, "web", "nginx")
    (host,) = add_hosts(gql, [next(ip_allocator)], business)
    before = business_state(gql, business.id)

    mutate_refused(gql, DELETE_BUSINESS, {"input": {"businessId": business.id}}, "BUSINESS_HAS_HOSTS")
    assert business_state(gql, business.id) == before

    mutate_ok(gql, RETURN, {"input": {"businessId": business.id, "hostIds": [host]}})
    deleted = mutate_ok(gql, DELETE_BUSINESS, {"input": {"businessId": business.id}})
    assert deleted["deletedId"] == business.id
    for gone in (business.id, set_id, module_id, business.idle_set, business.idle_module):
        assert not node_exists(gql, gone)
    logged(gql, "delete", "biz", business.bk_biz_id, business.bk_biz_id)

    mutate_refused(gql, DELETE_BUSINESS, {"input": {"businessId": business.id}}, "NOT_FOUND")


def test_resource_pool_cannot_be_renamed_archived_or_deleted(gql: GraphQLClient, unique: str) -> None:
    pool = resource_pool(gql)
    before = business_state(gql, pool.id)

    error = mutate_refused(
        gql, UPDATE_BUSINESS, {"input": {"businessId": pool.id, "name": f"pool-{unique}"}}, "BUILTIN_OBJECT"
    )
    assert error["field"] == "name"
    mutate_refused(gql, SET_BUSINESS_ENABLED, {"input": {"businessId": pool.id, "enabled": False}}, "BUILTIN_OBJECT")
    mutate_refused(gql, DELETE_BUSINESS, {"input": {"businessId": pool.id}}, "BUILTIN_OBJECT")

    assert business_state(gql, pool.id) == before
