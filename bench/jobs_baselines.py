"""The baselines of the jobs benchmark, run on the same hosts with the same key and the same bound.

- a bare asyncssh loop: connect, run `echo ok`, close, at most `bound` hosts at a time: the floor
  our SSH library sets on this machine, with no database, no events and no host-key bookkeeping;
- ansible-core `ansible all -m raw -a 'echo ok' -f <bound>`: what an operator would otherwise use.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from bench.jobs_pool import HostPool

ANSIBLE_TIMEOUT_S = 900.0  # the whole `ansible` run; far above what 1,000 hosts take at ~15 hosts/s
# One connection per host and nothing left behind: no ControlMaster/ControlPersist (its masters would
# linger past the run and skew the next one), no ~/.ssh/config, and no writes to ~/.ssh/known_hosts.
ANSIBLE_SSH_ARGS = (
    "-F /dev/null -o ControlMaster=no -o ControlPath=none -o ControlPersist=no "
    "-o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o LogLevel=ERROR"
)
_HOST_LINE = re.compile(r"^(\S+) \| (CHANGED|SUCCESS|FAILED|UNREACHABLE!)")


@dataclass(frozen=True)
class EchoRun:
    """One `echo ok` fan-out: wall time and how many hosts answered `ok`."""

    label: str
    hosts: int
    wall_s: float
    ok: int
    failures: list[str] = field(default_factory=list)  # a few reasons, for the notes

    @property
    def hosts_per_s(self) -> float:
        return self.hosts / self.wall_s if self.wall_s > 0 else 0.0


# -- bare asyncssh ------------------------------------------------------------------------------------------


async def _echo(address: str, port: int, username: str, key: asyncssh.SSHKey, connect_timeout: float) -> str:
    async with asyncssh.connect(
        address,
        port,
        username=username,
        client_keys=[key],
        known_hosts=None,  # the baseline checks no host key (OpsGraph does: trust on first use)
        config=[],
        agent_path=None,
        connect_timeout=connect_timeout,
    ) as connection:
        result = await connection.run("echo ok", check=False)
    return str(result.stdout).strip()


async def _asyncssh_loop(
    addresses: list[str], port: int, username: str, key: asyncssh.SSHKey, bound: int, connect_timeout: float
) -> list[str | BaseException]:
    slots = asyncio.Semaphore(bound)

    async def one(address: str) -> str:
        async with slots:
            return await _echo(address, port, username, key, connect_timeout)

    return await asyncio.gather(*(one(a) for a in addresses), return_exceptions=True)


def asyncssh_echo(pool: HostPool, addresses: list[str], bound: int, connect_timeout: float) -> EchoRun:
    key = asyncssh.import_private_key(pool.user.private_key)  # once, outside the timed part
    started = time.perf_counter()
    outputs = asyncio.run(_asyncssh_loop(addresses, pool.port, pool.user.name, key, bound, connect_timeout))
    wall = time.perf_counter() - started
    failures = [f"{a}: {o!r}" for a, o in zip(addresses, outputs, strict=True) if o != "ok"]
    return EchoRun("bare asyncssh loop", len(addresses), wall, len(addresses) - len(failures), failures[:3])


# -- ansible-core -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ansible:
    executable: Path
    version: str


def find_ansible() -> Ansible | str:
    """The `ansible` command installed with this interpreter (`pip install -e '.[bench]'`), or why not."""
    beside = Path(sys.executable).parent / "ansible"
    executable = beside if beside.exists() else Path(shutil.which("ansible") or "")
    if not executable.name:
        return "no `ansible` command; install the bench extras: pip install -e '.[bench]'"
    if shutil.which("ssh") is None:
        return "ansible needs the OpenSSH client (`ssh`), which is missing"
    try:
        done = subprocess.run([str(executable), "--version"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{executable} --version failed: {exc}"
    if done.returncode != 0:
        return f"{executable} --version exited {done.returncode}: {done.stderr.strip()[-300:]}"
    version = re.search(r"\[core ([^\]]+)\]", done.stdout)  # first line: `ansible [core 2.19.14]`
    return Ansible(executable, f"ansible-core {version.group(1) if version else 'unknown version'}")


def write_inventory(workdir: Path, pool: HostPool, addresses: list[str]) -> Path:
    key_file = workdir / "id_bench"
    key_file.write_text(pool.user.private_key)
    key_file.chmod(0o600)  # ssh refuses a private key others can read
    lines = ["[bench]"]
    lines += [f"h{index:05d} ansible_host={address}" for index, address in enumerate(addresses)]
    lines += [
        "",
        "[bench:vars]",
        f"ansible_port={pool.port}",
        f"ansible_user={pool.user.name}",
        f"ansible_ssh_private_key_file={key_file}",
    ]
    inventory = workdir / f"inventory-{len(addresses)}.ini"
    inventory.write_text("\n".join(lines) + "\n")
    return inventory


def _ansible_env(workdir: Path, connect_timeout: float) -> dict[str, str]:
    """Isolated from any ansible.cfg and from ~/.ansible: everything lives in `workdir`."""
    config = workdir / "ansible.cfg"
    config.touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_CONFIG=str(config),
        ANSIBLE_HOME=str(workdir / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(workdir / "ansible-tmp"),
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_SSH_ARGS=ANSIBLE_SSH_ARGS,
        ANSIBLE_TIMEOUT=str(int(connect_timeout)),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_DEPRECATION_WARNINGS="False",
        ANSIBLE_LOCALHOST_WARNING="False",
    )
    return env


def _outcomes(stdout: str) -> Counter[str]:
    return Counter(match.group(2) for line in stdout.splitlines() if (match := _HOST_LINE.match(line)))


def ansible_echo(
    ansible: Ansible, workdir: Path, pool: HostPool, addresses: list[str], bound: int, connect_timeout: float
) -> EchoRun:
    inventory = write_inventory(workdir, pool, addresses)
    argv = [str(ansible.executable), "all", "-i", str(inventory), "-m", "raw", "-a", "echo ok", "-f", str(bound)]
    label = f"ansible -m raw -f {bound}"
    started = time.perf_counter()
    try:
        done = subprocess.run(
            argv, env=_ansible_env(workdir, connect_timeout), capture_output=True, text=True, timeout=ANSIBLE_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        wall = time.perf_counter() - started
        return EchoRun(label, len(addresses), wall, 0, [f"killed after {ANSIBLE_TIMEOUT_S:.0f} s"])
    wall = time.perf_counter() - started
    outcomes = _outcomes(done.stdout)
    ok = outcomes["CHANGED"] + outcomes["SUCCESS"]
    failures = [] if ok == len(addresses) else [f"exit {done.returncode}; per host {dict(outcomes)}"]
    if failures:
        failures.extend(_first_failures(done.stdout) or done.stderr.strip().splitlines()[-1:])
    return EchoRun(label, len(addresses), wall, ok, failures)


def _first_failures(stdout: str, limit: int = 2) -> list[str]:
    """`host | UNREACHABLE! => {… "msg": "…" …}`: the host and its message, for the notes."""
    found: list[str] = []
    host = ""
    for line in stdout.splitlines():
        match = _HOST_LINE.match(line)
        if match:
            host = match.group(1) if match.group(2) in {"FAILED", "UNREACHABLE!"} else ""
        elif host and line.strip().startswith('"msg"'):
            found.append(f"{host}: {line.strip()[:300]}")
            host = ""
            if len(found) == limit:
                break
    return found
