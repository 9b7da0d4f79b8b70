"""Host mutations: import, update, delete, locks, property cloning.

Every refused mutation is checked twice: one `UserError` of the expected code, and a re-query
showing that nothing changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.graphql.topology_ops import (
    ADD_HOSTS,
    ASSIGN,
    CLONE_HOST_PROPERTIES,
    DELETE_HOSTS,
    HOST_LOCKS,
    LOCK_HOSTS,
    RETURN,
    TO_BUILTIN,
    TRANSFER,
    UNLOCK_HOSTS,
    UPDATE_HOSTS,
    host_state,
    hosts_with_ips,
    ips,
    legacy_id,
    logged,
    transfer,
)
from tests.support.custom_attributes import declare_attributes
from tests.support.server import GraphQLClient
from tests.support.topology import (
    Business,
    add_hosts,
    global_id,
    host_placements,
    mutate_ok,
    mutate_refused,
    resource_pool,
)

# --- hosts ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _declared_host_attributes(gql: GraphQLClient) -> None:
    declare_attributes(gql, "host", env="singlechar", rack="int", owner="singlechar")


def test_add_hosts_lands_in_an_idle_module(gql: GraphQLClient, biz: Business, ip_allocator: Iterator[str]) -> None:
    pool = resource_pool(gql)
    pool_ip, biz_ip = next(ip_allocator), next(ip_allocator)
    new_host = {"innerIp": pool_ip, "hostName": "alpha", "osType": "1", "attributes": {"env": "prod", "rack": 7}}
    (in_pool,) = mutate_ok(gql, ADD_HOSTS, {"input": {"hosts": [new_host]}})["hosts"]
    assert (in_pool["innerIp"], in_pool["hostName"], in_pool["osType"]) == (pool_ip, "alpha", "1")
    assert in_pool["attributes"] == {"env": "prod", "rack": 7}
    assert (in_pool["bkBizId"], in_pool["modules"]) == (pool.bk_biz_id, [{"id": pool.idle_module}])

    (in_biz,) = mutate_ok(gql, ADD_HOSTS, {"input": {"hosts": [{"innerIp": biz_ip}], "businessId": biz.id}})["hosts"]
    assert (in_biz["bkBizId"], in_biz["modules"]) == (biz.bk_biz_id, [{"id": biz.idle_module}])

    assert host_placements(gql, [in_pool["id"], in_biz["id"]]) == {
        in_pool["id"]: (pool.bk_biz_id, [pool.idle_module]),
        in_biz["id"]: (biz.bk_biz_id, [biz.idle_module]),
    }
    (entry,) = logged(gql, "create", "host", pool.bk_biz_id, in_pool["bkHostId"])
    assert entry["extKey"] == pool_ip
    logged(gql, "create", "host", biz.bk_biz_id, in_biz["bkHostId"])


def test_add_hosts_refusals_create_nothing(gql: GraphQLClient, ip_allocator: Iterator[str]) -> None:
    existing, fresh = next(ip_allocator), next(ip_allocator)
    add_hosts(gql, [existing])

    def refuse(hosts: list[dict[str, Any]], code: str, business_id: str | None = None) -> dict[str, Any]:
        return mutate_refused(gql, ADD_HOSTS, {"input": {"hosts": hosts, "businessId": business_id}}, code)

    refuse([{"innerIp": fresh}, {"innerIp": existing}], "DUPLICATE")
    refuse([{"innerIp": fresh}, {"innerIp": fresh}], "DUPLICATE")
    refuse([{"innerIp": fresh}, {"innerIp": "300.1.1.1"}], "INVALID")
    refuse([{"innerIp": fresh}, {"innerIp": "not-an-ip"}], "INVALID")
    refuse([{"innerIp": fresh}, {"hostName": "no ip"}], "INVALID")
    refuse([{"innerIp": fresh, "outerIp": "1.2.3"}], "INVALID")
    refuse([{"innerIp": fresh, "cloudAreaId": global_id("CloudArea", 987_654)}], "NOT_FOUND")
    refuse([{"innerIp": fresh}], "NOT_FOUND", business_id=global_id("Business", 987_654_321))
    refuse([], "INVALID")

    assert hosts_with_ips(gql, [fresh]) == 0
    assert hosts_with_ips(gql, [existing]) == 1


def test_update_hosts_properties_and_custom_attributes(gql: GraphQLClient, ip_allocator: Iterator[str]) -> None:
    first_ip, second_ip, moved_ip = ips(ip_allocator, 3)
    hosts = add_hosts(gql, [first_ip, second_ip], attributes={"env": "prod", "rack": 1})
    properties = {"hostName": "renamed", "osType": "2", "cpu": 8, "attributes": {"rack": 2, "owner": "ops"}}
    updated = mutate_ok(gql, UPDATE_HOSTS, {"input": {"hostIds": hosts, "properties": properties}})["hosts"]

    expected_attributes = {"env": "prod", "rack": 2, "owner": "ops"}
    for host_id in hosts:
        for row in (next(h for h in updated if h["id"] == host_id), host_state(gql, host_id)):
            assert row is not None
            assert (row["hostName"], row["osType"], row["cpu"]) == ("renamed", "2", 8)
            assert row["attributes"] == expected_attributes

    changed = mutate_ok(gql, UPDATE_HOSTS, {"input": {"hostIds": [hosts[0]], "properties": {"innerIp": moved_ip}}})
    assert changed["hosts"][0]["innerIp"] == moved_ip
    assert hosts_with_ips(gql, [first_ip]) == 0
    pool = resource_pool(gql)
    entries = logged(gql, "update", "host", pool.bk_biz_id, legacy_id(gql, hosts[0]))
    assert entries[0]["preData"]["bk_host_innerip"] == first_ip
    assert entries[0]["curData"]["bk_host_innerip"] == moved_ip


def test_update_hosts_refusals_change_nothing(gql: GraphQLClient, ip_allocator: Iterator[str]) -> None:
    first_ip, second_ip, unused_ip = ips(ip_allocator, 3)
    first, second = add_hosts(gql, [first_ip, second_ip], hostName="keep")
    before = {h: host_state(gql, h) for h in (first, second)}

    def refuse(host_ids: list[str], properties: dict[str, Any], code: str) -> None:
        mutate_refused(gql, UPDATE_HOSTS, {"input": {"hostIds": host_ids, "properties": properties}}, code)

    refuse([first], {"innerIp": second_ip}, "DUPLICATE")
    refuse([first, second], {"innerIp": unused_ip}, "INVALID")
    refuse([first], {"innerIp": "999.0.0.1"}, "INVALID")
    refuse([first], {"outerIp": "nope"}, "INVALID")
    refuse([first], {"attributes": {"deep": {"a": 1}}}, "INVALID")  # not declared by the host model
    refuse([first], {"attributes": {"rack": {"a": 1}}}, "NEED_INT")  # declared int
    refuse([first], {}, "INVALID")
    refuse([], {"hostName": "x"}, "INVALID")
    refuse([first, global_id("Host", 987_654_321)], {"hostName": "x"}, "NOT_FOUND")

    assert {h: host_state(gql, h) for h in (first, second)} == before
    assert hosts_with_ips(gql, [unused_ip]) == 0


def test_delete_hosts_only_from_the_resource_pool(
    gql: GraphQLClient, biz: Business, ip_allocator: Iterator[str]
) -> None:
    (pooled,) = add_hosts(gql, [next(ip_allocator)])
    (assigned,) = add_hosts(gql, [next(ip_allocator)], biz)
    pool = resource_pool(gql)
    pooled_number = legacy_id(gql, pooled)

    error = mutate_refused(gql, DELETE_HOSTS, {"input": {"hostIds": [pooled, assigned]}}, "HOST_NOT_IN_RESOURCE_POOL")
    assert error["field"] == "hostIds"
    assert host_placements(gql, [pooled, assigned]) == {
        pooled: (pool.bk_biz_id, [pool.idle_module]),
        assigned: (biz.bk_biz_id, [biz.idle_module]),
    }

    assert mutate_ok(gql, DELETE_HOSTS, {"input": {"hostIds": [pooled]}})["deletedIds"] == [pooled]
    assert host_placements(gql, [pooled]) == {pooled: None}
    logged(gql, "delete", "host", pool.bk_biz_id, pooled_number)
    mutate_refused(gql, DELETE_HOSTS, {"input": {"hostIds": [pooled]}}, "NOT_FOUND")


def test_locked_hosts_cannot_move_or_be_deleted(gql: GraphQLClient, biz: Business, ip_allocator: Iterator[str]) -> None:
    m1 = biz.modules["m1"]
    locked_ip, free_ip, pool_ip = ips(ip_allocator, 3)
    locked, free = add_hosts(gql, [locked_ip, free_ip], biz)
    (pooled,) = add_hosts(gql, [pool_ip])

    for _ in range(2):  # locking a locked host is not an error
        assert mutate_ok(gql, LOCK_HOSTS, {"input": {"ips": [locked_ip, pool_ip]}})["ips"] == [locked_ip, pool_ip]
    states = gql.ok(HOST_LOCKS, {"ips": [locked_ip, free_ip, pool_ip]})["hostLocks"]
    assert {s["ip"]: s["locked"] for s in states} == {locked_ip: True, free_ip: False, pool_ip: True}
    assert len(logged(gql, "create", "host_lock", biz.bk_biz_id, legacy_id(gql, locked))) == 1

    hosts = [locked, free, pooled]
    before = host_placements(gql, hosts)
    refusals: list[tuple[str, dict[str, Any]]] = [
        (TRANSFER, {"businessId": biz.id, "hostIds": [locked], "moduleIds": [m1], "append": False}),
        (TRANSFER, {"businessId": biz.id, "hostIds": [free, locked], "moduleIds": [m1], "append": True}),
        (TO_BUILTIN, {"businessId": biz.id, "hostIds": [locked], "module": "FAULT"}),
        (RETURN, {"businessId": biz.id, "hostIds": [free, locked]}),
        (ASSIGN, {"businessId": biz.id, "hostIds": [pooled]}),
        (DELETE_HOSTS, {"hostIds": [pooled]}),
    ]
    for document, variables in refusals:
        error = mutate_refused(gql, document, {"input": variables}, "HOST_LOCKED")
        assert error["field"] == "hostIds"
    assert host_placements(gql, hosts) == before

    transfer(gql, biz, [free], [m1], append=False)  # another host's lock does not block this one

    mutate_ok(gql, UNLOCK_HOSTS, {"input": {"ips": [locked_ip, pool_ip]}})
    states = gql.ok(HOST_LOCKS, {"ips": [locked_ip, pool_ip]})["hostLocks"]
    assert {s["ip"]: s["locked"] for s in states} == {locked_ip: False, pool_ip: False}
    logged(gql, "delete", "host_lock", biz.bk_biz_id, legacy_id(gql, locked))
    transfer(gql, biz, [locked], [m1], append=False)
    mutate_ok(gql, DELETE_HOSTS, {"input": {"hostIds": [pooled]}})
    assert host_placements(gql, hosts)[pooled] is None


def test_lock_refusals(gql: GraphQLClient, ip_allocator: Iterator[str]) -> None:
    known, unknown = next(ip_allocator), next(ip_allocator)
    add_hosts(gql, [known])
    mutate_refused(gql, LOCK_HOSTS, {"input": {"ips": [known, unknown]}}, "NOT_FOUND")
    mutate_refused(gql, LOCK_HOSTS, {"input": {"ips": ["not-an-ip"]}}, "INVALID")
    mutate_refused(gql, LOCK_HOSTS, {"input": {"ips": []}}, "INVALID")
    assert gql.ok(HOST_LOCKS, {"ips": [known]})["hostLocks"] == [{"ip": known, "locked": False}]


def test_clone_host_properties_copies_everything_but_identity(
    gql: GraphQLClient, biz: Business, ip_allocator: Iterator[str]
) -> None:
    source_ip, target_ip, stranger_ip = ips(ip_allocator, 3)
    source_properties = {
        "innerIp": source_ip,
        "outerIp": "198.51.100.10",
        "hostName": "template",
        "osType": "1",
        "cpu": 16,
        "attributes": {"env": "prod", "rack": 9},
    }
    target_properties = {"innerIp": target_ip, "outerIp": "198.51.100.11", "hostName": "blank", "osType": "2"}
    variables = {"input": {"hosts": [source_properties, target_properties], "businessId": biz.id}}
    _, target = (h["id"] for h in mutate_ok(gql, ADD_HOSTS, variables)["hosts"])
    (stranger,) = add_hosts(gql, [stranger_ip])

    cloned = {"businessId": biz.id, "sourceIp": source_ip, "targetIps": [target_ip]}
    (payload_host,) = mutate_ok(gql, CLONE_HOST_PROPERTIES, {"input": cloned})["hosts"]
    for row in (payload_host, host_state(gql, target)):
        assert row is not None
        assert (row["hostName"], row["osType"], row["cpu"]) == ("template", "1", 16)
        assert row["attributes"].items() >= {"env": "prod", "rack": 9}.items()
        assert (row["innerIp"], row["outerIp"]) == (target_ip, "198.51.100.11")
    logged(gql, "update", "host", biz.bk_biz_id, legacy_id(gql, target))

    before = {h: host_state(gql, h) for h in (target, stranger)}
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"businessId": biz.id, "sourceIp": stranger_ip, "targetIps": [target_ip]}, "NOT_FOUND"),
        ({"businessId": biz.id, "sourceIp": source_ip, "targetIps": [target_ip, stranger_ip]}, "NOT_FOUND"),
        ({"businessId": biz.id, "sourceIp": source_ip, "targetIps": ["nope"]}, "INVALID"),
        ({"businessId": biz.id, "sourceIp": source_ip, "targetIps": []}, "INVALID"),
    ]
    for refused_input, code in refusals:
        mutate_refused(gql, CLONE_HOST_PROPERTIES, {"input": refused_input}, code)
    assert {h: host_state(gql, h) for h in (target, stranger)} == before
