"""OpenC3's agent module: regions (cloud areas) of a tree node, coverage, the check switch, inheritance."""

from __future__ import annotations

from datetime import datetime

import strawberry


@strawberry.type(name="TreeRegion", description="A region (cloud area) that serves a tree node.")
class TreeRegionType:
    id: int = strawberry.field(description="The relation's id.")
    region_id: int = strawberry.field(description="The cloud area's bkCloudId.")
    name: str
    tree_id: int
    owner: bool = strawberry.field(description="Made on this node through OpenC3 (region/:treeid).")
    created_by: str
    created_at: datetime


@strawberry.type(name="AgentCoverage", description="Addresses a region reaches for a node: a CIDR or /regex/.")
class AgentCoverageType:
    id: int
    pattern: str
    reason: str = strawberry.field(description="subnet or regex")
    region_id: int
    region: str
    created_at: datetime


@strawberry.type(name="AgentCheck")
class AgentCheckType:
    status: str = strawberry.field(description="on or off")
    last_check: datetime | None
    last_success: datetime | None
    last_check_x: int | None = strawberry.field(description="1: the last check is older than 600 s.")
    last_success_x: int | None = strawberry.field(description="1: the last success was 600 s or more before it.")


@strawberry.type(name="TreeInherit")
class TreeInheritType:
    id: int
    tree_id: int
    inherit_tree_id: int
