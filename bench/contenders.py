"""Everything that answers the benchmark's requests, live at the same time so their runs can be
interleaved: OpsGraph over HTTP, graphql-core in-process and behind Starlette, raw SQL, and (when
the route answers) the BlueKing REST path.

Before timing anything, each contender's answer is compared with the expected one: a contender
doing different work would make its ratio meaningless, so a difference is reported as MISMATCH.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema, graphql, graphql_sync

from bench import queries
from bench.client import HttpClient
from bench.estate import Estate
from bench.measure import Probe, async_probe, http_probe, sync_probe
from bench.raw_sql import RawHostSearch

OPSGRAPH = "OpsGraph"
IN_PROCESS = "graphql-core in-process (dicts)"
HTTP_BASELINE = "graphql-core + Starlette HTTP"
RAW_SQL = "raw SQL, sqlite3 in-process"
REST = "OpsGraph REST cc/search_host"
REST_OPERATION = "OpsGraph GraphQL, route's operation"
OPSGRAPH_SEARCH = "OpsGraph searchHosts, 4 fields"


@dataclass
class Contenders:
    opsgraph: HttpClient
    baseline: HttpClient
    runner: asyncio.Runner
    schema: GraphQLSchema
    root: dict[str, Any]
    raw_sql: RawHostSearch

    def graphql_probes(self, query: str, variables: dict[str, Any]) -> dict[str, Probe]:
        """OpsGraph and both graphql-core baselines, all sent the same text and variables."""
        return {
            OPSGRAPH: http_probe(lambda: self.opsgraph.graphql(query, variables)),
            IN_PROCESS: async_probe(
                self.runner, lambda: graphql(self.schema, query, root_value=self.root, variable_values=variables)
            ),
            HTTP_BASELINE: http_probe(lambda: self.baseline.graphql(query, variables)),
        }

    def search_probes(self, variables: dict[str, Any]) -> dict[str, Probe]:
        probes = self.graphql_probes(queries.SEARCH_QUERY, variables)
        probes[RAW_SQL] = sync_probe(lambda: self.raw_sql.run(0, queries.SEARCH_PAGE))
        return probes

    def rest_probes(self, searched: Estate, variables: dict[str, Any], operation: str | None) -> dict[str, Probe]:
        """The REST route next to what it runs and to the 4-field search, in the same rounds."""
        body, headers = queries.bk_search_body(searched), queries.bk_headers()
        probes = {REST: http_probe(lambda: self.opsgraph.post(queries.BK_SEARCH_HOST, body, headers))}
        if operation is not None:
            probes[REST_OPERATION] = http_probe(lambda: self.opsgraph.graphql(operation, variables))
        probes[OPSGRAPH_SEARCH] = http_probe(lambda: self.opsgraph.graphql(queries.SEARCH_QUERY, variables))
        probes[HTTP_BASELINE] = http_probe(lambda: self.baseline.graphql(queries.SEARCH_QUERY, variables))
        return probes


def stored_operation(repo_root: Path) -> str | None:
    path = repo_root / queries.BK_SEARCH_OPERATION
    return path.read_text() if path.exists() else None


def _ids_and_count(answer: dict[str, Any]) -> tuple[int, list[int]]:
    return answer["count"], [h["bkHostId"] for h in answer["items"]]


def check_topology(contenders: Contenders, variables: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    """Both baselines must return OpsGraph's topology answer exactly."""
    problems = []
    local = graphql_sync(
        contenders.schema, queries.TOPOLOGY_QUERY, root_value=contenders.root, variable_values=variables
    )
    if local.errors or local.data != ours:
        problems.append(f"MISMATCH {IN_PROCESS} topology answer differs from OpsGraph's ({local.errors})")
    if contenders.baseline.data(queries.TOPOLOGY_QUERY, variables) != ours:
        problems.append(f"MISMATCH {HTTP_BASELINE} topology answer differs from OpsGraph's")
    return problems


def check_search(contenders: Contenders, variables: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """Every contender's count and page of host ids against the answer computed from the dicts."""
    want = _ids_and_count(expected)
    local = graphql_sync(contenders.schema, queries.SEARCH_QUERY, root_value=contenders.root, variable_values=variables)
    count, rows = contenders.raw_sql.run(0, queries.SEARCH_PAGE)
    answers = {
        OPSGRAPH: _ids_and_count(contenders.opsgraph.data(queries.SEARCH_QUERY, variables)["searchHosts"]),
        IN_PROCESS: _ids_and_count(local.data["searchHosts"]) if local.data else (-1, []),
        HTTP_BASELINE: _ids_and_count(contenders.baseline.data(queries.SEARCH_QUERY, variables)["searchHosts"]),
        RAW_SQL: (count, [row["id"] for row in rows]),
    }
    return [_mismatch(name, got, want) for name, got in answers.items() if got != want]


def rest_answer(contenders: Contenders, searched: Estate, expected: dict[str, Any]) -> tuple[bool, list[str]]:
    """(measurable, notes): the route is measured only when it answers `result: true`."""
    body, headers = queries.bk_search_body(searched), queries.bk_headers()
    reply = contenders.opsgraph.post(queries.BK_SEARCH_HOST, body, headers).body
    answer = reply if isinstance(reply, dict) else {}
    if not answer.get("result"):
        reason = f"code={answer.get('code')} message={answer.get('message')!r}"
        return False, [f"REST {queries.BK_SEARCH_HOST} not measured: it answered {reason}"]
    got = (answer["data"]["count"], [info["host"]["bk_host_id"] for info in answer["data"]["info"]])
    want = _ids_and_count(expected)
    return True, [] if got == want else [_mismatch(REST, got, want)]


def _mismatch(name: str, got: tuple[int, list[int]], want: tuple[int, list[int]]) -> str:
    return f"MISMATCH {name}: count {got[0]}, first ids {got[1][:3]}; expected {want[0]}, {want[1][:3]}"
