"""The CMDB model layer: classifications, models (bk-cmdb "objects"), attribute groups, attributes,
unique rules and the saved positions of the model-topology graph.

Ids follow bk-cmdb: every record has a numeric `id` (what update/delete endpoints address) and the
string identifiers (`bk_classification_id`, `bk_obj_id`, `bk_property_id`, `bk_group_id`) callers
name things by. Business, set, module, host and plat are models too; their instances live in their
own tables (models/topology.py), every other model's in `cmdb_instance` (models/cmdb_instances.py).
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

ID_MAX_LENGTH = 128
NAME_MAX_LENGTH = 128


class Classification(Model):
    id = fields.IntField(primary_key=True)
    classification_id = fields.CharField(max_length=ID_MAX_LENGTH, unique=True)
    name = fields.CharField(max_length=NAME_MAX_LENGTH)
    icon = fields.CharField(max_length=128, default="")
    # bk-cmdb's bk_classification_type: "inner" for the preset ones, "" for user classifications.
    kind = fields.CharField(max_length=16, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "cmdb_classification"


class ObjectModel(Model):
    id = fields.IntField(primary_key=True)
    obj_id = fields.CharField(max_length=ID_MAX_LENGTH, unique=True)
    name = fields.CharField(max_length=NAME_MAX_LENGTH)
    classification: fields.ForeignKeyRelation[Classification] = fields.ForeignKeyField(
        "opsgraph.Classification", related_name="objects", on_delete=fields.RESTRICT
    )
    classification_id: int
    icon = fields.CharField(max_length=128, default="")
    description = fields.CharField(max_length=1024, default="")
    is_preset = fields.BooleanField(default=False)
    is_paused = fields.BooleanField(default=False)
    # The front end's node coordinates, kept as the JSON text bk-cmdb stores (`position`).
    position = fields.TextField(default="")
    creator = fields.CharField(max_length=128, default="")
    modifier = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "cmdb_object"


class AttributeGroup(Model):
    id = fields.IntField(primary_key=True)
    object: fields.ForeignKeyRelation[ObjectModel] = fields.ForeignKeyField(
        "opsgraph.ObjectModel", related_name="groups", on_delete=fields.CASCADE
    )
    object_id: int
    group_id = fields.CharField(max_length=ID_MAX_LENGTH)
    name = fields.CharField(max_length=NAME_MAX_LENGTH)
    index = fields.IntField(default=0)
    is_default = fields.BooleanField(default=False)
    is_preset = fields.BooleanField(default=False)

    class Meta:
        table = "cmdb_attribute_group"
        unique_together = (("object", "group_id"),)


class Attribute(Model):
    id = fields.IntField(primary_key=True)
    object: fields.ForeignKeyRelation[ObjectModel] = fields.ForeignKeyField(
        "opsgraph.ObjectModel", related_name="attributes", on_delete=fields.CASCADE
    )
    object_id: int
    property_id = fields.CharField(max_length=ID_MAX_LENGTH)
    name = fields.CharField(max_length=NAME_MAX_LENGTH)
    property_type = fields.CharField(max_length=32)
    group_id = fields.CharField(max_length=ID_MAX_LENGTH, default="default")
    index = fields.IntField(default=0)
    unit = fields.CharField(max_length=64, default="")
    placeholder = fields.CharField(max_length=2000, default="")
    description = fields.CharField(max_length=2000, default="")
    editable = fields.BooleanField(default=True)
    required = fields.BooleanField(default=False)
    readonly = fields.BooleanField(default=False)
    multiple = fields.BooleanField(default=False)
    is_preset = fields.BooleanField(default=False)
    # Built-in properties kept in the instance table's own columns (bk_biz_name, bk_host_innerip…):
    # described here, stored and checked by the topology code.
    is_system = fields.BooleanField(default=False)
    option: Any = fields.JSONField(null=True)
    default: Any = fields.JSONField(null=True)
    creator = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "cmdb_attribute"
        unique_together = (("object", "property_id"),)


class UniqueRule(Model):
    """Instances of the model may not share the values of `keys` (attribute ids), all non-empty."""

    id = fields.IntField(primary_key=True)
    object: fields.ForeignKeyRelation[ObjectModel] = fields.ForeignKeyField(
        "opsgraph.ObjectModel", related_name="unique_rules", on_delete=fields.CASCADE
    )
    object_id: int
    keys: list[int] = fields.JSONField(default=list)
    is_preset = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "cmdb_unique_rule"


class TopoGraphicsNode(Model):
    """One node position in a saved topology graph, unique by scope, node type, model and instance."""

    id = fields.IntField(primary_key=True)
    scope_type = fields.CharField(max_length=16)
    scope_id = fields.CharField(max_length=64)
    node_type = fields.CharField(max_length=8)
    obj_id = fields.CharField(max_length=ID_MAX_LENGTH)
    inst_id = fields.BigIntField(default=0)
    business_id = fields.IntField(default=0)
    position: Any = fields.JSONField(default=dict)
    ext: Any = fields.JSONField(default=dict)
    icon = fields.CharField(max_length=128, default="")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "cmdb_topo_graphics"
        unique_together = (("scope_type", "scope_id", "node_type", "obj_id", "inst_id"),)
