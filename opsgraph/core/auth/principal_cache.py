"""Who a recently verified credential stands for, kept so that authenticating a request costs no SQL
(a login token cost three statements: revocation, user, roles).

An entry goes at once when anything that shapes a principal changes — logout, a role granted or
revoked, a user disabled or its tokens revoked: `resolvers.identity` calls
`announce_principal_change(user_id)`, which
- forgets the user here (`invalidate_principal`);
- appends the user id to the data directory's journal (`principal_changes`), which every process on
  this machine — the running server when the CLI made the change — reads before it trusts an entry;
- hands the user id to the announcer the scale-out relay installs (`install_announcer`); a process
  that receives it from another machine calls `invalidate_principal(user_id)`.

For what nobody announces (a row edited by hand), an entry is re-read from the database when it is
older than `TTL_SECONDS`: the request that finds it so is answered from the entry and the re-read
runs beside it (`Hit.stale`), so no request's SQL count depends on the clock; an entry unused for
`IDLE_SECONDS`, or past its credential's expiry, is read again before it is trusted. A read that
began before an invalidation stores nothing (`generation`), so a principal read just before a change
cannot outlive it.

Example (resolvers.identity.principal_from_token):
    hit = principal_cache.lookup(key, settings.data_dir)
    if hit is None:
        generation = principal_cache.generation
        principal = ...  # from the database
        principal_cache.store(key, principal, expires_at=claims["exp"], generation=generation)
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path

from opsgraph.core.auth.principal import Principal
from opsgraph.core.auth.principal_changes import JournalReader, journal_path, record_change

TTL_SECONDS = 10.0
IDLE_SECONDS = 300.0
MAX_ENTRIES = 10_000

Announcer = Callable[[int | None], None]


@dataclass(slots=True)
class _Entry:
    principal: Principal
    expires_at: float  # wall clock (time.time()): the credential's own expiry
    read_at: float  # monotonic
    used_at: float  # monotonic
    refreshing: bool = False


@dataclass(frozen=True)
class Hit:
    principal: Principal
    stale: bool  # older than the TTL: the caller re-reads it beside the request (exactly one caller)


class PrincipalCache:
    def __init__(
        self, ttl_seconds: float = TTL_SECONDS, idle_seconds: float = IDLE_SECONDS, max_entries: int = MAX_ENTRIES
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.idle_seconds = idle_seconds
        self.max_entries = max_entries
        self.generation = 0  # moves on with every invalidation
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._journal: JournalReader | None = None
        self._data_dir: Path | None = None

    def lookup(self, key: Hashable, data_dir: Path) -> Hit | None:
        self._read_journal(data_dir)
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = time.monotonic()
        if entry.used_at + self.idle_seconds <= now or entry.expires_at <= time.time():
            del self._entries[key]
            return None
        entry.used_at = now
        self._entries.move_to_end(key)
        stale = entry.read_at + self.ttl_seconds <= now and not entry.refreshing
        entry.refreshing = entry.refreshing or stale
        return Hit(entry.principal, stale)

    def store(self, key: Hashable, principal: Principal, *, expires_at: float, generation: int) -> None:
        if generation != self.generation:
            # Something changed while the principal was being read: it may be stale. An entry still
            # here was not about that change; the next request re-reads it again.
            entry = self._entries.get(key)
            if entry is not None:
                entry.refreshing = False
            return
        now = time.monotonic()
        self._entries[key] = _Entry(principal, expires_at, read_at=now, used_at=now)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def forget_user(self, user_id: int) -> None:
        self.generation += 1
        for key in [key for key, entry in self._entries.items() if entry.principal.user_id == user_id]:
            del self._entries[key]

    def forget_all(self) -> None:
        self.generation += 1
        self._entries.clear()

    def _read_journal(self, data_dir: Path) -> None:
        if self._journal is None or self._data_dir is not data_dir:
            path = journal_path(data_dir)
            if self._journal is None or self._journal.path != path:
                self.forget_all()
                self._journal = JournalReader(path)
            self._data_dir = data_dir  # the settings' own object: one identity test per request after this
        changes = self._journal.poll()
        if changes.everyone:
            self.forget_all()
        for user_id in changes.user_ids:
            self.forget_user(user_id)


principal_cache = PrincipalCache()
_announcer: Announcer | None = None


def invalidate_principal(user_id: int | None) -> None:
    """Forget what this process cached about `user_id` (None: about everyone)."""
    if user_id is None:
        principal_cache.forget_all()
    else:
        principal_cache.forget_user(user_id)


def install_announcer(announcer: Announcer | None) -> None:
    """Also hand every change to `announcer` (the scale-out relay carries it to other machines)."""
    global _announcer
    _announcer = announcer


def announce_principal_change(data_dir: Path, user_id: int | None) -> None:
    """`user_id`'s roles, status or tokens changed (None: any user's): every process must re-read."""
    invalidate_principal(user_id)
    record_change(data_dir, user_id)
    if _announcer is not None:
        _announcer(user_id)
