"""`X-SQL-Count` counts statements as sent, so a bulk insert of many rows counts once; `X-SQL-Rows`
counts each of its rows, so a write path that sends many rows at once is not mistaken for a cheap one.
Adding hosts inserts their module memberships in one bulk statement."""

from __future__ import annotations

from typing import Any

from tests.support.server import GraphQLClient
from tests.support.topology import ADD_HOSTS, create_business


def add_hosts_counts(gql: GraphQLClient, business_id: str, ips: list[str]) -> tuple[int, int]:
    variables = {"hosts": [{"innerIp": ip} for ip in ips], "b": business_id}
    response = gql.http.post(
        "/graphql", json={"query": ADD_HOSTS, "variables": variables}, headers={"Authorization": f"Bearer {gql.token}"}
    )
    body = response.json()
    assert not body.get("errors"), body
    assert len(body["data"]["addHostsToResourcePool"]["hosts"]) == len(ips)
    return int(response.headers["x-sql-count"]), int(response.headers["x-sql-rows"])


def test_bulk_rows_are_counted_apart_from_statements(gql: GraphQLClient, unique: str, ip_allocator: Any) -> None:
    business = create_business(gql, f"sql-rows-{unique}")
    statements, rows = add_hosts_counts(gql, business.id, [next(ip_allocator) for _ in range(20)])
    assert rows - statements >= 19, (statements, rows)  # one statement carried the 20 memberships
    assert gql.execute("{ __typename }").sql_count == 0
