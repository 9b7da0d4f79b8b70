"""Password and app-secret hashing with scrypt (stdlib), constant-time verification.

Example:
    >>> stored = hash_secret("s3cret")
    >>> verify_secret("s3cret", stored), verify_secret("nope", stored)
    (True, False)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1
_SCHEME = "scrypt"


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P)
    return "$".join([_SCHEME, str(_N), base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def verify_secret(secret: str, stored: str) -> bool:
    try:
        scheme, n, salt_b64, digest_b64 = stored.split("$")
        if scheme != _SCHEME:
            return False
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
        actual = hashlib.scrypt(secret.encode(), salt=salt, n=int(n), r=_R, p=_P)
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)
