"""The SSH transport: one asyncssh connection per host, reused for every step of a task.

Commands stream their output line by line; on timeout or cancel the remote process group is killed
over a second channel (closing a channel alone leaves background processes running). Files move
over SFTP. Host keys are checked against a `HostKeyStore` before any credential is sent. Every
asyncssh/OS error is mapped to `SshFailure` (a `HostFailure` and a precise message) at this edge.
Nothing is read from ~/.ssh, the agent or the SSH config: credentials come from the target only.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import errno
import logging
import secrets
import shlex
import signal
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, cast

import asyncssh
from asyncssh.public_key import get_default_public_key_algs

from opsgraph.core.errors import OpsGraphError
from opsgraph.models.tasks import HostFailure

if TYPE_CHECKING:
    from opsgraph.executors.host_keys import HostKeyStore

logger = logging.getLogger(__name__)

OutputCallback = Callable[[str, str], Awaitable[None]]

KEEPALIVE_INTERVAL = 15.0  # seconds without traffic before a keepalive; 3 unanswered close the connection
KILL_GRACE = 5.0  # how long to wait for the process-group id, and for the output to drain after a kill
READ_CHUNK = 65536
MAX_LINE = 65536  # characters: a longer line is delivered in pieces of this size
_PGID_MARKER = "__OG_PGID__ "
# Run by the login shell in place of the command (`exec sh -c <wrapper> <command>`: the login shell
# may not be POSIX): report the process group (sshd made the session its leader), then run the
# command in this same shell. /proc is read with a builtin; ps is the fallback. The command is
# `eval`ed rather than handed to a second `exec sh -c`: one shell start-up less on the host for
# every command (~0.5 ms of CPU), same process, same group; the wrapper's variables and positional
# parameters are cleared first, so the command sees what a fresh `sh -c` would (but `$0`).
_RUN_COMMAND = 'unset g _og_go; set --; eval "$0"'
_WRAPPER = (
    'read -r _ _ _ _ g _ < /proc/$$/stat 2>/dev/null || g=$(ps -o pgid= -p $$ | tr -d " "); '
    f'echo "{_PGID_MARKER}$g" >&2; {_RUN_COMMAND}'
)
# With a run token (`SshSession.run_token`): the same, exporting OPSGRAPH_RUN=<token> into the command
# and leaving the process group in the host's group file for that token (`group_file`, created
# exclusively, removed when the wrapper exits). The caller has committed a record naming the host
# and the token before the command may run, so a crash at any moment leaves the running command
# findable (its group in the file; its processes carry the token, which proves the group is still
# ours) and killable (executors/remote_processes.py), with no round trip in between: the command no
# longer waits on stdin until its process group is persisted (~0.2 s of a host's ~1.4 s under load).
_TOKEN_WRAPPER = (
    'read -r _ _ _ _ g _ < /proc/$$/stat 2>/dev/null || g=$(ps -o pgid= -p $$ | tr -d " "); '
    f'echo "{_PGID_MARKER}$g" >&2; OPSGRAPH_RUN="$1"; export OPSGRAPH_RUN; '
    '_og_f="${TMPDIR:-/tmp}/.opsgraph-run.$1"; set -C; echo "$g" > "$_og_f" 2>/dev/null; set +C; '
    'trap "rm -f \\"$_og_f\\"" EXIT; unset _og_f; '
    f"{_RUN_COMMAND}"
)


def group_file(token: str) -> str:
    """Where (a shell word) a command run with `token` left its process group on the host."""
    return f'"${{TMPDIR:-/tmp}}/.opsgraph-run.{shlex.quote(token)}"'


_NO_KNOWN_HOSTS: tuple[list[str], list[str], list[str]] = ([], [], [])  # every key goes to validate_host_public_key
_PLAIN_HOST_KEY_ALGS = [alg.decode() for alg in get_default_public_key_algs()]  # no certificates: no CA is trusted


@dataclass(frozen=True)
class SshTarget:
    address: str
    port: int
    username: str
    password: str | None = field(default=None, repr=False)
    private_key: str | None = field(default=None, repr=False)  # OpenSSH/PEM text, decrypted by the caller
    jump: SshTarget | None = None  # reach this host through another one

    @property
    def where(self) -> str:
        return f"{self.address}:{self.port}"


KeyLoader = Callable[[SshTarget], asyncssh.SSHKey | None]  # a target's private key, parsed


class SshFailure(OpsGraphError):
    """Why a host could not be worked on; `code` is the HostFailure value."""

    def __init__(self, failure: HostFailure, message: str) -> None:
        super().__init__(message, code=failure.value)
        self.failure = failure


@dataclass
class CommandResult:
    exit_code: int | None  # 128 + N when killed by signal N; None when timed out/cancelled before exiting
    timed_out: bool
    cancelled: bool


class _Client(asyncssh.SSHClient):
    """Hands credentials to asyncssh only after the host key passed the store."""

    def __init__(self, target: SshTarget, keys: HostKeyStore, private_key: asyncssh.SSHKey | None) -> None:
        self._target = target
        self._keys = keys
        self._private_key = private_key
        self._password = target.password
        self._lock = asyncio.Lock()
        self._verified = False
        self.host_key: asyncssh.SSHKey | None = None
        self.host_key_error: SshFailure | None = None

    def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        self.host_key = key  # accepted provisionally: verify_host_key runs before any credential leaves
        return True

    async def verify_host_key(self) -> None:
        async with self._lock:
            if self._verified:
                return
            if self.host_key is None:
                self.host_key_error = SshFailure(
                    HostFailure.HOST_KEY_MISMATCH, f"{self._target.where} presented no plain host key"
                )
                raise self.host_key_error
            try:
                await self._keys.verify(self._target.address, self._target.port, self.host_key)
            except SshFailure as exc:
                self.host_key_error = exc
                raise
            self._verified = True

    async def _checked(self) -> None:
        try:
            await self.verify_host_key()
        except SshFailure as exc:
            raise asyncssh.HostKeyNotVerifiable(exc.message) from exc  # disconnects before auth

    async def public_key_auth_requested(self) -> asyncssh.SSHKey | None:
        if self._private_key is None:
            return None
        await self._checked()
        key, self._private_key = self._private_key, None  # offered once
        return key

    async def password_auth_requested(self) -> str | None:
        if self._password is None:
            return None
        await self._checked()
        password, self._password = self._password, None  # offered once (password or keyboard-interactive)
        return password


class SshSession:
    """One open connection to one host."""

    def __init__(
        self,
        target: SshTarget,
        connection: asyncssh.SSHClientConnection,
        host_key: asyncssh.SSHKey,
        jump: SshSession | None = None,
    ) -> None:
        self.target = target
        self.host_key = host_key
        self._connection = connection
        self._jump = jump
        self._sftp: asyncssh.SFTPClient | None = None
        self._sftp_lock = asyncio.Lock()
        self._cleanups: set[asyncio.Task[None]] = set()
        self.run_token: str | None = None  # set by the runner: the token of the host's committed process record

    async def __aenter__(self) -> SshSession:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def run(
        self,
        command: str,
        *,
        on_output: OutputCallback,
        timeout: float | None,  # enforced here, with a remote kill
        cancel: asyncio.Event | None = None,
        stdin: str | None = None,
    ) -> CommandResult:
        """Run `command` through the login shell, streaming output lines to `on_output(stream, line)`."""
        token = self.run_token
        if token is None:
            wrapped = f"exec sh -c {shlex.quote(_WRAPPER)} {shlex.quote(command)}"
        else:
            wrapped = f"exec sh -c {shlex.quote(_TOKEN_WRAPPER)} {shlex.quote(command)} {shlex.quote(token)}"
        try:
            process = await self._connection.create_process(wrapped, encoding=None)
        except (asyncssh.Error, OSError) as exc:
            raise self._failure(exc, "cannot start the command") from exc
        loop = asyncio.get_running_loop()
        pgid: asyncio.Future[int | None] = loop.create_future()
        finished = asyncio.ensure_future(self._collect(process, on_output, pgid))
        finished.add_done_callback(_retrieve)  # an error after a kill is expected: do not log it as unretrieved
        try:
            if stdin is not None:
                process.stdin.write(stdin.encode())
            process.stdin.write_eof()
        except (asyncssh.Error, OSError):
            pass  # the process already went away; its exit status tells
        cancelled = asyncio.ensure_future(cancel.wait()) if cancel is not None else None
        try:
            done, _ = await asyncio.wait(
                {finished} if cancelled is None else {finished, cancelled},
                timeout=timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if finished in done:
                if finished.exception() is not None:
                    await self._terminate(process, pgid, finished, token)  # e.g. on_output raised: stop it
                return self._result(process, finished)
            await self._terminate(process, pgid, finished, token)
            was_cancelled = cancelled is not None and cancelled in done
            return CommandResult(exit_code=None, timed_out=not was_cancelled, cancelled=was_cancelled)
        except asyncio.CancelledError:
            if not finished.done() or process.exit_status is None:  # our caller is cancelled: still kill
                cleanup = asyncio.ensure_future(self._terminate(process, pgid, finished, token))
                self._cleanups.add(cleanup)
                cleanup.add_done_callback(self._cleanups.discard)
            raise
        finally:
            if cancelled is not None:
                cancelled.cancel()

    def _result(self, process: asyncssh.SSHClientProcess[bytes], finished: asyncio.Future[None]) -> CommandResult:
        exc = finished.exception()
        if exc is not None:
            if isinstance(exc, asyncssh.Error | OSError):
                raise self._failure(exc, "lost the command's output") from exc
            raise exc
        status = process.exit_status
        if status is None:
            raise SshFailure(HostFailure.UNREACHABLE, f"connection to {self.target.where} lost while running a command")
        if status == -1 and process.exit_signal is not None:
            name = process.exit_signal[0]
            number = signal.Signals[f"SIG{name}"].value if f"SIG{name}" in signal.Signals.__members__ else 0
            status = 128 + number
        return CommandResult(exit_code=status, timed_out=False, cancelled=False)

    async def _collect(
        self, process: asyncssh.SSHClientProcess[bytes], on_output: OutputCallback, pgid: asyncio.Future[int | None]
    ) -> None:
        await asyncio.gather(
            _pump(process.stdout, "stdout", on_output, None), _pump(process.stderr, "stderr", on_output, pgid)
        )
        await process.wait_closed()

    async def _terminate(
        self,
        process: asyncssh.SSHClientProcess[bytes],
        pgid: asyncio.Future[int | None],
        finished: asyncio.Future[None],
        token: str | None,
    ) -> None:
        """Kill the remote process group (TERM, then KILL), let the output drain, close the channel."""
        await asyncio.wait({pgid}, timeout=KILL_GRACE)
        group = pgid.result() if pgid.done() else None
        running = not finished.done() or process.exit_status is None
        if group is not None and group > 1 and running:  # never `kill -- -1` (every process of the user)
            kill = (  # no `--`: dash's kill builtin rejects it; a negative number after the signal is a group
                f"kill -TERM -{group} 2>/dev/null || exit 0; i=0; "
                f"while [ $i -lt 10 ] && kill -0 -{group} 2>/dev/null; do sleep 0.1; i=$((i+1)); done; "
                f"kill -KILL -{group} 2>/dev/null; exit 0"
            )
            if token is not None:  # a killed wrapper leaves its group file behind
                kill = f"rm -f {group_file(token)}; {kill}"
            try:
                await asyncio.wait_for(self._connection.run(kill, check=False), 15)
            except (asyncssh.Error, OSError) as exc:  # TimeoutError is an OSError
                logger.warning("cannot kill process group %s on %s: %s", group, self.target.where, exc)
        elif running:
            logger.warning("no process group reported by %s: closing the channel only", self.target.where)
        if not finished.done():
            await asyncio.wait({finished}, timeout=KILL_GRACE)  # let the last output arrive
        process.close()
        if not finished.done():
            finished.cancel()

    async def put_file(
        self, data: bytes | Path, remote_path: str, *, mode: int | None = None, owner: str | None = None
    ) -> None:
        """Write a file atomically (temporary name, then rename); `owner` is applied with chown."""
        if isinstance(data, Path) and not await asyncio.to_thread(data.is_file):
            raise SshFailure(HostFailure.FILE_MISSING, f"local file {data} does not exist")
        temp = f"{remote_path}.og-{secrets.token_hex(4)}.part"
        sftp = await self._open_sftp()
        attrs = asyncssh.SFTPAttrs(permissions=mode & 0o700) if mode is not None else asyncssh.SFTPAttrs()
        try:
            try:
                async with sftp.open(temp, "wb", attrs, encoding=None) as remote:
                    if isinstance(data, bytes):
                        await remote.write(data)
                if isinstance(data, Path):
                    await sftp.put(str(data), temp)  # truncates the file created above, keeping its mode
                if mode is not None:
                    await sftp.chmod(temp, mode)
                if owner:
                    await self._chown(temp, owner)
                try:
                    await sftp.posix_rename(temp, remote_path)
                except asyncssh.SFTPOpUnsupported:  # plain SFTP rename refuses to replace a file
                    if await sftp.exists(remote_path):
                        await sftp.remove(remote_path)
                    await sftp.rename(temp, remote_path)
            except BaseException:
                with contextlib.suppress(asyncssh.Error, OSError):
                    await sftp.remove(temp)
                raise
        except asyncssh.SFTPError as exc:
            raise SshFailure(
                HostFailure.FILE_TRANSFER_FAILED, f"cannot write {remote_path} on {self.target.where}: {exc.reason}"
            ) from exc
        except (asyncssh.Error, OSError) as exc:
            raise self._failure(exc, f"cannot write {remote_path}", HostFailure.FILE_TRANSFER_FAILED) from exc

    async def _chown(self, path: str, owner: str) -> None:
        try:
            done = await self._connection.run(f"chown -- {shlex.quote(owner)} {shlex.quote(path)}", check=False)
        except (asyncssh.Error, OSError) as exc:
            raise self._failure(exc, f"cannot change the owner of {path}") from exc
        if done.exit_status != 0:
            error = str(done.stderr or "").strip() or f"exit status {done.exit_status}"
            raise SshFailure(
                HostFailure.FILE_TRANSFER_FAILED,
                f"cannot change the owner of {path} to {owner} on {self.target.where}: {error}",
            )

    async def read_file(self, remote_path: str) -> bytes:
        sftp = await self._open_sftp()
        try:
            async with sftp.open(remote_path, "rb", encoding=None) as remote:
                return cast(bytes, await remote.read())
        except (asyncssh.SFTPNoSuchFile, asyncssh.SFTPNoSuchPath) as exc:
            raise SshFailure(HostFailure.FILE_MISSING, f"{remote_path} does not exist on {self.target.where}") from exc
        except asyncssh.SFTPError as exc:
            raise SshFailure(
                HostFailure.FILE_TRANSFER_FAILED, f"cannot read {remote_path} on {self.target.where}: {exc.reason}"
            ) from exc
        except (asyncssh.Error, OSError) as exc:
            raise self._failure(exc, f"cannot read {remote_path}", HostFailure.FILE_TRANSFER_FAILED) from exc

    async def sftp(self) -> asyncssh.SFTPClient:
        """The session's SFTP channel (opened once), for callers that walk trees; they map asyncssh
        errors with `failure` at their own edge."""
        return await self._open_sftp()

    def failure(self, exc: BaseException, doing: str, default: HostFailure = HostFailure.PROTOCOL_ERROR) -> SshFailure:
        """An asyncssh/OS error met on this open connection, as a host failure with its reason."""
        return self._failure(exc, doing, default)

    async def _open_sftp(self) -> asyncssh.SFTPClient:
        async with self._sftp_lock:
            if self._sftp is None:
                try:
                    self._sftp = await self._connection.start_sftp_client()
                except (asyncssh.Error, OSError) as exc:
                    raise self._failure(exc, "cannot start SFTP", HostFailure.FILE_TRANSFER_FAILED) from exc
            return self._sftp

    def _failure(self, exc: BaseException, doing: str, default: HostFailure = HostFailure.PROTOCOL_ERROR) -> SshFailure:
        """Map an error on an open connection."""
        if isinstance(exc, asyncssh.ConnectionLost | ConnectionError) or self._connection.is_closed():
            return SshFailure(HostFailure.UNREACHABLE, f"{doing}: connection to {self.target.where} lost")
        reason = exc.reason if isinstance(exc, asyncssh.Error) else str(exc)
        return SshFailure(default, f"{doing} on {self.target.where}: {reason}")

    async def close(self) -> None:
        if self._sftp is not None:
            self._sftp.exit()
            self._sftp = None
        self._connection.close()
        await self._connection.wait_closed()
        if self._jump is not None:
            await self._jump.close()


def _retrieve(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()


async def _pump(
    reader: asyncssh.SSHReader[bytes], stream: str, on_output: OutputCallback, pgid: asyncio.Future[int | None] | None
) -> None:
    """Deliver `reader`'s output line by line (no newline); a partial last line is flushed at the end.

    With `pgid`, the first line is the wrapper's process-group marker: it resolves `pgid` and is dropped.
    """
    try:
        await _pump_lines(reader, stream, on_output, pgid)
    finally:
        if pgid is not None and not pgid.done():
            pgid.set_result(None)


async def _pump_lines(
    reader: asyncssh.SSHReader[bytes], stream: str, on_output: OutputCallback, pgid: asyncio.Future[int | None] | None
) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""

    async def emit(line: str) -> None:
        if pgid is not None and not pgid.done():
            if line.startswith(_PGID_MARKER):
                value = line[len(_PGID_MARKER) :].strip()
                pgid.set_result(int(value) if value.isdigit() else None)
                return
            pgid.set_result(None)
        await on_output(stream, line.removesuffix("\r"))

    while chunk := await reader.read(READ_CHUNK):
        pending += decoder.decode(chunk)
        *lines, pending = pending.split("\n")
        for line in lines:
            await emit(line)
        while len(pending) > MAX_LINE:
            await emit(pending[:MAX_LINE])
            pending = pending[MAX_LINE:]
    pending += decoder.decode(b"", final=True)
    if pending:
        await emit(pending)


def load_client_key(target: SshTarget) -> asyncssh.SSHKey | None:
    """The target's private key, parsed (None when it logs in with a password)."""
    if target.private_key is None:
        return None
    try:
        return asyncssh.import_private_key(target.private_key)
    except asyncssh.KeyEncryptionError as exc:
        raise SshFailure(HostFailure.AUTH_FAILED, f"private key for user {target.username} is encrypted") from exc
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise SshFailure(
            HostFailure.AUTH_FAILED, f"private key for user {target.username} is not a valid key: {exc}"
        ) from exc


def _connect_failure(exc: BaseException, target: SshTarget, client: _Client, timeout: float) -> SshFailure:
    where = target.where
    if client.host_key_error is not None:
        return client.host_key_error
    if isinstance(exc, asyncssh.PermissionDenied):
        return SshFailure(HostFailure.AUTH_FAILED, f"authentication failed for user {target.username} on {where}")
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        return SshFailure(HostFailure.HOST_KEY_MISMATCH, f"host key of {where} not accepted: {exc.reason}")
    if isinstance(exc, asyncssh.ConnectionLost):
        return SshFailure(HostFailure.PROTOCOL_ERROR, f"{where} closed the connection during the handshake")
    if isinstance(exc, asyncssh.Error):
        return SshFailure(HostFailure.PROTOCOL_ERROR, f"SSH protocol error with {where}: {exc.reason}")
    if isinstance(exc, ConnectionRefusedError):
        return SshFailure(HostFailure.UNREACHABLE, f"connection refused by {where}")
    if isinstance(exc, ConnectionResetError):  # after the TCP connect: something answered, but not SSH as expected
        return SshFailure(HostFailure.PROTOCOL_ERROR, f"connection reset by {where} during the SSH handshake")
    if isinstance(exc, socket.gaierror):
        return SshFailure(HostFailure.UNREACHABLE, f"cannot resolve host {target.address}: {exc.strerror}")
    if isinstance(exc, TimeoutError):
        return SshFailure(HostFailure.UNREACHABLE, f"connection to {where} timed out after {timeout:g} s")
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return SshFailure(HostFailure.UNREACHABLE, f"no route to {where}")
    if isinstance(exc, OSError):
        return SshFailure(HostFailure.UNREACHABLE, f"cannot connect to {where}: {exc.strerror or exc}")
    return SshFailure(HostFailure.PROTOCOL_ERROR, f"cannot connect to {where}: {exc}")


async def _connect(
    target: SshTarget,
    keys: HostKeyStore,
    connect_timeout: float,
    tunnel: asyncssh.SSHClientConnection | None,
    load_key: KeyLoader,
) -> tuple[asyncssh.SSHClientConnection, asyncssh.SSHKey]:
    private_key = load_key(target)
    if private_key is None and target.password is None:
        raise SshFailure(HostFailure.AUTH_FAILED, f"no password or private key for user {target.username}")
    methods = (["publickey"] if private_key is not None else []) + (
        ["password", "keyboard-interactive"] if target.password is not None else []
    )
    client = _Client(target, keys, private_key)
    try:
        connection = await asyncssh.connect(
            target.address,
            target.port,
            tunnel=tunnel if tunnel is not None else (),
            client_factory=lambda: client,
            username=target.username,
            config=[],  # not ~/.ssh/config
            known_hosts=_NO_KNOWN_HOSTS,  # not ~/.ssh/known_hosts, and no key trusted blindly
            server_host_key_algs=_PLAIN_HOST_KEY_ALGS,
            x509_trusted_certs=None,
            client_keys=None,  # not ~/.ssh/id_*: the key comes from the target, through _Client
            agent_path=None,
            agent_forwarding=False,
            pkcs11_provider=None,
            gss_host=None,
            host_based_auth=False,
            public_key_auth=private_key is not None,
            password_auth=target.password is not None,
            kbdint_auth=target.password is not None,
            preferred_auth=methods,
            compression_algs=None,
            keepalive_interval=KEEPALIVE_INTERVAL,
            keepalive_count_max=3,
            connect_timeout=connect_timeout,
        )
    except (asyncssh.Error, OSError) as exc:
        raise _connect_failure(exc, target, client, connect_timeout) from exc
    try:
        await client.verify_host_key()  # already done unless the server let us in without credentials
    except BaseException:
        connection.abort()
        raise
    assert client.host_key is not None
    return connection, client.host_key


async def open_session(
    target: SshTarget, keys: HostKeyStore, *, connect_timeout: float = 10, load_key: KeyLoader = load_client_key
) -> SshSession:
    """Connect and authenticate (through `target.jump` when set); raises SshFailure. `load_key` parses
    the target's private key (a pool of many sessions passes one that parses each key once)."""
    jump: SshSession | None = None
    if target.jump is not None:
        try:
            jump = await open_session(target.jump, keys, connect_timeout=connect_timeout, load_key=load_key)
        except SshFailure as exc:
            raise SshFailure(exc.failure, f"jump host {target.jump.where} for {target.where}: {exc.message}") from exc
    try:
        connection, host_key = await _connect(
            target, keys, connect_timeout, jump._connection if jump is not None else None, load_key
        )
    except BaseException:
        if jump is not None:
            await jump.close()
        raise
    return SshSession(target, connection, host_key, jump)
