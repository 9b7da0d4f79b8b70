"""Start `python -m opsgraph serve` on a free loopback port and talk to it like any client.

A `contained` server runs in a network namespace of its own (`netns.py`): it serves on a socket bound
here, on the host's loopback, and cannot connect anywhere (its database: a SQLite file, or
PostgreSQL through its Unix socket)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support import netns

SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256-0123456789"
ADMIN_PASSWORD = "admin-password-1"
APP_CODE = "test-app"
APP_SECRET = "test-app-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Server:
    database_url: str
    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    contained: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPSGRAPH_")}
        env.update(
            OPSGRAPH_DATABASE_URL=self.database_url,
            OPSGRAPH_DATA_DIR=str(self.data_dir),
            OPSGRAPH_SECRET_KEY=SECRET_KEY,
            OPSGRAPH_DEBUG_SQL_COUNT="1",
        )
        env.update(self.extra_env)
        return env

    def cli(self, *args: str, check: bool = True) -> CliResult:
        done = subprocess.run(
            [sys.executable, "-m", "opsgraph", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        result = CliResult(done.returncode, done.stdout.strip(), done.stderr.strip())
        if check and done.returncode != 0:
            raise AssertionError(f"opsgraph {' '.join(args)} failed: {result.stderr}")
        return result

    def start(self) -> None:
        log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 - lives as long as the process
        serve = [sys.executable, "-m", "opsgraph", "serve", "--log-level", "warning"]
        if not self.contained:
            self.process = subprocess.Popen(
                [*serve, "--port", str(self.port)], env=self.env(), stdout=log, stderr=subprocess.STDOUT
            )
        else:
            # Bound here, the socket stays in this namespace: clients reach it, the server accepts on it.
            with socket.create_server(("127.0.0.1", self.port)) as listening:
                fd = listening.fileno()
                self.process = subprocess.Popen(
                    netns.contained([*serve, "--fd", str(fd)]),
                    env=self.env(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    pass_fds=(fd,),
                )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {(self.data_dir / 'server.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not start in 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self) -> str:
        return (self.data_dir / "server.log").read_text()[-5000:]


@contextmanager
def backend_server(backend: str, data_dir: Path, *, contained: bool = False, **extra_env: str) -> Iterator[Server]:
    """A migrated, running server on `backend` ("sqlite" or "postgres") with the admin user and the
    test app; PostgreSQL gets a database of its own, dropped afterwards. `contained`: in a network
    namespace of its own (check `netns.unavailable_reason()` and, on PostgreSQL,
    `databases.postgres_socket_unavailable_reason()` first)."""
    from tests.support import databases

    url = databases.migrated_sqlite_url(data_dir) if backend == "sqlite" else databases.create_postgres_database()
    served_url = databases.postgres_socket_url(url) if contained and backend == "postgres" else url
    instance = Server(database_url=served_url, data_dir=data_dir, extra_env=dict(extra_env), contained=contained)
    try:
        instance.cli("migrate")
        instance.cli("admin", "create-user", "admin", "--password", ADMIN_PASSWORD, "--superuser")
        instance.cli("admin", "create-app", APP_CODE, "--secret", APP_SECRET, "--skip-user-auth")
        instance.start()
        yield instance
    finally:
        instance.stop()
        if backend == "postgres":
            databases.drop_postgres_database(url)


@dataclass
class GraphQLResponse:
    status: int
    body: dict[str, Any]
    sql_count: int | None

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.body.get("errors") or [])

    def ok(self) -> Any:
        assert not self.errors, self.errors
        return self.data


class GraphQLClient:
    """A plain HTTP GraphQL client (the way front-ends call us)."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url
        self.token = token
        self.http = httpx.Client(base_url=base_url, timeout=60)

    def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> GraphQLResponse:
        sent = dict(headers or {})
        bearer = token if token is not None else self.token
        if bearer:
            sent["Authorization"] = f"Bearer {bearer}"
        response = self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=sent)
        count = response.headers.get("x-sql-count")
        return GraphQLResponse(response.status_code, response.json(), int(count) if count is not None else None)

    def ok(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        return self.execute(query, variables).ok()
