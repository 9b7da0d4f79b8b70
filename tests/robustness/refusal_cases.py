"""The ways credentials go wrong, shared by the refusal tables (HTTP routes: test_auth_refusals.py,
WebSocket routes: test_websocket_refusals.py), and the routes the app mounts."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from jose import jwt
from starlette.routing import BaseRoute

from tests.support.server import APP_CODE, SECRET_KEY, Server

CASES = ["missing", "forged", "expired", "revoked", "wrong-app", "wrong-signature"]
ALL = tuple(CASES)
LOGIN = ("missing", "forged", "expired", "revoked", "wrong-signature")


@dataclass(frozen=True)
class Credentials:
    """What a case hands to a family's request builder."""

    token: str | None = None  # a login JWT (Bearer / bk_token / cookie / X-Auth-Token)
    app_code: str | None = None
    app_secret: str | None = None
    raw: str | None = None  # a made-up value for the family's own credential


def signed_jwt(username: str, *, key: str = SECRET_KEY, expires_in: int = 3600) -> str:
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


def credentials_for(case: str, revoked: str) -> Credentials:
    return {
        "missing": Credentials(),
        "forged": Credentials(raw=f"forged-{uuid.uuid4().hex}"),
        "expired": Credentials(token=signed_jwt("admin", expires_in=-60)),
        "revoked": Credentials(token=revoked),
        "wrong-app": Credentials(app_code=APP_CODE, app_secret="not-the-secret"),
        "wrong-signature": Credentials(token=signed_jwt("admin", key="another-key-that-is-long-enough-0123456789")),
    }[case]


def revoked_token_of(server: Server) -> str:
    """A login token of a new user whose tokens have then been revoked."""
    name = f"revoked-{uuid.uuid4().hex[:8]}"
    server.cli("admin", "create-user", name, "--password", "a-long-password-1", "--superuser")
    token = server.cli("admin", "issue-token", name).stdout
    server.cli("admin", "revoke-tokens", name)
    return token


def mounted_routes() -> list[BaseRoute]:
    """The routes of the app as `opsgraph serve` builds it."""
    from opsgraph.app import create_app
    from opsgraph.core.settings import Settings

    app = create_app(
        Settings(data_dir=Path("/tmp"), database_url="sqlite://:memory:", secret_key="k" * 40, dev_mode=True)
    )
    return list(app.routes)
