"""Fetching one file source over SFTP: a file, a directory tree, or what a `REGEX:` pattern matches.

A source is read once per step, on its own host and with its own account (the step's when it names
none), and the result is shared by every target. What may come back is bounded: files per pattern,
entries per directory tree and bytes per source (`SourceLimits`, from settings); a source over a
bound is refused whole (FILE_LIMIT_EXCEEDED) before its content is read. Every failure is an
`SshFailure` whose message names the source host, so each target can report it as its own reason.

Example:
    bundle = await fetch_source({"host_id": 7, "ip": "10.0.0.7", "path": "/etc/app/"}, open_source, limits)
    # SourceBundle(origin="10.0.0.7:/etc/app/", entries=(SourceEntry("app", None, 0o755), …))
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import posixpath
import stat
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar, cast

import asyncssh

from opsgraph.executors.source_paths import (
    UPLOAD_SOURCE_IP,
    BadSourcePath,
    SourceKind,
    SourcePath,
    compile_pattern,
    parse_source_path,
)
from opsgraph.executors.ssh import SshFailure, SshSession
from opsgraph.models.tasks import HostFailure

T = TypeVar("T")
SourceOpener = Callable[[int, int | None], Awaitable[SshSession]]  # (host id, account id or None) → session
_READ_CONCURRENCY = 8  # SFTP reads in flight per source


@dataclass(frozen=True)
class SourceLimits:
    pattern_max_matches: int = 1000
    directory_max_entries: int = 10_000
    max_bytes: int = 512 * 1024 * 1024


@dataclass(frozen=True)
class SourceEntry:
    path: str  # relative to the target directory: "app.conf", "logs", "logs/2024/a.log"
    data: bytes | None  # None: a directory
    mode: int | None  # permission bits on the source host; None for uploaded content


@dataclass(frozen=True)
class SourceBundle:
    origin: str  # "10.0.0.7:/var/log/REGEX:…" or "upload app.conf", for logs and reasons
    source_ip: str  # what [FILESRCIP] becomes for these files
    entries: tuple[SourceEntry, ...]
    tree: str | None = None  # a directory source: the entry that is its root
    skipped: tuple[str, ...] = field(default=())  # left out of a tree: symlinks, devices, sockets…


async def fetch_source(spec: dict[str, Any], open_source: SourceOpener, limits: SourceLimits) -> SourceBundle:
    if "content_b64" in spec:
        return _upload(spec)
    ip = str(spec.get("ip") or f"host {spec.get('host_id')}")
    try:
        path = parse_source_path(spec.get("path"))
    except BadSourcePath as exc:  # only stored specs from before a check could get here
        raise SshFailure(HostFailure.FILE_MISSING, f"source {ip}:{spec.get('path')}: {exc}") from exc
    account_id = spec.get("account_id")
    try:
        session = await open_source(int(spec["host_id"]), int(account_id) if account_id is not None else None)
    except SshFailure as exc:
        raise SshFailure(exc.failure, f"source host {ip}: {exc.message}") from exc
    reader = _Reader(session, limits, ip)
    if path.kind == SourceKind.PATTERN:
        return await reader.pattern(path)
    if path.kind == SourceKind.DIRECTORY:
        return await reader.tree(path)
    return await reader.file(path)


def _upload(spec: dict[str, Any]) -> SourceBundle:
    name = str(spec.get("name") or "")
    if not name or "/" in name or name in {".", ".."}:
        raise SshFailure(HostFailure.FILE_MISSING, f"invalid file name {name!r}")
    try:
        data = base64.b64decode(str(spec["content_b64"]), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SshFailure(HostFailure.FILE_MISSING, f"content of {name} is not valid base64") from exc
    return SourceBundle(f"upload {name}", UPLOAD_SOURCE_IP, (SourceEntry(name, data, None),))


class _Reader:
    def __init__(self, session: SshSession, limits: SourceLimits, ip: str) -> None:
        self.session, self.limits, self.ip = session, limits, ip
        self.total = 0

    async def file(self, path: SourcePath) -> SourceBundle:
        full = path.text
        attrs = await self._call(full, self._stat(full))
        if stat.S_ISDIR(attrs.permissions or 0):
            raise SshFailure(
                HostFailure.FILE_MISSING, f"{full} on {self.ip} is a directory: end the path with / to copy it whole"
            )
        self._count_bytes(attrs.size or 0, full)
        data = await self._read(full)
        return SourceBundle(f"{self.ip}:{full}", self.ip, (SourceEntry(path.name, data, _bits(attrs)),))

    async def pattern(self, path: SourcePath) -> SourceBundle:
        expression = compile_pattern(path.name)
        names = await self._call(path.directory, self._listing(path.directory))
        matched = sorted(
            (name for name in names if expression.fullmatch(name.filename) is not None),
            key=lambda name: name.filename,
        )
        candidates = [n for n in matched if not stat.S_ISDIR(n.attrs.permissions or 0)]
        if len(candidates) > self.limits.pattern_max_matches:
            raise SshFailure(
                HostFailure.FILE_LIMIT_EXCEEDED,
                f"{path.text} matches {len(candidates)} files on {self.ip}: one pattern may bring at most "
                f"{self.limits.pattern_max_matches} (OPSGRAPH_FILE_PATTERN_MAX_MATCHES)",
            )
        files: list[tuple[str, asyncssh.SFTPAttrs]] = []
        for name in candidates:
            full = posixpath.join(path.directory, name.filename)
            attrs = name.attrs
            if stat.S_ISLNK(attrs.permissions or 0):  # a link to a regular file counts as that file
                attrs = await self._call(full, self._stat(full, missing_ok=True))
            if stat.S_ISREG(attrs.permissions or 0):
                self._count_bytes(attrs.size or 0, path.text)
                files.append((name.filename, attrs))
        if not files:
            raise SshFailure(
                HostFailure.FILE_MISSING,
                f"no file in {path.directory} on {self.ip} matches {path.name!r} ({path.text})",
            )
        contents = await self._read_many([posixpath.join(path.directory, name) for name, _ in files])
        entries = tuple(
            SourceEntry(name, data, _bits(attrs)) for (name, attrs), data in zip(files, contents, strict=True)
        )
        return SourceBundle(f"{self.ip}:{path.text}", self.ip, entries)

    async def tree(self, path: SourcePath) -> SourceBundle:
        root = path.directory
        attrs = await self._call(root, self._stat(root))
        if not stat.S_ISDIR(attrs.permissions or 0):
            raise SshFailure(HostFailure.FILE_MISSING, f"{path.text} on {self.ip} is not a directory")
        directories: list[SourceEntry] = [SourceEntry(path.name, None, _bits(attrs))]
        files: list[tuple[str, str, asyncssh.SFTPAttrs]] = []  # (relative, absolute, attrs)
        skipped: list[str] = []
        pending = [(root, path.name)]
        while pending:
            directory, relative = pending.pop()
            for name in sorted(await self._call(directory, self._listing(directory)), key=lambda n: n.filename):
                absolute, inside = posixpath.join(directory, name.filename), posixpath.join(relative, name.filename)
                mode = name.attrs.permissions or 0
                if stat.S_ISDIR(mode):
                    directories.append(SourceEntry(inside, None, stat.S_IMODE(mode)))
                    pending.append((absolute, inside))
                elif stat.S_ISREG(mode):
                    self._count_bytes(name.attrs.size or 0, path.text)
                    files.append((inside, absolute, name.attrs))
                else:  # symlinks are not followed (no loops, nothing outside the tree), devices not copied
                    skipped.append(inside)
                if len(directories) + len(files) > self.limits.directory_max_entries:
                    raise SshFailure(
                        HostFailure.FILE_LIMIT_EXCEEDED,
                        f"{path.text} on {self.ip} holds more than {self.limits.directory_max_entries} files and "
                        "directories (OPSGRAPH_FILE_DIRECTORY_MAX_ENTRIES)",
                    )
        contents = await self._read_many([absolute for _, absolute, _ in files])
        entries = directories + [
            SourceEntry(inside, data, _bits(attrs)) for (inside, _, attrs), data in zip(files, contents, strict=True)
        ]
        return SourceBundle(f"{self.ip}:{path.text}", self.ip, tuple(entries), tree=path.name, skipped=tuple(skipped))

    # --- SFTP, with asyncssh errors mapped here ---------------------------------------------------------

    async def _stat(self, full: str, *, missing_ok: bool = False) -> asyncssh.SFTPAttrs:
        sftp = await self.session.sftp()
        try:
            return await sftp.stat(full)
        except (asyncssh.SFTPNoSuchFile, asyncssh.SFTPNoSuchPath):
            if missing_ok:  # a dangling link matched by a pattern: not a file, so not taken
                return asyncssh.SFTPAttrs()
            raise

    async def _listing(self, directory: str) -> list[asyncssh.SFTPName]:
        sftp = await self.session.sftp()
        return [name for name in await sftp.readdir(directory) if name.filename not in {".", ".."}]

    async def _read(self, full: str) -> bytes:
        async def read() -> bytes:
            sftp = await self.session.sftp()
            async with sftp.open(full, "rb", encoding=None) as remote:
                data = await remote.read()
            return cast(bytes, data)  # opened with encoding=None: bytes

        return await self._call(full, read())

    async def _read_many(self, paths: list[str]) -> list[bytes]:
        return await all_bounded([partial(self._read, full) for full in paths], _READ_CONCURRENCY)

    def _count_bytes(self, size: int, what: str) -> None:
        self.total += size
        if self.total > self.limits.max_bytes:
            raise SshFailure(
                HostFailure.FILE_LIMIT_EXCEEDED,
                f"{what} on {self.ip} is larger than {self.limits.max_bytes} bytes (OPSGRAPH_FILE_SOURCE_MAX_BYTES)",
            )

    async def _call(self, full: str, work: Awaitable[Any]) -> Any:
        try:
            return await work
        except (asyncssh.SFTPNoSuchFile, asyncssh.SFTPNoSuchPath) as exc:
            raise SshFailure(HostFailure.FILE_MISSING, f"{full} does not exist on {self.ip}") from exc
        except asyncssh.SFTPPermissionDenied as exc:
            user = self.session.target.username
            raise SshFailure(
                HostFailure.FILE_TRANSFER_FAILED, f"cannot read {full} on {self.ip} as {user}: permission denied"
            ) from exc
        except asyncssh.SFTPError as exc:
            raise SshFailure(
                HostFailure.FILE_TRANSFER_FAILED, f"cannot read {full} on {self.ip}: {exc.reason}"
            ) from exc
        except (asyncssh.Error, OSError) as exc:
            raise self.session.failure(
                exc, f"cannot read {full} on source {self.ip}", HostFailure.FILE_TRANSFER_FAILED
            ) from exc


async def all_bounded(works: list[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    """Run every work, at most `limit` at once, results in order. The first failure stops the rest
    (nothing keeps reading or writing for a host that has already failed) and is raised as itself."""
    slots = asyncio.Semaphore(limit)

    async def one(work: Callable[[], Awaitable[T]]) -> T:
        async with slots:
            return await work()

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(work)) for work in works]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


def _bits(attrs: asyncssh.SFTPAttrs) -> int | None:
    return stat.S_IMODE(attrs.permissions) if attrs.permissions is not None else None
