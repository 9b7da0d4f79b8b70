"""Step executors: what one kind of step does on one host, registered by kind.

The runner owns everything around a host (slots, connecting, cancel, recording the outcome); an
executor only does the work over the already-open SSH session and says how it went. New kinds
(agent installs, security scans…) register here without touching the runner.

Example:
    @register_step("hello")
    async def say_hello(run: HostRun) -> HostOutcome:
        await run.phase("greet")
        result = await run.session.run("echo hello", on_output=run.emit, timeout=10, cancel=run.cancel)
        return outcome_of_command(result, timeout=10)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from opsgraph.executors.ssh import CommandResult, SshSession
from opsgraph.models.tasks import HostFailure, TaskHostResult, TaskStatus


@dataclass(frozen=True)
class HostOutcome:
    status: TaskStatus
    exit_code: int | None = None
    failure: str = ""
    error: str = ""


@dataclass
class HostRun:
    """One host's share of a step."""

    config: dict[str, Any]
    session: SshSession
    result: TaskHostResult
    cancel: asyncio.Event
    emit: Callable[[str, str], Awaitable[None]]  # (stream, line) → the host's log and the event stream
    phase: Callable[[str], Awaitable[None]]  # a named stage of this host's work, visible as it happens
    # A session on a file source's host: (host id, account id — None for the step's account).
    open_source: Callable[[int, int | None], Awaitable[SshSession]]
    step_state: dict[str, Any] = field(default_factory=dict)  # shared by every host of the step
    settings: Any = None


StepExecutor = Callable[[HostRun], Awaitable[HostOutcome]]
STEP_EXECUTORS: dict[str, StepExecutor] = {}


def register_step(kind: str) -> Callable[[StepExecutor], StepExecutor]:
    def decorate(executor: StepExecutor) -> StepExecutor:
        STEP_EXECUTORS[kind] = executor
        return executor

    return decorate


@dataclass
class LocalRun:
    """A host-less step (e.g. static analysis of uploaded files): it runs in the server, once per
    step, with the same task lifecycle, events and cancel as host steps, but no SSH session."""

    task_id: int
    step_id: int
    config: dict[str, Any]
    cancel: asyncio.Event
    settings: Any = None


LocalExecutor = Callable[[LocalRun], Awaitable[HostOutcome]]
LOCAL_EXECUTORS: dict[str, LocalExecutor] = {}


def register_local_step(kind: str) -> Callable[[LocalExecutor], LocalExecutor]:
    def decorate(executor: LocalExecutor) -> LocalExecutor:
        LOCAL_EXECUTORS[kind] = executor
        return executor

    return decorate


async def within_limits(run: HostRun, work: Awaitable[HostOutcome], *, timeout: float) -> HostOutcome:
    """Bound work that is not a single remote command (SFTP transfers…) by the step timeout and by
    cancel; the abandoned transfer is dropped with its SFTP channel when the task's sessions close."""
    job = asyncio.ensure_future(work)
    cancelled = asyncio.ensure_future(run.cancel.wait())
    try:
        done, _ = await asyncio.wait({job, cancelled}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        cancelled.cancel()
    if job in done:
        return job.result()
    job.cancel()
    await asyncio.gather(job, return_exceptions=True)
    if run.cancel.is_set():
        return HostOutcome(TaskStatus.CANCELLED, failure=HostFailure.CANCELLED, error="cancelled during the transfer")
    return HostOutcome(TaskStatus.FAILED, failure=HostFailure.TIMEOUT, error=f"timed out after {timeout:g} s")


def outcome_of_command(result: CommandResult, *, timeout: float) -> HostOutcome:
    """The usual reading of a finished command: 0 is success, anything else a precise failure."""
    if result.cancelled:
        return HostOutcome(
            TaskStatus.CANCELLED, failure=HostFailure.CANCELLED, error="cancelled; remote process killed"
        )
    if result.timed_out:
        return HostOutcome(
            TaskStatus.FAILED,
            failure=HostFailure.TIMEOUT,
            error=f"timed out after {timeout:g} s; remote process killed",
        )
    if result.exit_code == 0:
        return HostOutcome(TaskStatus.SUCCESS, exit_code=0)
    return HostOutcome(
        TaskStatus.FAILED,
        exit_code=result.exit_code,
        failure=HostFailure.NON_ZERO_EXIT,
        error=f"exit code {result.exit_code}",
    )
