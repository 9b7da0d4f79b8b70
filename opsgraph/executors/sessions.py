"""One SSH connection per host per task, opened on first use and reused by every later step.

A host that failed to connect keeps failing fast for the rest of the task with the same reason,
instead of paying the connect timeout once per step.
"""

from __future__ import annotations

import asyncio

import asyncssh

from opsgraph.executors.host_keys import HostKeyStore
from opsgraph.executors.ssh import SshFailure, SshSession, SshTarget, load_client_key, open_session
from opsgraph.models.tasks import HostFailure


class SessionPool:
    def __init__(self, keys: HostKeyStore, *, connect_timeout: float) -> None:
        self.keys = keys
        self.connect_timeout = connect_timeout
        self._client_keys: dict[str, asyncssh.SSHKey] = {}  # private key text → parsed, for this run
        self._sessions: dict[SshTarget, SshSession] = {}
        self._failures: dict[SshTarget, SshFailure] = {}
        self._locks: dict[SshTarget, asyncio.Lock] = {}
        self._shut = False

    async def session(self, target: SshTarget) -> SshSession:
        lock = self._locks.setdefault(target, asyncio.Lock())
        async with lock:
            if self._shut:
                raise SshFailure(HostFailure.CANCELLED, "the run stopped: its worker lost the task")
            if target in self._failures:
                raise self._failures[target]
            if target not in self._sessions:
                try:
                    self._sessions[target] = await open_session(
                        target, self.keys, connect_timeout=self.connect_timeout, load_key=self._client_key
                    )
                except SshFailure as failure:
                    self._failures[target] = failure
                    raise
            return self._sessions[target]

    def _client_key(self, target: SshTarget) -> asyncssh.SSHKey | None:
        """Each private key parsed once per run: importing an RSA key costs ~37 ms of CPU here
        (cryptography checks it), several times all the rest a host costs this process."""
        if target.private_key is None:
            return None
        key = self._client_keys.get(target.private_key)
        if key is None:
            key = load_client_key(target)
            if key is not None:
                self._client_keys[target.private_key] = key
        return key

    def forget_failures(self) -> None:
        """Retries get a fresh chance to connect."""
        self._failures.clear()

    async def shut(self) -> None:
        """Close every connection and open no more (a run that lost its lease)."""
        self._shut = True
        await self.close()

    async def close(self) -> None:
        sessions, self._sessions = list(self._sessions.values()), {}
        self._client_keys.clear()
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
