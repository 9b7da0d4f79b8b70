"""schemathesis against the BlueKing dialect's OpenAPI document (`/api/c/compapi/openapi.json`):
without credentials, every operation; with valid credentials, the read operations (a write with
generated data may name callback URLs or hosts to install agents on: traffic to addresses that are
not ours). 0 responses with status 500, 0 tracebacks, 0 hangs."""

from __future__ import annotations

import json

import httpx
import requests
import schemathesis

from tests.robustness.fuzzing import REQUEST_TIMEOUT, FuzzReport, fuzz_operations
from tests.support.server import APP_CODE, APP_SECRET, Server

READS = ("search_", "get_", "list_", "find_", "query_", "check_", "is_", "fetch_")
BUDGET_SECONDS = 60.0


def _schema(server: Server) -> schemathesis.schemas.BaseSchema:
    document = httpx.get(f"{server.url}/api/c/compapi/openapi.json", timeout=30).json()
    return schemathesis.openapi.from_dict(document)


def _sender(server: Server, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    session = requests.Session()

    def send(case: schemathesis.Case) -> requests.Response:
        return case.call(base_url=server.url, session=session, headers=headers, timeout=REQUEST_TIMEOUT)

    return send


def test_every_operation_without_credentials(server: Server) -> None:
    schema = _schema(server)
    report = FuzzReport()
    fuzz_operations(
        schema.get_all_operations(), _sender(server, {}), examples=2, budget_seconds=BUDGET_SECONDS, report=report
    )
    assert report.operations >= 20, report
    assert report.problems == []


def test_read_operations_with_credentials(server: Server) -> None:
    schema = _schema(server)
    reads = [
        result
        for result in schema.get_all_operations()
        if result.ok().path.rstrip("/").rsplit("/", 1)[-1].startswith(READS)
    ]
    auth = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "admin"}
    report = FuzzReport()
    fuzz_operations(
        reads,
        _sender(server, {"X-Bkapi-Authorization": json.dumps(auth)}),
        examples=3,
        budget_seconds=BUDGET_SECONDS,
        report=report,
    )
    assert report.operations >= 20, report
    assert report.problems == []
