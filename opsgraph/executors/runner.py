"""The runner: executes one task's steps in order, fanning out over hosts.

- concurrency is bounded per task and globally (one semaphore shared by every task);
- each host gets one SSH connection for the whole task (SessionPool);
- every failure becomes a precise per-host reason; a failed step stops the task, as in bk-job;
- cancel is cooperative and immediate: running commands are killed remotely, queued hosts are
  marked CANCELLED without connecting;
- a retry re-runs only the hosts that did not succeed, then carries on with the next steps;
- whatever happens, the task ends in a final status: an unexpected error makes it ABNORMAL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from opsgraph.core.crypto import SecretBox
from opsgraph.core.errors import OpsGraphError
from opsgraph.core.events import EventBus
from opsgraph.core.settings import Settings
from opsgraph.executors import (  # noqa: F401 - register the step executors
    agent_install,
    basic_steps,
    iac_scan,
    security_scan,
)
from opsgraph.executors.agent_routes import pagent_jumps
from opsgraph.executors.callbacks import schedule_callback
from opsgraph.executors.host_keys import HostKeyStore
from opsgraph.executors.recorder import TaskRecorder
from opsgraph.executors.sessions import SessionPool
from opsgraph.executors.ssh import SshFailure, SshTarget
from opsgraph.executors.steps import LOCAL_EXECUTORS, STEP_EXECUTORS, HostOutcome, HostRun, LocalRun
from opsgraph.models.jobs import Account, AccountAuth, StepKind
from opsgraph.models.tasks import FINISHED_STATUSES, HostFailure, Task, TaskHostResult, TaskStatus, TaskStep
from opsgraph.models.topology import Host

log = logging.getLogger("opsgraph.runner")


@dataclass
class _StepContext:
    task: Task
    step: TaskStep
    recorder: TaskRecorder
    pool: SessionPool
    cancel: asyncio.Event
    targets: dict[int, SshTarget]
    read_from_host: Callable[[int, str], Awaitable[bytes]]
    step_state: dict[str, Any] = field(default_factory=dict)


class TaskRunner:
    def __init__(self, settings: Settings, bus: EventBus, keys: HostKeyStore) -> None:
        self.settings = settings
        self.bus = bus
        self.keys = keys
        self.global_slots = asyncio.Semaphore(settings.runner_global_concurrency)
        self.secrets = SecretBox(settings.secret_key)

    async def run(self, task_id: int, cancel: asyncio.Event, confirm: asyncio.Event) -> None:
        task = await Task.get_or_none(id=task_id)
        if task is None or task.status in FINISHED_STATUSES:
            return
        recorder = TaskRecorder(task, self.bus, max_log_bytes=self.settings.max_log_bytes_per_host)
        pool = SessionPool(self.keys, connect_timeout=self.settings.ssh_connect_timeout)
        recorder.start()
        try:
            await recorder.task_status(TaskStatus.RUNNING)
            status, error = await self._run_steps(task, recorder, pool, cancel, confirm)
            await recorder.flush_logs()
            await recorder.task_status(status, error=error)
        except Exception as exc:
            log.exception("task %s failed unexpectedly", task_id)
            await recorder.flush_logs()
            await recorder.task_status(TaskStatus.ABNORMAL, error=f"internal error: {type(exc).__name__}: {exc}")
        finally:
            await pool.close()
            await recorder.stop()
        schedule_callback(task.id, self.settings)

    async def _run_steps(
        self, task: Task, recorder: TaskRecorder, pool: SessionPool, cancel: asyncio.Event, confirm: asyncio.Event
    ) -> tuple[TaskStatus, str]:
        for step in await TaskStep.filter(task_id=task.id).order_by("position"):
            if step.status in {TaskStatus.SUCCESS, TaskStatus.SKIPPED}:
                continue
            if cancel.is_set():
                await self._cancel_remaining(task, recorder)
                return TaskStatus.CANCELLED, "cancelled"
            reason = ""
            if step.kind == StepKind.APPROVAL:
                outcome = await self._wait_for_confirmation(task, step, recorder, cancel, confirm)
            elif step.kind in LOCAL_EXECUTORS:
                outcome, reason = await self._run_local_step(task, step, recorder, cancel)
            else:
                outcome = await self._run_host_step(task, step, recorder, pool, cancel)
            if outcome == TaskStatus.CANCELLED:
                await self._cancel_remaining(task, recorder)
                return TaskStatus.CANCELLED, "cancelled"
            if outcome != TaskStatus.SUCCESS:
                detail = f": {reason}" if reason else ""
                return TaskStatus.FAILED, f"step {step.position + 1} ({step.name or step.kind}) failed{detail}"
        return TaskStatus.SUCCESS, ""

    async def _wait_for_confirmation(
        self, task: Task, step: TaskStep, recorder: TaskRecorder, cancel: asyncio.Event, confirm: asyncio.Event
    ) -> TaskStatus:
        await recorder.step_status(step, TaskStatus.WAITING)
        await recorder.task_status(TaskStatus.WAITING)
        waiters = [asyncio.ensure_future(cancel.wait()), asyncio.ensure_future(confirm.wait())]
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
        if cancel.is_set():
            await recorder.step_status(step, TaskStatus.CANCELLED)
            return TaskStatus.CANCELLED
        confirm.clear()
        await recorder.task_status(TaskStatus.RUNNING)
        await recorder.step_status(step, TaskStatus.SUCCESS)
        return TaskStatus.SUCCESS

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
        self, task: Task, step: TaskStep, recorder: TaskRecorder, pool: SessionPool, cancel: asyncio.Event
    ) -> TaskStatus:
        results = [
            r for r in await TaskHostResult.filter(step_id=step.id).order_by("id") if r.status != TaskStatus.SUCCESS
        ]
        await recorder.step_status(step, TaskStatus.RUNNING)
        context = _StepContext(
            task,
            step,
            recorder,
            pool,
            cancel,
            await self._targets(step, results),
            read_from_host=lambda host_id, path: self._read_source(step, pool, host_id, path),
        )
        task_slots = asyncio.Semaphore(self.settings.runner_task_concurrency)

        async def bounded(result: TaskHostResult) -> None:
            async with task_slots, self.global_slots:
                await self._run_host(context, result)

        await asyncio.gather(*(bounded(r) for r in results))
        await recorder.drain()  # host outcomes are committed by the recorder's writer; read them back after
        statuses = {r.status for r in await TaskHostResult.filter(step_id=step.id).only("id", "status")}
        if statuses <= {TaskStatus.SUCCESS}:
            outcome = TaskStatus.SUCCESS
        elif cancel.is_set() and TaskStatus.CANCELLED in statuses:
            outcome = TaskStatus.CANCELLED
        else:
            outcome = TaskStatus.FAILED
        await recorder.step_status(step, outcome)
        return outcome

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

    async def _read_source(self, step: TaskStep, pool: SessionPool, host_id: int, path: str) -> bytes:
        host = await Host.get_or_none(id=host_id)
        account = await Account.get_or_none(id=step.config.get("account_id"))
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
        session = await pool.session(target)
        return await session.read_file(path)

    async def _run_host(self, context: _StepContext, result: TaskHostResult) -> None:
        recorder = context.recorder
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
        await recorder.host_status(result, TaskStatus.RUNNING)

        async def emit(stream: str, line: str) -> None:
            await recorder.log(result, stream, line)

        async def phase(name: str) -> None:
            await recorder.host_phase(result, name)

        try:
            await phase("connect")
            session = await context.pool.session(target)
            run = HostRun(
                config=context.step.config,
                session=session,
                result=result,
                cancel=context.cancel,
                emit=emit,
                phase=phase,
                read_from_host=context.read_from_host,
                step_state=context.step_state,
                settings=self.settings,
            )
            outcome = await executor(run)
        except SshFailure as failure:
            outcome = HostOutcome(TaskStatus.FAILED, failure=failure.failure, error=failure.message)
        await recorder.host_status(
            result, outcome.status, exit_code=outcome.exit_code, failure=outcome.failure, error=outcome.error
        )

    async def _cancel_remaining(self, task: Task, recorder: TaskRecorder) -> None:
        """Steps that never ran end as CANCELLED too, so nothing is left pending."""
        for step in await TaskStep.filter(task_id=task.id, status__in=[TaskStatus.PENDING, TaskStatus.WAITING]):
            for result in await TaskHostResult.filter(step_id=step.id, status=TaskStatus.PENDING):
                await recorder.host_status(
                    result, TaskStatus.CANCELLED, failure=HostFailure.CANCELLED, error="task cancelled"
                )
            await recorder.step_status(step, TaskStatus.CANCELLED)
