"""The data directory and the SQLite files are the server user's alone (issue 7 §2).

The database holds password hashes, encrypted secrets and the audit log; a world-readable file
(SQLite's default 0644) hands them to every local user. Each test starts from a data directory that
does not exist yet and drives the real CLI / server, then reads the modes with `stat`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.support import databases
from tests.support.server import ADMIN_PASSWORD, GraphQLClient, Server

DB_NAME = "opsgraph.sqlite3"


class DefaultsServer(Server):
    """A `Server` whose environment leaves the secret key and database URL unset."""

    def env(self) -> dict[str, str]:
        env = super().env()
        for name in ("OPSGRAPH_SECRET_KEY", "OPSGRAPH_DATABASE_URL"):
            del env[name]
        return env


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def fresh_server(tmp_path: Path, **env: str) -> Server:
    data_dir = tmp_path / "deploy" / "data"  # neither exists yet
    return Server(database_url=databases.sqlite_url(data_dir), data_dir=data_dir, extra_env=env)


def test_migrate_creates_a_private_data_directory_and_database(tmp_path: Path) -> None:
    server = fresh_server(tmp_path)
    assert not server.data_dir.exists()
    server.cli("migrate")
    assert mode(server.data_dir) == 0o700
    database = server.data_dir / DB_NAME
    assert database.stat().st_size > 0, "migrate wrote no schema"
    assert mode(database) == 0o600


def test_dev_mode_creates_the_data_directory_private(tmp_path: Path) -> None:
    """Dev mode creates the directory first, to keep its generated secret there."""
    data_dir = tmp_path / "deploy" / "data"
    # No secret key (dev mode generates one) and no database URL (the default file in the data dir).
    server = DefaultsServer(database_url="", data_dir=data_dir, extra_env={"OPSGRAPH_DEV": "1"})
    server.cli("migrate")
    assert mode(data_dir) == 0o700
    assert mode(data_dir / "secret_key") == 0o600
    assert mode(data_dir / DB_NAME) == 0o600


def test_a_database_left_world_readable_is_made_private(tmp_path: Path) -> None:
    """Files an older version created 0644 lose group and world access at the next start."""
    server = fresh_server(tmp_path)
    server.data_dir.mkdir(parents=True)
    database = server.data_dir / DB_NAME
    for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm"):
        # Empty files are what SQLite leaves for a new database; it opens them as such.
        (server.data_dir / name).touch()
        os.chmod(server.data_dir / name, 0o644)
    server.cli("migrate")
    assert mode(database) == 0o600
    for sibling in server.data_dir.glob(f"{DB_NAME}-*"):
        assert mode(sibling) == 0o600, sibling


def test_a_running_server_keeps_its_wal_and_shm_files_private(tmp_path: Path) -> None:
    server = fresh_server(tmp_path)
    server.cli("migrate")
    server.cli("admin", "create-user", "admin", "--password", ADMIN_PASSWORD, "--superuser")
    token = server.cli("admin", "issue-token", "admin").stdout
    server.start()
    try:
        # A request that reads the database keeps the server's connection (and the WAL) open.
        assert GraphQLClient(server.url, token).ok("{ me { username } }") == {"me": {"username": "admin"}}
        siblings = {path.name: mode(path) for path in server.data_dir.glob(f"{DB_NAME}*")}
    finally:
        server.stop()
    assert {f"{DB_NAME}-wal", f"{DB_NAME}-shm"} <= set(siblings), siblings
    assert set(siblings.values()) == {0o600}, siblings
