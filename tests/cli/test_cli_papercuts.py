"""CLI papercuts: no CryptographyDeprecationWarning noise, `migrate` says what it applied, `serve`
validates its address (or inherited socket), and an unusable database URL is one clear line instead
of a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

import opsgraph
from tests.cli.support import assert_clean_failure, run
from tests.support import databases
from tests.support.server import CliResult, Server, free_port


def committed_migrations() -> list[str]:
    return sorted(p.stem for p in (Path(opsgraph.__file__).parent / "migrations").glob("[0-9]*.py"))


def fresh(tmp_path: Path, database_url: str | None = None) -> Server:
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    return Server(database_url=database_url or databases.sqlite_url(data_dir), data_dir=data_dir)


def must_exit(server: Server, *args: str, timeout: float = 30) -> CliResult:
    """Run a command that must end by itself: a `serve` that starts serving fails the test."""
    try:
        return run(server, *args, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"opsgraph {' '.join(args)} did not exit within {timeout} s") from exc


# ── warnings ────────────────────────────────────────────────────────────────────────────────────


def test_no_cryptography_deprecation_noise(server: Server, unique: str) -> None:
    # list-accounts imports the SSH stack (asyncssh), which is what used to print the warnings.
    listing = run(server, "admin", "list-accounts", "--biz", "987654321")
    assert "does not exist" in listing.stderr
    assert "Warning" not in listing.stderr, listing.stderr
    assert "CryptographyDeprecationWarning" not in (server.data_dir / "server.log").read_text()


def test_the_warning_filter_is_targeted() -> None:
    """Only asyncssh's CryptographyDeprecationWarning is ignored: the same category from elsewhere shows."""
    script = (
        "import warnings\n"
        "from opsgraph.cli import silence_known_warnings\n"
        "silence_known_warnings()\n"
        "import asyncssh\n"
        "from cryptography.utils import CryptographyDeprecationWarning\n"
        "warnings.warn('still shown', CryptographyDeprecationWarning)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("CryptographyDeprecationWarning") == 1, done.stderr
    assert "still shown" in done.stderr
    assert "asyncssh" not in done.stderr


# ── migrate ─────────────────────────────────────────────────────────────────────────────────────


def test_migrate_says_how_many_migrations_it_applied(tmp_path: Path) -> None:
    migrations = committed_migrations()
    assert len(migrations) >= 6
    instance = fresh(tmp_path)
    where = f"sqlite://{instance.data_dir / 'opsgraph.sqlite3'}"
    first = run(instance, "migrate")
    assert first.returncode == 0, first.stderr
    assert first.stdout == f"applied {len(migrations)} migrations to {where}: {', '.join(migrations)}"
    again = run(instance, "migrate")
    assert again.stdout == f"database is up to date ({where})"


# ── serve's address ─────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--port", "99999", "port must be from 1 to 65535, got 99999"),
        ("--port", "0", "port must be from 1 to 65535, got 0"),
        ("--port", "http", "port must be a number"),
        ("--host", "not a host!", "neither an IP address nor a host name"),
        ("--host", "no-such-host.invalid", "does not resolve"),
        ("--fd", "x", "file descriptor must be a number"),
        ("--fd", "987", "file descriptor 987 is not open"),
        ("--fd", "0", "file descriptor 0 is not a socket"),  # stdin: a pipe
    ],
)
def test_serve_refuses_a_bad_address(tmp_path: Path, option: str, value: str, expected: str) -> None:
    instance = fresh(tmp_path)
    extra = ["--port", str(free_port())] if option == "--host" else []
    result = must_exit(instance, "serve", option, value, *extra)
    assert result.returncode == 2, result
    assert expected in result.stderr
    assert "usage:" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (instance.data_dir / "opsgraph.sqlite3").exists()  # refused before touching anything


@pytest.mark.parametrize(
    ("listening", "extra", "expected"),
    [
        (False, [], "is not a listening TCP socket"),
        (True, ["--port", "8000"], "--fd serves on the address its socket is bound to: drop --host and --port"),
        (True, ["--host", "127.0.0.1"], "drop --host and --port"),
    ],
)
def test_serve_refuses_an_inherited_socket_it_cannot_serve_on(
    tmp_path: Path, listening: bool, extra: list[str], expected: str
) -> None:
    instance = fresh(tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        if listening:
            sock.listen()
        fd = sock.fileno()
        done = subprocess.run(
            [sys.executable, "-m", "opsgraph", "serve", "--fd", str(fd), *extra],
            env=instance.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
            pass_fds=(fd,),
        )
    assert done.returncode == 2, done
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert not (instance.data_dir / "opsgraph.sqlite3").exists()  # refused before touching anything


# ── unusable databases ──────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("command", ["migrate", "serve", "admin list-users"])
def test_an_unreachable_postgres_is_one_line(tmp_path: Path, command: str) -> None:
    port = free_port()  # nothing listens there
    instance = fresh(tmp_path, f"postgres://nobody:hunter2-secret@127.0.0.1:{port}/x")
    args = command.split() + (["--port", str(free_port())] if command == "serve" else [])
    result = must_exit(instance, *args)
    assert_clean_failure(result, f"postgres://nobody:***@127.0.0.1:{port}/x")
    assert "hunter2-secret" not in result.stderr
    assert "refused" in result.stderr.lower()


def test_a_missing_postgres_database_is_one_line(tmp_path: Path) -> None:
    if databases.postgres_unavailable_reason() is not None:
        pytest.skip("PostgreSQL is not reachable")
    base, _, _ = databases.PG_DSN.rpartition("/")
    result = must_exit(fresh(tmp_path, f"{base}/opsgraph_no_such_database"), "migrate")
    assert_clean_failure(result, "opsgraph_no_such_database")


def test_an_unusable_sqlite_path_is_one_line(tmp_path: Path) -> None:
    # Under /proc no directory can be created, even by root (which ignores permission bits).
    uncreatable = must_exit(fresh(tmp_path, "sqlite:///proc/opsgraph-test/db.sqlite3"), "migrate")
    assert_clean_failure(uncreatable, "cannot create the SQLite directory /proc/opsgraph-test")

    a_directory = tmp_path / "is-a-directory"
    a_directory.mkdir()
    unopenable = must_exit(fresh(tmp_path, f"sqlite://{a_directory}"), "admin", "list-users")
    assert_clean_failure(unopenable, f"sqlite://{a_directory}")
    assert "Is a directory" in unopenable.stderr
