"""A journal of principal changes in the data directory: how processes on one machine tell each other
that what they cached about a user is stale.

Servers cache who a login token stands for (`principal_cache`), but the operator's CLI is another
process: `opsgraph admin revoke-tokens alice` must take effect on the running server at once, and so
must a role granted by a second server on the same data directory. Each change appends one line to
`<data dir>/principal-changes` — a user id, or `*` for everyone — and every process stats the file
before it trusts its cache: one system call, no SQL. Only the lines appended since the last look are
read. Appending a few bytes with O_APPEND is atomic and the size only grows, so no change can slip
between two looks; past `ROTATE_BYTES` a writer starts a new file, which readers see as a different
file (or a smaller one) and answer by forgetting everything.

Machines that share the database but not this directory learn of changes through the scale-out
relay instead (see `principal_cache.install_announcer`); the cache's short lifetime bounds the rest.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("opsgraph.auth")

JOURNAL_NAME = "principal-changes"
ROTATE_BYTES = 1 << 20
EVERYONE = "*"


def journal_path(data_dir: Path) -> Path:
    return data_dir / JOURNAL_NAME


def record_change(data_dir: Path, user_id: int | None) -> None:
    """Tell the other processes on this machine that `user_id` (None: every user) changed.

    The database change is already committed; failing to write here only delays other processes
    by the cache's lifetime, so it is logged rather than raised."""
    path = journal_path(data_dir)
    line = f"{EVERYONE if user_id is None else int(user_id)}\n".encode()
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > ROTATE_BYTES:
            fresh = path.with_name(f"{JOURNAL_NAME}.{os.getpid()}.new")
            fresh.write_bytes(f"{EVERYONE}\n".encode())
            os.replace(fresh, path)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError as exc:
        log.warning("cannot record a principal change in %s (%s): other processes notice it later", path, exc)


@dataclass(frozen=True)
class Changes:
    """What changed since the last look: some users, or everyone."""

    user_ids: frozenset[int] = frozenset()
    everyone: bool = False

    def __bool__(self) -> bool:
        return self.everyone or bool(self.user_ids)


NOTHING = Changes()


class JournalReader:
    """One process's position in the journal."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._name = str(path)  # os.stat on a str: no Path conversion on every request
        self._file: tuple[int, int] | None = None  # (device, inode) of the file last read
        self._offset = 0
        self._started = False

    def poll(self) -> Changes:
        try:
            status = os.stat(self._name)
        except OSError:
            status = None
        if not self._started:
            # Nothing was cached before the first look: start at the current end.
            self._started = True
            self._remember(status)
            return NOTHING
        if status is None:
            return self._restart(None) if self._file is not None else NOTHING
        identity = (status.st_dev, status.st_ino)
        if identity != self._file or status.st_size < self._offset:
            return self._restart(status)
        if status.st_size == self._offset:
            return NOTHING
        return self._read_new(status.st_size)

    def _remember(self, status: os.stat_result | None) -> None:
        self._file = None if status is None else (status.st_dev, status.st_ino)
        self._offset = 0 if status is None else status.st_size

    def _restart(self, status: os.stat_result | None) -> Changes:
        self._remember(status)
        return Changes(everyone=True)

    def _read_new(self, size: int) -> Changes:
        try:
            with open(self.path, "rb") as journal:
                journal.seek(self._offset)
                appended = journal.read(size - self._offset)
        except OSError:
            return self._restart(None)
        complete = appended[: appended.rfind(b"\n") + 1]  # a line still being written waits
        self._offset += len(complete)
        users: set[int] = set()
        for line in complete.split():
            if not line.isdigit():
                return Changes(everyone=True)  # `*`, or anything unexpected: forget everything
            users.add(int(line))
        return Changes(user_ids=frozenset(users))
