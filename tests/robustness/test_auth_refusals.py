"""Authentication refusals for every route family, from one table.

`FAMILIES` says, for each family of routes the server mounts, how to call it and how its refusal
looks; `CASES` are the ways credentials go wrong. Every (family, case) pair that applies must be
refused — and `test_every_route_belongs_to_a_family` fails when the app mounts a route that no
family (or the short list of deliberately open routes) covers, so a new route cannot join without
being covered here.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from jose import jwt

from tests.support.server import APP_CODE, APP_SECRET, SECRET_KEY, Server

CASES = ["missing", "forged", "expired", "revoked", "wrong-app", "wrong-signature"]


@dataclass(frozen=True)
class Credentials:
    """What a case hands to a family's request builder."""

    token: str | None = None  # a login JWT (Bearer / bk_token / cookie / X-Auth-Token)
    app_code: str | None = None
    app_secret: str | None = None
    raw: str | None = None  # a made-up value for the family's own credential


def _jwt(username: str, *, key: str = SECRET_KEY, expires_in: int = 3600) -> str:
    now = int(time.time())
    claims = {
        "sub": username,
        "iat": now - 10,
        "nbf": now - 10,
        "exp": now + expires_in,
        "jti": uuid.uuid4().hex,
        "gen": 0,
    }
    return str(jwt.encode(claims, key, algorithm="HS256"))


@dataclass(frozen=True)
class Family:
    prefixes: tuple[str, ...]  # the paths it covers
    send: Callable[[httpx.Client, Credentials], httpx.Response]
    refused: Callable[[httpx.Response], bool]
    cases: tuple[str, ...]  # the cases that apply (the others cannot be expressed in its credentials)


def _graphql(client: httpx.Client, c: Credentials) -> httpx.Response:
    headers = {"Authorization": f"Bearer {c.token or c.raw}"} if (c.token or c.raw) else {}
    return client.post("/graphql", json={"query": "{ businesses(first: 1) { totalCount } }"}, headers=headers)


def _graphql_refused(r: httpx.Response) -> bool:
    body = r.json()
    return body.get("data") in (None, {}) or not (body.get("data") or {}).get("businesses")


def _bk(client: httpx.Client, c: Credentials) -> httpx.Response:
    auth: dict[str, str] = {}
    if c.app_code is not None:
        auth = {"bk_app_code": c.app_code, "bk_app_secret": c.app_secret or ""}
    if c.token or c.raw:  # a valid app: the login token alone decides
        auth = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_token": c.token or c.raw or ""}
    headers = {"X-Bkapi-Authorization": json.dumps(auth)} if auth else {}
    return client.post("/api/c/compapi/v2/cc/search_business/", json={}, headers=headers)


def _bk_refused(r: httpx.Response) -> bool:
    return r.json().get("result") is False


def _openc3(client: httpx.Client, c: Credentials) -> httpx.Response:
    headers: dict[str, str] = {}
    if c.token or c.raw:
        headers["Authorization"] = f"Bearer {c.token or c.raw}"
    if c.app_code is not None:
        headers.update(appname=c.app_code, appkey=c.app_secret or "")
    return client.get("/api/connector/useraddr", headers=headers)


def _openc3_refused(r: httpx.Response) -> bool:
    return r.json().get("stat") is False


def _huawei(client: httpx.Client, c: Credentials) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if c.token:
        headers["X-Auth-Token"] = c.token
    elif c.raw:
        headers["X-Sdk-Date"] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        headers["Authorization"] = (
            f"SDK-HMAC-SHA256 Access={c.raw}, SignedHeaders=content-type;x-sdk-date, Signature=00"
        )
    return client.post("/v5/project-x/common/task", json={"task_type": "x"}, headers=headers)


def _status_refused(r: httpx.Response) -> bool:
    return r.status_code in {401, 403}


def _agent(client: httpx.Client, c: Credentials) -> httpx.Response:
    body = {"host_id": 1, "ts": int(time.time()), "signature": c.raw} if c.raw else {}
    return client.post("/api/agent/heartbeat", json=body)


def _ingest(client: httpx.Client, c: Credentials) -> httpx.Response:
    headers = {"Authorization": f"Bearer {c.raw}"} if c.raw else {}
    return client.post("/api/monitor/alarms", json={"alarms": []}, headers=headers)


LOGIN = ("missing", "forged", "expired", "revoked", "wrong-signature")
FAMILIES: dict[str, Family] = {
    "graphql": Family(("/graphql",), _graphql, _graphql_refused, LOGIN),
    "bk": Family(("/api/c/compapi", "/api/encrypt_rsa"), _bk, _bk_refused, (*LOGIN, "wrong-app")),
    "openc3": Family(
        ("/api/job", "/api/agent", "/api/connector", "/api/ci", "/slave"),
        _openc3,
        _openc3_refused,
        (*LOGIN, "wrong-app"),
    ),
    "huawei": Family(("/v{version:int}",), _huawei, _status_refused, LOGIN),
    # Agents sign each heartbeat with their host's key; ingestion sources hold a token of a business.
    "agent-heartbeat": Family(("/api/agent/heartbeat",), _agent, _status_refused, ("missing", "forged")),
    "alarm-ingest": Family(("/api/monitor/alarms",), _ingest, _status_refused, ("missing", "forged")),
}
# Open on purpose: liveness/readiness/metrics, the GraphiQL assets, the OpenAPI document (paths only).
OPEN = ("/healthz", "/readyz", "/metrics", "/graphiql", "/api/c/compapi/openapi.json")


@pytest.fixture(scope="module")
def revoked_token(server: Server) -> str:
    name = f"revoked-{uuid.uuid4().hex[:8]}"
    server.cli("admin", "create-user", name, "--password", "a-long-password-1", "--superuser")
    token = server.cli("admin", "issue-token", name).stdout
    server.cli("admin", "revoke-tokens", name)
    return token


def _credentials(case: str, revoked: str) -> Credentials:
    return {
        "missing": Credentials(),
        "forged": Credentials(raw=f"forged-{uuid.uuid4().hex}"),
        "expired": Credentials(token=_jwt("admin", expires_in=-60)),
        "revoked": Credentials(token=revoked),
        "wrong-app": Credentials(app_code=APP_CODE, app_secret="not-the-secret"),
        "wrong-signature": Credentials(token=_jwt("admin", key="another-key-that-is-long-enough-0123456789")),
    }[case]


PAIRS = [(name, case) for name, family in FAMILIES.items() for case in family.cases]


@pytest.mark.parametrize(("family", "case"), PAIRS, ids=[f"{f}-{c}" for f, c in PAIRS])
def test_refused(server: Server, revoked_token: str, family: str, case: str) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        response = FAMILIES[family].send(client, _credentials(case, revoked_token))
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    assert FAMILIES[family].refused(response), f"{family} accepted {case} credentials: {response.text[:300]}"


def test_the_table_holds_real_credentials_apart(server: Server, admin_token: str) -> None:
    """The refusals mean something: the same calls with valid credentials are served."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert not _graphql_refused(_graphql(client, Credentials(token=admin_token)))
        assert not _bk_refused(_bk(client, Credentials(token=admin_token)))
        assert not _openc3_refused(_openc3(client, Credentials(token=admin_token)))


def test_every_route_belongs_to_a_family() -> None:
    from starlette.routing import Route, WebSocketRoute

    from opsgraph.app import create_app
    from opsgraph.core.settings import Settings

    app = create_app(
        Settings(
            data_dir=__import__("pathlib").Path("/tmp"),
            database_url="sqlite://:memory:",
            secret_key="k" * 40,
            dev_mode=True,
        )
    )
    prefixes = [prefix for family in FAMILIES.values() for prefix in family.prefixes]
    uncovered = [
        route.path
        for route in app.routes
        if isinstance(route, Route | WebSocketRoute)
        and not route.path.startswith(OPEN)
        and not route.path.startswith(tuple(prefixes))
    ]
    assert uncovered == [], f"routes no family of the refusal table covers: {uncovered}"
    assert set(CASES) == {case for family in FAMILIES.values() for case in family.cases}
