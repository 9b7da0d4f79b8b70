"""The agent install benchmark's baseline: the SSH work of OpsGraph's `agent_install` step, done by a bare
asyncssh loop with no database, no events, no token bookkeeping and no host-key checks.

Per host, over one connection logged in with the test user's password, at most `bound` hosts at a time:
  check_os      `uname -s; uname -r; python3 version` (one exec)
  push_files    `umask 077; mkdir -p <dir>` (one exec), then an SFTP put of the same agent program
  write_config  an SFTP put of a config of the same shape and size (server URL, host id, a 43-char token)
  start         the same stop-old-agent exec, then the same `setsid nohup python3 …` start exec
  wait_pid      until the agent's own `agent.pid` file exists (read locally: the hosts are this machine),
                where OpsGraph waits for the agent's first heartbeat to reach the server: the baseline's
                wait ends earlier in the agent's life (it writes its pid file before its first beat).
The agents point at a closed local port, so they cost the OpsGraph server nothing while it is measured.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from opsgraph.agent import AGENT_FILE, CONFIG_FILE, PID_FILE, agent_program
from opsgraph.executors.agent_install import _start_script, _stop_script

PHASES = ("connect", "check_os", "push_files", "write_config", "start", "wait_pid")
CHECK_OS = (
    "uname -s; uname -r; if command -v python3 >/dev/null 2>&1; then "
    "python3 -c 'import sys; print(\"python3 %d.%d\" % sys.version_info[:2])'; else echo 'python3 missing'; fi"
)
PID_WAIT_S = 60.0
PID_POLL_S = 0.05


@dataclass(frozen=True)
class HostTiming:
    address: str
    directory: Path
    phases: dict[str, float]  # phase → seconds
    error: str = ""


@dataclass
class BaselineRun:
    hosts: int
    wall_s: float
    timings: list[HostTiming] = field(default_factory=list)
    label: str = "bare asyncssh loop"

    @property
    def ok(self) -> int:
        return sum(1 for t in self.timings if not t.error)

    @property
    def hosts_per_s(self) -> float:
        return self.hosts / self.wall_s if self.wall_s > 0 else 0.0

    def failures(self) -> list[str]:
        return [f"{t.address}: {t.error}" for t in self.timings if t.error][:5]


def _config(server: str, host_id: int, interval: int) -> bytes:
    token = secrets.token_urlsafe(32)  # 43 characters, as issue_token's
    return json.dumps({"server": server, "host_id": host_id, "token": token, "interval": interval}).encode()


async def _run(connection: asyncssh.SSHClientConnection, command: str) -> str:
    result = await connection.run(command, check=True, timeout=30)
    return str(result.stdout)


async def _install_one(
    address: str, port: int, user: tuple[str, str], directory: Path, server: str, index: int, interval: int
) -> HostTiming:
    phases: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases[name] = now - mark
        mark = now

    d = str(directory)
    try:
        async with asyncssh.connect(
            address,
            port,
            username=user[0],
            password=user[1],
            client_keys=(),
            preferred_auth="password",
            known_hosts=None,
            config=[],
            agent_path=None,
            connect_timeout=30,
        ) as connection:
            lap("connect")
            out = await _run(connection, CHECK_OS)
            if "python3 missing" in out:
                raise RuntimeError("python3 missing")
            lap("check_os")
            await _run(connection, f"umask 077; mkdir -p -- {d} && chmod 700 -- {d}")
            async with connection.start_sftp_client() as sftp:
                async with sftp.open(f"{d}/{AGENT_FILE}", "wb", attrs=asyncssh.SFTPAttrs(permissions=0o700)) as f:
                    await f.write(agent_program())
                lap("push_files")
                async with sftp.open(f"{d}/{CONFIG_FILE}", "wb", attrs=asyncssh.SFTPAttrs(permissions=0o600)) as f:
                    await f.write(_config(server, index, interval))
                lap("write_config")
            await _run(connection, _stop_script(d))
            await _run(connection, _start_script(d))
            lap("start")
            deadline = time.monotonic() + PID_WAIT_S
            while not (directory / PID_FILE).exists():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no {PID_FILE} within {PID_WAIT_S:.0f} s")
                await asyncio.sleep(PID_POLL_S)
            lap("wait_pid")
    except (OSError, asyncssh.Error, RuntimeError) as exc:
        return HostTiming(address, directory, phases, f"{type(exc).__name__}: {exc}"[:200])
    return HostTiming(address, directory, phases)


async def _loop(
    addresses: list[str], port: int, user: tuple[str, str], root: Path, server: str, bound: int, interval: int
) -> list[HostTiming]:
    slots = asyncio.Semaphore(bound)

    async def one(index: int, address: str) -> HostTiming:  # host ids start at 1, as OpsGraph's
        async with slots:
            return await _install_one(address, port, user, root / str(index + 1), server, index + 1, interval)

    return await asyncio.gather(*(one(i, a) for i, a in enumerate(addresses)))


def asyncssh_install(
    addresses: list[str], port: int, user: tuple[str, str], root: Path, server: str, bound: int, interval: int
) -> BaselineRun:
    started = time.perf_counter()
    timings = asyncio.run(_loop(addresses, port, user, root, server, bound, interval))
    return BaselineRun(len(addresses), time.perf_counter() - started, timings)
