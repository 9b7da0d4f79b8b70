"""Topology mutations over GraphQL: businesses, sets, modules, hosts, transfers (bk-cmdb rules), locks.

Every refused mutation is checked twice: it answers with one `UserError` of the expected code, and a
re-query shows that nothing changed.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import pytest

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
    operation_log,
    place_hosts,
    resource_pool,
    run_mutation,
)

ERRORS = "errors { code field message }"
HOST_FIELDS = "id bkHostId innerIp outerIp hostName osType cpu attributes bkBizId modules { id }"

CREATE_BUSINESS = f"""
mutation($input: CreateBusinessInput!) {{ createBusiness(input: $input) {{
  business {{ id bkBizId name maintainer enabled isResourcePool attributes
    idlePool {{ id name isBuiltin modules(first: 10) {{ nodes {{ id name builtin }} }} }}
    sets(first: 10) {{ totalCount }} }}
  {ERRORS} }} }}"""
UPDATE_BUSINESS = f"""
mutation($input: UpdateBusinessInput!) {{ updateBusiness(input: $input) {{
  business {{ id name maintainer attributes }} {ERRORS} }} }}"""
SET_BUSINESS_ENABLED = f"""
mutation($input: SetBusinessEnabledInput!) {{ setBusinessEnabled(input: $input) {{
  business {{ id enabled }} {ERRORS} }} }}"""
DELETE_BUSINESS = f"""
mutation($input: DeleteBusinessInput!) {{ deleteBusiness(input: $input) {{ deletedId {ERRORS} }} }}"""
CREATE_SET = f"""
mutation($input: CreateSetInput!) {{ createSet(input: $input) {{
  set {{ id bkSetId bkBizId name isBuiltin setEnv capacity description attributes business {{ id }} }}
  {ERRORS} }} }}"""
UPDATE_SET = f"""
mutation($input: UpdateSetInput!) {{ updateSet(input: $input) {{
  set {{ id name capacity description attributes }} {ERRORS} }} }}"""
DELETE_SETS = f"""
mutation($input: DeleteSetsInput!) {{ deleteSets(input: $input) {{ deletedIds {ERRORS} }} }}"""
CREATE_MODULE = f"""
mutation($input: CreateModuleInput!) {{ createModule(input: $input) {{
  module {{ id bkModuleId name builtin moduleType operator attributes set {{ id }} business {{ id }} }}
  {ERRORS} }} }}"""
UPDATE_MODULE = f"""
mutation($input: UpdateModuleInput!) {{ updateModule(input: $input) {{
  module {{ id name operator attributes }} {ERRORS} }} }}"""
DELETE_MODULE = f"""
mutation($input: DeleteModuleInput!) {{ deleteModule(input: $input) {{ deletedId {ERRORS} }} }}"""
ADD_HOSTS = f"""
mutation($input: AddHostsToResourcePoolInput!) {{ addHostsToResourcePool(input: $input) {{
  hosts {{ {HOST_FIELDS} }} {ERRORS} }} }}"""
UPDATE_HOSTS = f"""
mutation($input: UpdateHostsInput!) {{ updateHosts(input: $input) {{ hosts {{ {HOST_FIELDS} }} {ERRORS} }} }}"""
DELETE_HOSTS = f"""
mutation($input: DeleteHostsInput!) {{ deleteHosts(input: $input) {{ deletedIds {ERRORS} }} }}"""
CLONE_HOST_PROPERTIES = f"""
mutation($input: CloneHostPropertiesInput!) {{ cloneHostProperties(input: $input) {{
  hosts {{ {HOST_FIELDS} }} {ERRORS} }} }}"""
LOCK_HOSTS = f"""
mutation($input: HostLocksInput!) {{ lockHosts(input: $input) {{ ips {ERRORS} }} }}"""
UNLOCK_HOSTS = f"""
mutation($input: HostLocksInput!) {{ unlockHosts(input: $input) {{ ips {ERRORS} }} }}"""
HOST_LOCKS = """query($ips: [String!]!) { hostLocks(ips: $ips) { ip locked } }"""
TRANSFER = f"""
mutation($input: TransferHostsToModulesInput!) {{ transferHostsToModules(input: $input) {{
  hosts {{ id bkBizId modules {{ id }} }} {ERRORS} }} }}"""
TO_BUILTIN = f"""
mutation($input: TransferHostsToBuiltinModuleInput!) {{ transferHostsToBuiltinModule(input: $input) {{
  hosts {{ id bkBizId modules {{ id builtin }} }} {ERRORS} }} }}"""
ASSIGN = f"""
mutation($input: MoveHostsBetweenPoolInput!) {{ assignHostsToBusiness(input: $input) {{
  hosts {{ id bkBizId modules {{ id }} }} {ERRORS} }} }}"""
RETURN = f"""
mutation($input: MoveHostsBetweenPoolInput!) {{ returnHostsToResourcePool(input: $input) {{
  hosts {{ id bkBizId modules {{ id }} }} {ERRORS} }} }}"""
EMPTY_TO_IDLE = f"""
mutation($input: EmptyHostsToIdleModuleInput!) {{ emptyHostsToIdleModule(input: $input) {{
  movedCount {ERRORS} }} }}"""

BUSINESS_STATE = """
query($id: ID!) { node(id: $id) { ... on Business {
  id name maintainer enabled attributes
  sets(first: 50) { nodes { id name isBuiltin setEnv capacity description attributes
    modules(first: 50) { nodes { id name builtin moduleType operator attributes } } } }
} } }"""
HOST_STATE = f"""query($id: ID!) {{ node(id: $id) {{ ... on Host {{ {HOST_FIELDS} }} }} }}"""
LEGACY_ID = """
query($id: ID!) { node(id: $id) {
  ... on Business { n: bkBizId } ... on Set { n: bkSetId } ... on Module { n: bkModuleId } ... on Host { n: bkHostId }
} }"""
BUSINESS_COUNT = """query { businesses(first: 1, filter: {includeDisabled: true}) { totalCount } }"""
HOST_COUNT = """query($ips: [String!]!) { hosts(first: 1, filter: {innerIps: $ips}) { totalCount } }"""


# --- helpers -------------------------------------------------------------------------------------


def business_state(gql: GraphQLClient, business_id: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = gql.ok(BUSINESS_STATE, {"id": business_id})["node"]
    return node


def host_state(gql: GraphQLClient, host_id: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = gql.ok(HOST_STATE, {"id": host_id})["node"]
    return node


def legacy_id(gql: GraphQLClient, node_id: str) -> int:
    number: int = gql.ok(LEGACY_ID, {"id": node_id})["node"]["n"]
    return number


def business_count(gql: GraphQLClient) -> int:
    total: int = gql.ok(BUSINESS_COUNT)["businesses"]["totalCount"]
    return total


def hosts_with_ips(gql: GraphQLClient, ips: list[str]) -> int:
    total: int = gql.ok(HOST_COUNT, {"ips": ips})["hosts"]["totalCount"]
    return total


def ips(allocator: Iterator[str], count: int) -> list[str]:
    return [next(allocator) for _ in range(count)]


def node_exists(gql: GraphQLClient, node_id: str) -> bool:
    return gql.ok("query($id: ID!) { node(id: $id) { id } }", {"id": node_id})["node"] is not None


def transfer(gql: GraphQLClient, business: Business, hosts: list[str], modules: list[str], append: bool) -> None:
    variables = {"businessId": business.id, "hostIds": hosts, "moduleIds": modules, "append": append}
    mutate_ok(gql, TRANSFER, {"input": variables})


def logged(gql: GraphQLClient, op_type: str, op_target: str, bk_biz_id: int, inst_id: int) -> list[dict[str, Any]]:
    entries = operation_log(gql, opType=op_type, opTarget=op_target, bkBizId=bk_biz_id, instId=inst_id)
    assert entries, f"no {op_type} {op_target} entry for business {bk_biz_id} instance {inst_id}"
    for entry in entries:
        assert entry["operator"] == "admin"
        assert (entry["opType"], entry["opTarget"], entry["bkBizId"], entry["instId"]) == (
            op_type,
            op_target,
            bk_biz_id,
            inst_id,
        )
    return entries


@pytest.fixture
def biz(gql: GraphQLClient, unique: str) -> Business:
    """A business with set s1 holding modules m1 and m2."""
    business = create_business(gql, f"biz-{unique}")
    create_set(gql, business, "s1")
    create_module(gql, business, "s1", "m1")
    create_module(gql, business, "s1", "m2")
    return business


# --- businesses ----------------------------------------------------------------------------------


def test_create_business_gets_idle_pool_with_builtin_modules(gql: GraphQLClient, unique: str) -> None:
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
    taken = create_business(gql, f"taken-{unique}")
    target = create_business(gql, f"target-{unique}")
    before = business_state(gql, target.id)
    taken_name = f"taken-{unique}"

    def refuse(code: str, **changes: Any) -> dict[str, Any]:
        return mutate_refused(gql, UPDATE_BUSINESS, {"input": {"businessId": target.id, **changes}}, code)

    assert refuse("DUPLICATE", name=taken_name)["field"] == "name"
    assert refuse("INVALID", name=" ")["field"] == "name"
    assert refuse("INVALID", attributes="not an object")["field"] == "attributes"
    assert refuse("INVALID", attributes={"nested": {"x": 1}})["field"] == "attributes"
    assert refuse("INVALID", attributes={"bad key!": 1})["field"] == "attributes"
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


# --- sets ----------------------------------------------------------------------------------------


def test_create_and_update_set(gql: GraphQLClient, unique: str) -> None:
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
    update(m2, "INVALID", attributes={"list": [1, 2]})
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


# --- hosts ---------------------------------------------------------------------------------------


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
    refuse([first], {"attributes": {"deep": {"a": 1}}}, "INVALID")
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


# --- malformed ids and bad values ----------------------------------------------------------------


def opaque(raw: str) -> str:
    """An id in the server's encoding whose content is `raw` (possibly not "Type:number")."""
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _id_probes(biz: Business, host: str, bad: Callable[[str], str]) -> list[tuple[str, dict[str, Any]]]:
    """One mutation per kind of id argument; `bad(type_name)` is the bad id given where a type_name id is due."""
    return [
        (DELETE_HOSTS, {"hostIds": [host, bad("Host")]}),
        (UPDATE_HOSTS, {"hostIds": [bad("Host")], "properties": {"hostName": "x"}}),
        (TRANSFER, {"businessId": biz.id, "hostIds": [host], "moduleIds": [bad("Module")], "append": False}),
        (TRANSFER, {"businessId": biz.id, "hostIds": [bad("Host")], "moduleIds": [biz.modules["m1"]], "append": False}),
        (UPDATE_SET, {"businessId": biz.id, "setId": bad("Set"), "description": "x"}),
        (DELETE_SETS, {"businessId": biz.id, "setIds": [bad("Set")]}),
        (UPDATE_MODULE, {"businessId": biz.id, "moduleId": bad("Module"), "operator": "x"}),
        (CREATE_SET, {"businessId": bad("Business"), "name": "never"}),
        (DELETE_BUSINESS, {"businessId": bad("Business")}),
        (ASSIGN, {"businessId": biz.id, "hostIds": [bad("Host")]}),
        (EMPTY_TO_IDLE, {"businessId": biz.id, "setId": bad("Set")}),
        (ADD_HOSTS, {"hosts": [{"innerIp": "192.0.2.1", "cloudAreaId": bad("CloudArea")}]}),
    ]


@pytest.mark.parametrize(
    "kind", ["garbage", "not base64", "no number", "not a number", "wrong type", "unknown", "deleted"]
)
def test_bad_ids_are_user_errors(
    gql: GraphQLClient, biz: Business, unique: str, ip_allocator: Iterator[str], kind: str
) -> None:
    """Unknown or malformed global ids answer INVALID / NOT_FOUND, never an internal error, and change nothing."""
    (host,) = add_hosts(gql, [next(ip_allocator)], biz)
    doomed = {
        "Host": add_hosts(gql, [next(ip_allocator)])[0],
        "Set": create_set(gql, biz, "doomed"),
        "Module": create_module(gql, biz, "s1", "doomed"),
        "Business": create_business(gql, f"doomed-{unique}").id,
    }
    mutate_ok(gql, DELETE_HOSTS, {"input": {"hostIds": [doomed["Host"]]}})
    mutate_ok(gql, DELETE_MODULE, {"input": {"businessId": biz.id, "moduleId": doomed["Module"]}})
    mutate_ok(gql, DELETE_SETS, {"input": {"businessId": biz.id, "setIds": [doomed["Set"]]}})
    mutate_ok(gql, DELETE_BUSINESS, {"input": {"businessId": doomed["Business"]}})
    # A real id of another type, e.g. a Set id where a Host id is expected.
    other_type = {"Host": biz.idle_set, "Set": biz.idle_module, "Module": host, "Business": biz.idle_set}
    other_type["CloudArea"] = biz.id
    makers: dict[str, Callable[[str], str]] = {
        "garbage": lambda _: "garbage",
        "not base64": lambda _: "!!!$$$",
        "no number": lambda t: opaque(f"{t}:"),
        "not a number": lambda t: opaque(f"{t}:abc"),
        "wrong type": lambda t: other_type[t],
        "unknown": lambda t: global_id(t, 987_654_321),
        "deleted": lambda t: doomed.get(t, global_id(t, 987_654_321)),
    }
    bad = makers[kind]
    before = business_state(gql, biz.id), host_placements(gql, [host])
    for document, variables in _id_probes(biz, host, bad):
        mutate_refused(gql, document, {"input": variables}, {"INVALID", "NOT_FOUND"})
    assert (business_state(gql, biz.id), host_placements(gql, [host])) == before

    response = gql.execute("query($id: ID!) { node(id: $id) { id } }", {"id": bad("Host")})
    if kind == "wrong type":  # node() takes an id of any type
        assert response.ok() == {"node": {"id": bad("Host")}}
    else:
        assert response.data == {"node": None}
        assert [e["extensions"]["code"] for e in response.errors] in ([], ["INVALID"])


@pytest.mark.parametrize("number", [2**31, 10**20], ids=["beyond-int32", "beyond-int64"])
def test_out_of_range_ids_are_user_errors(
    gql: GraphQLClient, biz: Business, ip_allocator: Iterator[str], number: int
) -> None:
    """A well-formed id whose number no row can have is NOT_FOUND (or INVALID), not an internal error."""
    (host,) = add_hosts(gql, [next(ip_allocator)], biz)
    before = business_state(gql, biz.id), host_placements(gql, [host])
    for type_name, (document, variables) in zip(
        ["Host", "Module", "Set", "Business"],
        [
            (DELETE_HOSTS, {"hostIds": [host, global_id("Host", number)]}),
            (UPDATE_MODULE, {"businessId": biz.id, "moduleId": global_id("Module", number), "operator": "x"}),
            (UPDATE_SET, {"businessId": biz.id, "setId": global_id("Set", number), "description": "x"}),
            (DELETE_BUSINESS, {"businessId": global_id("Business", number)}),
        ],
        strict=True,
    ):
        response = gql.execute(document, {"input": variables})
        assert not response.errors, f"{type_name}:{number} → {response.errors}"
        (payload,) = response.data.values()
        assert [e["code"] for e in payload["errors"]] in (["NOT_FOUND"], ["INVALID"]), payload
    assert (business_state(gql, biz.id), host_placements(gql, [host])) == before

    response = gql.execute("query($id: ID!) { node(id: $id) { id } }", {"id": global_id("Host", number)})
    assert [e["extensions"]["code"] for e in response.errors] in ([], ["INVALID"]), response.errors
    assert response.data == {"node": None}


def test_over_long_values_are_invalid(gql: GraphQLClient, unique: str, ip_allocator: Iterator[str]) -> None:
    """Values longer than their column answer INVALID on both backends and change nothing."""
    count = business_count(gql)
    response = gql.execute(CREATE_BUSINESS, {"input": {"name": f"long-{unique}-" + "x" * 300}})
    assert not response.errors, response.errors
    assert [e["code"] for e in response.data["createBusiness"]["errors"]] == ["INVALID"]
    assert business_count(gql) == count

    (host,) = add_hosts(gql, [next(ip_allocator)], osType="1")
    before = host_state(gql, host)
    response = gql.execute(UPDATE_HOSTS, {"input": {"hostIds": [host], "properties": {"osType": "x" * 50}}})
    assert not response.errors, response.errors
    assert [e["code"] for e in response.data["updateHosts"]["errors"]] == ["INVALID"]
    assert host_state(gql, host) == before


def test_each_payload_in_a_batched_request_shows_its_own_update(gql: GraphQLClient, biz: Business) -> None:
    """Mutations run in order; each payload reflects the state right after that mutation."""
    set_id, module_id = biz.sets["s1"], biz.modules["m1"]
    document = """
    mutation($b: ID!, $s: ID!, $m: ID!) {
      s1: updateSet(input: {businessId: $b, setId: $s, description: "one"}) { set { description } errors { code } }
      s2: updateSet(input: {businessId: $b, setId: $s, description: "two"}) { set { description } errors { code } }
      m1: updateModule(input: {businessId: $b, moduleId: $m, operator: "one"}) { module { operator } errors { code } }
      m2: updateModule(input: {businessId: $b, moduleId: $m, operator: "two"}) { module { operator } errors { code } }
    }"""
    data = gql.ok(document, {"b": biz.id, "s": set_id, "m": module_id})
    assert [data["s1"]["set"]["description"], data["s2"]["set"]["description"]] == ["one", "two"]
    assert [data["m1"]["module"]["operator"], data["m2"]["module"]["operator"]] == ["one", "two"]


def test_archived_business_cannot_receive_hosts(gql: GraphQLClient, unique: str, ip_allocator: Iterator[str]) -> None:
    """An archived business holds no hosts (archiving is refused while it has some), so none may arrive."""
    pool = resource_pool(gql)
    business = create_business(gql, f"archived-{unique}")
    mutate_ok(gql, SET_BUSINESS_ENABLED, {"input": {"businessId": business.id, "enabled": False}})
    pooled_ip, fresh_ip = next(ip_allocator), next(ip_allocator)
    (pooled,) = add_hosts(gql, [pooled_ip])

    assigned = run_mutation(gql, ASSIGN, {"input": {"businessId": business.id, "hostIds": [pooled]}})
    assert assigned["errors"], "hosts were assigned to an archived business"
    imported = run_mutation(gql, ADD_HOSTS, {"input": {"hosts": [{"innerIp": fresh_ip}], "businessId": business.id}})
    assert imported["errors"], "hosts were imported into an archived business"

    assert host_placements(gql, [pooled]) == {pooled: (pool.bk_biz_id, [pool.idle_module])}
    assert hosts_with_ips(gql, [fresh_ip]) == 0


def test_explicit_null_for_optional_properties_is_not_an_internal_error(
    gql: GraphQLClient, biz: Business, unique: str, ip_allocator: Iterator[str]
) -> None:
    """Optional input fields are nullable in the SDL: null must be taken as "not given" (or refused with
    INVALID, changing nothing), never answered with an internal error."""
    (host,) = add_hosts(gql, [next(ip_allocator)], biz)
    fresh_ip = next(ip_allocator)
    cases: list[tuple[str, dict[str, Any]]] = [
        (CREATE_BUSINESS, {"name": f"nulls-{unique}", "maintainer": None}),
        (UPDATE_BUSINESS, {"businessId": biz.id, "maintainer": None}),
        (CREATE_SET, {"businessId": biz.id, "name": "nulls", "setEnv": None}),
        (CREATE_MODULE, {"businessId": biz.id, "setId": biz.sets["s1"], "name": "nulls", "operator": None}),
        (ADD_HOSTS, {"hosts": [{"innerIp": fresh_ip, "outerIp": None}]}),
        (UPDATE_HOSTS, {"hostIds": [host], "properties": {"hostName": None}}),
    ]
    failures: list[tuple[dict[str, Any], list[str]]] = []
    for document, variables in cases:
        before = (
            business_count(gql),
            business_state(gql, biz.id),
            host_state(gql, host),
            hosts_with_ips(gql, [fresh_ip]),
        )
        response = gql.execute(document, {"input": variables})
        if response.errors:
            failures.append((variables, [e["extensions"]["code"] for e in response.errors]))
            continue
        (payload,) = response.data.values()
        codes = [e["code"] for e in payload["errors"]]
        assert codes in ([], ["INVALID"]), (variables, payload)
        if codes:
            after = (
                business_count(gql),
                business_state(gql, biz.id),
                host_state(gql, host),
                hosts_with_ips(gql, [fresh_ip]),
            )
            assert after == before, variables
    assert failures == []
