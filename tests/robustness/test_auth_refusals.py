"""Authentication refusals for every route family, from one table, on every route of each family.

`FAMILIES` says, for each family of routes the server mounts, which routes it has, how to call one
and how its refusal looks; `CASES` are the ways credentials go wrong. Every route of a family is
called with every case that applies (a wrong app secret: the first route of each group, see
`SAMPLED`) and must be refused. The table-driven dialects (BlueKing, OpenC3, Huawei) list their
routes from their OpenAPI documents, which are generated from their route tables: a new row is
called here as soon as it exists. OpenC3 rows that need no login are
marked `security: []` in the document and must be named in `OPENC3_PUBLIC`, so a route cannot
become public unnoticed. And `test_every_route_belongs_to_a_family` fails when the app mounts a
route that no family (or the short list of deliberately open routes) covers. WebSocket routes are
rows of their own table, one per route (test_websocket_refusals.py).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from tests.huawei.sdk import signed_request
from tests.robustness.refusal_cases import (
    ALL,
    CASES,
    LOGIN,
    Credentials,
    credentials_for,
    mounted_routes,
    revoked_token_of,
)
from tests.support.server import APP_CODE, APP_SECRET, Server

# A wrong app secret costs one scrypt (~50 ms of CPU, on purpose) per request: it is tried on the
# first route of each system / module / service rather than on all of them (the refusal is the
# dispatcher's, the same for every route of a group; the other cases still call every route).
SAMPLED = {"wrong-app"}
BK_AUTH_FAILED = 1306000
OPENC3_NOT_LOGGED_IN = 10000
HUAWEI_PROJECT = "project-refusals"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    group: str = ""  # the dialect's system / module / service (its OpenAPI tag)


@dataclass(frozen=True)
class Context:
    """What the families need from the server under test."""

    server: Server
    access_key: dict[str, str]  # a real Huawei AK/SK of HUAWEI_PROJECT


Send = Callable[[httpx.Client, Context, Endpoint, Credentials], httpx.Response]


@dataclass(frozen=True)
class Family:
    prefixes: tuple[str, ...]  # the paths it covers
    routes: Callable[[httpx.Client], list[Endpoint]]
    send: Send
    refused: Callable[[httpx.Response], bool]
    cases: tuple[str, ...]  # the cases that apply (the others cannot be expressed in its credentials)


def _document_routes(
    document: str, *, public: frozenset[str] = frozenset()
) -> Callable[[httpx.Client], list[Endpoint]]:
    """Every operation of a dialect's OpenAPI document, path parameters filled in; operations
    marked `security: []` must be exactly `public` (and are left out)."""

    def routes(client: httpx.Client) -> list[Endpoint]:
        paths = client.get(document).json()["paths"]
        found, open_ones = [], set()
        for path, operations in paths.items():
            for method, operation in operations.items():
                if operation.get("security") == []:
                    open_ones.add(f"{method.upper()} {path}")
                    continue
                group = (operation.get("tags") or [""])[0]
                found.append(Endpoint(method.upper(), re.sub(r"\{[^}]+\}", "1", path), group))
        assert open_ones == public, f"routes open without login: {sorted(open_ones ^ public)} (see OPENC3_PUBLIC)"
        return found

    return routes


def _one(method: str, path: str) -> Callable[[httpx.Client], list[Endpoint]]:
    return lambda client: [Endpoint(method, path)]


def _request(client: httpx.Client, endpoint: Endpoint, headers: dict[str, str], body: object = None) -> httpx.Response:
    if endpoint.method in ("GET", "DELETE"):
        return client.request(endpoint.method, endpoint.path, headers=headers)
    return client.request(endpoint.method, endpoint.path, json={} if body is None else body, headers=headers)


def _graphql(client: httpx.Client, context: Context, endpoint: Endpoint, c: Credentials) -> httpx.Response:
    headers = {"Authorization": f"Bearer {c.token or c.raw}"} if (c.token or c.raw) else {}
    return client.post(endpoint.path, json={"query": "{ businesses(first: 1) { totalCount } }"}, headers=headers)


def _graphql_refused(r: httpx.Response) -> bool:
    body = r.json()
    codes = {(error.get("extensions") or {}).get("code") for error in body.get("errors") or []}
    return not (body.get("data") or {}).get("businesses") and "UNAUTHENTICATED" in codes


def _bk(client: httpx.Client, context: Context, endpoint: Endpoint, c: Credentials) -> httpx.Response:
    auth: dict[str, str] = {}
    if c.app_code is not None:
        auth = {"bk_app_code": c.app_code, "bk_app_secret": c.app_secret or ""}
    if c.token or c.raw:  # a valid app: the login token alone decides
        auth = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_token": c.token or c.raw or ""}
    headers = {"X-Bkapi-Authorization": json.dumps(auth)} if auth else {}
    return _request(client, endpoint, headers)


def _bk_refused(r: httpx.Response) -> bool:
    body = r.json()
    return body.get("result") is False and BK_AUTH_FAILED in (body.get("code"), body.get("bk_error_code"))


def _openc3(client: httpx.Client, context: Context, endpoint: Endpoint, c: Credentials) -> httpx.Response:
    headers: dict[str, str] = {}
    if c.token or c.raw:
        headers["Authorization"] = f"Bearer {c.token or c.raw}"
    if c.app_code is not None:
        headers.update(appname=c.app_code, appkey=c.app_secret or "")
    return _request(client, endpoint, headers)


def _openc3_refused(r: httpx.Response) -> bool:
    body = r.json()
    return body.get("stat") is False and body.get("code") == OPENC3_NOT_LOGGED_IN


def _huawei(client: httpx.Client, context: Context, endpoint: Endpoint, c: Credentials) -> httpx.Response:
    path = endpoint.path.replace("/1/", f"/{HUAWEI_PROJECT}/", 1)
    if c.app_code is not None:  # a real access key, signed with the wrong secret
        return signed_request(
            context.server.url,
            endpoint.method,
            path,
            ak=context.access_key["access_key"],
            sk=f"not-{context.access_key['secret_key']}",
            project_id=HUAWEI_PROJECT,
            body=b"{}",
        )
    headers = {"Content-Type": "application/json"}
    if c.token:
        headers["X-Auth-Token"] = c.token
    elif c.raw:
        headers["X-Sdk-Date"] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        headers["Authorization"] = (
            f"SDK-HMAC-SHA256 Access={c.raw}, SignedHeaders=content-type;x-sdk-date, Signature=00"
        )
    return _request(client, Endpoint(endpoint.method, path), headers)


def _huawei_refused(r: httpx.Response) -> bool:
    return r.status_code == 401 and r.json().get("error_code") == "APIGW.0301"


def _status_refused(r: httpx.Response) -> bool:
    return r.status_code in {401, 403}


def _agent(client: httpx.Client, context: Context, endpoint: Endpoint, c: Credentials) -> httpx.Response:
    body = {"host_id": 1, "ts": int(time.time()), "signature": c.raw} if c.raw else {}
    return client.post(endpoint.path, json=body)


def _ingest(client: httpx.Client, context: Context, endpoint: Endpoint, c: Credentials) -> httpx.Response:
    headers = {"Authorization": f"Bearer {c.raw}"} if c.raw else {}
    return client.post(endpoint.path, json={"alarms": []}, headers=headers)


# OpenC3's routes that need no login, as upstream has them (each decides by the uuid or token it carries).
OPENC3_PUBLIC = frozenset(
    {
        "GET /api/job/release",
        "GET /api/connector/release",
        "POST /api/job/approval/control",
        "GET /api/job/approval/control/{uuid}",
        "GET /api/job/approval/control/status/{uuid}",
        "POST /api/job/fileserver/{treeid}/upload",
        "GET /api/connector/connectorx/cookiekey",
        "GET /api/connector/connectorx/username",
        "GET /api/connector/connectorx/sso/loginredirect",
        "GET /api/connector/connectorx/sso/chpasswdredirect",
        "GET /api/connector/connectorx/ssologout",
        "GET /api/connector/connectorx/setcookie",
        "GET /api/connector/version/log",
        "GET /api/connector/version/name",
    }
)
FAMILIES: dict[str, Family] = {
    "graphql": Family(("/graphql",), _one("POST", "/graphql"), _graphql, _graphql_refused, LOGIN),
    "bk": Family(
        ("/api/c/compapi", "/api/encrypt_rsa"),
        lambda client: [
            *_document_routes("/api/c/compapi/openapi.json")(client),
            Endpoint("POST", "/api/encrypt_rsa/fetch_public_keys/"),
        ],
        _bk,
        _bk_refused,
        ALL,
    ),
    "openc3": Family(
        ("/api/job", "/api/agent", "/api/connector", "/api/ci", "/slave"),
        _document_routes("/api/openc3/openapi.json", public=OPENC3_PUBLIC),
        _openc3,
        _openc3_refused,
        ALL,
    ),
    "huawei": Family(("/v{version:int}",), _document_routes("/api/huawei/openapi.json"), _huawei, _huawei_refused, ALL),
    # Agents sign each heartbeat with their host's key; ingestion sources hold a token of a business.
    "agent-heartbeat": Family(
        ("/api/agent/heartbeat",), _one("POST", "/api/agent/heartbeat"), _agent, _status_refused, ("missing", "forged")
    ),
    "alarm-ingest": Family(
        ("/api/monitor/alarms",), _one("POST", "/api/monitor/alarms"), _ingest, _status_refused, ("missing", "forged")
    ),
}
# Open on purpose: liveness/readiness/metrics, the GraphiQL assets, the OpenAPI documents (paths only).
OPEN = (
    "/healthz",
    "/readyz",
    "/metrics",
    "/graphiql",
    "/api/c/compapi/openapi.json",
    "/api/openc3/openapi.json",
    "/api/huawei/openapi.json",
)


@pytest.fixture(scope="module")
def revoked_token(server: Server) -> str:
    return revoked_token_of(server)


@pytest.fixture(scope="module")
def context(server: Server) -> Context:
    created = server.cli("admin", "create-access-key", "--project", HUAWEI_PROJECT, "--user", "admin")
    return Context(server=server, access_key=json.loads(created.stdout))


PAIRS = [(name, case) for name, family in FAMILIES.items() for case in family.cases]


@pytest.mark.parametrize(("family", "case"), PAIRS, ids=[f"{f}-{c}" for f, c in PAIRS])
def test_refused(server: Server, context: Context, revoked_token: str, family: str, case: str) -> None:
    spec = FAMILIES[family]
    credentials = credentials_for(case, revoked_token)
    accepted = []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        endpoints = spec.routes(client)
        if case in SAMPLED:
            endpoints = list({endpoint.group: endpoint for endpoint in reversed(endpoints)}.values())
        for endpoint in endpoints:
            response = spec.send(client, context, endpoint, credentials)
            assert response.status_code < 500, f"{endpoint}: {response.text[:300]}"
            assert "Traceback" not in response.text, endpoint
            if not spec.refused(response):
                accepted.append(f"{endpoint.method} {endpoint.path}: HTTP {response.status_code} {response.text[:200]}")
    assert endpoints
    assert accepted == [], f"{family} accepted {case} credentials on {len(accepted)} of {len(endpoints)} routes"


def test_the_table_holds_real_credentials_apart(server: Server, context: Context, admin_token: str) -> None:
    """The refusals mean something: the same calls with valid credentials are served (or refused
    for another reason than authentication)."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        endpoint = Endpoint("POST", "/api/c/compapi/v2/cc/search_business/")
        assert not _bk_refused(_bk(client, context, endpoint, Credentials(token=admin_token)))
        endpoint = Endpoint("GET", "/api/connector/useraddr")
        assert not _openc3_refused(_openc3(client, context, endpoint, Credentials(token=admin_token)))
        endpoint = Endpoint("GET", "/api/connector/useraddr")
        assert not _openc3_refused(
            _openc3(client, context, endpoint, Credentials(app_code=APP_CODE, app_secret=APP_SECRET))
        )
        assert not _graphql_refused(
            _graphql(client, context, Endpoint("POST", "/graphql"), Credentials(token=admin_token))
        )
        task = Endpoint("POST", "/v5/1/common/task")
        assert not _huawei_refused(_huawei(client, context, task, Credentials(token=admin_token)))
        signed = signed_request(
            server.url,
            "POST",
            f"/v5/{HUAWEI_PROJECT}/common/task",
            ak=context.access_key["access_key"],
            sk=context.access_key["secret_key"],
            project_id=HUAWEI_PROJECT,
            body=b"{}",
        )
        assert signed.status_code == 400, signed.text
        assert signed.json()["error_code"].startswith("HSS."), signed.text


def test_every_route_belongs_to_a_family() -> None:
    from starlette.routing import Route

    prefixes = [prefix for family in FAMILIES.values() for prefix in family.prefixes]
    uncovered = [
        route.path
        for route in mounted_routes()
        if isinstance(route, Route)  # WebSocket routes: test_websocket_refusals.py, one row each
        and not route.path.startswith(OPEN)
        and not route.path.startswith(tuple(prefixes))
    ]
    assert uncovered == [], f"routes no family of the refusal table covers: {uncovered}"
    assert set(CASES) == {case for family in FAMILIES.values() for case in family.cases}
