"""The mainline CMDB topology: business → set → module → host, and cloud areas.

Built-in flags follow bk-cmdb: a set or module with `default` 0 is ordinary; the per-business
idle-pool set has `default=1` and holds the idle (1), fault (2) and recycle (3) modules. The
resource-pool business has `default=1`.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class BuiltinModule(IntEnum):
    NORMAL = 0
    IDLE = 1
    FAULT = 2
    RECYCLE = 3


IDLE_POOL_SET_NAME = "空闲机池"
BUILTIN_MODULE_NAMES = {
    BuiltinModule.IDLE: "空闲机",
    BuiltinModule.FAULT: "故障机",
    BuiltinModule.RECYCLE: "待回收",
}
RESOURCE_POOL_NAME = "资源池"
DEFAULT_CLOUD_AREA_NAME = "Default Area"


class CloudArea(Model):
    """A network area (`plat` in bk-cmdb). Id 0 is the default area."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=128, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "cloud_area"


class Business(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=256, unique=True)
    maintainer = fields.CharField(max_length=1024, default="")
    productor = fields.CharField(max_length=1024, default="")
    developer = fields.CharField(max_length=1024, default="")
    tester = fields.CharField(max_length=1024, default="")
    operator = fields.CharField(max_length=1024, default="")
    time_zone = fields.CharField(max_length=64, default="Asia/Shanghai")
    language = fields.CharField(max_length=8, default="1")
    life_cycle = fields.CharField(max_length=8, default="2")
    default = fields.SmallIntField(default=0)
    enabled = fields.BooleanField(default=True)
    attributes: dict[str, Any] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "business"


class Set(Model):
    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="sets", on_delete=fields.RESTRICT
    )
    business_id: int
    name = fields.CharField(max_length=256)
    parent_id = fields.IntField()
    default = fields.SmallIntField(default=0)
    set_env = fields.CharField(max_length=8, default="3")
    service_status = fields.CharField(max_length=8, default="1")
    capacity = fields.IntField(null=True)
    description = fields.CharField(max_length=1024, default="")
    attributes: dict[str, Any] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "set"
        unique_together = (("business", "name"),)


class Module(Model):
    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="modules", on_delete=fields.RESTRICT
    )
    business_id: int
    set: fields.ForeignKeyRelation[Set] = fields.ForeignKeyField(
        "opsgraph.Set", related_name="modules", on_delete=fields.RESTRICT
    )
    set_id: int
    name = fields.CharField(max_length=256)
    default = fields.SmallIntField(default=BuiltinModule.NORMAL)
    module_type = fields.CharField(max_length=8, default="1")
    operator = fields.CharField(max_length=256, default="")
    bak_operator = fields.CharField(max_length=256, default="")
    attributes: dict[str, Any] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "module"
        unique_together = (("set", "name"),)


class Host(Model):
    id = fields.IntField(primary_key=True)
    inner_ip = fields.CharField(max_length=64, db_index=True)
    outer_ip = fields.CharField(max_length=64, default="")
    cloud_area: fields.ForeignKeyRelation[CloudArea] = fields.ForeignKeyField(
        "opsgraph.CloudArea", related_name="hosts", on_delete=fields.RESTRICT
    )
    cloud_area_id: int
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="hosts", on_delete=fields.RESTRICT
    )
    business_id: int
    host_name = fields.CharField(max_length=256, default="")
    os_type = fields.CharField(max_length=8, default="")
    os_name = fields.CharField(max_length=256, default="")
    os_version = fields.CharField(max_length=128, default="")
    cpu = fields.IntField(null=True)
    mem = fields.IntField(null=True)
    disk = fields.IntField(null=True)
    sn = fields.CharField(max_length=256, default="")
    operator = fields.CharField(max_length=256, default="")
    bak_operator = fields.CharField(max_length=256, default="")
    comment = fields.CharField(max_length=1024, default="")
    import_from = fields.CharField(max_length=8, default="3")
    ssh_port = fields.IntField(null=True)
    attributes: dict[str, Any] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "host"
        unique_together = (("inner_ip", "cloud_area"),)


class HostModule(Model):
    """A host's membership in one module. `business` is denormalised for cheap per-business scans."""

    id = fields.IntField(primary_key=True)
    host: fields.ForeignKeyRelation[Host] = fields.ForeignKeyField(
        "opsgraph.Host", related_name="memberships", on_delete=fields.CASCADE
    )
    host_id: int
    module: fields.ForeignKeyRelation[Module] = fields.ForeignKeyField(
        "opsgraph.Module", related_name="memberships", on_delete=fields.RESTRICT
    )
    module_id: int
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="memberships", on_delete=fields.RESTRICT
    )
    business_id: int

    class Meta:
        table = "host_module"
        unique_together = (("host", "module"),)


class HostLock(Model):
    """A lock on a host, keyed like bk-cmdb by inner IP and cloud area id."""

    id = fields.IntField(primary_key=True)
    inner_ip = fields.CharField(max_length=64)
    cloud_area_id = fields.IntField(default=0)
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "host_lock"
        unique_together = (("inner_ip", "cloud_area_id"),)
