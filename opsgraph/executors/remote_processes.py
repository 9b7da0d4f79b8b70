"""Remote commands left running by a process that died: find them again and stop them.

The runner records each host's commands (`RemoteProcess`: the host and a random token) in the same
transaction as the host's RUNNING state, committed before any command starts; the commands carry
the token in their environment and leave their process group in a file on the host named by the
token (`SshSession.run_token`, `ssh.group_file`). Recovery after a restart, and the supervisor
taking over a dead worker's task, call `stop_interrupted_commands`: for every host still RUNNING it
reconnects with the step's own login, reads the process group, checks that it still carries the
command's token (so a reused number is never killed), kills it (TERM, then KILL) and says what it
did. Only then are those hosts declared INTERRUPTED, so a retry never runs a script twice at once.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
from dataclasses import dataclass
from datetime import datetime

from opsgraph.core.settings import Settings
from opsgraph.executors.host_keys import DatabaseHostKeyStore
from opsgraph.executors.recorder import now
from opsgraph.executors.sessions import SessionPool
from opsgraph.executors.ssh import SshFailure, SshTarget, group_file
from opsgraph.models.remote_processes import RemoteProcess
from opsgraph.models.tasks import TaskHostResult, TaskStatus, TaskStep

log = logging.getLogger("opsgraph.remote_processes")
_PARALLEL = 50
_KILL_TIMEOUT = 20.0


def kill_script(pgid: int, token: str) -> str:
    """Kill process group `pgid` — or, when it is 0, the group the command left in its group file
    (ssh.group_file) — if one of its processes carries OPSGRAPH_RUN=`token`; prints the outcome.

    The group is read from /proc/<pid>/stat after the command name (which may hold spaces)."""
    known = str(int(pgid)) if pgid > 1 else ""
    return (
        f"g={known}; t={shlex.quote(token)}; f={group_file(token)}; hit=0; "
        '[ -n "$g" ] || g=$(cat "$f" 2>/dev/null); rm -f "$f"; '
        'case "$g" in ""|*[!0-9]*|0|1) echo gone; exit 0;; esac; '
        "for d in /proc/[0-9]*; do "
        's=$(cat "$d/stat" 2>/dev/null) || continue; s=${s##*) }; set -- $s; '
        '[ "$3" = "$g" ] || continue; '
        "if tr '\\0' '\\n' < \"$d/environ\" 2>/dev/null | grep -qx \"OPSGRAPH_RUN=$t\"; then hit=1; break; fi; "
        "done; "
        "[ $hit = 1 ] || { echo gone; exit 0; }; "
        "kill -TERM -$g 2>/dev/null; i=0; "
        "while [ $i -lt 20 ] && kill -0 -$g 2>/dev/null; do sleep 0.1; i=$((i+1)); done; "
        'kill -KILL -$g 2>/dev/null; echo "killed $g"'
    )


@dataclass(slots=True)
class _ProcessRow:
    """A `RemoteProcess` row as the recorder inserts it."""

    task_id: int
    step_id: int
    result_id: int
    address: str
    port: int
    pgid: int
    token: str
    holder: str
    started_at: datetime


PROCESS_FIELDS = ("task_id", "step_id", "result_id", "address", "port", "pgid", "token", "holder", "started_at")


def process_record(result: TaskHostResult, target: SshTarget, token: str, holder: str) -> _ProcessRow:
    """The record of the command(s) a host is about to run, committed with its RUNNING state before
    any runs: they carry `token`; their process group is in the host's group file for it (`pgid`
    stays 0: recovery reads the file, ssh.group_file)."""
    return _ProcessRow(
        result.task_id, result.step_id, result.id, target.address, target.port, 0, token, holder[:191], now()
    )


async def forget_task(task_id: int) -> None:
    await RemoteProcess.filter(task_id=task_id).delete()


async def stop_interrupted_commands(
    task_id: int, settings: Settings, *, result_ids: list[int] | None = None
) -> dict[int, str]:
    """For each host of `task_id` still RUNNING with a recorded command (only `result_ids`, when
    given: one shard's hosts): what was done about it (result id → a sentence for the host's error)."""
    from opsgraph.core.events import event_bus
    from opsgraph.executors.runner import TaskRunner

    running_hosts = TaskHostResult.filter(task_id=task_id, status=TaskStatus.RUNNING)
    if result_ids is not None:
        running_hosts = running_hosts.filter(id__in=result_ids)
    running = await running_hosts
    if not running:
        return {}
    by_result = {
        row.result_id: row
        for row in await RemoteProcess.filter(task_id=task_id, result_id__in=[r.id for r in running]).order_by("id")
    }
    if not by_result:
        return {}
    keys = DatabaseHostKeyStore(strict=settings.ssh_strict_host_keys)
    runner = TaskRunner(settings, event_bus, keys)  # for the logins only
    pool = SessionPool(keys, connect_timeout=settings.ssh_connect_timeout)
    targets: dict[int, SshTarget] = {}
    steps = {s.id: s for s in await TaskStep.filter(id__in={r.step_id for r in running})}
    for step_id, step in steps.items():
        targets.update(await runner.targets_for(step, [r for r in running if r.step_id == step_id]))
    slots = asyncio.Semaphore(_PARALLEL)
    notes: dict[int, str] = {}

    async def stop(result_id: int, process: RemoteProcess) -> None:
        target = targets.get(result_id)
        if target is None:
            notes[result_id] = "its command may still be running: no login left to reach the host and stop it"
            return
        async with slots:
            notes[result_id] = await _kill(pool, target, process)

    try:
        await asyncio.gather(*(stop(rid, process) for rid, process in by_result.items()))
    finally:
        await pool.close()
    return notes


async def _kill(pool: SessionPool, target: SshTarget, process: RemoteProcess) -> str:
    lines: list[str] = []

    async def collect(stream: str, line: str) -> None:
        lines.append(line)

    try:
        session = await pool.session(target)
        await session.run(kill_script(process.pgid, process.token), on_output=collect, timeout=_KILL_TIMEOUT)
    except SshFailure as exc:
        log.warning("cannot stop the command of run %s on %s: %s", process.token, target.where, exc.message)
        return f"its command may still be running: the host could not be reached to stop it ({exc.message})"
    killed = next((line.split()[1] for line in lines if line.startswith("killed ")), None)
    if killed is not None:
        return f"its command (process group {killed}) was still running and has been killed"
    return "its command had already ended"
