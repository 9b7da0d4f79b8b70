"""One keep-alive HTTP client per server, timing each request from send to parsed JSON."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Reply:
    body: Any
    sql_count: int | None  # X-SQL-Count: statements as sent (a bulk insert is one)
    elapsed_ms: float
    sql_rows: int | None = None  # X-SQL-Rows: a bulk insert counts each of its rows


class GraphQLError(RuntimeError):
    pass


def _summary(errors: Any) -> str:
    """`message (CODE)` per error: enough to name the failure without the whole body."""
    if not isinstance(errors, list):
        return f"unexpected response {str(errors)[:200]}"
    parts = []
    for error in errors:
        code = (error.get("extensions") or {}).get("code", "")
        parts.append(f"{error.get('message')} ({code})" if code else str(error.get("message")))
    return "; ".join(parts)


class HttpClient:
    def __init__(self, base_url: str, graphql_headers: dict[str, str] | None = None) -> None:
        # One connection reused for every request: we measure the server, not TCP set-up.
        self.http = httpx.Client(base_url=base_url, timeout=120)
        # Sent on /graphql only, so REST calls carry just their own dialect's credentials.
        self.graphql_headers = graphql_headers or {}

    def post(self, path: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
        started = time.perf_counter()
        response = self.http.post(path, json=payload, headers=headers)
        body = response.json()  # parsing is part of what a client pays for an answer
        elapsed_ms = (time.perf_counter() - started) * 1000
        count, rows = response.headers.get("x-sql-count"), response.headers.get("x-sql-rows")
        return Reply(
            body, int(count) if count is not None else None, elapsed_ms, int(rows) if rows is not None else None
        )

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> Reply:
        reply = self.post("/graphql", {"query": query, "variables": variables or {}}, self.graphql_headers)
        if not isinstance(reply.body, dict) or reply.body.get("errors"):
            errors = reply.body.get("errors") if isinstance(reply.body, dict) else reply.body
            raise GraphQLError(_summary(errors))
        return reply

    def data(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        return self.graphql(query, variables).body["data"]

    def close(self) -> None:
        self.http.close()
