"""Standard-ops pipelines (bk-sops): versioned templates holding a `pipeline_tree`, the runs made from
them, and periodic tasks that start runs on a schedule.

A run is a Task of kind PIPELINE: its steps are the nodes of the run's tree (one TaskStep per node,
subprocess children included; the node's engine state lives in the step's `config`), and
`PipelineRun` keeps what only a pipeline has: the run's own tree (node ids differ from the
template's), the template version it pinned, and the root state bk-sops reports.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from opsgraph.models.tasks import Task
from opsgraph.models.topology import Business


class PipelineTemplate(Model):
    """A flow template of a business, or a common (cross-business) one when `business` is null."""

    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyNullableRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="pipeline_templates", null=True, on_delete=fields.CASCADE
    )
    business_id: int | None
    is_common = fields.BooleanField(default=False, db_index=True)
    name = fields.CharField(max_length=256)
    category = fields.CharField(max_length=32, default="Other")
    description = fields.CharField(max_length=1024, default="")
    version = fields.IntField(default=1)
    digest = fields.CharField(max_length=32, default="")  # md5 of the current version's tree (bk `version`)
    created_by = fields.CharField(max_length=128, default="")
    updated_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "pipeline_template"


class PipelineTemplateVersion(Model):
    """Trees are immutable: an edit adds a version, and a run pins the version it started from."""

    id = fields.IntField(primary_key=True)
    template: fields.ForeignKeyRelation[PipelineTemplate] = fields.ForeignKeyField(
        "opsgraph.PipelineTemplate", related_name="versions", on_delete=fields.CASCADE
    )
    template_id: int
    version = fields.IntField()
    digest = fields.CharField(max_length=32)
    tree: dict[str, Any] = fields.JSONField(default=dict)
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "pipeline_template_version"
        unique_together = (("template", "version"),)


class PeriodicTask(Model):
    """A schedule that creates and starts a run. Created disabled, as bk-sops (celery beat) does."""

    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="periodic_tasks", on_delete=fields.CASCADE
    )
    business_id: int
    template: fields.ForeignKeyRelation[PipelineTemplate] = fields.ForeignKeyField(
        "opsgraph.PipelineTemplate", related_name="periodic_tasks", on_delete=fields.CASCADE
    )
    template_id: int
    template_version = fields.IntField(default=1)
    name = fields.CharField(max_length=256)
    cron: dict[str, Any] = fields.JSONField(default=dict)  # bk fields: minute hour day_of_week day_of_month …
    expression = fields.CharField(max_length=128)  # the same schedule for croniter (UTC)
    enabled = fields.BooleanField(default=False)
    tree: dict[str, Any] = fields.JSONField(default=dict)  # the template tree with its constants' values
    total_run_count = fields.IntField(default=0)
    last_run_at = fields.DatetimeField(null=True)
    next_run_at = fields.DatetimeField(null=True, db_index=True)
    created_by = fields.CharField(max_length=128, default="")
    updated_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "periodic_task"


class PipelineRun(Model):
    """What a PIPELINE task has beyond the Task: its tree, the template version and the root state."""

    id = fields.IntField(primary_key=True)
    task: fields.OneToOneRelation[Task] = fields.OneToOneField(
        "opsgraph.Task", related_name="pipeline_run", on_delete=fields.CASCADE
    )
    task_id: int
    template: fields.ForeignKeyNullableRelation[PipelineTemplate] = fields.ForeignKeyField(
        "opsgraph.PipelineTemplate", related_name="runs", null=True, on_delete=fields.SET_NULL
    )
    template_id: int | None
    template_version = fields.IntField(default=1)
    template_source = fields.CharField(max_length=16, default="business")
    periodic_task: fields.ForeignKeyNullableRelation[PeriodicTask] = fields.ForeignKeyField(
        "opsgraph.PeriodicTask", related_name="runs", null=True, on_delete=fields.SET_NULL
    )
    periodic_task_id: int | None
    category = fields.CharField(max_length=32, default="Other")
    flow_type = fields.CharField(max_length=16, default="common")
    create_method = fields.CharField(max_length=16, default="api")
    executor = fields.CharField(max_length=128, default="")
    # bk-sops root states: CREATED, RUNNING, SUSPENDED, FINISHED, FAILED, REVOKED (Task.status mirrors it).
    root_state = fields.CharField(max_length=16, default="CREATED", db_index=True)
    is_started = fields.BooleanField(default=False)
    is_finished = fields.BooleanField(default=False)
    tree: dict[str, Any] = fields.JSONField(default=dict)
    node_map: dict[str, Any] = fields.JSONField(default=dict)  # template node id → run node id (top level)

    class Meta:
        table = "pipeline_run"
