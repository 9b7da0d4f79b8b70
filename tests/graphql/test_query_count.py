"""The SQL statement count of a query does not grow with the rows it returns (every relationship
goes through a per-request DataLoader). Read from the `X-SQL-Count` header the test server sends.

One estate of 10 sets × 10 modules × 10 hosts (1,000 hosts) and one of 1 set × 2 modules × 2 hosts
are built once per backend; each query is run over both and the counts must be equal and small.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.server import GraphQLClient, GraphQLResponse
from tests.support.topology import Estate, build_estate

# Auth (revoked? user, roles) plus one statement per level of the graph; far below one per row.
MAX_STATEMENTS = 12

# Page sizes chosen to stay under the default cost limit (100,000) while covering every row:
# 11 sets (10 + the idle pool), ≤ 10 modules per set, 10 hosts per module.
TREE = """
query($filter: BusinessFilter!) {
  businesses(first: 2, filter: $filter) {
    nodes {
      name
      sets(first: 20) { nodes { name modules(first: 10) { nodes { name
        hosts(first: 20) { totalCount nodes { innerIp osType cloudArea { name } modules { name } } }
      } } } }
    }
  }
}"""

HOST_LIST = """
query($b: ID!, $after: String) {
  hosts(first: 500, after: $after, filter: {businessId: $b}) {
    pageInfo { hasNextPage endCursor }
    nodes { innerIp business { name } modules { name } sets { name } cloudArea { name } }
  }
}"""

SEARCH = """
query($b: ID!, $start: Int!) {
  searchHosts(input: {businessId: $b, page: {start: $start, limit: 500}}) {
    count
    items { innerIp business { name } modules { name } sets { name } cloudArea { name } }
  }
}"""


def _take(ips: Iterator[str], n: int) -> list[str]:
    return [next(ips) for _ in range(n)]


@pytest.fixture(scope="module")
def prefix(gql: GraphQLClient) -> str:
    return f"qc-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def big(gql: GraphQLClient, ip_allocator: Iterator[str], prefix: str) -> Estate:
    estate = build_estate(
        gql, f"{prefix}-big", _take(ip_allocator, 1000), sets=10, modules_per_set=10, hosts_per_module=10, osType="1"
    )
    assert estate.host_count == 1000
    return estate


@pytest.fixture(scope="module")
def small(gql: GraphQLClient, ip_allocator: Iterator[str], prefix: str) -> Estate:
    return build_estate(
        gql, f"{prefix}-small", _take(ip_allocator, 4), sets=1, modules_per_set=2, hosts_per_module=2, osType="1"
    )


def _counted(response: GraphQLResponse) -> tuple[Any, int]:
    data = response.ok()
    assert response.sql_count is not None, "the test server must send X-SQL-Count"
    return data, response.sql_count


def _tree(gql: GraphQLClient, name_filter: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
    data, count = _counted(gql.execute(TREE, {"filter": name_filter}))
    return data["businesses"]["nodes"], count


def _hosts_in_tree(business: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """innerIp → host node, checking totalCount against the nodes of every module on the way."""
    hosts: dict[str, dict[str, Any]] = {}
    for set_node in business["sets"]["nodes"]:
        for module in set_node["modules"]["nodes"]:
            connection = module["hosts"]
            assert connection["totalCount"] == len(connection["nodes"]), module["name"]
            for host in connection["nodes"]:
                assert host["modules"] == [{"name": module["name"]}]
                hosts[host["innerIp"]] = host
    return hosts


def test_business_tree_count_does_not_grow_with_rows(gql: GraphQLClient, big: Estate, small: Estate) -> None:
    big_name, small_name = big.name, small.name
    (big_tree,), big_count = _tree(gql, {"name": big_name})
    (small_tree,), small_count = _tree(gql, {"name": small_name})

    hosts = _hosts_in_tree(big_tree)
    expected_ips = {ip for ips in big.ips_by_module.values() for ip in ips}
    assert set(hosts) == expected_ips
    assert len(hosts) == 1000
    assert all(h["osType"] == "1" and h["cloudArea"]["name"] for h in hosts.values())
    ordinary_sets = [s for s in big_tree["sets"]["nodes"] if s["name"].startswith(big_name)]
    assert len(ordinary_sets) == 10
    assert all(len(s["modules"]["nodes"]) == 10 for s in ordinary_sets)
    assert len(_hosts_in_tree(small_tree)) == 4

    assert big_count == small_count, f"1,000 hosts took {big_count} statements, 4 hosts took {small_count}"
    assert big_count <= MAX_STATEMENTS


def test_business_tree_count_does_not_grow_with_businesses(gql: GraphQLClient, big: Estate, small: Estate) -> None:
    both, both_count = _tree(gql, {"nameContains": big.name.rsplit("-", 1)[0]})
    _, one_count = _tree(gql, {"name": small.name})
    assert len(both) == 2
    assert sum(len(_hosts_in_tree(b)) for b in both) == 1004
    assert both_count == one_count
    assert both_count <= MAX_STATEMENTS


def _host_pages(gql: GraphQLClient, estate: Estate) -> tuple[list[dict[str, Any]], list[int]]:
    nodes: list[dict[str, Any]] = []
    counts: list[int] = []
    after: str | None = None
    while True:
        data, count = _counted(gql.execute(HOST_LIST, {"b": estate.business.id, "after": after}))
        page = data["hosts"]
        nodes.extend(page["nodes"])
        counts.append(count)
        if not page["pageInfo"]["hasNextPage"]:
            return nodes, counts
        after = page["pageInfo"]["endCursor"]


def _check_host_relations(nodes: list[dict[str, Any]], estate: Estate, business_name: str) -> None:
    module_of_ip = {ip: module for module, ips in estate.ips_by_module.items() for ip in ips}
    assert {n["innerIp"] for n in nodes} == set(module_of_ip)
    for node in nodes:
        module = module_of_ip[node["innerIp"]]
        assert node["business"] == {"name": business_name}
        assert node["modules"] == [{"name": module}]
        assert node["sets"] == [{"name": module.rsplit("-", 1)[0]}]
        assert node["cloudArea"]["name"]


def test_host_list_count_does_not_grow_with_rows(gql: GraphQLClient, big: Estate, small: Estate) -> None:
    big_name, small_name = big.name, small.name
    big_nodes, big_counts = _host_pages(gql, big)
    small_nodes, small_counts = _host_pages(gql, small)

    assert len(big_counts) == 2, "1,000 hosts are two pages of 500"
    assert len(big_nodes) == 1000
    _check_host_relations(big_nodes, big, big_name)
    _check_host_relations(small_nodes, small, small_name)
    assert big_counts[0] == big_counts[1] == small_counts[0], (big_counts, small_counts)
    assert big_counts[0] <= MAX_STATEMENTS


def test_search_hosts_count_does_not_grow_with_rows(gql: GraphQLClient, big: Estate, small: Estate) -> None:
    big_name, small_name = big.name, small.name
    first, first_count = _counted(gql.execute(SEARCH, {"b": big.business.id, "start": 0}))
    second, second_count = _counted(gql.execute(SEARCH, {"b": big.business.id, "start": 500}))
    tiny, tiny_count = _counted(gql.execute(SEARCH, {"b": small.business.id, "start": 0}))

    assert first["searchHosts"]["count"] == second["searchHosts"]["count"] == 1000
    big_items = first["searchHosts"]["items"] + second["searchHosts"]["items"]
    assert len(big_items) == 1000
    _check_host_relations(big_items, big, big_name)
    assert tiny["searchHosts"]["count"] == 4
    _check_host_relations(tiny["searchHosts"]["items"], small, small_name)
    assert first_count == second_count == tiny_count, (first_count, second_count, tiny_count)
    assert first_count <= MAX_STATEMENTS
