"""OpenC3 records on the service tree: what OpenC3 keys by uuid or tree id beside our own objects.

A job is a JobTemplate (its steps hold our normalised settings plus the OpenC3 step as given); a
task is a Task; a node group is a DynamicGroup; a crontab is a Cron. The rows here add what OpenC3
clients address them by (12-character uuids, tree ids) and what they carry that ours do not
(variable descriptions, calltype, a crontab's mutex).
Tree ids name businesses, sets or modules (resolvers/service_tree/ids.py); `business` is kept
beside them so deleting a business takes its rows along.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from opsgraph.models.jobs import Cron, JobTemplate
from opsgraph.models.tasks import Task
from opsgraph.models.topology import Business


class TreeJob(Model):
    id = fields.IntField(primary_key=True)
    uuid = fields.CharField(max_length=32, unique=True)
    template: fields.OneToOneRelation[JobTemplate] = fields.OneToOneField(
        "opsgraph.JobTemplate", related_name="tree_job", on_delete=fields.CASCADE
    )
    template_id: int
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="tree_jobs", on_delete=fields.CASCADE
    )
    business_id: int
    tree_id = fields.IntField(db_index=True)
    variable_notes: dict[str, Any] = fields.JSONField(default=dict)  # variable name → describe
    edited_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "tree_job"


class TreeTask(Model):
    """One OpenC3 task (a run): `uuid` is what clients poll. What an operator decided about a
    failed step lives in that step's config (executors/step_holds.py).

    The row is written before its Task (the uuid is reserved first, so two starts with one client
    uuid cannot both run); `task` stays null only if the start failed after the reservation."""

    id = fields.IntField(primary_key=True)
    uuid = fields.CharField(max_length=32, unique=True)
    task: fields.OneToOneNullableRelation[Task] = fields.OneToOneField(
        "opsgraph.Task", related_name="tree_task", null=True, on_delete=fields.CASCADE
    )
    task_id: int | None
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="tree_tasks", on_delete=fields.CASCADE
    )
    business_id: int
    tree_id = fields.IntField(db_index=True)
    name = fields.CharField(max_length=256)
    user = fields.CharField(max_length=128)
    calltype = fields.CharField(max_length=8, default="page")  # page | api
    jobtype = fields.CharField(max_length=32, default="jobs")  # jobs | plugin_cmd | plugin_scp | plugin_approval
    job_uuid = fields.CharField(max_length=32, default="", db_index=True)
    variable: dict[str, Any] = fields.JSONField(default=dict)
    extid = fields.CharField(max_length=64, default="")
    reason = fields.CharField(max_length=512, default="")
    harvested = fields.BooleanField(default=False)  # its `NAME:[value]` output went into node variables
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "tree_task"


class TreeCrontab(Model):
    """What an OpenC3 crontab adds to its Cron: the tree, the job uuid, the mutex, the last editor."""

    id = fields.IntField(primary_key=True)
    cron: fields.OneToOneRelation[Cron] = fields.OneToOneField(
        "opsgraph.Cron", related_name="tree_crontab", on_delete=fields.CASCADE
    )
    cron_id: int
    tree_id = fields.IntField(db_index=True)
    job_uuid = fields.CharField(max_length=32)
    mutex = fields.CharField(max_length=128, default="")
    edited_by = fields.CharField(max_length=128, default="")

    class Meta:
        table = "tree_crontab"


class NodeVariable(Model):
    """OpenC3 `vv`: `NAME:[value]` lines a command printed on a node, the newest value per name."""

    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="node_variables", on_delete=fields.CASCADE
    )
    business_id: int
    tree_id = fields.IntField()
    node = fields.CharField(max_length=128)
    name = fields.CharField(max_length=128)
    value = fields.CharField(max_length=128)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "node_variable"
        unique_together = (("tree_id", "node", "name"),)


class TreeNotifySubscriber(Model):
    """Who hears about a node's task outcomes (OpenC3 `notify`): a user name or a mail address."""

    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="tree_notify_subscribers", on_delete=fields.CASCADE
    )
    business_id: int
    tree_id = fields.IntField(db_index=True)
    user = fields.CharField(max_length=254)
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tree_notify_subscriber"
        unique_together = (("tree_id", "user"),)


class TreeFile(Model):
    """A file in a node's file store (OpenC3 `fileserver`), kept in the database with its md5."""

    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="tree_files", on_delete=fields.CASCADE
    )
    business_id: int
    tree_id = fields.IntField(db_index=True)
    name = fields.CharField(max_length=255)
    size = fields.BigIntField()
    md5 = fields.CharField(max_length=32)
    content = fields.BinaryField()
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tree_file"
        unique_together = (("tree_id", "name"),)


class UploadToken(Model):
    """A token that uploads into a node's file store without a login (and may then start a job).
    Only its SHA-256 is stored; listings show its first four characters."""

    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="upload_tokens", on_delete=fields.CASCADE
    )
    business_id: int
    tree_id = fields.IntField(db_index=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    token_hint = fields.CharField(max_length=8)
    description = fields.CharField(max_length=1024, default="")
    job_name = fields.CharField(max_length=256, default="")  # empty: upload only
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    edited_by = fields.CharField(max_length=128, default="")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "upload_token"


class SmallApplication(Model):
    """A light app: a titled shortcut that starts one job (OpenC3 `smallapplication`)."""

    id = fields.IntField(primary_key=True)
    tree_job: fields.ForeignKeyRelation[TreeJob] = fields.ForeignKeyField(
        "opsgraph.TreeJob", related_name="small_applications", on_delete=fields.CASCADE
    )
    tree_job_id: int
    type = fields.CharField(max_length=64, default="")
    title = fields.CharField(max_length=256)
    description = fields.CharField(max_length=1024, default="")
    parameter = fields.TextField(default="")
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    edited_by = fields.CharField(max_length=128, default="")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "small_application"


class TerminalCommand(Model):
    """One line typed in the web terminal (`/cmd/:treeid`), searchable in `/cmd/:treeid/log`."""

    id = fields.BigIntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="terminal_commands", on_delete=fields.CASCADE
    )
    business_id: int
    tree_id = fields.IntField(db_index=True)
    user = fields.CharField(max_length=128)
    node = fields.CharField(max_length=128)
    usr = fields.CharField(max_length=128)  # the OS account the shell runs as
    cmd = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "terminal_command"


class PlatformSetting(Model):
    """Key → JSON value settings of one scope: OpenC3 `environment` (job notifications and their
    templates) and the connector `config`."""

    id = fields.IntField(primary_key=True)
    scope = fields.CharField(max_length=32)
    key = fields.CharField(max_length=128)
    value: Any = fields.JSONField(null=True)
    edited_by = fields.CharField(max_length=128, default="")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "platform_setting"
        unique_together = (("scope", "key"),)


class PrivateNode(Model):
    """OpenC3's per-user private tree node (tree ids from 4000000000 up). It holds no resources
    here: jobs, tasks and hosts live on business, set and module nodes."""

    id = fields.IntField(primary_key=True)
    user = fields.CharField(max_length=254, unique=True)
    edited_by = fields.CharField(max_length=128, default="")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "private_node"
