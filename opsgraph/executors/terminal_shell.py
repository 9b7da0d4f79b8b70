"""A web terminal's shells: one `/bin/sh` per host over SSH, fed the same lines, read together.

Each host keeps one shell for the whole session, so `cd` and variables persist between lines (no
pseudo-terminal: full-screen programs are not supported). Output arrives line by line, tagged with
the host's address. Connections check host keys like every run (trust on first use, or strict).

Example:
    async with ShellFanout(targets, keys, connect_timeout=10) as shells:
        await shells.send("uptime")
        async for ip, text in shells.output():   # until close()
            ...
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import TracebackType

import asyncssh

from opsgraph.executors.host_keys import HostKeyStore
from opsgraph.executors.ssh import SshFailure, SshSession, SshTarget, open_session

_QUEUE = 10_000
_END = ("", "")


class ShellFanout:
    def __init__(self, targets: list[SshTarget], keys: HostKeyStore, *, connect_timeout: float) -> None:
        self.targets = targets
        self.keys = keys
        self.connect_timeout = connect_timeout
        self._sessions: list[SshSession] = []
        self._processes: list[tuple[str, asyncssh.SSHClientProcess[str]]] = []
        self._queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue(maxsize=_QUEUE)
        self._readers: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> ShellFanout:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def open(self) -> list[tuple[str, str]]:
        """Connect every host; returns (ip, reason) for those that could not be reached."""
        results = await asyncio.gather(*(self._open_one(t) for t in self.targets), return_exceptions=True)
        failures = []
        for target, result in zip(self.targets, results, strict=True):
            if isinstance(result, SshFailure):
                failures.append((target.address, result.message))
            elif isinstance(result, BaseException):
                failures.append((target.address, f"{type(result).__name__}: {result}"))
        return failures

    async def _open_one(self, target: SshTarget) -> None:
        session = await open_session(target, self.keys, connect_timeout=self.connect_timeout)
        self._sessions.append(session)
        # SshSession runs single commands; a terminal needs a long-lived shell on its connection.
        connection: asyncssh.SSHClientConnection = session._connection
        process = await connection.create_process("/bin/sh -i 2>&1", encoding="utf-8", errors="replace")
        self._processes.append((target.address, process))
        self._readers.append(asyncio.ensure_future(self._read(target.address, process)))

    async def _read(self, ip: str, process: asyncssh.SSHClientProcess[str]) -> None:
        try:
            async for line in process.stdout:
                await self._queue.put((ip, line.rstrip("\n")))
        except (asyncssh.Error, OSError):
            pass
        await self._queue.put((ip, "[the shell ended]"))

    @property
    def reachable(self) -> list[str]:
        return [ip for ip, _ in self._processes]

    async def send(self, line: str) -> None:
        for _, process in self._processes:
            if not process.stdin.is_closing():
                process.stdin.write(line + "\n")

    async def output(self) -> AsyncIterator[tuple[str, str]]:
        while True:
            item = await self._queue.get()
            if item == _END:
                return
            yield item

    async def close(self) -> None:
        for _, process in self._processes:
            process.close()
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        for session in self._sessions:
            await session.close()
        self._queue.put_nowait(_END)
