"""Per-host agent tokens and the heartbeat signature (the server's half of opsgraph_agent.py's).

A token is issued at install, written into the host's agent.json and stored here only encrypted
(checking an HMAC needs the token itself) and as a SHA-256 hash (to compare without decrypting).

Example:
    >>> issued = issue_token("k" * 32)
    >>> open_token("k" * 32, issued.ciphertext) == issued.token
    True
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from functools import lru_cache

from opsgraph.core.crypto import AGENT_TOKEN_PURPOSE, SecretBox


@dataclass(frozen=True)
class IssuedToken:
    token: str = field(repr=False)
    ciphertext: str = field(repr=False)
    sha256: str


@lru_cache(maxsize=4)
def _box(secret_key: str) -> SecretBox:
    return SecretBox(secret_key, purpose=AGENT_TOKEN_PURPOSE)  # the key derivation is done once


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(secret_key: str) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    return IssuedToken(token=token, ciphertext=_box(secret_key).encrypt(token), sha256=token_hash(token))


def open_token(secret_key: str, ciphertext: str) -> str:
    return _box(secret_key).decrypt(ciphertext)


def signature(token: str, host_id: int, unix_ms: int, nonce: str, body: bytes) -> str:
    """hex HMAC-SHA256(token, "<host_id>:<unix_ms>:<nonce>:<sha256 hex of body>")."""
    message = f"{host_id}:{unix_ms}:{nonce}:{hashlib.sha256(body).hexdigest()}"
    return hmac.new(token.encode(), message.encode(), hashlib.sha256).hexdigest()
