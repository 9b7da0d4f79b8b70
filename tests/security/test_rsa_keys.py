"""The server's RSA pair: generated once with mode 0600, PKCS#1 v1.5 ciphertexts (one or several
blocks) decrypt, anything else is a ValidationFailed that never quotes the value."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from opsgraph.core.errors import ValidationFailed
from opsgraph.core.rsa_keys import KEY_FILE, server_keys
from tests.support.rsa import rsa_encrypt


def test_pair_is_kept_and_decrypts(tmp_path: Path) -> None:
    keys = server_keys(tmp_path)
    assert os.stat(tmp_path / KEY_FILE).st_mode & 0o777 == 0o600
    server_keys.cache_clear()
    assert server_keys(tmp_path).public_pem == keys.public_pem  # read back, not regenerated

    assert keys.decrypt(rsa_encrypt(keys.public_pem, "pässword 1"), field="password") == "pässword 1"
    long_secret = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "A" * 3000
    assert keys.decrypt(rsa_encrypt(keys.public_pem, long_secret), field="key") == long_secret


@pytest.mark.parametrize(
    "ciphertext",
    ["not base64 at all!", "", base64.b64encode(b"x" * 256).decode(), base64.b64encode(b"short").decode()],
)
def test_bad_ciphertexts_are_refused(tmp_path: Path, ciphertext: str) -> None:
    keys = server_keys(tmp_path)
    with pytest.raises(ValidationFailed) as refused:
        keys.decrypt(ciphertext, field="hosts[0].password")
    assert refused.value.field == "hosts[0].password"
    assert not ciphertext or ciphertext not in refused.value.message


def test_another_servers_key_never_reveals_the_value(tmp_path: Path) -> None:
    """OpenSSL's implicit rejection may turn a bad padding into pseudo-random text instead of an error;
    either way the secret does not come out (and most such texts are refused)."""
    mine, theirs = server_keys(tmp_path / "a"), server_keys(tmp_path / "b")
    refusals = 0
    for attempt in range(20):
        try:
            assert mine.decrypt(rsa_encrypt(theirs.public_pem, f"secret{attempt}"), field="password") != "secret"
        except ValidationFailed:
            refusals += 1
    assert refusals >= 15
