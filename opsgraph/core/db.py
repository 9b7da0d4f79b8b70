"""Database wiring: one Tortoise config for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode with a busy timeout so readers never block the single writer.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tortoise import Tortoise
from tortoise.exceptions import BaseORMException

from opsgraph.core.errors import ConfigurationError

MODEL_MODULES = [
    "opsgraph.models.topology",
    "opsgraph.models.identity",
    "opsgraph.models.audit",
    "opsgraph.models.jobs",
    "opsgraph.models.tasks",
    "opsgraph.models.security",
    "opsgraph.models.agents",
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


def ensure_sqlite_directory(database_url: str) -> None:
    if is_sqlite(database_url) and ":memory:" not in database_url:
        path = database_url[len("sqlite://") :].split("?", 1)[0]
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


async def apply_migrations(database_url: str) -> None:
    """Bring the schema up to date with the committed migrations (idempotent)."""
    from tortoise.migrations.api import migrate

    ensure_sqlite_directory(database_url)
    try:
        await migrate(config=tortoise_config(database_url))
    except BaseORMException as exc:
        raise ConfigurationError(f"migration failed: {exc}") from exc
    finally:
        await Tortoise.close_connections()


async def open_database(database_url: str) -> None:
    """Tortoise ≥1.0 keeps its state in a context variable; the server opens it in the lifespan
    task and serves requests from other tasks, so the context is also made the global fallback."""
    ensure_sqlite_directory(database_url)
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
