"""Which host keys to trust: trust on first use, remembered per host in the database, or strict.

A changed key (or, in strict mode, an unknown one) fails the host with HOST_KEY_MISMATCH and a
message naming the host and both fingerprints. The check runs before any credential is sent.
"""

from __future__ import annotations

import base64
from typing import Protocol

import asyncssh
from tortoise.exceptions import IntegrityError

from opsgraph.executors.ssh import SshFailure
from opsgraph.models.tasks import HostFailure, KnownHostKey


class HostKeyStore(Protocol):
    async def verify(self, address: str, port: int, key: asyncssh.SSHKey) -> None:
        """Accept `key` for address:port or raise SshFailure(HOST_KEY_MISMATCH)."""
        ...


def fingerprint(key: asyncssh.SSHKey) -> str:
    return str(key.get_fingerprint("sha256"))


def public_key_line(key: asyncssh.SSHKey) -> str:
    """`<algorithm> <base64>` without a comment, as stored."""
    return f"{key.get_algorithm()} {base64.b64encode(key.public_data).decode()}"


class DatabaseHostKeyStore:
    """Trust on first use in the KnownHostKey table (or strict: an unknown host is refused too)."""

    def __init__(self, *, strict: bool = False) -> None:
        self.strict = strict
        self._accepted: dict[tuple[str, int], bytes] = {}  # keys this store already matched

    async def verify(self, address: str, port: int, key: asyncssh.SSHKey) -> None:
        if self._accepted.get((address, port)) == key.public_data:
            return
        known = await KnownHostKey.get_or_none(address=address, port=port)
        if known is None:
            if self.strict:
                raise SshFailure(
                    HostFailure.HOST_KEY_MISMATCH,
                    f"host key for {address}:{port} is not known (strict checking): got {fingerprint(key)}",
                )
            try:
                known = await KnownHostKey.create(
                    address=address, port=port, algorithm=key.get_algorithm(), public_key=public_key_line(key)
                )
            except IntegrityError:  # a concurrent first connection stored its key first: compare with that one
                known = await KnownHostKey.get(address=address, port=port)
        _compare(known, key)
        self._accepted[(address, port)] = key.public_data


def _compare(known: KnownHostKey, key: asyncssh.SSHKey) -> None:
    where = f"{known.address}:{known.port}"
    try:
        expected = asyncssh.import_public_key(known.public_key)
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise SshFailure(HostFailure.HOST_KEY_MISMATCH, f"stored host key for {where} is unreadable: {exc}") from exc
    if expected.public_data != key.public_data:
        raise SshFailure(
            HostFailure.HOST_KEY_MISMATCH,
            f"host key for {where} changed: expected {fingerprint(expected)} got {fingerprint(key)}",
        )
