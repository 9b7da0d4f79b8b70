"""A distributed deployment on this machine: PostgreSQL (a database of its own), a Redis server of
its own (so it can be restarted without touching anyone else's), N `opsgraph serve` and M
`opsgraph worker` processes, all on loopback."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support import databases
from tests.support.server import ADMIN_PASSWORD, APP_CODE, APP_SECRET, SECRET_KEY, Server, free_port

REDIS_SERVER = shutil.which("redis-server")
# Short leases so a dead worker is noticed in seconds (the default is 30 s), yet long enough for a
# live worker on a busy 2-core machine to renew in time: a worker opening 100 SSH connections at
# once under a load of 10+ was seen to stall its event loop for over 10 s.
LEASE_SECONDS = 20
SHARD_HOSTS = 50
# The cluster for tests that stall a worker on purpose: a lease short enough for a quick takeover,
# long enough that a live worker on a busy 2-core machine still renews it.
SHORT_LEASE_SECONDS = 10
DEFAULT_REQUEUE_AFTER_SECONDS = 60
SHORT_LEASE_ENV = {
    "OPSGRAPH_WORKER_LEASE_SECONDS": str(SHORT_LEASE_SECONDS),
    "OPSGRAPH_REQUEUE_AFTER_SECONDS": str(DEFAULT_REQUEUE_AFTER_SECONDS),
}


def unavailable_reason() -> str | None:
    if REDIS_SERVER is None:
        return "redis-server is not installed: the scale-out tests start a Redis server of their own"
    return databases.postgres_unavailable_reason()


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        log = open(self.workdir / "redis.log", "ab")  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            done = subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True, check=False
            )
            if done.stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def command(self, *args: str) -> str:
        done = subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True, check=False)
        return done.stdout.strip()


@dataclass
class Worker:
    env: dict[str, str]
    log_path: Path
    concurrency: int = 20
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self.process = subprocess.Popen(
            [sys.executable, "-m", "opsgraph", "worker", "--concurrency", str(self.concurrency)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_tail()}")
            if "ready: up to" in self.log_path.read_text()[offset:]:
                return
            time.sleep(0.1)
        raise RuntimeError(f"worker did not start in 60 s: {self.log_tail()}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def freeze(self) -> None:
        """SIGSTOP: the process stalls as in a long GC pause or a frozen VM (its sockets stay open)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)

    def log_text(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def terminate(self, timeout: float = 60) -> int:
        assert self.process is not None
        self.process.terminate()
        return self.process.wait(timeout)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self) -> str:
        return self.log_path.read_text()[-4000:] if self.log_path.exists() else ""


@dataclass
class Cluster:
    workdir: Path
    redis: RedisServer
    database_url: str
    servers: list[Server] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)
    overrides: dict[str, str] = field(default_factory=dict)  # e.g. a benchmark's own settings

    def env(self) -> dict[str, str]:
        return self._defaults() | self.overrides

    def _defaults(self) -> dict[str, str]:
        return {
            "OPSGRAPH_BROKER_URL": self.redis.url,
            "OPSGRAPH_WORKER_LEASE_SECONDS": str(LEASE_SECONDS),
            "OPSGRAPH_REQUEUE_AFTER_SECONDS": "5",
            "OPSGRAPH_WORKER_SHUTDOWN_SECONDS": "20",
            "OPSGRAPH_CRON_INTERVAL_SECONDS": "1",
            # Host steps over this many hosts are split across the workers (300 hosts: 6 shards).
            "OPSGRAPH_SHARD_HOSTS": str(SHARD_HOSTS),
            # Hosts of one task in flight per worker: one shard at a time (smaller bursts of connects).
            "OPSGRAPH_RUNNER_TASK_CONCURRENCY": str(SHARD_HOSTS),
        }

    def add_server(self) -> Server:
        directory = self.workdir / f"server-{len(self.servers)}"
        directory.mkdir()
        server = Server(database_url=self.database_url, data_dir=directory, extra_env=self.env())
        server.start()
        self.servers.append(server)
        return server

    def add_worker(self) -> Worker:
        first = self.servers[0] if self.servers else Server(self.database_url, self.workdir, extra_env=self.env())
        worker = Worker(env=first.env(), log_path=self.workdir / f"worker-{len(self.workers)}.log")
        worker.start()
        self.workers.append(worker)
        return worker

    def stop(self) -> None:
        for worker in self.workers:
            if worker.alive():
                assert worker.process is not None
                worker.thaw()  # a frozen worker would not act on SIGTERM
                worker.process.terminate()
                try:
                    worker.process.wait(30)
                except subprocess.TimeoutExpired:
                    worker.process.kill()
        for server in self.servers:
            server.stop()


def start_cluster(workdir: Path, servers: int, workers: int, env: dict[str, str] | None = None) -> Cluster:
    redis = RedisServer(workdir)
    redis.start()
    url = databases.create_postgres_database()
    cluster = Cluster(workdir, redis, url, overrides=dict(env or {}))
    try:
        setup = Server(database_url=url, data_dir=workdir, extra_env=cluster.env())
        setup.cli("migrate")
        setup.cli("admin", "create-user", "admin", "--password", ADMIN_PASSWORD, "--superuser")
        setup.cli("admin", "create-app", APP_CODE, "--secret", APP_SECRET, "--skip-user-auth")
        for _ in range(servers):
            cluster.add_server()
        for _ in range(workers):
            cluster.add_worker()
    except BaseException:
        cluster.stop()
        redis.stop()
        databases.drop_postgres_database(url)
        raise
    return cluster


def stop_cluster(cluster: Cluster) -> None:
    try:
        cluster.stop()
    finally:
        cluster.redis.stop()
        databases.drop_postgres_database(cluster.database_url)


def ready(server: Server) -> httpx.Response:
    return httpx.get(f"{server.url}/readyz", timeout=10)


__all__ = ["SECRET_KEY", "Cluster", "Worker", "os", "ready", "start_cluster", "stop_cluster", "unavailable_reason"]
