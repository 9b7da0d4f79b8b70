"""The cost limit: protective on what could really come back, not on the product of page caps.

A server of its own with a low limit (200) and a small, known estate: 2 businesses (the resource
pool and ours), at most 3 sets per business, 3 modules per set, 4 hosts per module. Costs are then
exact numbers, computed from those figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import BACKENDS
from tests.support.server import GraphQLClient, backend_server
from tests.support.topology import add_hosts, create_business, create_module, create_set

MAX_COST = 200

TREE = (
    "{ businesses(first: 500) { nodes { sets(first: 500) { nodes { modules(first: 500) { nodes {"
    " hosts(first: 500) { nodes { innerIp osType } } } } } } } } }"
)
# hosts 1 + 4 × (nodes 1 + 2) = 13; modules 1 + 3 × (1 + 13) = 43; sets 1 + 3 × 44 = 133;
# businesses 1 + 2 × 134 = 269. On the caps alone: about 500⁴ × 3.
TREE_COST = 269


@pytest.fixture(scope="module", params=BACKENDS)
def cost_gql(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphQLClient]:
    data_dir = tmp_path_factory.mktemp(f"cost-{request.param}")
    with backend_server(request.param, data_dir, OPSGRAPH_MAX_QUERY_COST=str(MAX_COST)) as server:
        gql = GraphQLClient(server.url, server.cli("admin", "issue-token", "admin").stdout)
        business = create_business(gql, "estate")
        for set_name in ("s1", "s2"):
            create_set(gql, business, set_name)
            for module in ("m1", "m2", "m3"):
                create_module(gql, business, set_name, f"{set_name}-{module}")
        add_hosts(gql, [f"10.9.0.{n}" for n in range(1, 5)], business)  # into the idle module
        yield gql


def refused(gql: GraphQLClient, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = gql.execute(query, variables)
    assert response.status < 500
    assert response.data is None, response.data
    error = response.errors[0]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED", error
    return error


def test_big_page_sizes_over_a_small_estate_run(cost_gql: GraphQLClient) -> None:
    query = TREE.replace(" hosts(first: 500) { nodes { innerIp osType } }", " name")
    businesses = cost_gql.ok(query)["businesses"]["nodes"]
    assert len(businesses) == 2


def test_cost_is_bounded_by_the_widest_parent_that_exists(cost_gql: GraphQLClient) -> None:
    error = refused(cost_gql, TREE)
    assert error["extensions"]["cost"] == TREE_COST
    assert error["extensions"]["maxCost"] == MAX_COST
    assert "ask for smaller pages" in error["message"]


def test_smaller_pages_than_what_exists_count_as_asked(cost_gql: GraphQLClient) -> None:
    # first: 1 everywhere is below every fan-out: 1 + (1 + (1 + (1 + (1 + (1 + (1 + (1 + 2))))))) = 10.
    query = TREE.replace("500", "1")
    assert cost_gql.ok(query)["businesses"]["nodes"]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        pytest.param(
            "query($n: Int!) { tasks(first: $n) { nodes { steps { hostResults(first: $n) { nodes { status } } } } } }",
            {"n": 500},
            id="variables",
        ),
        pytest.param(
            "query($n: Int = 500) { tasks(first: $n) { nodes { steps { hostResults(first: $n) {"
            " nodes { status } } } } } }",
            None,
            id="variable-default",
        ),
        pytest.param(
            "{ tasks(first: 500) { nodes { ...S } } } fragment S on Task { steps { hostResults(first: 500) {"
            " nodes { status } } } }",
            None,
            id="fragment",
        ),
        pytest.param(
            "{ tasks(first: 500) { nodes { ... on Task { steps { hostResults(first: 500) {"
            " nodes { status } } } } } } }",
            None,
            id="inline-fragment",
        ),
        pytest.param(
            "{ searchHosts(input: {page: {limit: 500}}) { items { business { hosts(first: 500) {"
            " nodes { innerIp } } } } } }",
            None,
            id="search-page-size",
        ),
    ],
)
def test_page_sizes_count_through_indirection(
    cost_gql: GraphQLClient, query: str, variables: dict[str, Any] | None
) -> None:
    """Variables, their defaults, fragments and search pages carry page sizes like literals do,
    and connections with no known bound (tasks, host results, search pages) count their caps."""
    error = refused(cost_gql, query, variables)
    assert error["extensions"]["cost"] > MAX_COST
