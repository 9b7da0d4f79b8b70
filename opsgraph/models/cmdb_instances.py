"""Instances of the CMDB models that have no table of their own, the keys that enforce unique rules,
associations (kinds, between models, between instances) and process ↔ module bindings.

An instance belongs to one business (`business_id`) or to none (a global instance such as a core
switch); the business decides who may see and change it. `business_id` is not a foreign key: the
topology code owns business deletion, and instances must not make it fail with an integrity error.
Instance associations name their ends by (model id, instance id) because an end may be a host,
a set or any other model's instance, each in its own table.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from opsgraph.models.cmdb_models import ID_MAX_LENGTH, NAME_MAX_LENGTH, ObjectModel, UniqueRule

INSTANCE_NAME_MAX_LENGTH = 256


class Instance(Model):
    id = fields.IntField(primary_key=True)
    object: fields.ForeignKeyRelation[ObjectModel] = fields.ForeignKeyField(
        "opsgraph.ObjectModel", related_name="instances", on_delete=fields.RESTRICT
    )
    object_id: int
    business_id = fields.IntField(null=True)
    name = fields.CharField(max_length=INSTANCE_NAME_MAX_LENGTH)
    # Every other attribute's value by bk property id, as validated for its type.
    properties: dict[str, Any] = fields.JSONField(default=dict)
    created_by = fields.CharField(max_length=128, default="")
    updated_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "cmdb_instance"
        indexes = (("object_id", "id"), ("object_id", "name"), ("business_id", "object_id"))


class InstanceUniqueKey(Model):
    """One row per unique rule and instance whose key values are all set. The unique index on
    rule and digest is what refuses a duplicate, so two concurrent writes cannot both pass."""

    id = fields.IntField(primary_key=True)
    rule: fields.ForeignKeyRelation[UniqueRule] = fields.ForeignKeyField(
        "opsgraph.UniqueRule", related_name="instance_keys", on_delete=fields.CASCADE
    )
    rule_id: int
    instance: fields.ForeignKeyRelation[Instance] = fields.ForeignKeyField(
        "opsgraph.Instance", related_name="unique_keys", on_delete=fields.CASCADE
    )
    instance_id: int
    digest = fields.CharField(max_length=64)

    class Meta:
        table = "cmdb_instance_unique_key"
        unique_together = (("rule", "digest"), ("rule", "instance"))


class AssociationKind(Model):
    id = fields.IntField(primary_key=True)
    asst_id = fields.CharField(max_length=ID_MAX_LENGTH, unique=True)
    name = fields.CharField(max_length=NAME_MAX_LENGTH, default="")
    src_des = fields.CharField(max_length=NAME_MAX_LENGTH, default="")
    dest_des = fields.CharField(max_length=NAME_MAX_LENGTH, default="")
    direction = fields.CharField(max_length=16, default="src_to_dest")
    is_preset = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "cmdb_association_kind"


class ObjectAssociation(Model):
    """`source` —kind→ `target` between two models, with the instance mapping it allows."""

    id = fields.IntField(primary_key=True)
    obj_asst_id = fields.CharField(max_length=3 * ID_MAX_LENGTH + 2, unique=True)
    name = fields.CharField(max_length=NAME_MAX_LENGTH, default="")
    source: fields.ForeignKeyRelation[ObjectModel] = fields.ForeignKeyField(
        "opsgraph.ObjectModel", related_name="source_associations", on_delete=fields.RESTRICT
    )
    source_id: int
    target: fields.ForeignKeyRelation[ObjectModel] = fields.ForeignKeyField(
        "opsgraph.ObjectModel", related_name="target_associations", on_delete=fields.RESTRICT
    )
    target_id: int
    kind: fields.ForeignKeyRelation[AssociationKind] = fields.ForeignKeyField(
        "opsgraph.AssociationKind", related_name="object_associations", on_delete=fields.RESTRICT
    )
    kind_id: int
    mapping = fields.CharField(max_length=8, default="n:n")
    on_delete = fields.CharField(max_length=16, default="none")
    is_preset = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "cmdb_object_association"


class InstanceAssociation(Model):
    """One link of a model association: source instance `inst_id` → target instance `asst_inst_id`."""

    id = fields.IntField(primary_key=True)
    object_association: fields.ForeignKeyRelation[ObjectAssociation] = fields.ForeignKeyField(
        "opsgraph.ObjectAssociation", related_name="instance_links", on_delete=fields.RESTRICT
    )
    object_association_id: int
    obj_id = fields.CharField(max_length=ID_MAX_LENGTH)
    inst_id = fields.IntField()
    asst_obj_id = fields.CharField(max_length=ID_MAX_LENGTH)
    asst_inst_id = fields.IntField()
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "cmdb_instance_association"
        unique_together = (("object_association", "inst_id", "asst_inst_id"),)
        indexes = (("obj_id", "inst_id"), ("asst_obj_id", "asst_inst_id"))


class ProcessModuleBinding(Model):
    """A process bound to every module of that name in its business (bk-cmdb v3.2 binds by name)."""

    id = fields.IntField(primary_key=True)
    process: fields.ForeignKeyRelation[Instance] = fields.ForeignKeyField(
        "opsgraph.Instance", related_name="module_bindings", on_delete=fields.CASCADE
    )
    process_id: int
    business_id = fields.IntField()
    module_name = fields.CharField(max_length=NAME_MAX_LENGTH * 2)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "cmdb_process_module"
        unique_together = (("process", "module_name"),)
