"""The `agent_install` step: INSTALL, REINSTALL, UPGRADE, UNINSTALL or REMOVE the OpsGraph agent on
one host, over the SSH session the runner opened (phase `connect`).

Phases, each published as it starts and each with its own failure reason:
  install    check_os → push_files → write_config → start → wait_heartbeat
  upgrade    check_os → push_files → start → wait_heartbeat       (same directory, same token)
  uninstall  stop → remove_files                                   (REMOVE then forgets the agent)
  reinstall  uninstall, then install (with a new token)

The agent lives in `<OPSGRAPH_AGENT_INSTALL_ROOT>/<host id>/`, so several "hosts" that are one machine
(loopback tests) never share files or a process. It is started detached (setsid), so it outlives the
SSH session; a host counts as installed only once a heartbeat signed with its new token arrived.
"""

from __future__ import annotations

import json
import posixpath
import shlex
import time
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from opsgraph.agent import AGENT_FILE, CONFIG_FILE, LOG_FILE, PID_FILE, agent_program
from opsgraph.core.agent_tokens import issue_token
from opsgraph.executors.heartbeat_watch import HeartbeatWatch
from opsgraph.executors.steps import HostOutcome, HostRun, outcome_of_command, register_step
from opsgraph.models.agents import AgentNodeType, AgentOperation, AgentState, AgentStatus
from opsgraph.models.tasks import HostFailure, TaskStatus

STEP_KIND = "agent_install"
COMMAND_TIMEOUT = 30.0  # per SSH command, as bk-nodeman's SSH_RUN_TIMEOUT
PROBE_EVERY = 2.0  # while waiting for the first heartbeat: is the agent process still there?
MIN_PYTHON = (3, 6)


class _Failed(Exception):
    def __init__(self, status: TaskStatus, failure: HostFailure | str, error: str) -> None:
        super().__init__(error)
        self.outcome = HostOutcome(status, failure=str(failure), error=error)


def _fail(failure: HostFailure, error: str) -> _Failed:
    return _Failed(TaskStatus.FAILED, failure, error)


def _stop_script(directory: str) -> str:
    """Stop the agent started from `directory` (TERM, then KILL after 5 s); only a process whose command
    line names this directory's config is signalled, so a recycled pid is never hit."""
    d = shlex.quote(directory)
    return (
        f'd={d}; p=$(cat "$d/{PID_FILE}" 2>/dev/null); '
        f'if [ -n "$p" ] && ps -p "$p" -o args= 2>/dev/null | grep -qF -- "$d/{CONFIG_FILE}"; then '
        'kill -TERM "$p"; i=0; while [ $i -lt 50 ] && kill -0 "$p" 2>/dev/null; do sleep 0.1; i=$((i+1)); done; '
        'kill -KILL "$p" 2>/dev/null; echo "stopped agent $p"; else echo "no agent running"; fi'
    )


def _start_script(directory: str) -> str:
    d = shlex.quote(directory)
    return (
        f'd={d}; cd "$d" || exit 1; s=; command -v setsid >/dev/null 2>&1 && s=setsid; '
        f'$s nohup python3 "$d/{AGENT_FILE}" --config "$d/{CONFIG_FILE}" >>"$d/{LOG_FILE}" 2>&1 </dev/null & '
        'echo "agent started"'
    )


def _probe_script(directory: str) -> str:
    d = shlex.quote(directory)
    return (
        f'd={d}; p=$(cat "$d/{PID_FILE}" 2>/dev/null); '
        'if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then echo running; '
        f'else echo exited; tail -n 3 "$d/{LOG_FILE}" 2>/dev/null; fi'
    )


class _HostInstall:
    def __init__(self, run: HostRun, host_id: int) -> None:
        self.run = run
        self.host_id = host_id
        self.settings = run.settings
        self.node_type = AgentNodeType(run.config.get("node_type", AgentNodeType.AGENT))

    def default_directory(self) -> str:
        return f"{self.settings.agent_install_root}/{self.host_id}"

    # -- commands -----------------------------------------------------------------------------------------

    async def command(self, script: str, *, doing: str, failure: HostFailure) -> list[str]:
        """Run `script`; its stdout lines. A non-zero exit fails the host with `failure` and stderr's last line."""
        stdout: list[str] = []
        stderr: list[str] = []

        async def collect(stream: str, line: str) -> None:
            (stdout if stream == "stdout" else stderr).append(line)
            await self.run.emit(stream, line)

        result = await self.run.session.run(script, on_output=collect, timeout=COMMAND_TIMEOUT, cancel=self.run.cancel)
        outcome = outcome_of_command(result, timeout=COMMAND_TIMEOUT)
        if outcome.status == TaskStatus.SUCCESS:
            return stdout
        if outcome.failure == HostFailure.NON_ZERO_EXIT:
            reason = stderr[-1] if stderr else f"exit code {result.exit_code}"
            raise _Failed(TaskStatus.FAILED, failure, f"{doing}: {reason}")
        raise _Failed(outcome.status, outcome.failure, f"{doing}: {outcome.error}")

    # -- phases -------------------------------------------------------------------------------------------

    async def check_os(self) -> None:
        await self.run.phase("check_os")
        script = (
            "uname -s; uname -r; if command -v python3 >/dev/null 2>&1; then "
            "python3 -c 'import sys; print(\"python3 %d.%d\" % sys.version_info[:2])'; else echo 'python3 missing'; fi"
        )
        lines = await self.command(script, doing="cannot inspect the host", failure=HostFailure.PROTOCOL_ERROR)
        system = lines[0] if lines else ""
        if system.upper().startswith(("CYGWIN", "MINGW", "MSYS", "WINDOWS")) or not system:
            raise _fail(HostFailure.PREREQUISITE_MISSING, f"unsupported OS {system!r}: a POSIX host is needed")
        python = next((line for line in lines if line.startswith("python3 ")), "python3 missing")
        if python == "python3 missing":
            raise _fail(HostFailure.PREREQUISITE_MISSING, "python3 is not installed (the agent needs python3)")
        version = tuple(int(part) for part in python.split()[1].split(".")[:2] if part.isdigit())
        if version < MIN_PYTHON:
            need = ".".join(map(str, MIN_PYTHON))
            raise _fail(HostFailure.PREREQUISITE_MISSING, f"{python} is too old: the agent needs python3 >= {need}")

    async def push_files(self, directory: str) -> None:
        await self.run.phase("push_files")
        d = shlex.quote(directory)
        await self.command(
            f"umask 077; mkdir -p -- {d} && chmod 700 -- {d}",
            doing=f"cannot create {directory}",
            failure=HostFailure.FILE_TRANSFER_FAILED,
        )
        await self.run.session.put_file(agent_program(), f"{directory}/{AGENT_FILE}", mode=0o700)
        await self.run.emit("stdout", f"wrote {directory}/{AGENT_FILE}")

    async def write_config(self, directory: str) -> None:
        """A new token: stored encrypted first (a config nobody can verify is useless), then written to the host."""
        await self.run.phase("write_config")
        if not self.settings.public_url:
            raise _fail(
                HostFailure.PREREQUISITE_MISSING,
                "the server does not know its own address: set OPSGRAPH_PUBLIC_URL (or start it with `opsgraph serve`)",
            )
        issued = issue_token(self.settings.secret_key)
        await _save_state(
            self.host_id,
            node_type=self.node_type,
            cloud_area_id=self.run.result.cloud_area_id,
            status=AgentStatus.INSTALLING,
            token_secret=issued.ciphertext,
            token_hash=issued.sha256,
            token_issued_at=datetime.now(UTC),
            login=self.proxy_login(),
            install_dir=directory,
            last_seen_ms=0,
            last_heartbeat_at=None,
        )
        config = {
            "server": self.settings.public_url,
            "host_id": self.host_id,
            "token": issued.token,
            "interval": self.settings.agent_heartbeat_seconds,
        }
        await self.run.session.put_file(json.dumps(config).encode(), f"{directory}/{CONFIG_FILE}", mode=0o600)
        await self.run.emit("stdout", f"wrote {directory}/{CONFIG_FILE} (server {self.settings.public_url})")

    def proxy_login(self) -> dict[str, Any] | None:
        """A proxy keeps the login it was installed with (secrets stay encrypted): its PAGENTs' route."""
        if self.node_type != AgentNodeType.PROXY:
            return None
        login = dict((self.run.config.get("host_logins") or {}).get(str(self.host_id)) or {})
        login.pop("jump", None)
        target = self.run.session.target
        return {**login, "address": target.address, "port": target.port}

    async def stop(self, directory: str) -> None:
        await self.run.phase("stop")
        await self.command(_stop_script(directory), doing="cannot stop the agent", failure=HostFailure.PROTOCOL_ERROR)

    async def start(self, directory: str) -> datetime:
        """(Re)start the agent; returns when it was started (heartbeats before that do not count)."""
        await self.run.phase("start")
        failure = HostFailure.PROTOCOL_ERROR
        await self.command(_stop_script(directory), doing="cannot stop the old agent", failure=failure)
        started = datetime.now(UTC)
        await self.command(_start_script(directory), doing="cannot start the agent", failure=failure)
        return started

    async def wait_heartbeat(self, directory: str, since: datetime) -> None:
        await self.run.phase("wait_heartbeat")
        watch: HeartbeatWatch = self.run.step_state.setdefault("heartbeats", HeartbeatWatch())
        limit = self.settings.agent_install_wait_seconds
        deadline = time.monotonic() + limit
        while True:
            remaining = deadline - time.monotonic()
            beat = await watch.wait(self.host_id, since, min(PROBE_EVERY, max(remaining, 0)), self.run.cancel)
            if beat is not None:
                await self.run.emit("stdout", f"first heartbeat at {beat.isoformat()}")
                return
            if self.run.cancel.is_set():
                raise _Failed(TaskStatus.CANCELLED, HostFailure.CANCELLED, "cancelled while waiting for a heartbeat")
            if time.monotonic() >= deadline:
                await _mark_failed(self.host_id)
                raise _fail(
                    HostFailure.NO_HEARTBEAT,
                    f"no heartbeat within {limit} s: the agent runs but cannot reach {self.settings.public_url}",
                )
            probe = await self.command(
                _probe_script(directory), doing="cannot check the agent process", failure=HostFailure.PROTOCOL_ERROR
            )
            if probe[:1] == ["exited"]:
                await _mark_failed(self.host_id)
                last = probe[-1] if len(probe) > 1 else f"see {directory}/{LOG_FILE}"
                raise _fail(HostFailure.NO_HEARTBEAT, f"the agent exited before its first heartbeat: {last}")

    async def remove_files(self, directory: str) -> None:
        await self.run.phase("remove_files")
        if not posixpath.isabs(directory) or posixpath.basename(directory.rstrip("/")) != str(self.host_id):
            raise _fail(HostFailure.PROTOCOL_ERROR, f"refusing to remove {directory!r}: not an agent directory")
        await self.command(
            f"rm -rf -- {shlex.quote(directory)}",
            doing=f"cannot remove {directory}",
            failure=HostFailure.FILE_TRANSFER_FAILED,
        )
        await self.run.emit("stdout", f"removed {directory}")

    # -- operations ---------------------------------------------------------------------------------------

    async def install(self) -> None:
        directory = self.default_directory()
        await self.check_os()
        await self.push_files(directory)
        await self.write_config(directory)
        since = await self.start(directory)
        await self.wait_heartbeat(directory, since)

    async def upgrade(self, state: AgentState | None) -> None:
        if state is None or not state.token_secret or not state.install_dir:
            raise _fail(HostFailure.AGENT_NOT_INSTALLED, "no agent is installed on this host: install it first")
        await self.check_os()
        await self.push_files(state.install_dir)
        since = await self.start(state.install_dir)
        await self.wait_heartbeat(state.install_dir, since)

    async def uninstall(self, state: AgentState | None) -> None:
        directory = state.install_dir if state and state.install_dir else self.default_directory()
        await self.stop(directory)
        await self.remove_files(directory)
        if state is not None:  # a stale agent still somewhere can no longer sign anything
            await AgentState.filter(host_id=self.host_id).update(
                status=AgentStatus.UNINSTALLED, token_secret="", token_hash="", login=None
            )


async def _save_state(host_id: int, **values: Any) -> None:
    if await AgentState.filter(host_id=host_id).update(**values):
        return
    try:
        await AgentState.create(host_id=host_id, **values)
    except IntegrityError:  # created meanwhile (another task on this host)
        await AgentState.filter(host_id=host_id).update(**values)


async def _mark_failed(host_id: int) -> None:
    await AgentState.filter(host_id=host_id, status=AgentStatus.INSTALLING).update(status=AgentStatus.INSTALL_FAILED)


@register_step(STEP_KIND)
async def agent_on_host(run: HostRun) -> HostOutcome:
    if run.result.host_id is None:
        return HostOutcome(TaskStatus.FAILED, failure=HostFailure.PROTOCOL_ERROR, error="the host no longer exists")
    host = _HostInstall(run, run.result.host_id)
    operation = AgentOperation(run.config["operation"])
    state = await AgentState.get_or_none(host_id=host.host_id)
    try:
        if operation in {AgentOperation.UNINSTALL, AgentOperation.REMOVE, AgentOperation.REINSTALL}:
            await host.uninstall(state)
        if operation == AgentOperation.REMOVE:
            await AgentState.filter(host_id=host.host_id).delete()  # the host itself stays in the CMDB
        elif operation in {AgentOperation.INSTALL, AgentOperation.REINSTALL}:
            await host.install()
        elif operation == AgentOperation.UPGRADE:
            await host.upgrade(state)
    except _Failed as failed:
        return failed.outcome
    return HostOutcome(TaskStatus.SUCCESS, exit_code=0)
