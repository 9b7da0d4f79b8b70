"""/healthz, /readyz and /metrics on the embedded server, and the request id a REST call is
answered with (the envelope's `request_id` is the one in `X-Request-Id` and in the logs)."""

from __future__ import annotations

import json
import re

import httpx

from tests.support.server import APP_CODE, APP_SECRET, Server


def test_readyz_checks_the_database_and_migrations(server: Server) -> None:
    response = httpx.get(f"{server.url}/readyz", timeout=10)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "checks": {"database": "ok"}}


def test_metrics_count_requests_by_dialect(server: Server) -> None:
    auth = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "admin"}
    answer = httpx.post(
        f"{server.url}/api/c/compapi/v2/cc/search_business/",
        json={},
        headers={"X-Bkapi-Authorization": json.dumps(auth), "X-Request-Id": "trace-me-123"},
        timeout=30,
    )
    assert answer.json()["request_id"] == "trace-me-123" == answer.headers["x-request-id"]
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    counted = re.search(r'^opsgraph_http_requests_total\{dialect="bk",status="200"\} (\d+)', text, re.M)
    assert counted is not None
    assert int(counted.group(1)) >= 1
    for name in (
        "opsgraph_graphql_operation_seconds_bucket",
        "opsgraph_tasks{",
        "opsgraph_queue_depth",
        "opsgraph_hosts_in_flight",
        "opsgraph_event_delivery_lag_seconds_bucket",
    ):
        assert name in text, name


def test_a_malformed_request_id_is_replaced(server: Server) -> None:
    response = httpx.get(f"{server.url}/healthz", headers={"X-Request-Id": "bad id\twith spaces"}, timeout=10)
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
