"""ITSM: service catalogs, services with a versioned workflow, tickets moving through it.

A ticket pins the workflow version it was created from (`flow`), so editing a service never
changes a running ticket. Each state the ticket reaches is a `TicketNode`; the people who may act
on a node are kept as rows of `TicketProcessor` too, so "tickets I may see or act on" is one query.
Approval steps of jobs and pipelines are tickets whose `origin_*` columns name what waits for them;
`decided_at` / `decision_acknowledged` let the waiting side recover a decision after a restart.
`TicketCallback` is the outbox of `approval_result` callbacks (delivered with retries by
executors.ticket_callbacks).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from opsgraph.models.topology import Business


class TicketStatus(StrEnum):
    """bk-itsm's ticket `current_status` values the API shows."""

    RUNNING = "RUNNING"
    SUSPENDED = "SUSPENDED"
    FINISHED = "FINISHED"
    TERMINATED = "TERMINATED"
    REVOKED = "REVOKED"  # withdrawn by its creator


ENDED_TICKET_STATUSES = frozenset({TicketStatus.FINISHED, TicketStatus.TERMINATED, TicketStatus.REVOKED})


class NodeStatus(StrEnum):
    WAIT = "WAIT"
    RUNNING = "RUNNING"
    RECEIVING = "RECEIVING"  # 待认领: one of its candidates claims it first
    DISTRIBUTING = "DISTRIBUTING"  # 待分派: one of its assignors names the processors first
    FINISHED = "FINISHED"
    TERMINATED = "TERMINATED"
    FAILED = "FAILED"


# A node in one of these is a current step of its ticket.
ACTIVE_NODE_STATUSES = (NodeStatus.RUNNING, NodeStatus.RECEIVING, NodeStatus.DISTRIBUTING)


class StateType(StrEnum):
    START = "START"
    NORMAL = "NORMAL"
    APPROVAL = "APPROVAL"
    SIGN = "SIGN"
    PARALLEL = "PARALLEL"  # bk-itsm ROUTER-P: opens every branch
    CONVERGE = "CONVERGE"  # bk-itsm COVERAGE: waits for every branch
    END = "END"


class CallbackStatus(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class ServiceCatalog(Model):
    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=128)
    desc = fields.CharField(max_length=1024, default="")
    parent: fields.ForeignKeyNullableRelation[ServiceCatalog] = fields.ForeignKeyField(
        "opsgraph.ServiceCatalog", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    parent_id: int | None
    level = fields.SmallIntField(default=0)
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "itsm_catalog"


class Service(Model):
    id = fields.IntField(primary_key=True)
    catalog: fields.ForeignKeyRelation[ServiceCatalog] = fields.ForeignKeyField(
        "opsgraph.ServiceCatalog", related_name="services", on_delete=fields.RESTRICT
    )
    catalog_id: int
    # Only built-in services have a key (the approval service jobs and pipelines open tickets in).
    key = fields.CharField(max_length=64, unique=True, null=True)
    name = fields.CharField(max_length=256)
    desc = fields.CharField(max_length=1024, default="")
    service_type = fields.CharField(max_length=32, default="request")
    revocable = fields.BooleanField(default=True)
    is_builtin = fields.BooleanField(default=False)
    enabled = fields.BooleanField(default=True)
    # The current Workflow version (a plain id: the workflow also points back at its service).
    workflow_id = fields.IntField(default=0)
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "itsm_service"


class Workflow(Model):
    """One immutable version of a service's flow: {fields, states, transitions} (resolvers.tickets.workflows)."""

    id = fields.IntField(primary_key=True)
    service: fields.ForeignKeyRelation[Service] = fields.ForeignKeyField(
        "opsgraph.Service", related_name="workflows", on_delete=fields.CASCADE
    )
    service_id: int
    version = fields.IntField()
    definition: dict[str, Any] = fields.JSONField(default=dict)
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "itsm_workflow"
        unique_together = (("service", "version"),)


class Ticket(Model):
    id = fields.IntField(primary_key=True)
    sn = fields.CharField(max_length=64, unique=True)
    title = fields.CharField(max_length=256)
    service: fields.ForeignKeyRelation[Service] = fields.ForeignKeyField(
        "opsgraph.Service", related_name="tickets", on_delete=fields.RESTRICT
    )
    service_id: int
    flow: fields.ForeignKeyRelation[Workflow] = fields.ForeignKeyField(
        "opsgraph.Workflow", related_name="tickets", on_delete=fields.RESTRICT
    )
    flow_id: int
    business: fields.ForeignKeyNullableRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="tickets", null=True, on_delete=fields.SET_NULL
    )
    business_id: int | None
    creator = fields.CharField(max_length=128, db_index=True)
    app_code = fields.CharField(max_length=128, default="")
    current_status = fields.CharEnumField(TicketStatus, max_length=16, default=TicketStatus.RUNNING, db_index=True)
    values: dict[str, Any] = fields.JSONField(default=dict)  # submitted field key → value
    # state id → processors chosen at creation (bk-itsm meta.state_processors), used when the flow gets there.
    state_processors: dict[str, Any] = fields.JSONField(default=dict)
    approve_result = fields.BooleanField(null=True)
    end_reason = fields.CharField(max_length=1024, default="")
    callback_url = fields.CharField(max_length=1024, default="")
    origin_kind = fields.CharField(max_length=32, default="", db_index=True)
    origin_task_id = fields.IntField(null=True)
    origin_ref = fields.CharField(max_length=128, default="")
    decided_at = fields.DatetimeField(null=True)
    decision_acknowledged = fields.BooleanField(default=False)
    updated_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)
    end_at = fields.DatetimeField(null=True)

    class Meta:
        table = "itsm_ticket"


class TicketNode(Model):
    """A state the ticket reached. `processors` are resolved when the node starts (usernames), or
    a role / "anyone" rule kept as `processors_type` GENERAL / OPEN."""

    id = fields.IntField(primary_key=True)
    ticket: fields.ForeignKeyRelation[Ticket] = fields.ForeignKeyField(
        "opsgraph.Ticket", related_name="nodes", on_delete=fields.CASCADE
    )
    ticket_id: int
    state_id = fields.IntField()
    name = fields.CharField(max_length=256)
    type = fields.CharEnumField(StateType, max_length=16)
    status = fields.CharEnumField(NodeStatus, max_length=16, default=NodeStatus.RUNNING)
    processors_type = fields.CharField(max_length=16, default="PERSON")
    processors: list[str] = fields.JSONField(default=list)
    values: dict[str, Any] = fields.JSONField(default=dict)
    approve_result = fields.BooleanField(null=True)
    operator = fields.CharField(max_length=128, default="")
    comment = fields.CharField(max_length=1024, default="")
    started_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "itsm_ticket_node"
        unique_together = (("ticket", "state_id"),)


class TicketSignature(Model):
    """One processor's opinion on an APPROVAL or SIGN node."""

    id = fields.IntField(primary_key=True)
    node: fields.ForeignKeyRelation[TicketNode] = fields.ForeignKeyField(
        "opsgraph.TicketNode", related_name="signatures", on_delete=fields.CASCADE
    )
    node_id: int
    processor = fields.CharField(max_length=128)
    approved = fields.BooleanField()
    comment = fields.CharField(max_length=1024, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "itsm_ticket_signature"
        unique_together = (("node", "processor"),)


class TicketProcessor(Model):
    """A person named as a processor of some node of the ticket: they may see it."""

    id = fields.IntField(primary_key=True)
    ticket: fields.ForeignKeyRelation[Ticket] = fields.ForeignKeyField(
        "opsgraph.Ticket", related_name="processor_rows", on_delete=fields.CASCADE
    )
    ticket_id: int
    username = fields.CharField(max_length=128, db_index=True)

    class Meta:
        table = "itsm_ticket_processor"
        unique_together = (("ticket", "username"),)


class TicketLog(Model):
    id = fields.IntField(primary_key=True)
    ticket: fields.ForeignKeyRelation[Ticket] = fields.ForeignKeyField(
        "opsgraph.Ticket", related_name="logs", on_delete=fields.CASCADE
    )
    ticket_id: int
    operator = fields.CharField(max_length=128)
    action = fields.CharField(max_length=32)
    message = fields.CharField(max_length=1024)
    source = fields.CharField(max_length=16, default="API")  # WEB / MOBILE / API / SYS
    state_id = fields.IntField(null=True)
    operate_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "itsm_ticket_log"


class TicketCallback(Model):
    """Outbox row: one `approval_result` POST to deliver, retried until delivered or given up."""

    id = fields.IntField(primary_key=True)
    ticket: fields.ForeignKeyRelation[Ticket] = fields.ForeignKeyField(
        "opsgraph.Ticket", related_name="callbacks", on_delete=fields.CASCADE
    )
    ticket_id: int
    url = fields.CharField(max_length=1024)
    body: dict[str, Any] = fields.JSONField(default=dict)
    app_code = fields.CharField(max_length=128, default="")
    status = fields.CharEnumField(CallbackStatus, max_length=16, default=CallbackStatus.PENDING, db_index=True)
    attempts = fields.SmallIntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    last_error = fields.CharField(max_length=1024, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "itsm_ticket_callback"
