"""The server's RSA key pair for credentials sent encrypted (bk-nodeman's `encrypt_rsa`).

Clients fetch the public key (`POST /api/encrypt_rsa/fetch_public_keys/` `{"names": ["DEFAULT"]}`),
encrypt a password or private key with PKCS#1 v1.5 and send the base64 ciphertext. Plaintext longer
than one RSA block is encrypted block by block (key bytes − 11 each) and the ciphertexts are
concatenated before base64, as bk-nodeman's RSAUtil does.

The pair is generated once, on first use, and kept in the data dir (`rsa_default.pem`, mode 0600, PKCS#8
PEM); several processes starting at once agree on one file (O_EXCL).

Example:
    keys = server_keys(settings.data_dir)
    password = keys.decrypt(request_body["password"], field="hosts[0].password")
"""

from __future__ import annotations

import base64
import binascii
import os
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from opsgraph.core.errors import ConfigurationError, ValidationFailed

DEFAULT_NAME = "DEFAULT"
KEY_FILE = "rsa_default.pem"
KEY_BITS = 2048
MAX_CIPHERTEXT = 256 * 1024
_ALLOWED_CONTROLS = frozenset("\t\n\r")


@dataclass(frozen=True)
class ServerKeys:
    private_key: rsa.RSAPrivateKey

    @property
    def public_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def decrypt(self, ciphertext: str, *, field: str) -> str:
        """The UTF-8 plaintext of a base64 PKCS#1 v1.5 ciphertext; anything wrong is ValidationFailed.

        The message never quotes the ciphertext or any decrypted bytes."""
        refused = f"{field} is not a valid RSA-encrypted value (base64, PKCS#1 v1.5, the server's public key)"
        if len(ciphertext) > MAX_CIPHERTEXT:
            raise ValidationFailed(refused, field=field)
        try:
            raw = base64.b64decode(ciphertext.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationFailed(refused, field=field) from exc
        block = self.private_key.key_size // 8
        if not raw or len(raw) % block:
            raise ValidationFailed(refused, field=field)
        try:
            plain = b"".join(
                self.private_key.decrypt(raw[i : i + block], padding.PKCS1v15()) for i in range(0, len(raw), block)
            )
            text = plain.decode("utf-8")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationFailed(refused, field=field) from exc
        # OpenSSL answers a bad padding with a pseudo-random "implicit rejection" message instead of an
        # error (no padding oracle), so a ciphertext made with another key is mostly caught here, as
        # text that is not UTF-8 or holds control characters; what slips through fails the login.
        if not text or any(c not in _ALLOWED_CONTROLS and unicodedata.category(c) == "Cc" for c in text):
            raise ValidationFailed(refused, field=field)
        return text


def _load(path: Path) -> ServerKeys:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"the RSA key in {path} cannot be read: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError(f"{path} holds no RSA private key")
    return ServerKeys(key)


@cache
def server_keys(data_dir: Path) -> ServerKeys:
    """The pair kept in `data_dir`, generated on first use."""
    path = data_dir / KEY_FILE
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process won the race: use its key
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
            return ServerKeys(key)
    return _load(path)
