"""Throwaway databases: a SQLite file, or a fresh PostgreSQL database when one is reachable."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

PG_DSN = os.environ.get("OPSGRAPH_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")


def _admin_dsn() -> str:
    return PG_DSN


async def _pg(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_admin_dsn(), timeout=3)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def postgres_unavailable_reason() -> str | None:
    """None when PostgreSQL answers; otherwise why the PostgreSQL cases are skipped."""
    try:
        asyncio.run(_pg("SELECT 1"))
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_DSN}: {type(exc).__name__}: {exc}"
    return None


def create_postgres_database() -> str:
    name = f"opsgraph_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    base, _, _ = PG_DSN.rpartition("/")
    return f"{base}/{name}"


def drop_postgres_database(url: str) -> None:
    name = url.rpartition("/")[2]
    asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def sqlite_url(directory: Path) -> str:
    return f"sqlite://{directory / 'opsgraph.sqlite3'}"
