"""Uptime check nodes and tasks, collectors and the component instances collectors discover."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from opsgraph.core.ids import encode_global_id
from opsgraph.schema.types.node import Node

Row = dict[str, Any]


@strawberry.type(name="UptimeNode", description="Where probes run from: the server (no host) or an agent host.")
class UptimeNodeType(Node):
    bk_node_id: int
    bk_biz_id: int
    name: str
    ip: str = strawberry.field(description="Empty for the OpsGraph server itself.")
    bk_cloud_id: int
    bk_host_id: int | None
    is_common: bool
    location: JSON
    carrieroperator: str

    @classmethod
    def from_row(cls, row: Row) -> UptimeNodeType:
        return cls(
            id=strawberry.ID(encode_global_id("UptimeNode", row["id"])),
            bk_node_id=row["id"],
            bk_biz_id=row["business_id"],
            name=row["name"],
            ip=row["ip"],
            bk_cloud_id=row["bk_cloud_id"],
            bk_host_id=row["host_id"],
            is_common=row["is_common"],
            location=row["location"],
            carrieroperator=row["carrieroperator"],
        )


@strawberry.type(name="UptimeTask")
class UptimeTaskType(Node):
    bk_task_id: int
    bk_biz_id: int
    name: str
    protocol: str
    config: JSON
    node_ids: list[int]
    period: int = strawberry.field(description="Seconds between two probes.")
    status: str = strawberry.field(description="running or stoped (sic, as bk-monitor spells it).")
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> UptimeTaskType:
        return cls(
            id=strawberry.ID(encode_global_id("UptimeTask", row["id"])),
            bk_task_id=row["id"],
            bk_biz_id=row["business_id"],
            name=row["name"],
            protocol=str(row["protocol"]),
            config=row["config"],
            node_ids=list(row["node_ids"] or []),
            period=row["period"],
            status=row["status"],
            created_at=row["created_at"],
        )


@strawberry.type(name="Collector")
class CollectorType(Node):
    bk_collector_id: int
    bk_biz_id: int
    kind: str = strawberry.field(description="SCRIPT or LOG.")
    name: str = strawberry.field(description="The result table its points go to.")
    description: str
    period: int
    config: JSON
    host_ids: list[int] = strawberry.field(description="bk host ids it was deployed to.")
    last_task_id: int | None

    @classmethod
    def from_row(cls, row: Row) -> CollectorType:
        return cls(
            id=strawberry.ID(encode_global_id("Collector", row["id"])),
            bk_collector_id=row["id"],
            bk_biz_id=row["business_id"],
            kind=str(row["kind"]),
            name=row["name"],
            description=row["description"],
            period=row["period"],
            config=row["config"],
            host_ids=list(row["host_ids"] or []),
            last_task_id=row["last_task_id"],
        )


@strawberry.type(name="ComponentInstance")
class ComponentInstanceType(Node):
    bk_component_id: int
    bk_biz_id: int
    bk_host_id: int
    ip: str
    bk_cloud_id: int
    component: str
    port: int
    status: str = strawberry.field(description="running, or stopped once its host's agent no longer sees it.")
    pid: int | None
    created_at: datetime
    updated_at: datetime
    last_seen_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> ComponentInstanceType:
        return cls(
            id=strawberry.ID(encode_global_id("ComponentInstance", row["id"])),
            bk_component_id=row["id"],
            bk_biz_id=row["business_id"],
            bk_host_id=row["host_id"],
            ip=row["ip"],
            bk_cloud_id=row["bk_cloud_id"],
            component=row["component"],
            port=row["port"],
            status=row["status"],
            pid=row["pid"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            last_seen_at=row["last_seen_at"],
        )
