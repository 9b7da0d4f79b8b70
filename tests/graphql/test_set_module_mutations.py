"""Set and module mutations, with the built-in idle pool rules.

Every refused mutation is checked twice: one `UserError` of the expected code, and a re-query
showing that nothing changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.graphql.topology_ops import (
    CREATE_MODULE,
    CREATE_SET,
    DELETE_MODULE,
    DELETE_SETS,
    UPDATE_MODULE,
    UPDATE_SET,
    business_state,
    legacy_id,
    logged,
    node_exists,
)
from tests.support.custom_attributes import declare_attributes
from tests.support.server import GraphQLClient
from tests.support.topology import (
    Business,
    add_hosts,
    create_business,
    create_module,
    create_set,
    host_placements,
    mutate_ok,
    mutate_refused,
    place_hosts,
)

# --- sets ----------------------------------------------------------------------------------------


def test_create_and_update_set(gql: GraphQLClient, unique: str) -> None:
    declare_attributes(gql, "set", zone="singlechar", n="int", extra="bool")
    business = create_business(gql, f"sets-{unique}")
    variables = {
        "businessId": business.id,
        "name": "web",
        "setEnv": "1",
        "capacity": 10,
        "description": "front",
        "attributes": {"zone": "a", "n": 1},
    }
    created = mutate_ok(gql, CREATE_SET, {"input": variables})["set"]
    assert created["name"] == "web"
    assert (created["setEnv"], created["capacity"], created["description"]) == ("1", 10, "front")
    assert (created["isBuiltin"], created["bkBizId"], created["business"]) == (
        False,
        business.bk_biz_id,
        {"id": business.id},
    )
    assert created["attributes"] == {"zone": "a", "n": 1}
    logged(gql, "create", "set", business.bk_biz_id, created["bkSetId"])

    changes = {"name": "web2", "capacity": 20, "attributes": {"n": 2, "extra": True}}
    updated = mutate_ok(gql, UPDATE_SET, {"input": {"businessId": business.id, "setId": created["id"], **changes}})
    expected = {
        "id": created["id"],
        "name": "web2",
        "capacity": 20,
        "description": "front",
        "attributes": {"zone": "a", "n": 2, "extra": True},
    }
    assert updated["set"] == expected
    state = business_state(gql, business.id)
    assert state is not None
    (stored,) = [s for s in state["sets"]["nodes"] if s["id"] == created["id"]]
    assert {k: stored[k] for k in expected} == expected
    logged(gql, "update", "set", business.bk_biz_id, created["bkSetId"])


def test_set_names_are_unique_within_one_business_only(gql: GraphQLClient, unique: str) -> None:
    first = create_business(gql, f"setname-a-{unique}")
    second = create_business(gql, f"setname-b-{unique}")
    create_set(gql, first, "web")
    db = create_set(gql, first, "db")
    before = business_state(gql, first.id)

    error = mutate_refused(gql, CREATE_SET, {"input": {"businessId": first.id, "name": "web"}}, "DUPLICATE")
    assert error["field"] == "name"
    rename = {"input": {"businessId": first.id, "setId": db, "name": "web"}}
    assert mutate_refused(gql, UPDATE_SET, rename, "DUPLICATE")["field"] == "name"
    for blank in ("", "  "):
        mutate_refused(gql, CREATE_SET, {"input": {"businessId": first.id, "name": blank}}, "INVALID")
    assert business_state(gql, first.id) == before

    in_other = mutate_ok(gql, CREATE_SET, {"input": {"businessId": second.id, "name": "web"}})["set"]
    assert (in_other["name"], in_other["business"]) == ("web", {"id": second.id})


def test_update_set_refusals_change_nothing(gql: GraphQLClient, biz: Business, unique: str) -> None:
    other = create_business(gql, f"other-{unique}")
    foreign = create_set(gql, other, "foreign")
    before, other_before = business_state(gql, biz.id), business_state(gql, other.id)

    rename_idle = {"input": {"businessId": biz.id, "setId": biz.idle_set, "name": "not-idle"}}
    assert mutate_refused(gql, UPDATE_SET, rename_idle, "BUILTIN_OBJECT")["field"] == "name"
    cross = {"input": {"businessId": biz.id, "setId": foreign, "description": "hijack"}}
    mutate_refused(gql, UPDATE_SET, cross, "SET_NOT_IN_BUSINESS")

    assert business_state(gql, biz.id) == before
    assert business_state(gql, other.id) == other_before


def test_delete_sets_is_all_or_nothing(
    gql: GraphQLClient, biz: Business, unique: str, ip_allocator: Iterator[str]
) -> None:
    for name in ("s2", "s3", "s4"):
        create_set(gql, biz, name)
    create_module(gql, biz, "s3", "m3")
    busy_module = create_module(gql, biz, "s4", "m4")
    (host,) = add_hosts(gql, [next(ip_allocator)], biz)
    place_hosts(gql, biz, [host], [busy_module])
    other = create_business(gql, f"other-{unique}")
    foreign = create_set(gql, other, "foreign")
    s1, s2, s3, s4 = (biz.sets[n] for n in ("s1", "s2", "s3", "s4"))
    s1_number = legacy_id(gql, s1)

    deleted = mutate_ok(gql, DELETE_SETS, {"input": {"businessId": biz.id, "setIds": [s1, s2]}})
    assert deleted["deletedIds"] == [s1, s2]
    for gone in (s1, s2, biz.modules["m1"], biz.modules["m2"]):
        assert not node_exists(gql, gone)
    logged(gql, "delete", "set", biz.bk_biz_id, s1_number)

    before, other_before = business_state(gql, biz.id), business_state(gql, other.id)
    refusals: list[tuple[list[str], str]] = [
        ([s3, s1], "NOT_FOUND"),
        ([s3, foreign], "SET_NOT_IN_BUSINESS"),
        ([s3, biz.idle_set], "BUILTIN_OBJECT"),
        ([s3, s4], "SET_HAS_HOSTS"),
        ([s3, "garbage"], "INVALID"),
        ([s3, biz.modules["m3"]], "INVALID"),
        ([], "INVALID"),
    ]
    for set_ids, code in refusals:
        mutate_refused(gql, DELETE_SETS, {"input": {"businessId": biz.id, "setIds": set_ids}}, code)
    assert business_state(gql, biz.id) == before
    assert business_state(gql, other.id) == other_before
    assert host_placements(gql, [host]) == {host: (biz.bk_biz_id, [busy_module])}


# --- modules -------------------------------------------------------------------------------------


def test_create_update_delete_module(gql: GraphQLClient, biz: Business) -> None:
    declare_attributes(gql, "module", port="int", tls="bool")
    s1 = biz.sets["s1"]
    s2 = create_set(gql, biz, "s2")
    variables = {
        "businessId": biz.id,
        "setId": s1,
        "name": "nginx",
        "moduleType": "2",
        "operator": "ops",
        "attributes": {"port": 80},
    }
    created = mutate_ok(gql, CREATE_MODULE, {"input": variables})["module"]
    assert (created["name"], created["builtin"], created["moduleType"], created["operator"]) == (
        "nginx",
        "NORMAL",
        "2",
        "ops",
    )
    assert (created["set"], created["business"], created["attributes"]) == ({"id": s1}, {"id": biz.id}, {"port": 80})
    logged(gql, "create", "module", biz.bk_biz_id, created["bkModuleId"])

    changes = {"name": "nginx2", "operator": "ops2", "attributes": {"tls": True}}
    updated = mutate_ok(gql, UPDATE_MODULE, {"input": {"businessId": biz.id, "moduleId": created["id"], **changes}})
    expected = {"id": created["id"], "name": "nginx2", "operator": "ops2", "attributes": {"port": 80, "tls": True}}
    assert updated["module"] == expected
    logged(gql, "update", "module", biz.bk_biz_id, created["bkModuleId"])

    same_name_elsewhere = {"businessId": biz.id, "setId": s2, "name": "nginx2"}
    assert mutate_ok(gql, CREATE_MODULE, {"input": same_name_elsewhere})["module"]["set"] == {"id": s2}

    deleted = mutate_ok(gql, DELETE_MODULE, {"input": {"businessId": biz.id, "moduleId": created["id"]}})
    assert deleted["deletedId"] == created["id"]
    assert not node_exists(gql, created["id"])
    logged(gql, "delete", "module", biz.bk_biz_id, created["bkModuleId"])


def test_module_refusals_change_nothing(
    gql: GraphQLClient, biz: Business, unique: str, ip_allocator: Iterator[str]
) -> None:
    s2 = create_set(gql, biz, "s2")
    m1, m2 = biz.modules["m1"], biz.modules["m2"]
    (host,) = add_hosts(gql, [next(ip_allocator)], biz)
    place_hosts(gql, biz, [host], [m1])
    other = create_business(gql, f"other-{unique}")
    create_set(gql, other, "foreign")
    foreign_module = create_module(gql, other, "foreign", "fm")
    before, other_before = business_state(gql, biz.id), business_state(gql, other.id)

    def create(set_id: str, name: str, code: str) -> None:
        mutate_refused(gql, CREATE_MODULE, {"input": {"businessId": biz.id, "setId": set_id, "name": name}}, code)

    def update(module_id: str, code: str, **changes: Any) -> None:
        mutate_refused(gql, UPDATE_MODULE, {"input": {"businessId": biz.id, "moduleId": module_id, **changes}}, code)

    def delete(module_id: str, code: str, set_id: str | None = None) -> None:
        variables = {"businessId": biz.id, "moduleId": module_id, "setId": set_id}
        mutate_refused(gql, DELETE_MODULE, {"input": variables}, code)

    create(biz.idle_set, "sneaky", "BUILTIN_OBJECT")
    create(biz.sets["s1"], "m2", "DUPLICATE")
    create(biz.sets["s1"], " ", "INVALID")
    create(other.sets["foreign"], "cross", "SET_NOT_IN_BUSINESS")
    update(m2, "DUPLICATE", name="m1")
    update(m2, "INVALID", name="")
    update(m2, "INVALID", attributes={"list": [1, 2]})  # not declared by the module model
    for builtin in (biz.idle_module, biz.fault_module, biz.recycle_module):
        update(builtin, "BUILTIN_OBJECT", name="renamed")
        delete(builtin, "BUILTIN_OBJECT")
    delete(m1, "MODULE_HAS_HOSTS")
    delete(m2, "MODULE_NOT_IN_SET", set_id=s2)
    update(foreign_module, "MODULE_NOT_IN_BUSINESS", operator="x")
    delete(foreign_module, "MODULE_NOT_IN_BUSINESS")

    assert business_state(gql, biz.id) == before
    assert business_state(gql, other.id) == other_before
    assert host_placements(gql, [host]) == {host: (biz.bk_biz_id, [m1])}
