"""Encrypting credentials as bk-nodeman clients do: PKCS#1 v1.5 with the server's public key, block by
block (key bytes − 11 each) for long values, the ciphertexts concatenated, then base64."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def rsa_encrypt(public_pem: str, plaintext: str) -> str:
    key = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    data = plaintext.encode()
    chunk = key.key_size // 8 - 11
    blocks = [key.encrypt(data[i : i + chunk], padding.PKCS1v15()) for i in range(0, len(data), chunk)]
    return base64.b64encode(b"".join(blocks)).decode()
