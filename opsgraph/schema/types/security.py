"""Security scan types: findings (on `Task.findings`) and files uploaded for IaC scans."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from opsgraph.core.ids import encode_global_id
from opsgraph.schema.types.node import Node
from opsgraph.schema.types.topology import HostType

Row = dict[str, Any]


@strawberry.enum
class FindingSeverity(Enum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


@strawberry.enum(
    description="What a cluster scan checks (HSS scan_type_list: benchmark, risk_assessment, cluster_vul)."
)
class ClusterScanType(Enum):
    BENCHMARK = "BENCHMARK"
    RISK_ASSESSMENT = "RISK_ASSESSMENT"
    VULNERABILITY = "VULNERABILITY"


@strawberry.enum
class IacFileType(Enum):
    DOCKERFILE = "dockerfile"
    K8S_YAML = "k8s_yaml"


@strawberry.enum
class SecurityScanKind(Enum):
    CLUSTER = "CLUSTER"
    IAC = "IAC"


@strawberry.type(name="SecurityFinding", description="One rule checked against one host or uploaded file.")
class SecurityFindingType:
    id: int
    rule_id: str = strawberry.field(description="e.g. ssh.permit_root_login, dockerfile.user, k8s.privileged")
    category: str = strawberry.field(description="ssh, password, fs, accounts, network, system, dockerfile, kubernetes")
    severity: FindingSeverity
    title: str
    passed: bool
    evidence: str
    target: str = strawberry.field(description="The host's IP (cloud area prefixed when not 0) or the file's name.")
    host_id: int | None
    file_id: int | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> SecurityFindingType:
        return cls(
            id=row["id"],
            rule_id=row["rule_id"],
            category=row["category"],
            severity=FindingSeverity(str(row["severity"])),
            title=row["title"],
            passed=row["passed"],
            evidence=row["evidence"],
            target=row["target"],
            host_id=row["host_id"],
            file_id=row["file_id"],
            created_at=row["created_at"],
        )

    @strawberry.field
    async def host(self, info: Info) -> HostType | None:
        if self.host_id is None:
            return None
        row = await info.context.loaders.host.load(self.host_id)
        return HostType.from_row(row) if row else None


@strawberry.type(name="ScanFile", description="A Dockerfile or Kubernetes manifest uploaded for IaC scans.")
class ScanFileType(Node):
    file_id: int = strawberry.field(description="The number HSS calls file_id.")
    name: str
    file_type: IacFileType | None
    size: int
    sha256: str
    bk_biz_id: int
    created_by: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> ScanFileType:
        return cls(
            id=strawberry.ID(encode_global_id("ScanFile", row["id"])),
            file_id=row["id"],
            name=row["name"],
            file_type=IacFileType(row["file_type"]) if row["file_type"] else None,
            size=row["size"],
            sha256=row["sha256"],
            bk_biz_id=row["business_id"],
            created_by=row["created_by"],
            created_at=row["created_at"],
        )
