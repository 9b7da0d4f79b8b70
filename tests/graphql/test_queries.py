"""Topology queries over GraphQL: keyset connections and their filters, `node`, relationships, the
BlueKing-style searches (condition language, IP filter, offset paging), mainline objects, operation log.

One estate per backend (built once for this module, never changed by the tests):

    business q-<tag>                              business q-other-<tag>
      set web:  nginx {web1, web2}, php {web2}      idle {stranger}
      set db:   mysql {db1, db2}
      idle pool: 空闲机 {idle}
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.custom_attributes import declare_attributes
from tests.support.server import GraphQLClient, GraphQLResponse
from tests.support.topology import (
    Business,
    create_business,
    create_module,
    create_set,
    global_id,
    mutate_ok,
    place_hosts,
)

ADD_HOSTS = """
mutation($input: AddHostsToResourcePoolInput!) { addHostsToResourcePool(input: $input) {
  hosts { id bkHostId innerIp } errors { code field message } } }"""
UPDATE_BUSINESS = """
mutation($input: UpdateBusinessInput!) { updateBusiness(input: $input) { business { id } errors { code message } } }"""

# key → (host name stem, os type, outer IP, custom attributes, module names)
HOSTS: dict[str, tuple[str, str, str, dict[str, Any], list[str]]] = {
    "web1": ("web-01", "1", "203.0.113.7", {"env": "prod", "rack": 3}, ["nginx"]),
    "web2": ("web-02", "1", "203.0.113.8", {"env": "prod", "rack": 4}, ["nginx", "php"]),
    "db1": ("db-01", "2", "", {"env": "test", "rack": 3}, ["mysql"]),
    "db2": ("db-02", "2", "", {}, ["mysql"]),
    "idle": ("idle-01", "", "", {"env": "prod"}, []),
}
ALL = frozenset(HOSTS)


@dataclass
class Estate:
    tag: str
    business: Business
    other: Business
    host_ids: dict[str, str] = field(default_factory=dict)
    bk_host_ids: dict[str, int] = field(default_factory=dict)
    ips: dict[str, str] = field(default_factory=dict)
    maintainer_group: list[Business] = field(default_factory=list)

    def keys_of(self, host_ids: list[str]) -> set[str]:
        by_id = {v: k for k, v in self.host_ids.items()}
        return {by_id.get(h, h) for h in host_ids}


@pytest.fixture(scope="module")
def estate(gql: GraphQLClient, ip_allocator: Iterator[str]) -> Estate:
    declare_attributes(gql, "biz", tier="singlechar")
    declare_attributes(gql, "host", env="singlechar", rack="int")
    tag = uuid.uuid4().hex[:8]
    business = create_business(gql, f"q-{tag}")
    other = create_business(gql, f"q-other-{tag}")
    third = create_business(gql, f"q-third-{tag}")
    for member, tier in ((business, "gold"), (other, "silver"), (third, "gold")):
        changes = {"businessId": member.id, "maintainer": f"m-{tag}", "attributes": {"tier": tier}}
        mutate_ok(gql, UPDATE_BUSINESS, {"input": changes})
    create_set(gql, business, "web")
    create_set(gql, business, "db")
    for set_name, module_name in (("web", "nginx"), ("web", "php"), ("db", "mysql")):
        create_module(gql, business, set_name, module_name)

    result = Estate(tag=tag, business=business, other=other, maintainer_group=[business, other, third])
    new_hosts = []
    for key, (stem, os_type, outer_ip, attributes, _) in HOSTS.items():
        result.ips[key] = next(ip_allocator)
        new_host = {
            "innerIp": result.ips[key],
            "hostName": f"{stem}-{tag}",
            "osType": os_type,
            "attributes": attributes,
        }
        new_hosts.append({**new_host, "outerIp": outer_ip} if outer_ip else new_host)
    created = mutate_ok(gql, ADD_HOSTS, {"input": {"hosts": new_hosts, "businessId": business.id}})["hosts"]
    for key, host in zip(HOSTS, created, strict=True):
        assert host["innerIp"] == result.ips[key]
        result.host_ids[key], result.bk_host_ids[key] = host["id"], host["bkHostId"]
    for key, (*_, modules) in HOSTS.items():
        if modules:
            place_hosts(gql, business, [result.host_ids[key]], [business.modules[m] for m in modules])

    result.ips["stranger"] = next(ip_allocator)
    stranger: dict[str, Any] = {"innerIp": result.ips["stranger"], "hostName": f"web-09-{tag}", "osType": "1"}
    stranger["attributes"] = {"env": "prod", "rack": 3}
    (created_stranger,) = mutate_ok(gql, ADD_HOSTS, {"input": {"hosts": [stranger], "businessId": other.id}})["hosts"]
    result.host_ids["stranger"] = created_stranger["id"]
    result.bk_host_ids["stranger"] = created_stranger["bkHostId"]
    return result


def query_error(response: GraphQLResponse) -> dict[str, Any]:
    """The one GraphQL error of a refused query (data null), with its `extensions`."""
    assert len(response.errors) == 1, response.body
    assert response.data is None or all(v is None for v in response.data.values()), response.data
    error: dict[str, Any] = response.errors[0]
    assert error["message"]
    return error


# --- hosts connection ----------------------------------------------------------------------------

HOSTS_PAGE = """
query($first: Int!, $after: String, $filter: HostFilter) {
  hosts(first: $first, after: $after, filter: $filter) {
    totalCount edges { cursor node { id bkHostId } } pageInfo { hasNextPage endCursor }
  } }"""


def test_keyset_paging_walks_every_host_once_in_id_order(gql: GraphQLClient, estate: Estate) -> None:
    expected = [estate.host_ids[k] for k in sorted(HOSTS, key=lambda k: estate.bk_host_ids[k])]
    flt = {"businessId": estate.business.id}
    seen: list[str] = []
    after: str | None = None
    pages = 0
    for _ in range(len(HOSTS)):  # bounded: a page that never ends fails instead of looping
        page = gql.ok(HOSTS_PAGE, {"first": 2, "after": after, "filter": flt})["hosts"]
        pages += 1
        edges = page["edges"]
        assert page["totalCount"] == len(HOSTS)
        assert 1 <= len(edges) <= 2
        assert page["pageInfo"]["endCursor"] == edges[-1]["cursor"]
        seen += [e["node"]["id"] for e in edges]
        if not page["pageInfo"]["hasNextPage"]:
            break
        assert len(edges) == 2
        after = page["pageInfo"]["endCursor"]
    else:
        pytest.fail(f"hasNextPage stayed true after {pages} pages")
    assert seen == expected
    assert pages == 3

    beyond = gql.ok(HOSTS_PAGE, {"first": 2, "after": page["pageInfo"]["endCursor"], "filter": flt})["hosts"]
    assert beyond["edges"] == []
    assert beyond["pageInfo"] == {"hasNextPage": False, "endCursor": None}
    exact = gql.ok(HOSTS_PAGE, {"first": len(HOSTS), "filter": flt})["hosts"]
    assert [e["node"]["id"] for e in exact["edges"]] == expected
    assert exact["pageInfo"]["hasNextPage"] is False
    assert gql.ok(HOSTS_PAGE, {"first": len(HOSTS) - 1, "filter": flt})["hosts"]["pageInfo"]["hasNextPage"] is True


def test_malformed_cursor_is_invalid(gql: GraphQLClient, estate: Estate) -> None:
    variables = {"first": 2, "after": "not-a-cursor", "filter": {"businessId": estate.business.id}}
    error = query_error(gql.execute(HOSTS_PAGE, variables))
    assert error["extensions"] == {"code": "INVALID", "field": "after"}


FilterCase = Callable[[Estate], tuple[dict[str, Any], set[str]]]
HOST_FILTER_CASES: dict[str, FilterCase] = {
    "innerIps": lambda e: ({"innerIps": [e.ips["web1"], e.ips["db1"]]}, {"web1", "db1"}),
    "ipContains outer": lambda e: ({"ipContains": "203.0.113."}, {"web1", "web2"}),
    "ipContains one outer": lambda e: ({"ipContains": "113.8"}, {"web2"}),
    "ipContains inner": lambda e: (
        {"ipContains": e.ips["db2"]},
        {k for k in HOSTS if e.ips["db2"] in e.ips[k]},
    ),
    "hostNameContains": lambda e: ({"hostNameContains": "web-0"}, {"web1", "web2"}),
    "osType": lambda e: ({"osType": "2"}, {"db1", "db2"}),
    "osType empty": lambda e: ({"osType": ""}, {"idle"}),
    "moduleIds one": lambda e: ({"moduleIds": [e.business.modules["nginx"]]}, {"web1", "web2"}),
    "moduleIds two": lambda e: (
        {"moduleIds": [e.business.modules["php"], e.business.modules["mysql"]]},
        {"web2", "db1", "db2"},
    ),
    "moduleIds idle": lambda e: ({"moduleIds": [e.business.idle_module]}, {"idle"}),
    "setIds": lambda e: ({"setIds": [e.business.sets["web"]]}, {"web1", "web2"}),
    "setIds with idle pool": lambda e: (
        {"setIds": [e.business.sets["db"], e.business.idle_set]},
        {"db1", "db2", "idle"},
    ),
    "cloudAreaId": lambda e: ({"cloudAreaId": global_id("CloudArea", 0)}, set(ALL)),
    "attributes string": lambda e: ({"attributes": {"env": "prod"}}, {"web1", "web2", "idle"}),
    "attributes int": lambda e: ({"attributes": {"rack": 3}}, {"web1", "db1"}),
    "attributes two": lambda e: ({"attributes": {"env": "prod", "rack": 4}}, {"web2"}),
    "attributes none match": lambda e: ({"attributes": {"env": "staging"}}, set()),
    "combined": lambda e: ({"osType": "1", "moduleIds": [e.business.modules["php"]]}, {"web2"}),
}


@pytest.mark.parametrize("case", HOST_FILTER_CASES)
def test_hosts_filters(gql: GraphQLClient, estate: Estate, case: str) -> None:
    flt, expected = HOST_FILTER_CASES[case](estate)
    page = gql.ok(HOSTS_PAGE, {"first": 50, "filter": {"businessId": estate.business.id, **flt}})["hosts"]
    assert estate.keys_of([e["node"]["id"] for e in page["edges"]]) == expected
    assert page["totalCount"] == len(expected)


def test_hosts_filters_without_business_span_businesses(gql: GraphQLClient, estate: Estate) -> None:
    by_ip = {"innerIps": [estate.ips["web1"], estate.ips["stranger"]]}
    page = gql.ok(HOSTS_PAGE, {"first": 50, "filter": by_ip})["hosts"]
    assert estate.keys_of([e["node"]["id"] for e in page["edges"]]) == {"web1", "stranger"}
    by_attributes = {"hostNameContains": estate.tag, "attributes": {"env": "prod", "rack": 3}}
    page = gql.ok(HOSTS_PAGE, {"first": 50, "filter": by_attributes})["hosts"]
    assert estate.keys_of([e["node"]["id"] for e in page["edges"]]) == {"web1", "stranger"}


# --- node and relationships ----------------------------------------------------------------------

NODE = """
query($id: ID!) { node(id: $id) {
  __typename id
  ... on Business { bkBizId name isResourcePool }
  ... on Set { bkSetId bkBizId name isBuiltin }
  ... on Module { bkModuleId bkSetId bkBizId name builtin }
  ... on Host { bkHostId bkBizId innerIp hostName osType attributes }
  ... on CloudArea { bkCloudId name }
} }"""


def test_node_returns_each_type(gql: GraphQLClient, estate: Estate) -> None:
    biz = estate.business
    business = gql.ok(NODE, {"id": biz.id})["node"]
    assert business == {
        "__typename": "Business",
        "id": biz.id,
        "bkBizId": biz.bk_biz_id,
        "name": f"q-{estate.tag}",
        "isResourcePool": False,
    }
    web = gql.ok(NODE, {"id": biz.sets["web"]})["node"]
    assert (web["__typename"], web["id"], web["name"], web["bkBizId"], web["isBuiltin"]) == (
        "Set",
        biz.sets["web"],
        "web",
        biz.bk_biz_id,
        False,
    )
    nginx = gql.ok(NODE, {"id": biz.modules["nginx"]})["node"]
    assert (nginx["__typename"], nginx["name"], nginx["builtin"], nginx["bkSetId"], nginx["bkBizId"]) == (
        "Module",
        "nginx",
        "NORMAL",
        web["bkSetId"],
        biz.bk_biz_id,
    )
    idle_module = gql.ok(NODE, {"id": biz.idle_module})["node"]
    assert (idle_module["__typename"], idle_module["builtin"]) == ("Module", "IDLE")
    host = gql.ok(NODE, {"id": estate.host_ids["web1"]})["node"]
    assert host == {
        "__typename": "Host",
        "id": estate.host_ids["web1"],
        "bkHostId": estate.bk_host_ids["web1"],
        "bkBizId": biz.bk_biz_id,
        "innerIp": estate.ips["web1"],
        "hostName": f"web-01-{estate.tag}",
        "osType": "1",
        "attributes": {"env": "prod", "rack": 3},
    }
    areas = gql.ok("query { cloudAreas(first: 50) { nodes { id bkCloudId name } } }")["cloudAreas"]["nodes"]
    (default_area,) = [a for a in areas if a["bkCloudId"] == 0]
    area = gql.ok(NODE, {"id": default_area["id"]})["node"]
    assert area == {"__typename": "CloudArea", **default_area}

    for missing in (global_id("Host", 987_654_321), global_id("Business", 987_654_321), global_id("Nope", 1)):
        assert gql.ok(NODE, {"id": missing}) == {"node": None}
    error = query_error(gql.execute(NODE, {"id": "garbage"}))
    assert error["extensions"] == {"code": "INVALID", "field": "id"}


RELATIONSHIPS = """
query($host: ID!, $module: ID!, $set: ID!, $biz: ID!, $idle: ID!) {
  host: node(id: $host) { ... on Host {
    business { id } cloudArea { bkCloudId } modules { id name } sets { id name } } }
  module: node(id: $module) { ... on Module {
    set { id } business { id } hosts(first: 10) { totalCount nodes { id } } } }
  idle: node(id: $idle) { ... on Module { hosts(first: 10) { nodes { id } } } }
  set: node(id: $set) { ... on Set { business { id } modules(first: 10) { totalCount nodes { id name } } } }
  biz: node(id: $biz) { ... on Business {
    idlePool { id name isBuiltin }
    sets(first: 10) { totalCount nodes { id name } }
    hosts(first: 10) { totalCount nodes { id } } } }
}"""


def test_relationship_fields(gql: GraphQLClient, estate: Estate) -> None:
    biz = estate.business
    variables = {
        "host": estate.host_ids["web2"],
        "module": biz.modules["nginx"],
        "set": biz.sets["web"],
        "biz": biz.id,
        "idle": biz.idle_module,
    }
    data = gql.ok(RELATIONSHIPS, variables)

    host = data["host"]
    assert host["business"] == {"id": biz.id}
    assert host["cloudArea"] == {"bkCloudId": 0}
    assert sorted(host["modules"], key=lambda m: m["name"]) == [
        {"id": biz.modules["nginx"], "name": "nginx"},
        {"id": biz.modules["php"], "name": "php"},
    ]
    assert host["sets"] == [{"id": biz.sets["web"], "name": "web"}]

    module = data["module"]
    assert (module["set"], module["business"]) == ({"id": biz.sets["web"]}, {"id": biz.id})
    assert estate.keys_of([h["id"] for h in module["hosts"]["nodes"]]) == {"web1", "web2"}
    assert module["hosts"]["totalCount"] == 2
    assert estate.keys_of([h["id"] for h in data["idle"]["hosts"]["nodes"]]) == {"idle"}

    set_ = data["set"]
    assert set_["business"] == {"id": biz.id}
    assert {(m["id"], m["name"]) for m in set_["modules"]["nodes"]} == {
        (biz.modules["nginx"], "nginx"),
        (biz.modules["php"], "php"),
    }

    business = data["biz"]
    assert business["idlePool"] == {"id": biz.idle_set, "name": "空闲机池", "isBuiltin": True}
    assert {s["name"] for s in business["sets"]["nodes"]} == {"空闲机池", "web", "db"}
    assert business["sets"]["totalCount"] == 3
    assert estate.keys_of([h["id"] for h in business["hosts"]["nodes"]]) == set(ALL)
    assert business["hosts"]["totalCount"] == len(HOSTS)


# --- searchBusinesses / searchSets / searchModules -----------------------------------------------

SEARCH_BUSINESSES = """
query($input: SearchInput!) { searchBusinesses(input: $input) { count items { id bkBizId name attributes } } }"""
SEARCH_SETS = """query($input: SearchInput!) { searchSets(input: $input) { count items { id name bkBizId } } }"""
SEARCH_MODULES = """
query($input: SearchInput!) { searchModules(input: $input) { count items { id name builtin bkBizId } } }"""


def test_search_businesses(gql: GraphQLClient, estate: Estate) -> None:
    def search(equals: Any, **page: Any) -> dict[str, Any]:
        result: dict[str, Any] = gql.ok(SEARCH_BUSINESSES, {"input": {"equals": equals, "page": page}})
        return result["searchBusinesses"]

    by_name = search({"bk_biz_name": f"q-{estate.tag}"})
    assert by_name["count"] == 1
    assert [i["id"] for i in by_name["items"]] == [estate.business.id]

    group = {"bk_biz_maintainer": f"m-{estate.tag}"}
    newest_first = sorted(estate.maintainer_group, key=lambda b: -b.bk_biz_id)
    first_page = search(group, start=0, limit=2, sort="-bk_biz_id")
    assert first_page["count"] == 3
    assert [i["id"] for i in first_page["items"]] == [b.id for b in newest_first[:2]]
    second_page = search(group, start=2, limit=2, sort="-bk_biz_id")
    assert (second_page["count"], [i["id"] for i in second_page["items"]]) == (3, [newest_first[2].id])
    assert search(group, start=3, limit=2, sort="-bk_biz_id") == {"count": 3, "items": []}
    ascending = search(group, start=0, limit=10, sort="bk_biz_id")
    assert [i["id"] for i in ascending["items"]] == [b.id for b in reversed(newest_first)]

    gold = search({**group, "tier": "gold"}, sort="bk_biz_id")
    assert [i["id"] for i in gold["items"]] == [estate.business.id, estate.maintainer_group[2].id]
    assert all(i["attributes"] == {"tier": "gold"} for i in gold["items"])
    assert search({"bk_biz_id": estate.other.bk_biz_id})["items"][0]["id"] == estate.other.id


@pytest.mark.parametrize(
    ("search_input", "code"),
    [
        ({"equals": {"bad field!": 1}}, "INVALID"),
        ({"equals": ["not", "an", "object"]}, "INVALID"),
        ({"equals": {"bk_biz_id": "abc"}}, "INVALID"),
        ({"page": {"limit": 501}}, "PAGE_LIMIT"),
        ({"page": {"limit": 0}}, "PAGE_LIMIT"),
        ({"page": {"start": -1}}, "INVALID"),
        ({"page": {"sort": "no_such_property"}}, "INVALID"),
    ],
)
def test_search_businesses_refusals(gql: GraphQLClient, search_input: dict[str, Any], code: str) -> None:
    error = query_error(gql.execute(SEARCH_BUSINESSES, {"input": search_input}))
    assert error["extensions"]["code"] == code


def test_search_sets_and_modules_within_a_business(gql: GraphQLClient, estate: Estate) -> None:
    biz = estate.business

    def sets(**search_input: Any) -> dict[str, Any]:
        result: dict[str, Any] = gql.ok(SEARCH_SETS, {"input": {"businessId": biz.id, **search_input}})
        return result["searchSets"]

    def modules(**search_input: Any) -> dict[str, Any]:
        result: dict[str, Any] = gql.ok(SEARCH_MODULES, {"input": {"businessId": biz.id, **search_input}})
        return result["searchModules"]

    everything = sets()
    assert everything["count"] == 3
    assert {s["name"] for s in everything["items"]} == {"空闲机池", "web", "db"}
    assert all(s["bkBizId"] == biz.bk_biz_id for s in everything["items"])
    assert [s["id"] for s in sets(equals={"bk_set_name": "web"})["items"]] == [biz.sets["web"]]
    newest = sets(page={"limit": 1, "sort": "-bk_set_id"})
    assert (newest["count"], [s["id"] for s in newest["items"]]) == (3, [biz.sets["db"]])

    all_modules = modules()
    assert all_modules["count"] == 6
    assert {m["name"] for m in all_modules["items"]} == {"空闲机", "故障机", "待回收", "nginx", "php", "mysql"}
    in_web = modules(setId=biz.sets["web"])
    assert (in_web["count"], {m["name"] for m in in_web["items"]}) == (2, {"nginx", "php"})
    assert [m["id"] for m in modules(equals={"bk_module_name": "mysql"})["items"]] == [biz.modules["mysql"]]
    idle = modules(equals={"default": 1})
    assert [(m["id"], m["builtin"]) for m in idle["items"]] == [(biz.idle_module, "IDLE")]

    for document in (SEARCH_SETS, SEARCH_MODULES):
        error = query_error(gql.execute(document, {"input": {}}))
        assert error["extensions"] == {"code": "INVALID", "field": "businessId"}
        missing = {"businessId": global_id("Business", 987_654_321)}
        assert query_error(gql.execute(document, {"input": missing}))["extensions"]["code"] == "NOT_FOUND"


# --- searchHosts ---------------------------------------------------------------------------------

SEARCH_HOSTS = """
query($input: SearchHostsInput!) { searchHosts(input: $input) { count items { id bkHostId hostName } } }"""

Clause = tuple[str, list[tuple[str, str, Any]]]


def clauses_input(clauses: list[Clause]) -> list[dict[str, Any]]:
    return [
        {"object": obj, "conditions": [{"field": f, "operator": op, "value": v} for f, op, v in conditions]}
        for obj, conditions in clauses
    ]


SEARCH_CASES: dict[str, tuple[list[Clause], set[str]]] = {
    "set $eq": ([("set", [("bk_set_name", "$eq", "web")])], {"web1", "web2"}),
    "module $in": ([("module", [("bk_module_name", "$in", ["php", "mysql"])])], {"web2", "db1", "db2"}),
    "module $nin": ([("module", [("bk_module_name", "$nin", ["nginx", "mysql"])])], {"web2", "idle"}),
    "host $eq": ([("host", [("bk_os_type", "$eq", "1")])], {"web1", "web2"}),
    "host $ne": ([("host", [("bk_os_type", "$ne", "1")])], {"db1", "db2", "idle"}),
    "host $neq": ([("host", [("bk_os_type", "$neq", "1")])], {"db1", "db2", "idle"}),
    "host $in": ([("host", [("bk_os_type", "$in", ["2", ""])])], {"db1", "db2", "idle"}),
    "host $nin": ([("host", [("bk_os_type", "$nin", ["2", ""])])], {"web1", "web2"}),
    "host $regex": ([("host", [("bk_host_name", "$regex", "web-0")])], {"web1", "web2"}),
    "host int coerced": ([("host", [("bk_cloud_id", "$eq", "0")])], set(ALL)),
    "custom $eq": ([("host", [("env", "$eq", "prod")])], {"web1", "web2", "idle"}),
    "custom $ne matches lacking": ([("host", [("env", "$ne", "prod")])], {"db1", "db2"}),
    "custom $neq matches lacking": ([("host", [("env", "$neq", "prod")])], {"db1", "db2"}),
    "custom int $eq": ([("host", [("rack", "$eq", 3)])], {"web1", "db1"}),
    "custom int $ne": ([("host", [("rack", "$ne", 3)])], {"web2", "db2", "idle"}),
    "custom $in": ([("host", [("env", "$in", ["test", "prod"])])], {"web1", "web2", "db1", "idle"}),
    "custom $nin matches lacking": ([("host", [("env", "$nin", ["prod"])])], {"db1", "db2"}),
    "conditions ANDed": ([("host", [("bk_os_type", "$eq", "2"), ("rack", "$eq", 3)])], {"db1"}),
    "clauses ANDed": (
        [("module", [("bk_module_name", "$eq", "nginx")]), ("host", [("env", "$eq", "prod"), ("rack", "$eq", 4)])],
        {"web2"},
    ),
    "set and module ANDed": (
        [("set", [("bk_set_name", "$eq", "web")]), ("module", [("bk_module_name", "$ne", "nginx")])],
        {"web2"},
    ),
    "biz of another business": ([("biz", [("bk_biz_name", "$eq", "no-such-business")])], set()),
    "empty clause ignored": ([("set", [])], set(ALL)),
}


@pytest.mark.parametrize("case", SEARCH_CASES)
def test_search_hosts_conditions(gql: GraphQLClient, estate: Estate, case: str) -> None:
    clauses, expected = SEARCH_CASES[case]
    search_input = {"businessId": estate.business.id, "clauses": clauses_input(clauses), "page": {"limit": 50}}
    result = gql.ok(SEARCH_HOSTS, {"input": search_input})["searchHosts"]
    assert estate.keys_of([h["id"] for h in result["items"]]) == expected
    assert result["count"] == len(expected)


def test_search_hosts_biz_clause_without_business_scope(gql: GraphQLClient, estate: Estate) -> None:
    by_id: list[Clause] = [("biz", [("bk_biz_id", "$eq", estate.business.bk_biz_id)])]
    result = gql.ok(SEARCH_HOSTS, {"input": {"clauses": clauses_input(by_id)}})["searchHosts"]
    assert estate.keys_of([h["id"] for h in result["items"]]) == set(ALL)

    names = [f"q-{estate.tag}", f"q-other-{estate.tag}"]
    both: list[Clause] = [("biz", [("bk_biz_name", "$in", names)]), ("host", [("rack", "$eq", 3)])]
    result = gql.ok(SEARCH_HOSTS, {"input": {"clauses": clauses_input(both)}})["searchHosts"]
    assert estate.keys_of([h["id"] for h in result["items"]]) == {"web1", "db1", "stranger"}
    assert result["count"] == 3


IpCase = Callable[[Estate], tuple[dict[str, Any], set[str]]]
IP_CASES: dict[str, IpCase] = {
    "exact inner": lambda e: ({"ips": [e.ips["web1"], e.ips["db1"]]}, {"web1", "db1"}),
    "exact inner ignores outer": lambda e: ({"ips": ["203.0.113.7"]}, set()),
    "exact outer": lambda e: ({"ips": ["203.0.113.7"], "inner": False, "outer": True}, {"web1"}),
    "exact both": lambda e: ({"ips": [e.ips["db2"], "203.0.113.8"], "outer": True}, {"db2", "web2"}),
    "fuzzy outer": lambda e: ({"ips": ["203.0.113."], "exact": False, "inner": False, "outer": True}, {"web1", "web2"}),
    "fuzzy inner": lambda e: (
        {"ips": [e.ips["idle"].rsplit(".", 1)[0] + "."], "exact": False},
        {k for k in HOSTS if e.ips[k].startswith(e.ips["idle"].rsplit(".", 1)[0] + ".")},
    ),
    "fuzzy inner not outer": lambda e: ({"ips": ["203.0.113."], "exact": False}, set()),
}


@pytest.mark.parametrize("case", IP_CASES)
def test_search_hosts_ip_filter(gql: GraphQLClient, estate: Estate, case: str) -> None:
    ip_filter, expected = IP_CASES[case](estate)
    search_input = {"businessId": estate.business.id, "ip": ip_filter, "page": {"limit": 50}}
    result = gql.ok(SEARCH_HOSTS, {"input": search_input})["searchHosts"]
    assert estate.keys_of([h["id"] for h in result["items"]]) == expected
    assert result["count"] == len(expected)


def test_search_hosts_paging_and_sort(gql: GraphQLClient, estate: Estate) -> None:
    def page(**page_input: Any) -> dict[str, Any]:
        search_input = {"businessId": estate.business.id, "page": page_input}
        result: dict[str, Any] = gql.ok(SEARCH_HOSTS, {"input": search_input})["searchHosts"]
        return result

    newest_first = sorted(HOSTS, key=lambda k: -estate.bk_host_ids[k])
    walked: list[str] = []
    for start in (0, 2, 4):
        result = page(start=start, limit=2, sort="-bk_host_id")
        assert result["count"] == len(HOSTS)
        walked += [h["id"] for h in result["items"]]
    assert walked == [estate.host_ids[k] for k in newest_first]
    assert page(start=5, limit=2, sort="-bk_host_id") == {"count": len(HOSTS), "items": []}

    by_name = page(limit=10, sort="bk_host_name")["items"]
    assert [h["hostName"] for h in by_name] == sorted(f"{stem}-{estate.tag}" for stem, *_ in HOSTS.values())
    assert [h["bkHostId"] for h in page(limit=500)["items"]] == sorted(estate.bk_host_ids[k] for k in HOSTS)


def one_condition(obj: str, prop: str, operator: str, value: Any) -> dict[str, Any]:
    """searchHosts input with a single clause holding a single condition."""
    return {"clauses": [{"object": obj, "conditions": [{"field": prop, "operator": operator, "value": value}]}]}


@pytest.mark.parametrize(
    ("search_input", "code", "error_field"),
    [
        ({"page": {"limit": 501}}, "PAGE_LIMIT", "limit"),
        ({"page": {"limit": 0}}, "PAGE_LIMIT", "limit"),
        ({"page": {"start": -1}}, "INVALID", "start"),
        ({"page": {"sort": "-no_such_property"}}, "INVALID", "sort"),
        (one_condition("host", "bk_os_type", "$like", "1"), "INVALID", "operator"),
        (one_condition("host", "bk_os_type", "$in", "1"), "INVALID", "bk_os_type"),
        (one_condition("host", "env", "$nin", "prod"), "INVALID", "env"),
        (one_condition("module", "bk_module_name", "$in", 3), "INVALID", "bk_module_name"),
        (one_condition("host", "bk_host_name", "$regex", "a.*b"), "INVALID", "bk_host_name"),
        (one_condition("host", "env", "$regex", "pr"), "INVALID", "env"),
        (one_condition("host", "bad field", "$eq", 1), "INVALID", "field"),
        (one_condition("host", "bk_cloud_id", "$eq", "abc"), "INVALID", "bk_cloud_id"),
        (one_condition("host", "bk_os_type", "$eq", {"a": 1}), "INVALID", "bk_os_type"),
        (one_condition("service", "name", "$eq", "x"), "INVALID", None),
        ({"ip": {"ips": ["10.0.0.1"], "inner": False, "outer": False}}, "INVALID", None),
        ({"businessId": global_id("Business", 987_654_321)}, "NOT_FOUND", "businessId"),
        ({"businessId": "garbage"}, "INVALID", "id"),
    ],
)
def test_search_hosts_refusals(
    gql: GraphQLClient, search_input: dict[str, Any], code: str, error_field: str | None
) -> None:
    error = query_error(gql.execute(SEARCH_HOSTS, {"input": search_input}))
    assert error["extensions"]["code"] == code, error
    if error_field is not None:
        assert error["extensions"]["field"] == error_field, error


def test_search_hosts_object_clause_without_an_instance_id_is_a_clear_error(gql: GraphQLClient) -> None:
    search_input = one_condition("object", "bk_obj_name", "$eq", "x")
    error = query_error(gql.execute(SEARCH_HOSTS, {"input": search_input}))
    assert error["extensions"]["code"] == "OBJECT_INST_ID_REQUIRED"
    assert "bk_inst_id" in error["message"]
    assert "Internal" not in error["message"]


# --- mainline objects and the operation log ------------------------------------------------------


def test_mainline_objects_chain(gql: GraphQLClient) -> None:
    chain = gql.ok("{ mainlineObjects { objId objName preObjId nextObj } }")["mainlineObjects"]
    assert [(o["objId"], o["preObjId"], o["nextObj"]) for o in chain] == [
        ("biz", "", "set"),
        ("set", "biz", "module"),
        ("module", "set", "host"),
        ("host", "module", ""),
    ]
    assert all(o["objName"] for o in chain)


OPERATION_LOG = """
query($filter: OperationLogFilter, $start: Int!, $limit: Int!, $sort: String!) {
  operationLog(filter: $filter, start: $start, limit: $limit, sort: $sort) {
    count items { id opType opTarget bkBizId instId extKey opTime } } }"""


def test_operation_log_paging_and_sort(gql: GraphQLClient, estate: Estate) -> None:
    def log(start: int = 0, limit: int = 500, sort: str = "-op_time", **flt: Any) -> dict[str, Any]:
        variables = {"filter": flt, "start": start, "limit": limit, "sort": sort}
        result: dict[str, Any] = gql.ok(OPERATION_LOG, variables)["operationLog"]
        return result

    biz: dict[str, Any] = {"bkBizId": estate.business.bk_biz_id}
    everything = log(sort="-id", **biz)
    total = everything["count"]
    newest_first = [e["id"] for e in everything["items"]]
    assert total == len(newest_first) >= 5 + 4 + 3  # hosts imported and placed, sets and modules created
    assert newest_first == sorted(newest_first, reverse=True)
    assert all(e["bkBizId"] == estate.business.bk_biz_id for e in everything["items"])

    walked: list[int] = []
    for start in range(0, total, 3):
        page = log(start=start, limit=3, sort="-id", **biz)
        assert page["count"] == total
        walked += [e["id"] for e in page["items"]]
    assert walked == newest_first
    assert [e["id"] for e in log(sort="id", **biz)["items"]] == list(reversed(newest_first))
    times = [e["opTime"] for e in log(**biz)["items"]]
    assert times == sorted(times, reverse=True)

    imports = log(opType="create", opTarget="host", **biz)
    assert sorted(e["instId"] for e in imports["items"]) == sorted(estate.bk_host_ids[k] for k in HOSTS)
    assert {e["extKey"] for e in imports["items"]} == {estate.ips[k] for k in HOSTS}
    web2 = log(opTarget="host", instId=estate.bk_host_ids["web2"], **biz)
    assert sorted(e["opType"] for e in web2["items"]) == ["create", "transfer"]

    for variables, bad_field in (
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"start": -1}, "start"),
        ({"sort": "-bogus"}, "sort"),
    ):
        response = gql.execute(OPERATION_LOG, {"filter": biz, "start": 0, "limit": 20, "sort": "-id", **variables})
        assert query_error(response)["extensions"] == {"code": "INVALID", "field": bad_field}
