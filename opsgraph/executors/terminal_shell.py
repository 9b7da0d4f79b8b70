"""A web terminal's shells: one login shell per host over SSH on a pseudo-terminal, fed the same
keystrokes, read together.

Each host keeps one shell for the whole session, so `cd` and variables persist, and the shell runs
on a PTY (`term_type`, `term_size`), so `tty` names a /dev/pts device and interactive programs
(prompts, `read`, pagers, Ctrl-C) behave as in ssh; the window size follows the client's (`resize`).
Output is split into lines tagged with the host's address; a partial line (a prompt waiting for
input) is sent once the host has been quiet for `PARTIAL_AFTER` seconds. Connections check host
keys like every run (trust on first use, or strict).

Example:
    async with ShellFanout(targets, keys, connect_timeout=10, size=(120, 40)) as shells:
        await shells.send("uptime\r")
        shells.resize(160, 50)
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
TERM_TYPE = "xterm"
DEFAULT_SIZE = (80, 24)
PARTIAL_AFTER = 0.15
_CHUNK = 4096


class ShellFanout:
    def __init__(
        self,
        targets: list[SshTarget],
        keys: HostKeyStore,
        *,
        connect_timeout: float,
        size: tuple[int, int] = DEFAULT_SIZE,
    ) -> None:
        self.targets = targets
        self.keys = keys
        self.connect_timeout = connect_timeout
        self.size = size
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
            elif isinstance(result, asyncssh.Error | OSError):
                failures.append((target.address, f"cannot open a shell: {type(result).__name__}: {result}"))
            elif isinstance(result, BaseException):
                failures.append((target.address, f"{type(result).__name__}: {result}"))
        return failures

    async def _open_one(self, target: SshTarget) -> None:
        session = await open_session(target, self.keys, connect_timeout=self.connect_timeout)
        self._sessions.append(session)
        # SshSession runs single commands; a terminal needs a long-lived shell on its connection.
        connection: asyncssh.SSHClientConnection = session._connection
        cols, rows = self.size
        process = await connection.create_process(
            term_type=TERM_TYPE, term_size=(cols, rows), encoding="utf-8", errors="replace"
        )
        self._processes.append((target.address, process))
        self._readers.append(asyncio.ensure_future(self._read(target.address, process)))

    async def _read(self, ip: str, process: asyncssh.SSHClientProcess[str]) -> None:
        """Chunks from the PTY → lines; a partial line goes out when the host falls quiet."""
        chunks: asyncio.Queue[str] = asyncio.Queue()

        async def pull() -> None:
            try:
                while chunk := await process.stdout.read(_CHUNK):
                    chunks.put_nowait(chunk)
            except (asyncssh.Error, OSError):
                pass
            chunks.put_nowait("")

        puller = asyncio.ensure_future(pull())
        partial = ""
        try:
            while True:
                try:
                    chunk = await asyncio.wait_for(chunks.get(), timeout=PARTIAL_AFTER if partial else None)
                except TimeoutError:
                    await self._queue.put((ip, partial))
                    partial = ""
                    continue
                if not chunk:
                    break
                *lines, partial = (partial + chunk).split("\n")
                for line in lines:
                    await self._queue.put((ip, line.rstrip("\r")))
            if partial:
                await self._queue.put((ip, partial))
            await self._queue.put((ip, "[the shell ended]"))
        finally:
            puller.cancel()

    @property
    def reachable(self) -> list[str]:
        return [ip for ip, _ in self._processes]

    async def send(self, keys: str) -> None:
        """Keystrokes as typed (a line ends with "\\r" or "\\n"), to every host's terminal."""
        for _, process in self._processes:
            if not process.stdin.is_closing():
                process.stdin.write(keys)

    def resize(self, cols: int, rows: int) -> None:
        """The client's window changed: every host's terminal follows (SIGWINCH on the host)."""
        self.size = (cols, rows)
        for _, process in self._processes:
            if not process.stdin.is_closing():
                process.change_terminal_size(cols, rows)

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
