"""Login tokens: HS256 JWTs via python-jose, algorithm pinned on decode.

Example:
    >>> token, claims = issue_token("alice", secret="k" * 32, ttl_seconds=60)
    >>> decode_token(token, secret="k" * 32)["sub"]
    'alice'
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from jose import JWTError, jwt

from opsgraph.core.errors import AuthenticationError

ALGORITHM = "HS256"
ISSUER = "opsgraph"


def issue_token(username: str, *, secret: str, ttl_seconds: int, generation: int = 0) -> tuple[str, dict[str, Any]]:
    """`generation`: the user's token generation; revoking a user's tokens moves it on (see User)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": username,
        "iss": ISSUER,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": secrets.token_hex(16),
        "gen": generation,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM), claims


def decode_token(token: str, *, secret: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require_exp": True, "require_sub": True, "require_jti": True},
        )
    except JWTError as exc:
        raise AuthenticationError(f"invalid token: {exc}") from exc
    return claims
