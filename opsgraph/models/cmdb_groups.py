"""Dynamic groups (bk-cmdb v3.2 "custom queries", `create_custom_query` …): a named, stored
`search_host` body of one business, resolved against the CMDB every time it is used.

The body (`info`) is kept exactly as given, as upstream keeps it; it is parsed when it is saved
(so a broken one is refused then, not when a job runs) and again on every execution.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from opsgraph.models.topology import Business


class DynamicGroup(Model):
    id = fields.IntField(primary_key=True)
    # bk-cmdb addresses a custom query by a 20-character xid string ("b80nu3dmjrccd9i5r1eg").
    bk_id = fields.CharField(max_length=32, unique=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="dynamic_groups", on_delete=fields.CASCADE
    )
    business_id: int
    name = fields.CharField(max_length=256)
    info = fields.TextField()
    create_user = fields.CharField(max_length=128, default="")
    modify_user = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "dynamic_group"
        unique_together = (("business", "name"),)
