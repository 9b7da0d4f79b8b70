"""Starting the servers under test as real processes, the way an operator would.

OpsGraph runs as `python -m opsgraph serve` (migrations, uvicorn, the SQL counter on); the
baseline runs as `python -m bench.baseline_server`. Both are waited for on `/healthz`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# Any 32+ character secret: tokens are issued by the CLI and verified by the server with it.
SECRET_KEY = "bench-secret-key-that-is-long-enough-for-hs256-0123456789"
ADMIN_USER = "admin"
ADMIN_PASSWORD = "bench-admin-password"
APP_CODE = "bench-app"
APP_SECRET = "bench-app-secret"
# The topology query asks for up to 50 × 50 × 100 hosts; its cost (≈1.26 M) is far above the
# default limit of 100,000, which the cost formula reaches long before 1,000 real hosts.
MAX_QUERY_COST = "2000000"
_START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer /healthz within {_START_TIMEOUT_S:.0f} s")


def stop(process: subprocess.Popen[bytes] | None) -> None:
    """SIGINT, not SIGTERM: uvicorn shuts down gracefully on both, then re-raises the signal; a
    re-raised SIGINT is a KeyboardInterrupt, which lets a cProfile wrapper write its stats file."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class ServerProcess:
    """One HTTP server subprocess on a free loopback port, its output kept in `log_path`."""

    argv: list[str]
    env: dict[str, str]
    log_path: Path
    cwd: Path | None = None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [*self.argv, "--port", str(self.port)],
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_healthy(self.process, self.url, self.log_path)

    def stop(self) -> None:
        stop(self.process)


@dataclass
class OpsGraphInstance:
    """An OpsGraph data dir + SQLite file, its CLI, and its server process."""

    data_dir: Path
    profile_path: Path | None = None
    server: ServerProcess | None = None

    @property
    def database_path(self) -> Path:
        return self.data_dir / "opsgraph.sqlite3"

    def env(self) -> dict[str, str]:
        # Start from a clean OPSGRAPH_* slate so the caller's shell settings cannot skew the run.
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPSGRAPH_")}
        env.update(
            OPSGRAPH_DATABASE_URL=f"sqlite://{self.database_path}",
            OPSGRAPH_DATA_DIR=str(self.data_dir),
            OPSGRAPH_SECRET_KEY=SECRET_KEY,
            OPSGRAPH_DEBUG_SQL_COUNT="1",
            OPSGRAPH_MAX_QUERY_COST=MAX_QUERY_COST,
        )
        return env

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "opsgraph", *args], env=self.env(), capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"opsgraph {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def bootstrap(self) -> str:
        """Migrate, create the superuser and a BlueKing app; return the superuser's token."""
        self.cli("migrate")
        self.cli("admin", "create-user", ADMIN_USER, "--password", ADMIN_PASSWORD, "--superuser")
        self.cli("admin", "create-app", APP_CODE, "--secret", APP_SECRET, "--skip-user-auth")
        return self.cli("admin", "issue-token", ADMIN_USER)

    def start(self) -> str:
        prefix = ["-m", "cProfile", "-o", str(self.profile_path)] if self.profile_path else []
        argv = [sys.executable, *prefix, "-m", "opsgraph", "serve", "--log-level", "warning"]
        self.server = ServerProcess(argv, self.env(), self.data_dir / "server.log")
        self.server.start()
        return self.server.url

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
