"""The runner: executes one task's steps in order, fanning out over hosts.

- concurrency is bounded per task and globally (one semaphore shared by every task);
- each host gets one SSH connection for the whole task (SessionPool);
- every failure becomes a precise per-host reason; a failed step stops the task, as in bk-job;
- cancel is cooperative and immediate: running commands are killed remotely, queued hosts are
  marked CANCELLED without connecting;
- a retry re-runs only the hosts that did not succeed, then carries on with the next steps;
- whatever happens, the task ends in a final status: an unexpected error makes it ABNORMAL;
- a host's RUNNING state and the record of its commands (a token they carry, executors/remote_processes.py)
  are committed in one transaction before any command starts, so recovery can always find (and kill)
  what a dead process left running; the host connects meanwhile;
- `handback` (a worker shutting down) lets the running hosts finish, leaves the others PENDING and
  ends the run with `HandedBack`: the task goes back to PENDING for another worker to carry on;
- with a `fence` (a worker's lease on the task, executors/fencing.py) every write is conditional on
  still holding that lease; once it is lost the run closes its SSH channels, starts no more hosts,
  writes nothing more and ends (`OwnerLost`).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from opsgraph.core.crypto import SecretBox
from opsgraph.core.errors import OpsGraphError
from opsgraph.core.events import EventBus
from opsgraph.core.metrics import HOSTS_IN_FLIGHT, SSH_FAILURES
from opsgraph.core.settings import Settings
from opsgraph.executors import (  # noqa: F401 - register the step executors
    agent_install,
    approval_notice,
    basic_steps,
    iac_scan,
    security_scan,
    step_holds,
    tree_task_notices,
)
from opsgraph.executors.agent_routes import pagent_jumps
from opsgraph.executors.approval_wait import close_open_tickets, wait_for_approval
from opsgraph.executors.callbacks import schedule_callback
from opsgraph.executors.fencing import Fence, OwnerLost
from opsgraph.executors.host_keys import HostKeyStore
from opsgraph.executors.recorder import TaskRecorder
from opsgraph.executors.remote_processes import PROCESS_FIELDS, forget_task, process_record
from opsgraph.executors.sessions import SessionPool
from opsgraph.executors.ssh import SshFailure, SshSession, SshTarget
from opsgraph.executors.step_holds import Held
from opsgraph.executors.steps import (
    LOCAL_EXECUTORS,
    STEP_EXECUTORS,
    HostOutcome,
    HostRun,
    LocalRun,
    StepExecutor,
)
from opsgraph.executors.task_end import announce_task_end
from opsgraph.models.jobs import Account, AccountAuth, StepKind
from opsgraph.models.remote_processes import RemoteProcess
from opsgraph.models.tasks import FINISHED_STATUSES, HostFailure, Task, TaskHostResult, TaskStatus, TaskStep
from opsgraph.models.topology import Host

log = logging.getLogger("opsgraph.runner")


class HandedBack(Exception):
    """The run stopped between hosts for another process to carry on (the task is PENDING again)."""


class StepSharding(Protocol):
    """Runs a big host step as shards on several workers (executors/sharding/barrier.py)."""

    async def splits(self, step: TaskStep, pending: int) -> bool: ...

    async def run_step(
        self,
        task: Task,
        step: TaskStep,
        recorder: TaskRecorder,
        cancel: asyncio.Event,
        handback: asyncio.Event | None,
    ) -> TaskStatus: ...


def step_outcome(statuses: set[TaskStatus], *, cancelled: bool) -> TaskStatus:
    """A host step's outcome from its hosts' final statuses."""
    if statuses <= {TaskStatus.SUCCESS}:
        return TaskStatus.SUCCESS
    if cancelled and TaskStatus.CANCELLED in statuses:
        return TaskStatus.CANCELLED
    return TaskStatus.FAILED


@dataclass
class _StepContext:
    task: Task
    step: TaskStep
    recorder: TaskRecorder
    pool: SessionPool
    cancel: asyncio.Event
    targets: dict[int, SshTarget]
    open_source: Callable[[int, int | None], Awaitable[SshSession]]
    step_state: dict[str, Any] = field(default_factory=dict)
    handback: asyncio.Event | None = None


class TaskRunner:
    def __init__(self, settings: Settings, bus: EventBus, keys: HostKeyStore) -> None:
        self.settings = settings
        self.bus = bus
        self.keys = keys
        self.global_slots = asyncio.Semaphore(settings.runner_global_concurrency)
        self.secrets = SecretBox(settings.secret_key)
        self.holder = ""  # who runs the commands (a worker's lease holder), recorded with each command
        # Workers of the distributed deployment split big host steps across workers (executors/sharding);
        # None (one process) runs every step's hosts here.
        self.sharding: StepSharding | None = None

    async def run(
        self,
        task_id: int,
        cancel: asyncio.Event,
        confirm: asyncio.Event,
        handback: asyncio.Event | None = None,
        fence: Fence | None = None,
    ) -> None:
        task = await Task.get_or_none(id=task_id)
        if task is None or task.status in FINISHED_STATUSES:
            return
        recorder = TaskRecorder(task, self.bus, max_log_bytes=self.settings.max_log_bytes_per_host, fence=fence)
        pool = SessionPool(self.keys, connect_timeout=self.settings.ssh_connect_timeout)
        recorder.start()
        watch = self.close_on_loss(fence, pool)
        try:
            await recorder.task_status(TaskStatus.RUNNING)
            status, error = await self._run_steps(task, recorder, pool, cancel, confirm, handback)
            await recorder.flush_logs()
            await recorder.task_status(status, error=error)
        except HandedBack:
            await recorder.flush_logs()
            await recorder.task_status(TaskStatus.PENDING)
            raise
        except OwnerLost:
            log.debug("task %s: this run stops (its lease is lost)", task_id)  # the fence logged why
            return
        except Exception as exc:
            log.exception("task %s failed unexpectedly", task_id)
            await recorder.flush_logs()
            await recorder.task_status(TaskStatus.ABNORMAL, error=f"internal error: {type(exc).__name__}: {exc}")
        finally:
            if watch is not None:
                watch.cancel()
            await pool.close()
            await recorder.stop()
        await forget_task(task.id)
        schedule_callback(task.id, self.settings)
        await announce_task_end(task.id)

    @staticmethod
    def close_on_loss(fence: Fence | None, pool: SessionPool) -> asyncio.Task[None] | None:
        """Once `fence` is lost, close the run's SSH channels (commands in flight stop) and open no more."""
        if fence is None:
            return None

        async def watch() -> None:
            await fence.lost.wait()
            await pool.shut()

        return asyncio.create_task(watch(), name=f"opsgraph-fence-{fence.name}")

    async def _run_steps(
        self,
        task: Task,
        recorder: TaskRecorder,
        pool: SessionPool,
        cancel: asyncio.Event,
        confirm: asyncio.Event,
        handback: asyncio.Event | None,
    ) -> tuple[TaskStatus, str]:
        for step in await TaskStep.filter(task_id=task.id).order_by("position"):
            if step.status not in {TaskStatus.SUCCESS, TaskStatus.SKIPPED}:
                if handback is not None and handback.is_set() and not cancel.is_set():
                    raise HandedBack
                if cancel.is_set():
                    await self._cancel_remaining(task, recorder)
                    return TaskStatus.CANCELLED, "cancelled"
                outcome, reason = await self._run_step(task, step, recorder, pool, cancel, confirm, handback)
                if outcome == TaskStatus.CANCELLED:
                    await self._cancel_remaining(task, recorder)
                    return TaskStatus.CANCELLED, "cancelled"
                if outcome not in {TaskStatus.SUCCESS, TaskStatus.SKIPPED}:
                    # A failed host step with `pause` holds first too (OpenC3's plugin_cmd / plugin_scp);
                    # a refused or timed-out approval does not (its plugin pauses on success only).
                    if (
                        outcome == TaskStatus.FAILED
                        and step.kind != StepKind.APPROVAL
                        and step_holds.pauses(step)
                        and await self._hold(task, step, recorder, cancel, confirm) == Held.CANCELLED
                    ):
                        await self._cancel_remaining(task, recorder)
                        return TaskStatus.CANCELLED, "cancelled"
                    detail = f": {reason}" if reason else ""
                    return TaskStatus.FAILED, f"step {step.position + 1} ({step.name or step.kind}) failed{detail}"
            # Also on resuming: a step that ended paused holds again.
            if step_holds.pauses(step) and await self._hold(task, step, recorder, cancel, confirm) == Held.CANCELLED:
                await self._cancel_remaining(task, recorder)
                return TaskStatus.CANCELLED, "cancelled"
        return TaskStatus.SUCCESS, ""

    async def _hold(
        self, task: Task, step: TaskStep, recorder: TaskRecorder, cancel: asyncio.Event, confirm: asyncio.Event
    ) -> Held:
        return await step_holds.wait_for_release(task, step, recorder, cancel, confirm)

    async def _run_step(
        self,
        task: Task,
        step: TaskStep,
        recorder: TaskRecorder,
        pool: SessionPool,
        cancel: asyncio.Event,
        confirm: asyncio.Event,
        handback: asyncio.Event | None,
    ) -> tuple[TaskStatus, str]:
        """One step to its outcome; a failed step that `decides` (executors.step_holds) waits for
        an operator and may run its failed hosts again."""
        reason = ""
        if step.kind == StepKind.APPROVAL:  # an ITSM approval ticket (executors.approval_wait)
            return await wait_for_approval(task, step, recorder, cancel, confirm)
        if step.kind in LOCAL_EXECUTORS:
            return await self._run_local_step(task, step, recorder, cancel)
        # A FAILED step here is a run resumed while its decision was awaited: straight back to it.
        resumed = step.status == TaskStatus.FAILED and step_holds.decides(step)
        outcome = (
            TaskStatus.FAILED if resumed else await self._run_host_step(task, step, recorder, pool, cancel, handback)
        )
        while outcome == TaskStatus.FAILED and step_holds.decides(step):
            held = await step_holds.wait_for_decision(task, step, recorder, cancel, confirm)
            if held == Held.RETRY:
                outcome = await self._run_host_step(task, step, recorder, pool, cancel, handback)
                continue
            outcome = {Held.IGNORED: TaskStatus.SKIPPED, Held.CANCELLED: TaskStatus.CANCELLED}.get(held, outcome)
            break
        if outcome == TaskStatus.FAILED:
            reason = step_holds.stop_reason(step)
        return outcome, reason

    async def _run_local_step(
        self, task: Task, step: TaskStep, recorder: TaskRecorder, cancel: asyncio.Event
    ) -> tuple[TaskStatus, str]:
        """A host-less step runs here, once; its refusal (our error) fails the step with its reason."""
        await recorder.step_status(step, TaskStatus.RUNNING)
        run = LocalRun(task_id=task.id, step_id=step.id, config=step.config, cancel=cancel, settings=self.settings)
        try:
            outcome = await LOCAL_EXECUTORS[step.kind](run)
        except OpsGraphError as exc:
            outcome = HostOutcome(TaskStatus.FAILED, error=exc.message)
        await recorder.step_status(step, outcome.status)
        return outcome.status, outcome.error

    async def _run_host_step(
        self,
        task: Task,
        step: TaskStep,
        recorder: TaskRecorder,
        pool: SessionPool,
        cancel: asyncio.Event,
        handback: asyncio.Event | None = None,
    ) -> TaskStatus:
        # Only hosts that never ran: a retry puts the failed ones back to PENDING, and a run that was
        # handed back part-way must not run a finished host a second time.
        results = await TaskHostResult.filter(step_id=step.id, status=TaskStatus.PENDING).order_by("id")
        if self.sharding is not None and await self.sharding.splits(step, len(results)):
            return await self.sharding.run_step(task, step, recorder, cancel, handback)
        await recorder.step_status(step, TaskStatus.RUNNING)
        slots = asyncio.Semaphore(self.settings.runner_task_concurrency)
        await self.run_hosts(task, step, recorder, pool, results, cancel, handback, slots)
        await recorder.drain()  # host outcomes are committed by the recorder's writer; read them back after
        statuses = {r.status for r in await TaskHostResult.filter(step_id=step.id).only("id", "status")}
        if TaskStatus.PENDING in statuses and handback is not None and handback.is_set() and not cancel.is_set():
            await recorder.step_status(step, TaskStatus.PENDING)
            raise HandedBack
        outcome = step_outcome(statuses, cancelled=cancel.is_set())
        await recorder.step_status(step, outcome)
        return outcome

    async def run_hosts(
        self,
        task: Task,
        step: TaskStep,
        recorder: TaskRecorder,
        pool: SessionPool,
        results: list[TaskHostResult],
        cancel: asyncio.Event,
        handback: asyncio.Event | None,
        slots: asyncio.Semaphore,
    ) -> None:
        """Run `results` (PENDING hosts of `step`) here, at most `slots` at once (and the global bound)."""
        context = _StepContext(
            task,
            step,
            recorder,
            pool,
            cancel,
            await self._targets(step, results),
            open_source=lambda host_id, account_id: self._source_session(step, pool, host_id, account_id),
            handback=handback,
        )

        lost: list[OwnerLost] = []

        async def bounded(result: TaskHostResult) -> None:
            async with slots, self.global_slots:
                if lost:
                    return  # the run lost its lease: no more hosts start
                try:
                    await self._run_host(context, result)
                except OwnerLost as exc:
                    lost.append(exc)

        await asyncio.gather(*(bounded(r) for r in results))
        if lost:
            raise lost[0]

    async def targets_for(self, step: TaskStep, results: list[TaskHostResult]) -> dict[int, SshTarget]:
        """The SSH target of each of `results` (by result id), as the step would log in."""
        return await self._targets(step, results)

    async def _targets(self, step: TaskStep, results: list[TaskHostResult]) -> dict[int, SshTarget]:
        """SSH targets of every host in the step, from two queries (hosts, account).

        A step may carry per-host logins (`host_logins`: host id → username, encrypted password or
        key, port, optional `jump` login), e.g. agent installs onto hosts that have no account yet;
        other hosts use the step's account. PAGENT hosts whose login names no route go through the
        PROXY of their cloud area (one more query, two when the step has PAGENT hosts).
        """
        hosts = {h.id: h for h in await Host.filter(id__in=[r.host_id for r in results if r.host_id])}
        jumps = await pagent_jumps(hosts)  # PAGENT hosts are reached through their cloud area's proxy
        logins: dict[str, dict[str, Any]] = step.config.get("host_logins") or {}
        account = await Account.get_or_none(id=step.config.get("account_id")) if "account_id" in step.config else None
        shared: dict[str, Any] | None = None
        if account is not None:
            secret = self.secrets.decrypt(account.secret)
            shared = {"username": account.username}
            shared["password" if account.auth == AccountAuth.PASSWORD else "private_key"] = secret
        targets: dict[int, SshTarget] = {}
        for r in results:
            login = logins.get(str(r.host_id))
            port = self._port(hosts.get(r.host_id or 0))
            jump = jumps.get(r.host_id or 0)
            if login is not None:  # a login that names its route (`jump`, even null) keeps it
                targets[r.id] = self._login_target(r.ip, port, login if "jump" in login else {**login, "jump": jump})
            elif shared is not None:
                via = self._login_target(str(jump["address"]), int(jump.get("port") or 22), jump) if jump else None
                targets[r.id] = SshTarget(address=r.ip, port=port, **shared, jump=via)
        return targets

    def _login_target(self, address: str, port: int, login: dict[str, Any]) -> SshTarget:
        """A stored login (secrets encrypted); `jump` reaches the host through another (PAgent via proxy)."""
        jump = login.get("jump")
        return SshTarget(
            address=str(login.get("address") or address),
            port=int(login.get("port") or port),
            username=str(login["username"]),
            password=self.secrets.decrypt(login["password"]) if login.get("password") else None,
            private_key=self.secrets.decrypt(login["key"]) if login.get("key") else None,
            jump=self._login_target(str(jump["address"]), int(jump.get("port") or 22), jump) if jump else None,
        )

    def _port(self, host: Host | None) -> int:
        return (host.ssh_port if host is not None else None) or self.settings.ssh_default_port

    async def _source_session(
        self, step: TaskStep, pool: SessionPool, host_id: int, account_id: int | None
    ) -> SshSession:
        """A file source's host, logged in with the source's own account (the step's when it names none)."""
        host = await Host.get_or_none(id=host_id)
        account = await Account.get_or_none(id=account_id if account_id is not None else step.config.get("account_id"))
        if host is None or account is None:
            raise SshFailure(HostFailure.FILE_MISSING, f"source host {host_id} or its account no longer exists")
        secret = self.secrets.decrypt(account.secret)
        target = SshTarget(
            address=host.inner_ip,
            port=self._port(host),
            username=account.username,
            password=secret if account.auth == AccountAuth.PASSWORD else None,
            private_key=secret if account.auth == AccountAuth.KEY else None,
        )
        return await pool.session(target)

    async def _run_host(self, context: _StepContext, result: TaskHostResult) -> None:
        recorder = context.recorder
        if context.handback is not None and context.handback.is_set() and not context.cancel.is_set():
            return  # stays PENDING: whoever carries the task on runs it
        if context.cancel.is_set():
            await recorder.host_status(
                result, TaskStatus.CANCELLED, failure=HostFailure.CANCELLED, error="cancelled before it started"
            )
            return
        executor = STEP_EXECUTORS.get(context.step.kind)
        target = context.targets.get(result.id)
        if executor is None or target is None:
            reason = (
                (HostFailure.PROTOCOL_ERROR, f"no executor for step kind {context.step.kind!r}")
                if executor is None
                else (HostFailure.NO_ACCOUNT, "no login for this host: the step's account no longer exists")
            )
            await recorder.host_status(result, TaskStatus.FAILED, failure=reason[0], error=reason[1])
            return
        # Not awaited here: the host connects while its RUNNING state commits (~0.2 s on a busy SQLite,
        # a tenth of a host's time), and `_work_on_host` awaits that commit before the host's work starts.
        # The same transaction records the token its commands will carry, by which recovery finds them.
        token = secrets.token_hex(16)
        process = process_record(result, target, token, self.holder)
        running = await recorder.host_status(
            result, TaskStatus.RUNNING, inserts=((RemoteProcess, PROCESS_FIELDS, process),)
        )
        HOSTS_IN_FLIGHT.inc()
        try:
            await self._work_on_host(context, result, target, executor, running, token)
        finally:
            HOSTS_IN_FLIGHT.dec()

    async def _work_on_host(
        self,
        context: _StepContext,
        result: TaskHostResult,
        target: SshTarget,
        executor: StepExecutor,
        running: asyncio.Future[None],
        token: str,
    ) -> None:
        recorder = context.recorder

        async def emit(stream: str, line: str) -> None:
            await recorder.log(result, stream, line)

        async def phase(name: str) -> None:
            await recorder.host_phase(result, name)

        try:
            await phase("connect")
            session = await context.pool.session(target)
            session.run_token = token
            run = HostRun(
                config=context.step.config,
                session=session,
                result=result,
                cancel=context.cancel,
                emit=emit,
                phase=phase,
                open_source=context.open_source,
                step_state=context.step_state,
                settings=self.settings,
            )
            # The RUNNING state and the process record are committed before anything runs on the host
            # (under the run's fence: a run that lost its lease gets OwnerLost here and runs nothing).
            await asyncio.shield(running)
            outcome = await executor(run)
        except SshFailure as failure:
            SSH_FAILURES.labels(str(failure.failure)).inc()
            outcome = HostOutcome(TaskStatus.FAILED, failure=failure.failure, error=failure.message)
        await recorder.host_status(
            result, outcome.status, exit_code=outcome.exit_code, failure=outcome.failure, error=outcome.error
        )

    async def _cancel_remaining(self, task: Task, recorder: TaskRecorder) -> None:
        """Steps that never ran end as CANCELLED too, so nothing is left pending (nor an approval ticket open)."""
        await close_open_tickets(task.id, "the job was cancelled")
        for step in await TaskStep.filter(task_id=task.id, status__in=[TaskStatus.PENDING, TaskStatus.WAITING]):
            for result in await TaskHostResult.filter(step_id=step.id, status=TaskStatus.PENDING):
                await recorder.host_status(
                    result, TaskStatus.CANCELLED, failure=HostFailure.CANCELLED, error="task cancelled"
                )
            await recorder.step_status(step, TaskStatus.CANCELLED)
