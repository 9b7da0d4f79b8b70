"""A GraphQL fuzz (schemathesis' GraphQL mode, hypothesis-graphql underneath) against the schema the
server runs: every query and mutation without credentials and every query with valid credentials
on the session's server; every mutation with valid credentials on a throwaway server of its own
(`conftest.py`: its own data dir, outbound traffic kept on this machine), since generated mutations
create, change and delete whatever they can. 0 responses with status 500, 0 tracebacks in bodies,
0 hangs."""

from __future__ import annotations

from collections.abc import Callable

import requests
import schemathesis
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from schemathesis.core.transport import Response

from opsgraph.schema import schema as opsgraph_schema
from tests.robustness.fuzzing import REQUEST_TIMEOUT, FuzzReport, fuzz_operations, record_fuzz
from tests.robustness.login import Login, fresh_token
from tests.support.server import Server

RecordProperty = Callable[[str, object], None]

BUDGET_SECONDS = 300.0  # a guard: each run takes well under it (see the session's summary)

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
        st.lists(st.text(max_size=10).map(nodes.String), max_size=3).map(lambda items: nodes.List(list(items))),
    ),
)


def _operations(kinds: set[str]) -> list[object]:
    graphql_schema = schemathesis.graphql.from_file(opsgraph_schema.as_str())
    return [
        result
        for result in graphql_schema.get_all_operations()
        if isinstance(result, schemathesis.core.result.Ok) and result.ok().label.split(".", 1)[0] in kinds
    ]


def _sender(server: Server, token: Callable[[], str] | None) -> Callable[[schemathesis.Case], Response]:
    """`token` is read at each request: a login that logged itself out is renewed between operations."""
    session = requests.Session()

    def send(case: schemathesis.Case) -> Response:
        headers = {"Authorization": f"Bearer {token()}"} if token is not None else {}
        return case.call(base_url=f"{server.url}/graphql", session=session, headers=headers, timeout=REQUEST_TIMEOUT)

    return send


def test_queries_and_mutations_without_credentials(server: Server, record_property: RecordProperty) -> None:
    report = FuzzReport()
    fuzz_operations(
        _operations({"Query", "Mutation"}),
        _sender(server, None),
        examples=1,
        budget_seconds=BUDGET_SECONDS,
        report=report,
    )
    record_fuzz(report, "graphql without credentials", record_property)
    assert report.operations >= 250, report.summary("graphql")
    assert report.problems == []


def test_queries_with_credentials(server: Server, record_property: RecordProperty) -> None:
    token = fresh_token(server)
    report = FuzzReport()
    fuzz_operations(
        _operations({"Query"}),
        _sender(server, lambda: token),
        examples=2,
        budget_seconds=BUDGET_SECONDS,
        report=report,
    )
    record_fuzz(report, "graphql queries with credentials", record_property)
    assert report.operations >= 100, report.summary("graphql")
    assert report.problems == []


def test_mutations_with_credentials_on_a_throwaway_server(throwaway: Server, record_property: RecordProperty) -> None:
    login = Login(throwaway)
    report = FuzzReport(succeeded=_done)
    fuzz_operations(
        _operations({"Mutation"}),
        _sender(throwaway, lambda: login.token),
        examples=2,
        budget_seconds=BUDGET_SECONDS,
        report=report,
        after_operation=login.keep,
    )
    record_fuzz(report, f"graphql mutations with credentials (token renewed {login.renewed}×)", record_property)
    assert report.operations >= 150, report.summary("graphql")
    assert report.problems == []
    # The credentials work: generated mutations ran, not all refused.
    assert report.served > 0, report.summary("graphql")


def _done(response: Response) -> bool:
    """A mutation that ran (its payload may still hold user errors): no GraphQL error, data."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and not body.get("errors") and bool(body.get("data"))
