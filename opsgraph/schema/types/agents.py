"""The OpsGraph agent of a host (`Host.agent`) and the enums of agent installs."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from opsgraph.resolvers.agents.status import is_alive

Row = dict[str, Any]


@strawberry.enum(description="bk-nodeman node types: AGENT direct, PROXY a cloud area's gateway, PAGENT behind it.")
class AgentNodeTypeEnum(Enum):
    AGENT = "AGENT"
    PROXY = "PROXY"
    PAGENT = "PAGENT"


@strawberry.enum(description="What an install task does to the agent of each host.")
class AgentOperationEnum(Enum):
    INSTALL = "INSTALL"
    REINSTALL = "REINSTALL"
    UNINSTALL = "UNINSTALL"
    REMOVE = "REMOVE"
    UPGRADE = "UPGRADE"


@strawberry.enum(description="Where a host's agent stands; a removed agent is no AgentStatus at all.")
class AgentInstallStatusEnum(Enum):
    INSTALLING = "INSTALLING"
    INSTALLED = "INSTALLED"
    INSTALL_FAILED = "INSTALL_FAILED"
    UNINSTALLED = "UNINSTALLED"


@strawberry.type(name="AgentStatus")
class AgentStatusType:
    alive: bool = strawberry.field(
        description="Installed, with a heartbeat within OPSGRAPH_AGENT_ALIVE_SECONDS (default 60)."
    )
    node_type: AgentNodeTypeEnum
    status: AgentInstallStatusEnum
    bk_cloud_id: int
    version: str = strawberry.field(description="As the agent last reported it.")
    hostname: str
    os: str
    kernel: str
    uptime: float | None = strawberry.field(description="Seconds since the host booted, as last reported.")
    load: list[float] = strawberry.field(description="Load averages over 1, 5 and 15 minutes, as last reported.")
    last_heartbeat: datetime | None
    token_issued_at: datetime | None
    install_dir: str

    @classmethod
    def from_row(cls, row: Row, alive_seconds: int) -> AgentStatusType:
        return cls(
            alive=is_alive(row, alive_seconds),
            node_type=AgentNodeTypeEnum(row["node_type"]),
            status=AgentInstallStatusEnum(row["status"]),
            bk_cloud_id=row["cloud_area_id"],
            version=row["version"],
            hostname=row["hostname"],
            os=row["os"],
            kernel=row["kernel"],
            uptime=row["uptime"],
            load=list(row["load"] or []),
            last_heartbeat=row["last_heartbeat_at"],
            token_issued_at=row["token_issued_at"],
            install_dir=row["install_dir"],
        )
