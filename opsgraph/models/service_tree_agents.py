"""OpenC3's agent module on the service tree: which regions (our cloud areas) serve a node, which
addresses each region covers (CIDR or /regex/), the agent check switch, and inheritance.

Proxies are not stored here: a region's proxies are the PROXY agents of its cloud area.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from opsgraph.models.topology import Business, CloudArea


class TreeRegion(Model):
    """A region (cloud area) related to a tree node (`project_region_relation`), `owner` marks the
    node that created the region through OpenC3 (`region/:treeid`)."""

    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="tree_regions", on_delete=fields.CASCADE
    )
    business_id: int
    tree_id = fields.IntField(db_index=True)
    cloud_area: fields.ForeignKeyRelation[CloudArea] = fields.ForeignKeyField(
        "opsgraph.CloudArea", related_name="tree_regions", on_delete=fields.CASCADE
    )
    cloud_area_id: int
    owner = fields.BooleanField(default=False)
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tree_region"
        unique_together = (("tree_id", "cloud_area"),)


class AgentCoverage(Model):
    """Addresses a region reaches for a node: a CIDR ("10.0.0.0/8") or a /regex/ on host names."""

    id = fields.IntField(primary_key=True)
    relation: fields.ForeignKeyRelation[TreeRegion] = fields.ForeignKeyField(
        "opsgraph.TreeRegion", related_name="coverage", on_delete=fields.CASCADE
    )
    relation_id: int
    pattern = fields.CharField(max_length=256)
    reason = fields.CharField(max_length=16)  # subnet | regex
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "agent_coverage"
        unique_together = (("relation", "pattern"),)


class AgentCheck(Model):
    """The agent check switch of a node, and when its agents were last checked / last all alive."""

    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="agent_checks", on_delete=fields.CASCADE
    )
    business_id: int
    tree_id = fields.IntField(unique=True)
    status = fields.CharField(max_length=8, default="off")
    last_check = fields.DatetimeField(null=True)
    last_success = fields.DatetimeField(null=True)
    edited_by = fields.CharField(max_length=128, default="")

    class Meta:
        table = "agent_check"


class TreeInherit(Model):
    """A node that takes its regions and proxies from another node (OpenC3 `inherit`)."""

    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="tree_inherits", on_delete=fields.CASCADE
    )
    business_id: int
    tree_id = fields.IntField(unique=True)
    inherit_tree_id = fields.IntField()
    created_by = fields.CharField(max_length=128, default="")

    class Meta:
        table = "tree_inherit"
