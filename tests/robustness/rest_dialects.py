"""The REST dialects as the fuzz sees them: where each serves its OpenAPI document, how a request
carries valid credentials, and what its success looks like.

Valid credentials replace whatever credentials schemathesis generated from the document's security
schemes (random `Authorization`, `appkey`, cookies…): those would otherwise win over ours (Huawei's
gateway reads `Authorization` before `X-Auth-Token`) and every request would be refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import requests
import schemathesis
from schemathesis.core.transport import Response

from tests.robustness.fuzzing import REQUEST_TIMEOUT
from tests.support.server import APP_CODE, APP_SECRET, Server


@dataclass(frozen=True)
class Dialect:
    name: str
    document: str  # the path of its OpenAPI document
    credential_headers: frozenset[str]  # lower-case names of the headers that carry credentials
    credential_cookies: frozenset[str]
    authenticated: Callable[[str], dict[str, str]]  # a login token → the headers to send
    succeeded: Callable[[Response], bool]  # the dialect's success (its refusals may be HTTP 200)

    def schema(self, server: Server) -> schemathesis.schemas.BaseSchema:
        document = httpx.get(f"{server.url}{self.document}", timeout=30).json()
        return schemathesis.openapi.from_dict(document)

    def sender(self, server: Server, token: Callable[[], str] | None) -> Callable[[schemathesis.Case], Response]:
        """Sends a case as generated (`token` None), or with the credentials of `token()`, read at
        each request (a login that logged itself out is renewed between operations)."""
        session = requests.Session()

        def send(case: schemathesis.Case) -> Response:
            headers: dict[str, str] = {}
            if token is not None:
                for name in [n for n in case.headers or {} if n.lower() in self.credential_headers]:
                    del case.headers[name]
                for name in [n for n in case.cookies or {} if n in self.credential_cookies]:
                    del case.cookies[name]
                headers = self.authenticated(token())
            return case.call(base_url=server.url, session=session, headers=headers, timeout=REQUEST_TIMEOUT)

        return send


def _bk_headers(token: str) -> dict[str, str]:
    # The test app may act for a named user; the token is not needed (and bk_token would work too).
    auth = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "admin"}
    return {"X-Bkapi-Authorization": json.dumps(auth)}


def _json_field(response: Response, name: str) -> Any:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get(name) if isinstance(body, dict) else None


DIALECTS = {
    "bk": Dialect(
        name="bk",
        document="/api/c/compapi/openapi.json",
        credential_headers=frozenset({"x-bkapi-authorization"}),
        credential_cookies=frozenset(),
        authenticated=_bk_headers,
        succeeded=lambda response: _json_field(response, "result") is True,
    ),
    "openc3": Dialect(
        name="openc3",
        document="/api/openc3/openapi.json",
        credential_headers=frozenset({"authorization", "appname", "appkey"}),
        credential_cookies=frozenset({"bk_token"}),
        authenticated=lambda token: {"Authorization": f"Bearer {token}"},
        succeeded=lambda response: _json_field(response, "stat") is True,
    ),
    "huawei": Dialect(
        name="huawei",
        document="/api/huawei/openapi.json",
        credential_headers=frozenset({"authorization", "x-auth-token"}),
        credential_cookies=frozenset(),
        authenticated=lambda token: {"X-Auth-Token": token},
        succeeded=lambda response: 200 <= response.status_code < 300,
    ),
}
