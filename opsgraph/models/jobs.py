"""What can be run: scripts (versioned), OS accounts (credentials encrypted), job templates with
ordered steps, and cron schedules of templates."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from opsgraph.models.topology import Business


class ScriptLanguage(IntEnum):
    """bk-job's script_language numbers."""

    SHELL = 1
    BAT = 2
    PERL = 3
    PYTHON = 4
    POWERSHELL = 5


class AccountAuth(StrEnum):
    PASSWORD = "password"
    KEY = "key"


class StepKind(StrEnum):
    SCRIPT = "script"
    FILE = "file"
    APPROVAL = "approval"


class Script(Model):
    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="scripts", on_delete=fields.CASCADE
    )
    business_id: int
    name = fields.CharField(max_length=256)
    language = fields.IntEnumField(ScriptLanguage, default=ScriptLanguage.SHELL)
    description = fields.CharField(max_length=1024, default="")
    tag = fields.IntField(default=1)
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "script"
        unique_together = (("business", "name"),)


class ScriptVersion(Model):
    """Content is immutable: an edit adds a version, and the newest version is the current one."""

    id = fields.IntField(primary_key=True)
    script: fields.ForeignKeyRelation[Script] = fields.ForeignKeyField(
        "opsgraph.Script", related_name="versions", on_delete=fields.CASCADE
    )
    script_id: int
    version = fields.IntField()
    content = fields.TextField()
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "script_version"
        unique_together = (("script", "version"),)


class Account(Model):
    """An OS login for SSH. `secret` holds the password or private key, encrypted (core.crypto)."""

    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="accounts", on_delete=fields.CASCADE
    )
    business_id: int
    alias = fields.CharField(max_length=128)
    username = fields.CharField(max_length=128)
    auth = fields.CharEnumField(AccountAuth, max_length=16)
    secret = fields.TextField()
    is_default = fields.BooleanField(default=False)
    description = fields.CharField(max_length=1024, default="")
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account"
        unique_together = (("business", "alias"),)


class JobTemplate(Model):
    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="job_templates", on_delete=fields.CASCADE
    )
    business_id: int
    name = fields.CharField(max_length=256)
    description = fields.CharField(max_length=1024, default="")
    variables: dict[str, Any] = fields.JSONField(default=dict)
    tag = fields.IntField(default=1)
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "job_template"
        unique_together = (("business", "name"),)


class JobStep(Model):
    """One ordered step. `config` holds the kind's settings (script, targets, timeout, paths…)."""

    id = fields.IntField(primary_key=True)
    template: fields.ForeignKeyRelation[JobTemplate] = fields.ForeignKeyField(
        "opsgraph.JobTemplate", related_name="steps", on_delete=fields.CASCADE
    )
    template_id: int
    position = fields.IntField()
    kind = fields.CharEnumField(StepKind, max_length=16)
    name = fields.CharField(max_length=256)
    config: dict[str, Any] = fields.JSONField(default=dict)

    class Meta:
        table = "job_step"
        unique_together = (("template", "position"),)


class Cron(Model):
    """A schedule of a job template. bk-job creates crons paused, and so do we."""

    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="crons", on_delete=fields.CASCADE
    )
    business_id: int
    template: fields.ForeignKeyRelation[JobTemplate] = fields.ForeignKeyField(
        "opsgraph.JobTemplate", related_name="crons", on_delete=fields.CASCADE
    )
    template_id: int
    name = fields.CharField(max_length=256)
    expression = fields.CharField(max_length=128)
    enabled = fields.BooleanField(default=False)
    variables: dict[str, Any] = fields.JSONField(default=dict)
    next_run_at = fields.DatetimeField(null=True, db_index=True)
    last_run_at = fields.DatetimeField(null=True)
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "cron"
