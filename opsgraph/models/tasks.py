"""Every run of anything is a Task: steps, a result per step per host, and an append-only event
stream numbered per task (`seq`) so subscribers can replay what they missed.

Statuses are one canonical enum; the legacy code sets (bk-job 1–15, ip_status…) are mappings kept
in compat_rest.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from opsgraph.models.topology import Business, Host


class TaskKind(StrEnum):
    SCRIPT = "SCRIPT"
    FILE = "FILE"
    JOB = "JOB"
    PIPELINE = "PIPELINE"
    AGENT_INSTALL = "AGENT_INSTALL"
    AGENT_INVOCATION = "AGENT_INVOCATION"
    SECURITY_SCAN = "SECURITY_SCAN"


class TaskStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    WAITING = "WAITING"  # paused for an approval / a user
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    ABNORMAL = "ABNORMAL"  # interrupted (e.g. a server crash) and resolved on start-up
    SKIPPED = "SKIPPED"


FINISHED_STATUSES = frozenset(
    {TaskStatus.SUCCESS, TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.ABNORMAL, TaskStatus.SKIPPED}
)


class HostFailure(StrEnum):
    """Why one host failed, precise enough to act on."""

    UNREACHABLE = "UNREACHABLE"
    AUTH_FAILED = "AUTH_FAILED"
    HOST_KEY_MISMATCH = "HOST_KEY_MISMATCH"
    TIMEOUT = "TIMEOUT"
    NON_ZERO_EXIT = "NON_ZERO_EXIT"
    FILE_MISSING = "FILE_MISSING"
    FILE_TRANSFER_FAILED = "FILE_TRANSFER_FAILED"
    FILE_LIMIT_EXCEEDED = "FILE_LIMIT_EXCEEDED"  # a source brings more files or bytes than allowed
    CANCELLED = "CANCELLED"
    NO_ACCOUNT = "NO_ACCOUNT"
    INTERRUPTED = "INTERRUPTED"
    PROTOCOL_ERROR = "PROTOCOL_ERROR"
    PREREQUISITE_MISSING = "PREREQUISITE_MISSING"  # e.g. no python3 for the agent
    AGENT_NOT_INSTALLED = "AGENT_NOT_INSTALLED"  # an upgrade of a host that has no agent
    NO_HEARTBEAT = "NO_HEARTBEAT"  # the agent was started but never reported back


class EventKind(StrEnum):
    TASK_STATUS = "TASK_STATUS"
    STEP_STATUS = "STEP_STATUS"
    HOST_STATUS = "HOST_STATUS"
    HOST_PHASE = "HOST_PHASE"
    LOG = "LOG"


class Task(Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(TaskKind, max_length=32, db_index=True)
    status = fields.CharEnumField(TaskStatus, max_length=16, default=TaskStatus.PENDING, db_index=True)
    business: fields.ForeignKeyNullableRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="tasks", null=True, on_delete=fields.SET_NULL
    )
    business_id: int | None
    name = fields.CharField(max_length=512, default="")
    creator = fields.CharField(max_length=128, db_index=True)
    app_code = fields.CharField(max_length=128, default="")
    start_way = fields.SmallIntField(default=2)  # bk-job: 1 web, 2 API, 3 cron
    params: dict[str, Any] = fields.JSONField(default=dict)
    error = fields.CharField(max_length=1024, default="")
    cancel_requested = fields.BooleanField(default=False)
    callback_url = fields.CharField(max_length=1024, default="")
    callback_status = fields.CharField(max_length=32, default="")
    callback_attempts = fields.SmallIntField(default=0)
    callback_error = fields.CharField(max_length=1024, default="")
    last_seq = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "task"


class TaskStep(Model):
    id = fields.IntField(primary_key=True)
    task: fields.ForeignKeyRelation[Task] = fields.ForeignKeyField(
        "opsgraph.Task", related_name="steps", on_delete=fields.CASCADE
    )
    task_id: int
    position = fields.IntField()
    kind = fields.CharField(max_length=16)
    name = fields.CharField(max_length=256, default="")
    status = fields.CharEnumField(TaskStatus, max_length=16, default=TaskStatus.PENDING)
    config: dict[str, Any] = fields.JSONField(default=dict)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "task_step"
        unique_together = (("task", "position"),)


class TaskHostResult(Model):
    """One host's run of one step. The log is capped (`log_truncated` says when)."""

    id = fields.IntField(primary_key=True)
    task: fields.ForeignKeyRelation[Task] = fields.ForeignKeyField(
        "opsgraph.Task", related_name="host_results", on_delete=fields.CASCADE
    )
    task_id: int
    step: fields.ForeignKeyRelation[TaskStep] = fields.ForeignKeyField(
        "opsgraph.TaskStep", related_name="host_results", on_delete=fields.CASCADE
    )
    step_id: int
    host: fields.ForeignKeyNullableRelation[Host] = fields.ForeignKeyField(
        "opsgraph.Host", related_name="task_results", null=True, on_delete=fields.SET_NULL
    )
    host_id: int | None
    ip = fields.CharField(max_length=64)
    cloud_area_id = fields.IntField(default=0)
    status = fields.CharEnumField(TaskStatus, max_length=16, default=TaskStatus.PENDING)
    phase = fields.CharField(max_length=64, default="")
    exit_code = fields.IntField(null=True)
    failure = fields.CharField(max_length=32, default="")
    error = fields.CharField(max_length=1024, default="")
    log = fields.TextField(default="")
    log_size = fields.IntField(default=0)
    log_truncated = fields.BooleanField(default=False)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "task_host_result"
        unique_together = (("step", "ip", "cloud_area_id"),)


class TaskEvent(Model):
    id = fields.BigIntField(primary_key=True)
    task: fields.ForeignKeyRelation[Task] = fields.ForeignKeyField(
        "opsgraph.Task", related_name="events", on_delete=fields.CASCADE
    )
    task_id: int
    seq = fields.IntField()
    kind = fields.CharEnumField(EventKind, max_length=16)
    payload: dict[str, Any] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "task_event"
        unique_together = (("task", "seq"),)


class KnownHostKey(Model):
    """Trust on first use: the first key a host presents is remembered, and a different one later fails."""

    id = fields.IntField(primary_key=True)
    address = fields.CharField(max_length=128)
    port = fields.IntField(default=22)
    algorithm = fields.CharField(max_length=64)
    public_key = fields.TextField()
    first_seen_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "known_host_key"
        unique_together = (("address", "port"),)
