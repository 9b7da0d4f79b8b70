"""Encryption at rest for credentials (account passwords and private keys).

Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from `OPSGRAPH_SECRET_KEY` by HKDF, under a
purpose label so the same secret never keys two different things.

Example:
    >>> box = SecretBox("k" * 32)
    >>> box.decrypt(box.encrypt("hunter2"))
    'hunter2'
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from opsgraph.core.errors import ConfigurationError

# Agent tokens are keyed apart from credentials: a leaked ciphertext of one never decrypts as the other.
AGENT_TOKEN_PURPOSE = b"opsgraph/agent-tokens/v1"


class SecretBox:
    def __init__(self, secret_key: str, purpose: bytes = b"opsgraph/credentials/v1") -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ConfigurationError(
                "a stored credential cannot be decrypted: OPSGRAPH_SECRET_KEY changed since it was saved"
            ) from exc
