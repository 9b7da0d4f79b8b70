"""Misconfigured deployments are refused at start-up in one line, without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import databases
from tests.support.server import SECRET_KEY, free_port


def _run(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("OPSGRAPH_")}
    base.update(OPSGRAPH_SECRET_KEY=SECRET_KEY, OPSGRAPH_DATA_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-m", "opsgraph", *args], env=base, capture_output=True, text=True, timeout=60, check=False
    )


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("opsgraph: error:")]
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_a_broker_over_sqlite_is_refused(tmp_path: Path) -> None:
    env = {"OPSGRAPH_BROKER_URL": "redis://127.0.0.1:6379/0", "OPSGRAPH_DATABASE_URL": f"sqlite://{tmp_path}/x.db"}
    for command in (["serve", "--port", str(free_port())], ["worker"]):
        assert "not PostgreSQL" in _one_line(_run(command, env, tmp_path))


def test_an_unreachable_broker_is_refused(tmp_path: Path) -> None:
    env = {
        "OPSGRAPH_BROKER_URL": f"redis://:secret-pw@127.0.0.1:{free_port()}/0",
        "OPSGRAPH_DATABASE_URL": databases.PG_DSN,
    }
    for command in (["serve", "--port", str(free_port())], ["worker"]):
        line = _one_line(_run(command, env, tmp_path))
        assert "cannot reach the broker" in line
        assert "secret-pw" not in line


def test_an_unreachable_database_is_refused(tmp_path: Path) -> None:
    env = {
        "OPSGRAPH_BROKER_URL": "redis://127.0.0.1:6379/0",
        "OPSGRAPH_DATABASE_URL": f"postgres://x:pw@127.0.0.1:{free_port()}/db",
    }
    line = _one_line(_run(["worker"], env, tmp_path))
    assert "127.0.0.1" in line
    assert ":pw@" not in line


def test_a_worker_without_a_broker_says_what_it_needs(tmp_path: Path) -> None:
    line = _one_line(_run(["worker"], {"OPSGRAPH_DATABASE_URL": f"sqlite://{tmp_path}/x.db"}, tmp_path))
    assert "OPSGRAPH_BROKER_URL" in line
