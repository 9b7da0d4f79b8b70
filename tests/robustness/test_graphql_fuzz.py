"""A GraphQL fuzz (schemathesis' GraphQL mode, hypothesis-graphql underneath) against the schema the
server runs: every query and mutation without credentials, every query with valid credentials
(mutations with generated data may name callback URLs or hosts to reach: not ours to send traffic
to). 0 responses with status 500, 0 tracebacks in bodies, 0 hangs."""

from __future__ import annotations

import requests
import schemathesis
from hypothesis import strategies as st
from hypothesis_graphql import nodes

from opsgraph.schema import schema as opsgraph_schema
from tests.robustness.fuzzing import REQUEST_TIMEOUT, FuzzReport, fuzz_operations
from tests.support.server import Server

BUDGET_SECONDS = 60.0

# The schema's own scalars, as literals a client could send (well-formed or not).
schemathesis.graphql.scalar("Date", st.dates().map(lambda d: nodes.String(d.isoformat())) | st.text().map(nodes.String))
schemathesis.graphql.scalar("DateTime", st.datetimes().map(lambda d: nodes.String(d.isoformat())))
schemathesis.graphql.scalar("Int64", st.integers(-(2**63), 2**63 - 1).map(nodes.Int))
schemathesis.graphql.scalar(
    "JSON",
    st.one_of(
        st.text(max_size=50).map(nodes.String),
        st.integers(-1000, 1000).map(nodes.Int),
        st.booleans().map(nodes.Boolean),
        st.lists(st.text(max_size=10).map(nodes.String), max_size=3).map(nodes.List),
    ),
)


def _operations(kinds: set[str]) -> list[object]:
    graphql_schema = schemathesis.graphql.from_file(opsgraph_schema.as_str())
    return [
        result
        for result in graphql_schema.get_all_operations()
        if isinstance(result, schemathesis.core.result.Ok) and result.ok().label.split(".", 1)[0] in kinds
    ]


def _sender(server: Server, token: str | None):  # type: ignore[no-untyped-def]
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def send(case: schemathesis.Case) -> requests.Response:
        return case.call(base_url=f"{server.url}/graphql", session=session, headers=headers, timeout=REQUEST_TIMEOUT)

    return send


def test_queries_and_mutations_without_credentials(server: Server) -> None:
    report = FuzzReport()
    fuzz_operations(
        _operations({"Query", "Mutation"}),
        _sender(server, None),
        examples=2,
        budget_seconds=BUDGET_SECONDS,
        report=report,
    )
    assert report.operations >= 20, report
    assert report.problems == []


def test_queries_with_credentials(server: Server, admin_token: str) -> None:
    report = FuzzReport()
    fuzz_operations(
        _operations({"Query"}), _sender(server, admin_token), examples=3, budget_seconds=BUDGET_SECONDS, report=report
    )
    assert report.operations >= 20, report
    assert report.problems == []
