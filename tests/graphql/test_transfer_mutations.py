"""Moving hosts (bk-cmdb rules): modules, built-in modules, the resource pool, emptying sets.

Every refused mutation is checked twice: one `UserError` of the expected code, and a re-query
showing that nothing changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.graphql.topology_ops import (
    ASSIGN,
    DELETE_MODULE,
    EMPTY_TO_IDLE,
    RETURN,
    TO_BUILTIN,
    TRANSFER,
    ips,
    legacy_id,
    logged,
    transfer,
)
from tests.support.server import GraphQLClient
from tests.support.topology import (
    Business,
    add_hosts,
    create_business,
    create_module,
    create_set,
    global_id,
    host_placements,
    mutate_ok,
    mutate_refused,
    resource_pool,
)

# --- transfers -----------------------------------------------------------------------------------


def test_transfer_replace_and_append(gql: GraphQLClient, biz: Business, ip_allocator: Iterator[str]) -> None:
    create_set(gql, biz, "s2")
    m1, m2, m3 = biz.modules["m1"], biz.modules["m2"], create_module(gql, biz, "s2", "m3")
    mover, idle_one = add_hosts(gql, ips(ip_allocator, 2), biz)

    def move(host: str, modules: list[str], append: bool) -> list[str]:
        variables = {"businessId": biz.id, "hostIds": [host], "moduleIds": modules, "append": append}
        (moved,) = mutate_ok(gql, TRANSFER, {"input": variables})["hosts"]
        placed = sorted(m["id"] for m in moved["modules"])
        assert host_placements(gql, [host]) == {host: (biz.bk_biz_id, placed)}
        return placed

    assert move(mover, [m1], append=False) == [m1]
    assert move(mover, [m2], append=True) == sorted([m1, m2])
    assert move(mover, [m3], append=False) == [m3]
    assert move(mover, [m1, m2], append=False) == sorted([m1, m2])
    assert move(mover, [m2], append=False) == [m2]
    assert move(idle_one, [m1, m3], append=True) == sorted([m1, m3])

    entries = logged(gql, "transfer", "host", biz.bk_biz_id, legacy_id(gql, mover))
    assert len(entries) == 5


def test_builtin_modules_are_only_single_replace_targets(
    gql: GraphQLClient, biz: Business, ip_allocator: Iterator[str]
) -> None:
    m1, m2 = biz.modules["m1"], biz.modules["m2"]
    (host,) = add_hosts(gql, [next(ip_allocator)], biz)
    transfer(gql, biz, [host], [m1], append=False)

    refusals: list[tuple[list[str], bool]] = [
        ([m2, biz.fault_module], False),
        ([biz.idle_module, biz.recycle_module], False),
        ([biz.fault_module], True),
        ([biz.idle_module], True),
        ([m2, biz.recycle_module], True),
    ]
    for modules, append in refusals:
        variables = {"businessId": biz.id, "hostIds": [host], "moduleIds": modules, "append": append}
        error = mutate_refused(gql, TRANSFER, {"input": variables}, "BUILTIN_MODULE_MIXED")
        assert error["field"] == "moduleIds"
    assert host_placements(gql, [host]) == {host: (biz.bk_biz_id, [m1])}

    transfer(gql, biz, [host], [biz.fault_module], append=False)
    assert host_placements(gql, [host]) == {host: (biz.bk_biz_id, [biz.fault_module])}
    transfer(gql, biz, [host], [biz.idle_module], append=False)
    assert host_placements(gql, [host]) == {host: (biz.bk_biz_id, [biz.idle_module])}


def test_transfer_refuses_other_businesses_modules_and_hosts(
    gql: GraphQLClient, biz: Business, unique: str, ip_allocator: Iterator[str]
) -> None:
    m1, m2 = biz.modules["m1"], biz.modules["m2"]
    other = create_business(gql, f"other-{unique}")
    create_set(gql, other, "foreign")
    foreign_module = create_module(gql, other, "foreign", "fm")
    (host,) = add_hosts(gql, [next(ip_allocator)], biz)
    (foreign_host,) = add_hosts(gql, [next(ip_allocator)], other)
    (pool_host,) = add_hosts(gql, [next(ip_allocator)])
    transfer(gql, biz, [host], [m1], append=False)
    doomed = create_module(gql, biz, "s1", "doomed")
    mutate_ok(gql, DELETE_MODULE, {"input": {"businessId": biz.id, "moduleId": doomed}})
    hosts = [host, foreign_host, pool_host]
    before = host_placements(gql, hosts)

    refusals: list[tuple[list[str], list[str], str]] = [
        ([host], [foreign_module], "MODULE_NOT_IN_BUSINESS"),
        ([host], [m2, foreign_module], "MODULE_NOT_IN_BUSINESS"),
        ([host, foreign_host], [m2], "HOST_NOT_IN_BUSINESS"),
        ([pool_host], [m2], "HOST_NOT_IN_BUSINESS"),
        ([host], [doomed], "NOT_FOUND"),
        ([host], [], "INVALID"),
        ([], [m2], "INVALID"),
    ]
    for append in (False, True):
        for host_ids, module_ids, code in refusals:
            variables = {"businessId": biz.id, "hostIds": host_ids, "moduleIds": module_ids, "append": append}
            mutate_refused(gql, TRANSFER, {"input": variables}, code)
    assert host_placements(gql, hosts) == before


def test_transfer_to_builtin_module_is_exclusive(
    gql: GraphQLClient, biz: Business, unique: str, ip_allocator: Iterator[str]
) -> None:
    m1, m2 = biz.modules["m1"], biz.modules["m2"]
    first, second = add_hosts(gql, ips(ip_allocator, 2), biz)
    transfer(gql, biz, [first, second], [m1, m2], append=False)

    expected = {"FAULT": biz.fault_module, "RECYCLE": biz.recycle_module, "IDLE": biz.idle_module}
    for kind, module_id in expected.items():
        variables = {"businessId": biz.id, "hostIds": [first, second], "module": kind}
        moved = mutate_ok(gql, TO_BUILTIN, {"input": variables})["hosts"]
        assert [h["modules"] for h in moved] == [[{"id": module_id, "builtin": kind}]] * 2
        assert host_placements(gql, [first, second]) == {h: (biz.bk_biz_id, [module_id]) for h in (first, second)}
        transfer(gql, biz, [first], [m1, m2], append=False)
        transfer(gql, biz, [second], [m2], append=False)

    other = create_business(gql, f"other-{unique}")
    (foreign_host,) = add_hosts(gql, [next(ip_allocator)], other)
    before = host_placements(gql, [first, second, foreign_host])
    variables = {"businessId": biz.id, "hostIds": [first], "module": "NORMAL"}
    assert mutate_refused(gql, TO_BUILTIN, {"input": variables}, "INVALID")["field"] == "module"
    variables = {"businessId": biz.id, "hostIds": [first, foreign_host], "module": "FAULT"}
    mutate_refused(gql, TO_BUILTIN, {"input": variables}, "HOST_NOT_IN_BUSINESS")
    assert host_placements(gql, [first, second, foreign_host]) == before


def test_assign_hosts_from_the_resource_pool(gql: GraphQLClient, biz: Business, ip_allocator: Iterator[str]) -> None:
    pool = resource_pool(gql)
    first, second, third = add_hosts(gql, ips(ip_allocator, 3))
    (assigned_already,) = add_hosts(gql, [next(ip_allocator)], biz)

    moved = mutate_ok(gql, ASSIGN, {"input": {"businessId": biz.id, "hostIds": [first]}})["hosts"]
    assert moved == [{"id": first, "bkBizId": biz.bk_biz_id, "modules": [{"id": biz.idle_module}]}]
    logged(gql, "transfer", "host", biz.bk_biz_id, legacy_id(gql, first))

    before = host_placements(gql, [second, third, assigned_already])
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"businessId": biz.id, "hostIds": [second, assigned_already]}, "HOST_NOT_IN_RESOURCE_POOL"),
        ({"businessId": pool.id, "hostIds": [second]}, "INVALID"),
        ({"businessId": biz.id, "hostIds": [second], "moduleId": pool.idle_module}, "MODULE_NOT_IN_BUSINESS"),
        ({"businessId": biz.id, "hostIds": [second, global_id("Host", 987_654_321)]}, "NOT_FOUND"),
    ]
    for variables, code in refusals:
        mutate_refused(gql, ASSIGN, {"input": variables}, code)
    assert host_placements(gql, [second, third, assigned_already]) == before

    into_module = {"businessId": biz.id, "hostIds": [second, third], "moduleId": biz.modules["m1"]}
    mutate_ok(gql, ASSIGN, {"input": into_module})
    assert host_placements(gql, [second, third]) == {h: (biz.bk_biz_id, [biz.modules["m1"]]) for h in (second, third)}


def test_return_hosts_only_from_builtin_modules(gql: GraphQLClient, biz: Business, ip_allocator: Iterator[str]) -> None:
    pool = resource_pool(gql)
    idle, faulty, busy = add_hosts(gql, ips(ip_allocator, 3), biz)
    transfer(gql, biz, [faulty], [biz.fault_module], append=False)
    transfer(gql, biz, [busy], [biz.modules["m1"]], append=False)
    before = host_placements(gql, [idle, faulty, busy])

    variables = {"businessId": biz.id, "hostIds": [idle, busy]}
    error = mutate_refused(gql, RETURN, {"input": variables}, "HOST_NOT_IN_BUILTIN_MODULE")
    assert error["field"] == "hostIds"
    mutate_refused(gql, RETURN, {"input": {"businessId": pool.id, "hostIds": [idle]}}, "INVALID")
    assert host_placements(gql, [idle, faulty, busy]) == before

    returned = mutate_ok(gql, RETURN, {"input": {"businessId": biz.id, "hostIds": [idle, faulty]}})["hosts"]
    assert {h["id"]: (h["bkBizId"], h["modules"]) for h in returned} == {
        h: (pool.bk_biz_id, [{"id": pool.idle_module}]) for h in (idle, faulty)
    }
    assert host_placements(gql, [idle, faulty, busy]) == {
        idle: (pool.bk_biz_id, [pool.idle_module]),
        faulty: (pool.bk_biz_id, [pool.idle_module]),
        busy: (biz.bk_biz_id, [biz.modules["m1"]]),
    }
    logged(gql, "transfer", "host", biz.bk_biz_id, legacy_id(gql, faulty))


def test_empty_hosts_to_idle_module(
    gql: GraphQLClient, biz: Business, unique: str, ip_allocator: Iterator[str]
) -> None:
    s1, m1, m2 = biz.sets["s1"], biz.modules["m1"], biz.modules["m2"]
    create_set(gql, biz, "t")
    m3 = create_module(gql, biz, "t", "m3")
    in_m1, in_m2, straddling, outside = add_hosts(gql, ips(ip_allocator, 4), biz)
    transfer(gql, biz, [in_m1], [m1], append=False)
    transfer(gql, biz, [in_m2], [m2], append=False)
    transfer(gql, biz, [straddling], [m1, m3], append=False)
    transfer(gql, biz, [outside], [m3], append=False)
    hosts = [in_m1, in_m2, straddling, outside]

    def empty(module_id: str | None = None, set_id: str = s1) -> int:
        variables = {"businessId": biz.id, "setId": set_id, "moduleId": module_id}
        moved: int = mutate_ok(gql, EMPTY_TO_IDLE, {"input": variables})["movedCount"]
        return moved

    assert empty(module_id=m2) == 1
    assert host_placements(gql, hosts) == {
        in_m1: (biz.bk_biz_id, [m1]),
        in_m2: (biz.bk_biz_id, [biz.idle_module]),
        straddling: (biz.bk_biz_id, sorted([m1, m3])),
        outside: (biz.bk_biz_id, [m3]),
    }

    assert empty() == 2
    after = {
        in_m1: (biz.bk_biz_id, [biz.idle_module]),
        in_m2: (biz.bk_biz_id, [biz.idle_module]),
        straddling: (biz.bk_biz_id, [m3]),
        outside: (biz.bk_biz_id, [m3]),
    }
    assert host_placements(gql, hosts) == after
    assert empty() == 0
    logged(gql, "transfer", "host", biz.bk_biz_id, legacy_id(gql, in_m1))

    other = create_business(gql, f"other-{unique}")
    foreign = create_set(gql, other, "foreign")
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"businessId": biz.id, "setId": biz.idle_set}, "BUILTIN_OBJECT"),
        ({"businessId": biz.id, "setId": s1, "moduleId": m3}, "MODULE_NOT_IN_SET"),
        ({"businessId": biz.id, "setId": foreign}, "SET_NOT_IN_BUSINESS"),
    ]
    for variables, code in refusals:
        mutate_refused(gql, EMPTY_TO_IDLE, {"input": variables}, code)
    assert host_placements(gql, hosts) == after
