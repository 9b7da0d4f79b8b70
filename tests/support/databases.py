"""Throwaway databases: a SQLite file, or a fresh PostgreSQL database when one is reachable.

A test server's database starts as a copy of a migrated template: applying the migrations to an empty
database costs ~15 s of CPU (tortoise re-renders every model state once per operation), and the suite
starts dozens of servers. Each template is built once per machine by `opsgraph migrate` itself, keyed
by the content of the migrations, and copied (SQLite's backup API; PostgreSQL's `CREATE DATABASE …
TEMPLATE`). The servers still run `opsgraph migrate` on their copy (a no-op that proves it current);
the CLI tests that exercise a first migration use `sqlite_url` on an empty directory.
"""

from __future__ import annotations

import asyncio
import fcntl
import functools
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import opsgraph

PG_DSN = os.environ.get("OPSGRAPH_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
TEMPLATES = Path(tempfile.gettempdir()) / "opsgraph-test-templates"
MIGRATIONS = Path(opsgraph.__file__).parent / "migrations"
# Any 32+ character key: migrations write no secrets.
_TEMPLATE_SECRET_KEY = "template-secret-key-long-enough-for-hs256-0123456789"


async def _pg(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_DSN, timeout=3)
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


def _pg_url(name: str) -> str:
    base, _, _ = PG_DSN.rpartition("/")
    return f"{base}/{name}"


async def _pg_socket_directories() -> tuple[list[str], int]:
    import asyncpg

    connection = await asyncpg.connect(PG_DSN, timeout=3)
    try:
        listed = await connection.fetchval("SHOW unix_socket_directories")
        port = await connection.fetchval("SHOW port")
    finally:
        await connection.close()
    return [d.strip() for d in str(listed).split(",") if d.strip()], int(port)


@functools.cache
def _pg_socket_directory() -> tuple[str | None, str]:
    """The directory of the PostgreSQL server's Unix socket on this machine, or None and why not.
    Abstract sockets (`@name`) are left out: they belong to a network namespace."""
    try:
        directories, port = asyncio.run(_pg_socket_directories())
    except Exception as exc:
        return None, f"PostgreSQL not reachable at {PG_DSN}: {type(exc).__name__}: {exc}"
    for directory in directories:
        if not directory.startswith("@") and (Path(directory) / f".s.PGSQL.{port}").is_socket():
            return directory, ""
    return None, (
        f"PostgreSQL at {PG_DSN} has no Unix socket on this machine (unix_socket_directories = "
        f"{', '.join(directories) or 'none'}, port {port}): a server in a network namespace cannot reach it"
    )


def postgres_socket_unavailable_reason() -> str | None:
    """None when PostgreSQL can be reached through its Unix socket here (from any network namespace)."""
    directory, reason = _pg_socket_directory()
    return None if directory is not None else reason


def postgres_socket_url(url: str) -> str:
    """`url` (a database on the server of PG_DSN) through the server's Unix socket instead of TCP:
    asyncpg takes the socket's directory as `host`."""
    directory, reason = _pg_socket_directory()
    if directory is None:
        raise RuntimeError(reason)
    parts = urlsplit(url)
    user = f"{parts.netloc.rpartition('@')[0]}@" if "@" in parts.netloc else ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}{port}", parts.path, urlencode({"host": directory}), ""))


def create_postgres_database() -> str:
    """A new database holding every migration (a copy of the machine's template)."""
    template = _postgres_template()
    name = f"opsgraph_test_{uuid.uuid4().hex[:12]}"
    for attempt in range(50):
        try:
            asyncio.run(_pg(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
            break
        except Exception as exc:  # another copy of the same template in progress: wait for it
            if "being accessed by other users" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.2)
    return _pg_url(name)


def drop_postgres_database(url: str) -> None:
    name = url.rpartition("/")[2]
    asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def sqlite_url(directory: Path) -> str:
    """The URL of an empty SQLite file in `directory` (`opsgraph migrate` creates it)."""
    return f"sqlite://{directory / 'opsgraph.sqlite3'}"


def migrated_sqlite_url(directory: Path) -> str:
    """A SQLite file in `directory` holding every migration (a copy of the machine's template)."""
    target = directory / "opsgraph.sqlite3"
    source = sqlite3.connect(_sqlite_template())
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    target.chmod(0o600)  # as the server makes its own data files
    return sqlite_url(directory)


def _digest() -> str:
    hashed = hashlib.sha256()
    for path in sorted(MIGRATIONS.glob("*.py")):
        hashed.update(path.name.encode() + b"\0" + path.read_bytes())
    return hashed.hexdigest()[:16]


def _migrate(database_url: str, data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSGRAPH_")}
    env.update(OPSGRAPH_DATABASE_URL=database_url, OPSGRAPH_DATA_DIR=str(data_dir))
    env["OPSGRAPH_SECRET_KEY"] = _TEMPLATE_SECRET_KEY
    done = subprocess.run(
        [sys.executable, "-m", "opsgraph", "migrate"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(f"migrating the template {database_url} failed: {done.stderr[-3000:]}")


class _TemplateLock:
    """One builder per machine at a time (pytest-xdist workers and concurrent runs share templates)."""

    def __enter__(self) -> None:
        TEMPLATES.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._file = open(TEMPLATES / "lock", "w")  # closed in __exit__
        fcntl.flock(self._file, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        self._file.close()


def _sqlite_template() -> Path:
    path = TEMPLATES / f"sqlite-{_digest()}.sqlite3"
    if path.exists():
        return path
    with _TemplateLock():
        if not path.exists():
            building = Path(tempfile.mkdtemp(dir=TEMPLATES))
            _migrate(sqlite_url(building), building)
            os.replace(building / "opsgraph.sqlite3", path)  # appears whole or not at all
            shutil.rmtree(building, ignore_errors=True)
    return path


async def _pg_database_exists(name: str) -> bool:
    import asyncpg

    connection = await asyncpg.connect(PG_DSN, timeout=3)
    try:
        return bool(await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await connection.close()


def _postgres_template() -> str:
    name = f"opsgraph_template_{_digest()}"
    if asyncio.run(_pg_database_exists(name)):
        return name
    with _TemplateLock():
        if not asyncio.run(_pg_database_exists(name)):
            building = f"opsgraph_template_building_{uuid.uuid4().hex[:12]}"
            asyncio.run(_pg(f'CREATE DATABASE "{building}"'))
            try:
                with tempfile.TemporaryDirectory() as data_dir:
                    _migrate(_pg_url(building), Path(data_dir))
                asyncio.run(_pg(f'ALTER DATABASE "{building}" RENAME TO "{name}"'))  # whole or not at all
            except BaseException:
                drop_postgres_database(_pg_url(building))
                raise
    return name
