"""Pushing files to one host over SFTP, from content uploaded to the server or from another host.

Each source is fetched once per step (not once per target) and shared by every target.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import posixpath
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from opsgraph.executors.ssh import SshFailure, SshSession
from opsgraph.models.tasks import HostFailure


@dataclass(frozen=True)
class FileSource:
    name: str
    data: bytes


SourceReader = Callable[[int, str], Awaitable[bytes]]  # (host id, remote path) → bytes


class SourceCache:
    """Per-step: each source is loaded once; every target awaits the same load."""

    def __init__(self, read_from_host: SourceReader) -> None:
        self._read_from_host = read_from_host
        self._loads: dict[str, asyncio.Future[FileSource]] = {}

    async def get(self, spec: dict[str, Any]) -> FileSource:
        key = repr(sorted(spec.items()))
        if key not in self._loads:
            self._loads[key] = asyncio.ensure_future(self._load(spec))
        return await asyncio.shield(self._loads[key])

    async def _load(self, spec: dict[str, Any]) -> FileSource:
        if "content_b64" in spec:
            return _inline_source(spec)
        path = str(spec.get("path") or "")
        data = await self._read_from_host(int(spec["host_id"]), path)
        return FileSource(name=posixpath.basename(path.rstrip("/")), data=data)


def _inline_source(spec: dict[str, Any]) -> FileSource:
    name = str(spec.get("name") or "")
    if not name or "/" in name or name in {".", ".."}:
        raise SshFailure(HostFailure.FILE_MISSING, f"invalid file name {name!r}")
    try:
        data = base64.b64decode(str(spec["content_b64"]), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SshFailure(HostFailure.FILE_MISSING, f"content of {name} is not valid base64") from exc
    return FileSource(name=name, data=data)


async def push_files(
    session: SshSession, sources: list[FileSource], *, target_dir: str, mode: int | None, owner: str | None
) -> list[str]:
    """Write every source into `target_dir` (created when missing); returns the remote paths."""
    lines: list[str] = []

    async def collect(stream: str, line: str) -> None:
        lines.append(line)

    made = await session.run(f"mkdir -p {shlex.quote(target_dir)}", on_output=collect, timeout=30, cancel=None)
    if made.exit_code != 0:
        detail = "; ".join(lines)[:300]
        raise SshFailure(HostFailure.FILE_TRANSFER_FAILED, f"cannot create {target_dir}: {detail}")
    written: list[str] = []
    for source in sources:
        remote = posixpath.join(target_dir, source.name)
        await session.put_file(source.data, remote, mode=mode, owner=owner)
        written.append(remote)
    return written
