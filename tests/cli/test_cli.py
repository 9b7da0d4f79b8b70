"""The `opsgraph` command line: help, admin commands and their errors, migrations, secret-key handling.

Commands that only touch the database run against the session database (both backends). Commands that
depend on the environment (secret key, dev mode) get a fresh data directory and SQLite file each.
"""

from __future__ import annotations

import stat
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from jose import jwt

from tests.support import databases
from tests.support.server import SECRET_KEY, CliResult, GraphQLClient, Server, free_port

SECRET_ENV = "OPSGRAPH_SECRET_KEY"
SECRET_FILE = "secret_key"
ME = "{ me { username } }"


@dataclass
class IsolatedServer(Server):
    """A `Server` whose environment can also lack variables the harness normally sets."""

    without: tuple[str, ...] = field(default_factory=tuple)

    def env(self) -> dict[str, str]:
        env = super().env()
        for name in self.without:
            env.pop(name, None)
        return env

    def run(self, *args: str, timeout: float = 60) -> CliResult:
        """Run a command that must finish by itself (a `serve` that starts serving fails the test)."""
        try:
            done = subprocess.run(
                [sys.executable, "-m", "opsgraph", *args],
                env=self.env(),
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"opsgraph {' '.join(args)} did not exit within {timeout} s") from exc
        return CliResult(done.returncode, done.stdout.strip(), done.stderr.strip())


def isolated(tmp_path: Path, *, without: tuple[str, ...] = (), **extra_env: str) -> IsolatedServer:
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True)
    return IsolatedServer(
        database_url=databases.sqlite_url(data_dir), data_dir=data_dir, extra_env=dict(extra_env), without=without
    )


def assert_clean_failure(result: CliResult, expected: str) -> None:
    assert result.returncode == 1, result
    assert expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""


# ── help ────────────────────────────────────────────────────────────────────────────────────────


def test_console_script_help_lists_the_commands() -> None:
    script = Path(sys.executable).parent / "opsgraph"
    assert script.exists(), "the `opsgraph` console script is installed with the package"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for command in ("serve", "migrate", "admin"):
        assert command in done.stdout


def test_admin_help_lists_the_admin_commands(tmp_path: Path) -> None:
    result = isolated(tmp_path).run("admin", "--help")
    assert result.returncode == 0
    for command in ("create-user", "create-app", "issue-token", "grant-role"):
        assert command in result.stdout


def test_missing_command_is_a_usage_error(tmp_path: Path) -> None:
    result = isolated(tmp_path).run("admin")
    assert result.returncode == 2
    assert "usage:" in result.stderr
    assert "Traceback" not in result.stderr


# ── admin commands (session database, both backends) ─────────────────────────────────────────────


def test_create_user_twice_is_a_clean_error(server: Server, unique: str) -> None:
    name = f"cli-user-{unique}"
    first = server.cli("admin", "create-user", name, "--password", "long-enough-1")
    assert first.stdout == f"created user {name}"
    second = server.cli("admin", "create-user", name, "--password", "long-enough-2", check=False)
    assert_clean_failure(second, "already exists")
    # The first password still works: the second attempt changed nothing.
    token = server.cli("admin", "issue-token", name).stdout
    assert GraphQLClient(server.url, token).ok(ME) == {"me": {"username": name}}


def test_superuser_flag_is_reported(server: Server, unique: str) -> None:
    name = f"cli-root-{unique}"
    done = server.cli("admin", "create-user", name, "--password", "long-enough-1", "--superuser")
    assert done.stdout == f"created user {name} (superuser)"
    token = server.cli("admin", "issue-token", name).stdout
    assert GraphQLClient(server.url, token).ok("{ me { isSuperuser } }") == {"me": {"isSuperuser": True}}


def test_short_password_is_refused(server: Server, unique: str) -> None:
    name = f"cli-short-{unique}"
    result = server.cli("admin", "create-user", name, "--password", "short", check=False)
    assert_clean_failure(result, "password must be at least 8 characters")
    assert_clean_failure(server.cli("admin", "issue-token", name, check=False), "does not exist")


def test_issue_token_for_an_unknown_user_fails(server: Server, unique: str) -> None:
    result = server.cli("admin", "issue-token", f"ghost-{unique}", check=False)
    assert_clean_failure(result, "does not exist")


def test_issued_token_authenticates(server: Server) -> None:
    token = server.cli("admin", "issue-token", "admin").stdout
    assert token.count(".") == 2
    assert GraphQLClient(server.url, token).ok(ME) == {"me": {"username": "admin"}}


def test_create_app_accepts_skip_user_auth(server: Server, unique: str) -> None:
    code = f"cli-app-{unique}"
    done = server.cli("admin", "create-app", code, "--secret", "app-secret-123", "--skip-user-auth")
    assert done.stdout == f"created app {code} (may skip user auth)"
    plain = server.cli("admin", "create-app", f"{code}-plain", "--secret", "app-secret-123")
    assert plain.stdout == f"created app {code}-plain"
    again = server.cli("admin", "create-app", code, "--secret", "app-secret-456", check=False)
    assert_clean_failure(again, "already exists")
    short = server.cli("admin", "create-app", f"{code}-short", "--secret", "short", check=False)
    assert_clean_failure(short, "at least 8 characters")


def test_migrate_on_a_migrated_database_is_a_no_op(server: Server) -> None:
    done = server.cli("migrate")
    assert done.stdout.startswith("database is up to date")
    # Data written before is untouched and the running server keeps working.
    token = server.cli("admin", "issue-token", "admin").stdout
    assert GraphQLClient(server.url, token).ok(ME) == {"me": {"username": "admin"}}


# ── migrations on a fresh database ──────────────────────────────────────────────────────────────


def test_migrate_is_idempotent(tmp_path: Path) -> None:
    fresh = isolated(tmp_path)
    first = fresh.run("migrate")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("applied "), first.stdout
    assert (fresh.data_dir / "opsgraph.sqlite3").exists()
    fresh.cli("admin", "create-user", "keeper", "--password", "long-enough-1")
    second = fresh.run("migrate")
    assert second.returncode == 0, second.stderr
    assert second.stdout == f"database is up to date (sqlite://{fresh.data_dir / 'opsgraph.sqlite3'})"
    assert "Traceback" not in second.stderr
    assert fresh.run("admin", "issue-token", "keeper").returncode == 0


# ── the secret key ──────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("command", ["migrate", "serve", "admin issue-token admin"])
def test_without_a_secret_key_commands_refuse(tmp_path: Path, command: str) -> None:
    bare = isolated(tmp_path, without=(SECRET_ENV,))
    args = command.split() + (["--port", str(free_port())] if command == "serve" else [])
    result = bare.run(*args, timeout=30)
    assert_clean_failure(result, SECRET_ENV)
    assert "OPSGRAPH_DEV" in result.stderr
    assert not (bare.data_dir / SECRET_FILE).exists()
    assert not (bare.data_dir / "opsgraph.sqlite3").exists()


def test_an_empty_secret_key_is_no_secret_key(tmp_path: Path) -> None:
    result = isolated(tmp_path, OPSGRAPH_SECRET_KEY="").run("migrate")
    assert_clean_failure(result, SECRET_ENV)


def test_a_short_secret_key_is_refused(tmp_path: Path) -> None:
    result = isolated(tmp_path, OPSGRAPH_SECRET_KEY="too-short").run("migrate")
    assert_clean_failure(result, SECRET_ENV)
    assert "at least 32" in result.stderr


def test_dev_mode_generates_a_private_secret_file_and_reuses_it(tmp_path: Path) -> None:
    dev = isolated(tmp_path, without=(SECRET_ENV,), OPSGRAPH_DEV="1")
    secret_file = dev.data_dir / SECRET_FILE
    assert not secret_file.exists()

    assert dev.run("migrate").returncode == 0
    assert secret_file.exists()
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    generated = secret_file.read_text()
    assert len(generated.strip()) >= 32
    assert generated.strip() != SECRET_KEY

    dev.cli("admin", "create-user", "dev-user", "--password", "long-enough-1")
    token = dev.cli("admin", "issue-token", "dev-user").stdout
    assert secret_file.read_text() == generated

    # A server started later with the same data dir uses the same secret: the earlier token is valid.
    dev.start()
    try:
        assert GraphQLClient(dev.url, token).ok(ME) == {"me": {"username": "dev-user"}}
        # …and it really is the generated secret, not the harness's: a token signed with that one is refused.
        now = int(time.time())
        claims = {"sub": "dev-user", "iss": "opsgraph", "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex}
        foreign = jwt.encode(claims, SECRET_KEY, algorithm="HS256")
        refused = GraphQLClient(dev.url, foreign).execute(ME)
        assert refused.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    finally:
        dev.stop()
    assert secret_file.read_text() == generated


def test_dev_mode_with_a_secret_key_writes_no_secret_file(tmp_path: Path) -> None:
    dev = isolated(tmp_path, OPSGRAPH_DEV="1")
    assert dev.run("migrate").returncode == 0
    assert not (dev.data_dir / SECRET_FILE).exists()
