"""Real OpenSSH sshd processes on loopback for the executor tests.

Each test host is a distinct 127.0.0.x address. sshd takes at most 16 ListenAddress lines, so an
`SshdPool` runs ceil(n/16) sshd processes that share one config template, one host key and one port.
Logins go to a dedicated unprivileged user with /bin/sh and an empty home, so a command costs no
shell start-up files. The machine's own sshd (/etc/ssh, port 22) and root's keys are never touched.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import asyncssh

SSHD = Path("/usr/sbin/sshd")
TEST_USER = "opsgraph-t"
MAX_LISTEN_ADDRESSES = 16  # sshd's own limit per process
FIRST_HOST = 10  # hosts are 127.0.0.10, 127.0.0.11, …
_SKELETON_FILES = (".profile", ".bashrc", ".bash_logout")
STATE_DIR = Path("/var/lib/opsgraph-tests")  # root-only: the test user's password, a lock
KEEP_SESSION_KEYS = 100  # sessions on one machine at once (a busy development machine runs many)

_running: set[subprocess.Popen[bytes]] = set()


def _kill_all_at_exit() -> None:
    for process in list(_running):
        if process.poll() is None:
            process.kill()


atexit.register(_kill_all_at_exit)


def unavailable_reason() -> str | None:
    """Why a real sshd cannot run here (None when it can)."""
    if os.geteuid() != 0:
        return "the sshd tests need root (to create the test user and run sshd); run them as root"
    if not SSHD.exists() and shutil.which("apt-get") is None:
        return f"{SSHD} is missing and apt-get is not available to install openssh-server"
    return None


def ensure_openssh() -> None:
    """Install openssh-server when /usr/sbin/sshd is missing; skip the calling test when we cannot."""
    import pytest

    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    if SSHD.exists():
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "openssh-server"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            pytest.skip(f"cannot install openssh-server ({' '.join(command)}): {done.stderr.strip()[-500:]}")
    if not SSHD.exists():
        pytest.skip(f"openssh-server installed but {SSHD} is still missing")


@dataclass(frozen=True)
class SshUser:
    name: str
    password: str
    private_key: str  # OpenSSH text, unencrypted
    public_key: str  # one authorized_keys line
    home: Path

    @property
    def authorized_keys(self) -> Path:
        return self.home / ".ssh" / "authorized_keys"


def ensure_test_user(name: str = TEST_USER) -> SshUser:
    """Create (once) the unprivileged test user and authorize a new throwaway key pair for this session.

    Test sessions may run at the same time on one machine, so nothing another session relies on is
    replaced: the password is made once and kept in a root-only file, and each session's public key is
    added to authorized_keys (the newest `KEEP_SESSION_KEYS` are kept).
    """
    STATE_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = asyncssh.generate_private_key("ssh-ed25519", comment=f"opsgraph-tests-{secrets.token_hex(4)}")
    private_key = key.export_private_key("openssh").decode()
    public_key = key.export_public_key("openssh").decode().strip()
    with open(STATE_DIR / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        entry = _ensure_account(name)
        home = Path(entry.pw_dir)
        _clean_home(home)
        password_file = STATE_DIR / f"{name}.password"
        if not password_file.exists():
            password_file.write_text(secrets.token_urlsafe(18))
            password_file.chmod(0o600)
        password = password_file.read_text().strip()
        subprocess.run(["chpasswd"], input=f"{name}:{password}\n", check=True, capture_output=True, text=True)
        ssh_dir = home / ".ssh"
        ssh_dir.mkdir(mode=0o700, exist_ok=True)
        authorized = ssh_dir / "authorized_keys"
        kept = authorized.read_text().splitlines()[-(KEEP_SESSION_KEYS - 1) :] if authorized.exists() else []
        authorized.write_text("\n".join([*kept, public_key]) + "\n")
        for path, mode in ((home, 0o755), (ssh_dir, 0o700), (authorized, 0o600)):
            os.chown(path, entry.pw_uid, entry.pw_gid)
            path.chmod(mode)
    return SshUser(name=name, password=password, private_key=private_key, public_key=public_key, home=home)


def _ensure_account(name: str) -> pwd.struct_passwd:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", name], check=True, capture_output=True, text=True)
        entry = pwd.getpwnam(name)
    if entry.pw_shell != "/bin/sh":  # no bash: no start-up files to read on every command
        subprocess.run(["usermod", "-s", "/bin/sh", name], check=True, capture_output=True, text=True)
        entry = pwd.getpwnam(name)
    return entry


def _clean_home(home: Path) -> None:
    """Remove the skeleton files useradd copied (.profile, .bashrc, …)."""
    skeleton = {path.name for path in Path("/etc/skel").iterdir()} if Path("/etc/skel").is_dir() else set()
    for leftover in skeleton | set(_SKELETON_FILES):
        path = home / leftover
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def generate_host_key(path: Path) -> str:
    """Write a new ed25519 host key to `path` (0600) and return its public key line."""
    key = asyncssh.generate_private_key("ssh-ed25519")
    path.unlink(missing_ok=True)
    key.write_private_key(path, "openssh")
    path.chmod(0o600)
    return key.export_public_key("openssh").decode().strip()


def free_port(addresses: list[str]) -> int:
    """A port that is free on every one of `addresses` right now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind((addresses[0], 0))
            port = int(probe.getsockname()[1])
        if all(_bindable(address, port) for address in addresses[1:]):
            return port
    raise RuntimeError(f"no port free on all of {len(addresses)} addresses")


def _bindable(address: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True


def _accepts(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=0.5):
            return True
    except OSError:
        return False


def _config(addresses: list[str], port: int, host_key: Path, pid_file: Path, user: SshUser) -> str:
    listen = "\n".join(f"ListenAddress {address}:{port}" for address in addresses)
    return f"""\
{listen}
HostKey {host_key}
PidFile {pid_file}
UsePAM no
PasswordAuthentication yes
PubkeyAuthentication yes
KbdInteractiveAuthentication no
AuthorizedKeysFile {user.authorized_keys}
AllowUsers {user.name}
PermitRootLogin no
StrictModes no
MaxStartups 1000:30:1000
MaxSessions 100
MaxAuthTries 6
UseDNS no
LogLevel ERROR
Subsystem sftp internal-sftp
X11Forwarding no
PrintMotd no
PrintLastLog no
ClientAliveInterval 0
"""


class SshdServer:
    """One sshd process listening on up to 16 loopback addresses, all on one port."""

    def __init__(self, workdir: Path, addresses: list[str], port: int, host_key: Path, user: SshUser) -> None:
        if not 1 <= len(addresses) <= MAX_LISTEN_ADDRESSES:
            raise ValueError(f"an sshd listens on 1–{MAX_LISTEN_ADDRESSES} addresses, not {len(addresses)}")
        self.workdir = workdir
        self.addresses = addresses
        self.port = port
        self.host_key = host_key
        self.user = user
        self.process: subprocess.Popen[bytes] | None = None
        self.config_path = workdir / "sshd_config"
        self.log_path = workdir / "sshd.log"

    def start(self, timeout: float = 15) -> None:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(
            _config(self.addresses, self.port, self.host_key, self.workdir / "sshd.pid", self.user)
        )
        check = subprocess.run([str(SSHD), "-t", "-f", str(self.config_path)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"sshd rejects {self.config_path}: {check.stderr.strip()}")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(SSHD), "-D", "-e", "-f", str(self.config_path)], stdout=log, stderr=subprocess.STDOUT
            )
        _running.add(self.process)
        waiting = list(self.addresses)
        deadline = time.monotonic() + timeout
        while waiting:
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited ({self.process.returncode}): {self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"sshd not accepting on {waiting[0]}:{self.port} after {timeout} s: {self.log_tail()}"
                )
            waiting = [address for address in waiting if not _accepts(address, self.port)]
            if waiting:
                time.sleep(0.05)

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        _running.discard(process)
        self.process = None

    def restart(self, host_key: Path | None = None) -> None:
        """Restart, optionally with another host key (open connections keep their own sshd child)."""
        self.stop()
        if host_key is not None:
            self.host_key = host_key
        self.start()

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""


class SshdPool:
    """sshd on `addresses` (any number), ceil(n/16) processes sharing a host key and a port."""

    def __init__(self, workdir: Path, addresses: list[str], user: SshUser, port: int | None = None) -> None:
        if not addresses:
            raise ValueError("an sshd pool needs at least one address")
        self.workdir = workdir
        self.addresses = list(addresses)
        self.user = user
        self.port = port if port is not None else free_port(self.addresses)
        workdir.mkdir(parents=True, exist_ok=True)
        self.host_key = workdir / "ssh_host_ed25519_key"
        self.host_public_key = generate_host_key(self.host_key)
        self.servers = [
            SshdServer(workdir / f"sshd-{index}", self.addresses[start : start + MAX_LISTEN_ADDRESSES], self.port,
                       self.host_key, user)
            for index, start in enumerate(range(0, len(self.addresses), MAX_LISTEN_ADDRESSES))
        ]  # fmt: skip
        self._rotations = 0

    def start(self) -> SshdPool:
        try:
            for server in self.servers:
                server.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def server_for(self, address: str) -> SshdServer:
        for server in self.servers:
            if address in server.addresses:
                return server
        raise KeyError(f"{address} is not served by this pool")

    def rotate_host_key(self, address: str) -> str:
        """Restart the sshd serving `address` with a NEW host key; return that key's public line.

        Every address of that sshd (up to 16) changes key; the other sshds of the pool keep theirs.
        """
        server = self.server_for(address)
        self._rotations += 1
        new_key = server.workdir / f"ssh_host_ed25519_key.{self._rotations}"
        public_key = generate_host_key(new_key)
        server.restart(host_key=new_key)
        return public_key


def loopback_hosts(count: int, first: int = FIRST_HOST) -> list[str]:
    """`count` distinct loopback addresses: 127.0.0.<first> … 127.0.0.254, then 127.0.1.1 … and so on."""
    hosts: list[str] = []
    third, fourth = 0, first
    while len(hosts) < count:
        if fourth > 254:
            third, fourth = third + 1, 1
        if third > 255:
            raise ValueError(f"too many loopback hosts: {count}")
        hosts.append(f"127.0.{third}.{fourth}")
        fourth += 1
    return hosts
