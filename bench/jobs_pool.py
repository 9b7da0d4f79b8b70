"""The hosts of the jobs benchmark: real OpenSSH sshd processes on distinct loopback addresses.

Reuses the test suite's `SshdPool` (16 addresses per sshd, one shared port and host key, a dedicated
login user with an empty home). The sshds are started one by one so that, when the machine cannot
run all of them, the benchmark keeps the ones that did start and says why the rest did not.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.sshd import SSHD, SshdPool, SshUser, ensure_test_user, loopback_hosts, unavailable_reason


class PoolUnavailable(RuntimeError):
    pass


@dataclass
class HostPool:
    pool: SshdPool
    addresses: list[str]  # the addresses whose sshd started: 127.0.0.10 upward
    user: SshUser
    notes: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.pool.port

    def stop(self) -> None:
        self.pool.stop()


def openssh_version() -> str:
    done = subprocess.run([str(SSHD), "-V"], capture_output=True, text=True)
    return (done.stderr or done.stdout).strip().split(",")[0] or "unknown"


def _new_pool(workdir: Path, wanted: int, user: SshUser, notes: list[str]) -> SshdPool:
    """A pool object for `wanted` addresses, halving while no single port is free on all of them."""
    count = wanted
    while True:
        try:
            return SshdPool(workdir / f"sshd-{count}", loopback_hosts(count), user)
        except (RuntimeError, ValueError) as exc:
            if count <= 1:
                raise PoolUnavailable(f"no sshd pool possible: {exc}") from exc
            notes.append(f"{count} loopback addresses not usable ({exc}); trying {count // 2}")
            count //= 2


def start_hosts(workdir: Path, wanted: int) -> HostPool:
    """Start sshd for `wanted` addresses, or for as many as this machine manages."""
    reason = unavailable_reason()
    if reason is None and not SSHD.exists():
        reason = f"{SSHD} is missing: apt-get install openssh-server"
    if reason is not None:
        raise PoolUnavailable(reason)
    user = ensure_test_user()
    notes: list[str] = []
    pool = _new_pool(workdir, wanted, user, notes)
    started: list[str] = []
    for server in pool.servers:
        try:
            server.start()
        except (RuntimeError, OSError) as exc:  # e.g. out of processes or file descriptors
            server.stop()
            notes.append(
                f"sshd {len(started) // 16 + 1} of {len(pool.servers)} failed ({exc}); "
                f"falling back to the {len(started)} addresses already served"
            )
            break
        started.extend(server.addresses)
    if not started:
        pool.stop()
        raise PoolUnavailable(f"not one sshd started: {'; '.join(notes)}")
    running = sum(1 for server in pool.servers if server.process is not None)
    notes.insert(0, f"sshd pool: {len(started)} addresses on port {pool.port}, {running} sshd processes")
    return HostPool(pool, started, user, notes)


def _parent(pid_dir: Path) -> int | None:
    try:
        stat = (pid_dir / "stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state; the name may hold spaces


def open_connections(pool: HostPool) -> int:
    """Children of our sshd listeners: one per connection still open or closing."""
    listeners = {server.process.pid for server in pool.pool.servers if server.process is not None}
    return sum(1 for entry in Path("/proc").iterdir() if entry.name.isdigit() and _parent(entry) in listeners)


def settle(pool: HostPool, timeout: float = 20.0) -> float:
    """Wait until the previous run's connections are gone; returns the seconds waited."""
    started = time.monotonic()
    while open_connections(pool) and time.monotonic() - started < timeout:
        time.sleep(0.2)
    return time.monotonic() - started
