"""The OpsGraph agent on a host: what was installed there, the token it signs heartbeats with, and
what its last heartbeat said.

One row per host (installed, installing, failed or uninstalled). REMOVE deletes the row, the host
stays in the CMDB. The token is stored twice and shown to nobody: encrypted (core.crypto) because
checking an HMAC needs the token itself, and as a SHA-256 hash to compare tokens without decrypting.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from opsgraph.models.topology import Host


class AgentNodeType(StrEnum):
    """bk-nodeman node types: AGENT (direct), PROXY (a cloud area's gateway), PAGENT (behind a proxy)."""

    AGENT = "AGENT"
    PROXY = "PROXY"
    PAGENT = "PAGENT"


class AgentOperation(StrEnum):
    INSTALL = "INSTALL"
    REINSTALL = "REINSTALL"
    UNINSTALL = "UNINSTALL"
    REMOVE = "REMOVE"
    UPGRADE = "UPGRADE"


class AgentStatus(StrEnum):
    INSTALLING = "INSTALLING"  # files and token in place, first heartbeat not seen yet
    INSTALLED = "INSTALLED"  # a heartbeat signed with the current token arrived
    INSTALL_FAILED = "INSTALL_FAILED"
    UNINSTALLED = "UNINSTALLED"


class AgentState(Model):
    """The OpsGraph agent of one host, its token and its last heartbeat.

    `login` is kept for PROXY hosts only (secrets encrypted, the shape of a host_logins entry): the
    PAGENT hosts of the cloud area are reached through it.
    """

    id = fields.IntField(primary_key=True)
    host: fields.OneToOneRelation[Host] = fields.OneToOneField(
        "opsgraph.Host", related_name="agent", on_delete=fields.CASCADE
    )
    host_id: int
    node_type = fields.CharEnumField(AgentNodeType, max_length=8, default=AgentNodeType.AGENT)
    cloud_area_id = fields.IntField(default=0, db_index=True)
    status = fields.CharEnumField(AgentStatus, max_length=16, default=AgentStatus.INSTALLING)
    token_secret = fields.TextField(default="")  # SecretBox ciphertext, empty once uninstalled
    token_hash = fields.CharField(max_length=64, default="")  # sha256 hex of the token
    token_issued_at = fields.DatetimeField(null=True)
    login: dict[str, Any] | None = fields.JSONField(null=True)
    install_dir = fields.CharField(max_length=1024, default="")
    version = fields.CharField(max_length=64, default="")
    hostname = fields.CharField(max_length=256, default="")
    os = fields.CharField(max_length=256, default="")
    kernel = fields.CharField(max_length=256, default="")
    uptime = fields.FloatField(null=True)
    load: list[float] | None = fields.JSONField(null=True)
    last_heartbeat_at = fields.DatetimeField(null=True)
    last_seen_ms = fields.BigIntField(default=0)  # newest heartbeat timestamp accepted: the replay guard
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "agent_state"
