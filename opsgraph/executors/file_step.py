"""Pushing file sources to one target host over SFTP.

Each source is fetched once per step (not once per target: `SourceCache`) and written into the target
directory, where `[FILESRCIP]` becomes the source host's IP. Files keep their source's permission
bits unless the step sets `mode`; directory trees keep theirs (directories included) and get `owner`
recursively. A source that cannot be fetched fails the target with that source's reason after the
other sources were still written, so one missing file does not hide what else happened.
"""

from __future__ import annotations

import asyncio
import posixpath
import shlex
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import asyncssh

from opsgraph.executors.file_sources import (
    SourceBundle,
    SourceEntry,
    SourceLimits,
    SourceOpener,
    all_bounded,
    fetch_source,
)
from opsgraph.executors.source_paths import target_directory
from opsgraph.executors.ssh import SshFailure, SshSession
from opsgraph.models.tasks import HostFailure

_WRITE_CONCURRENCY = 8  # SFTP writes in flight per target
_MAX_REASON = 900  # characters of joined source failures kept in the host's error


class SourceCache:
    """Per step: each source is loaded once; every target awaits the same load (and the same failure)."""

    def __init__(self, open_source: SourceOpener, limits: SourceLimits) -> None:
        self._open_source = open_source
        self._limits = limits
        self._loads: dict[str, asyncio.Future[SourceBundle]] = {}

    async def get(self, spec: dict[str, Any]) -> SourceBundle:
        key = repr(sorted(spec.items()))
        if key not in self._loads:
            load = asyncio.ensure_future(fetch_source(spec, self._open_source, self._limits))
            load.add_done_callback(_retrieve)  # a load every target stopped waiting for may still fail
            self._loads[key] = load
        return await asyncio.shield(self._loads[key])


def _retrieve(future: asyncio.Future[SourceBundle]) -> None:
    if not future.cancelled():
        future.exception()


Emit = Callable[[str, str], Awaitable[None]]


async def push_sources(
    session: SshSession,
    cache: SourceCache,
    specs: list[dict[str, Any]],
    *,
    target_path: str,
    mode: int | None,
    owner: str | None,
    emit: Emit,
) -> list[SshFailure]:
    """Write every source that could be fetched; returns the failures of those that could not."""
    failures: list[SshFailure] = []
    made: set[str] = set()
    for spec in specs:
        try:
            bundle = await cache.get(spec)
        except SshFailure as failure:
            failures.append(failure)
            await emit("stderr", failure.message)
            continue
        destination = target_directory(target_path, bundle.source_ip)
        if destination not in made:
            await _make_directory(session, destination)
            made.add(destination)
        await _write_bundle(session, bundle, destination, mode=mode, owner=owner, emit=emit)
    return failures


def joined_reason(failures: list[SshFailure]) -> tuple[HostFailure, str]:
    """One host failure for several source failures: the first one's kind, every message."""
    message = "; ".join(failure.message for failure in failures)
    if len(message) > _MAX_REASON:
        message = message[: _MAX_REASON - 1] + "…"
    return failures[0].failure, message


async def _make_directory(session: SshSession, directory: str) -> None:
    lines: list[str] = []

    async def collect(stream: str, line: str) -> None:
        lines.append(line)

    made = await session.run(f"mkdir -p -- {shlex.quote(directory)}", on_output=collect, timeout=30, cancel=None)
    if made.exit_code != 0:
        detail = "; ".join(lines)[:300]
        raise SshFailure(HostFailure.FILE_TRANSFER_FAILED, f"cannot create {directory}: {detail}")


async def _write_bundle(
    session: SshSession, bundle: SourceBundle, destination: str, *, mode: int | None, owner: str | None, emit: Emit
) -> None:
    directories = [entry for entry in bundle.entries if entry.data is None]
    for entry in directories:  # parents first: entries of a tree come in walk order
        await _sftp(session, f"cannot create {entry.path} in {destination}", _mkdir(session, destination, entry.path))
    in_tree = bundle.tree is not None

    async def write(entry: SourceEntry) -> None:
        assert entry.data is not None
        remote = posixpath.join(destination, entry.path)
        # A tree gets its owner in one `chown -R` at the end; single files as they are written.
        bits = mode if mode is not None else entry.mode
        await session.put_file(entry.data, remote, mode=bits, owner=None if in_tree else owner)
        await emit("stdout", f"wrote {remote}")

    files = [entry for entry in bundle.entries if entry.data is not None]
    await all_bounded([partial(write, entry) for entry in files], _WRITE_CONCURRENCY)
    for entry in reversed(directories):  # children first, so a read-only parent is set last
        if entry.mode is not None:
            remote = posixpath.join(destination, entry.path)
            await _sftp(session, f"cannot set the mode of {remote}", _chmod(session, remote, entry.mode))
    if in_tree and owner:
        root = posixpath.join(destination, str(bundle.tree))
        await _chown_tree(session, root, owner)
    for skipped in bundle.skipped:
        await emit(
            "stdout", f"skipped {bundle.origin.rstrip('/')}/{skipped.split('/', 1)[-1]}: not a file or directory"
        )


async def _mkdir(session: SshSession, destination: str, relative: str) -> None:
    sftp = await session.sftp()
    # Owner-writable while the tree is written; the source's mode is set once its files are in.
    await sftp.makedirs(posixpath.join(destination, relative), asyncssh.SFTPAttrs(permissions=0o700), exist_ok=True)
    await sftp.chmod(posixpath.join(destination, relative), 0o700)


async def _chmod(session: SshSession, remote: str, bits: int) -> None:
    sftp = await session.sftp()
    await sftp.chmod(remote, bits)


async def _chown_tree(session: SshSession, root: str, owner: str) -> None:
    lines: list[str] = []

    async def collect(stream: str, line: str) -> None:
        lines.append(line)

    done = await session.run(
        f"chown -R -- {shlex.quote(owner)} {shlex.quote(root)}", on_output=collect, timeout=300, cancel=None
    )
    if done.exit_code != 0:
        detail = "; ".join(lines)[:300]
        raise SshFailure(HostFailure.FILE_TRANSFER_FAILED, f"cannot change the owner of {root} to {owner}: {detail}")


async def _sftp(session: SshSession, doing: str, work: Awaitable[None]) -> None:
    try:
        await work
    except asyncssh.SFTPError as exc:
        raise SshFailure(HostFailure.FILE_TRANSFER_FAILED, f"{doing}: {exc.reason}") from exc
    except (asyncssh.Error, OSError) as exc:
        raise session.failure(exc, doing, HostFailure.FILE_TRANSFER_FAILED) from exc
