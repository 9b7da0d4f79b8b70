"""What monitoring runs on hosts and from nodes: uptime checks, collectors and the components
collectors discover.

Uptime check nodes are where probes run from: the server itself (`host_id` null) or a host with an
agent. An uptime task probes TCP, UDP or HTTP(S) targets every `period` seconds from its nodes; the
results become metrics (`uptimecheck_<protocol>`: available, task_duration). Collectors are
deployed to hosts through the executor and run by the agent (script output or log keyword counts).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from opsgraph.models.topology import Business


class UptimeProtocol(StrEnum):
    TCP = "TCP"
    UDP = "UDP"
    HTTP = "HTTP"


class CollectorKind(StrEnum):
    SCRIPT = "SCRIPT"
    LOG = "LOG"


class UptimeNode(Model):
    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="uptime_nodes", on_delete=fields.CASCADE
    )
    business_id: int
    name = fields.CharField(max_length=128)
    host_id = fields.IntField(null=True)  # null: the OpsGraph server itself probes
    ip = fields.CharField(max_length=64, default="")
    bk_cloud_id = fields.IntField(default=0)
    is_common = fields.BooleanField(default=False)
    location: dict[str, Any] = fields.JSONField(default=dict)
    carrieroperator = fields.CharField(max_length=50, default="")
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "uptime_node"


class UptimeTask(Model):
    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="uptime_tasks", on_delete=fields.CASCADE
    )
    business_id: int
    name = fields.CharField(max_length=128)
    protocol = fields.CharEnumField(UptimeProtocol, max_length=8)
    config: dict[str, Any] = fields.JSONField(default=dict)  # the documented collector_conf.config
    groups = fields.CharField(max_length=128, default="")
    location: dict[str, Any] = fields.JSONField(default=dict)
    node_ids: list[int] = fields.JSONField(default=list)
    period = fields.IntField(default=60)  # seconds
    status = fields.CharField(max_length=16, default="running")  # bk-monitor: running / stoped (sic)
    next_run_at = fields.FloatField(default=0.0)  # epoch seconds; the server node's schedule
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "uptime_task"
        unique_together = (("business", "name"),)


class Collector(Model):
    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="collectors", on_delete=fields.CASCADE
    )
    business_id: int
    kind = fields.CharEnumField(CollectorKind, max_length=8)
    name = fields.CharField(max_length=64)  # the result table its points go to
    description = fields.CharField(max_length=1024, default="")
    config: dict[str, Any] = fields.JSONField(default=dict)  # the documented import shape
    period = fields.IntField(default=60)  # seconds
    host_ids: list[int] = fields.JSONField(default=list)  # where it was last deployed successfully
    last_task_id = fields.IntField(null=True)
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "collector"
        unique_together = (("business", "name"),)


class ComponentInstance(Model):
    """A component (redis, mysql, nginx…) an agent found listening on its host."""

    id = fields.IntField(primary_key=True)
    business_id = fields.IntField(db_index=True)
    host_id = fields.IntField()
    ip = fields.CharField(max_length=64)
    bk_cloud_id = fields.IntField(default=0)
    component = fields.CharField(max_length=32)
    port = fields.IntField()
    status = fields.CharField(max_length=16, default="running")  # running | stopped
    pid = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    last_seen_at = fields.DatetimeField()

    class Meta:
        table = "component_instance"
        unique_together = (("host_id", "component", "port"),)
