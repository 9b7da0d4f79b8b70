"""BlueKing caller credentials: where they travel, and turning them into a Principal.

Sources, strongest first: the `X-Bkapi-Authorization` JSON header (bkapi-client-core), the JSON
body (legacy SDKs on POST), the query string (legacy SDKs on GET), and for the user token the
`bk_token` cookie. Each field is taken from the strongest source that has it. Very old ESB v1
names (`app_code`, `app_secret`, `username`) and bkoauth's `access_token` are accepted as aliases.

Example:
    creds = extract_credentials(header='{"bk_app_code": "a", "bk_app_secret": "s"}',
                                body={"bk_username": "admin"}, query={})
    principal = await authenticate(creds, settings)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import AuthenticationError
from opsgraph.core.settings import Settings
from opsgraph.resolvers.identity import authenticate_app, principal_for_app_call

AUTHORIZATION_HEADER = "X-Bkapi-Authorization"
TOKEN_COOKIE = "bk_token"

# Canonical name → accepted names, canonical first (it wins inside one source).
ALIASES: Mapping[str, tuple[str, ...]] = {
    "bk_app_code": ("bk_app_code", "app_code"),
    "bk_app_secret": ("bk_app_secret", "app_secret"),
    "bk_token": ("bk_token", "access_token"),
    "bk_username": ("bk_username", "username"),
}
# bkapi-client-core sends `jwt` next to `access_token`; it is never a business parameter.
CREDENTIAL_NAMES = frozenset({name for names in ALIASES.values() for name in names} | {"jwt"})


@dataclass(frozen=True)
class BkCredentials:
    app_code: str = ""
    app_secret: str = ""
    bk_token: str = ""
    bk_username: str = ""

    def __repr__(self) -> str:
        # Secrets and tokens stay out of logs and tracebacks.
        return f"BkCredentials(app_code={self.app_code!r}, bk_username={self.bk_username!r})"


def parse_authorization_header(value: str | None) -> dict[str, Any]:
    if value is None or not value.strip():
        return {}
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError) as exc:
        raise AuthenticationError(f"{AUTHORIZATION_HEADER} header is not valid JSON") from exc
    if not isinstance(parsed, dict):
        raise AuthenticationError(f"{AUTHORIZATION_HEADER} header must be a JSON object")
    return parsed


def extract_credentials(
    *, header: str | None, body: Mapping[str, Any], query: Mapping[str, Any], cookie_token: str | None = None
) -> BkCredentials:
    sources = [parse_authorization_header(header), body, query]
    found = {canonical: _first(canonical, names, sources) for canonical, names in ALIASES.items()}
    return BkCredentials(
        app_code=found["bk_app_code"],
        app_secret=found["bk_app_secret"],
        bk_token=found["bk_token"] or (cookie_token or ""),
        bk_username=found["bk_username"],
    )


def strip_credentials(params: Mapping[str, Any], keep: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Parameters for adapters: credentials removed, except names a route also uses as data
    (e.g. `bk_login.get_user` looks up the user named by `bk_username`)."""
    return {k: v for k, v in params.items() if k not in CREDENTIAL_NAMES or k in keep}


async def authenticate(credentials: BkCredentials, settings: Settings) -> Principal:
    """App first (code + secret), then the user (bk_token, or bk_username for login-exempt apps)."""
    if not credentials.app_code or not credentials.app_secret:
        raise AuthenticationError("app authentication failed: bk_app_code and bk_app_secret are required")
    app = await authenticate_app(credentials.app_code, credentials.app_secret)
    return await principal_for_app_call(
        app, settings, bk_token=credentials.bk_token or None, bk_username=credentials.bk_username or None
    )


def _first(canonical: str, names: tuple[str, ...], sources: list[Mapping[str, Any]]) -> str:
    for source in sources:
        for name in names:
            value = source.get(name)
            if value is None or value == "":
                continue
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise AuthenticationError(f"{canonical} must be a string")
            return str(value)
    return ""
