"""Database wiring: one Tortoise config for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode with a busy timeout so readers never block the single writer.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tortoise import Tortoise
from tortoise.exceptions import BaseORMException

from opsgraph.core.errors import ConfigurationError

log = logging.getLogger(__name__)

MODEL_MODULES = [
    "opsgraph.models.topology",
    "opsgraph.models.identity",
    "opsgraph.models.audit",
    "opsgraph.models.jobs",
    "opsgraph.models.tasks",
    "opsgraph.models.security",
    "opsgraph.models.agents",
    "opsgraph.models.pipelines",
    "opsgraph.models.tickets",
    "opsgraph.models.cmdb_groups",
    "opsgraph.models.privileges",
    "opsgraph.models.cmdb_events",
    "opsgraph.models.messaging",
    "opsgraph.models.monitoring_metrics",
    "opsgraph.models.monitoring_alarms",
    "opsgraph.models.monitoring_checks",
    "opsgraph.models.cmdb_models",
    "opsgraph.models.cmdb_instances",
    "opsgraph.models.service_tree",
    "opsgraph.models.service_tree_agents",
    "opsgraph.models.leases",
    "opsgraph.models.remote_processes",
]
SQLITE_PRAGMAS = "journal_mode=WAL&busy_timeout=5000&synchronous=NORMAL&foreign_keys=ON"


def normalise_database_url(url: str) -> str:
    """Accept the usual spellings (postgresql://, postgres://, sqlite://) and add SQLite pragmas."""
    if url.startswith("postgresql://"):
        url = "postgres://" + url[len("postgresql://") :]
    if url.startswith("postgresql+asyncpg://"):
        url = "asyncpg://" + url[len("postgresql+asyncpg://") :]
    if url.startswith("sqlite://") and "?" not in url and url != "sqlite://:memory:":
        url = f"{url}?{SQLITE_PRAGMAS}"
    if not url.startswith(("sqlite://", "postgres://", "asyncpg://")):
        raise ConfigurationError(f"unsupported database URL {url!r}: use sqlite:// or postgres://")
    return url


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": normalise_database_url(database_url)},
        "apps": {
            "opsgraph": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "opsgraph.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# Read by the `tortoise` CLI (see [tool.tortoise] in pyproject.toml) to generate migrations.
TORTOISE_ORM = tortoise_config(os.environ.get("OPSGRAPH_DATABASE_URL", "sqlite://:memory:"))


def is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite://")


# Owner-only: the server's own user, nobody else on the machine.
SQLITE_DIRECTORY_MODE = 0o700
SQLITE_FILE_MODE = 0o600
SQLITE_SIBLING_SUFFIXES = ("-wal", "-shm", "-journal")


def prepare_sqlite_file(database_url: str) -> None:
    """Create the SQLite file's directory (0700) and the file itself (0600), and check that it opens.

    The file is created before SQLite opens it, so it is never world-readable, not even briefly;
    SQLite gives its -wal/-shm files the database file's mode. A database and siblings left readable
    by an older version are made private. An existing directory keeps its mode: it may be the
    working directory or /tmp. The open check runs here, with the stdlib driver, because Tortoise's
    SQLite client keeps its connection lock when opening the file fails, and the migration executor
    then waits on it forever.
    """
    if not is_sqlite(database_url) or ":memory:" in database_url:
        return
    path = database_url[len("sqlite://") :].split("?", 1)[0]
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, mode=SQLITE_DIRECTORY_MODE, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"cannot create the SQLite directory {directory}: {exc.strerror or exc}") from exc
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, SQLITE_FILE_MODE))
        for candidate in (path, *(path + suffix for suffix in SQLITE_SIBLING_SUFFIXES)):
            _make_private(candidate)
    except OSError as exc:
        reason = exc.strerror or exc
        raise ConfigurationError(f"opening {describe_database_url(database_url)} failed: {reason}") from exc
    try:
        sqlite3.connect(path).close()
    except sqlite3.Error as exc:
        raise ConfigurationError(f"opening {describe_database_url(database_url)} failed: {exc}") from exc


def _make_private(path: str) -> None:
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        os.chmod(path, mode & ~0o077)


def describe_database_url(database_url: str) -> str:
    """The URL fit for messages and logs: no password, no query string (SQLite pragmas)."""
    parts = urlsplit(database_url)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.split(':', 1)[0]}:***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _driver_errors() -> tuple[type[BaseException], ...]:
    """What the drivers raise when a database cannot be reached or opened (asyncpg is optional)."""
    errors: tuple[type[BaseException], ...] = (BaseORMException, OSError, sqlite3.Error)
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - installed with tortoise-orm[asyncpg]
        return errors
    return (*errors, asyncpg.PostgresError, asyncpg.InterfaceError)


@contextmanager
def database_errors(database_url: str, action: str) -> Iterator[None]:
    """Map driver and ORM exceptions to one ConfigurationError line naming the (redacted) database."""
    try:
        yield
    except ConfigurationError:
        raise
    except _driver_errors() as exc:
        raise ConfigurationError(f"{action} {describe_database_url(database_url)} failed: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    """asyncio's connect errors read "[Errno 111] Connect call failed (…)": name the errno in words."""
    if isinstance(exc, OSError) and exc.errno:
        words = os.strerror(exc.errno)
        return words if not exc.strerror or exc.strerror == words else f"{words} ({exc.strerror})"
    return str(exc).strip() or type(exc).__name__


async def apply_migrations(database_url: str) -> list[str]:
    """Bring the schema up to date with the committed migrations (idempotent).

    Returns the names of the migrations applied now (empty: the database was up to date).
    """
    from tortoise.migrations.api import migrate

    applied: list[str] = []

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(name)

    prepare_sqlite_file(database_url)
    try:
        with database_errors(database_url, "migrating"):
            await migrate(config=tortoise_config(database_url), progress=progress)
    finally:
        await Tortoise.close_connections()
    return applied


async def open_database(database_url: str) -> None:
    """Tortoise ≥1.0 keeps its state in a context variable; the server opens it in the lifespan
    task and serves requests from other tasks, so the context is also made the global fallback."""
    prepare_sqlite_file(database_url)
    with database_errors(database_url, "opening"):
        await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close_database() -> None:
    await Tortoise.close_connections()


@asynccontextmanager
async def database(database_url: str) -> AsyncIterator[None]:
    await open_database(database_url)
    try:
        yield
    finally:
        await close_database()
