import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from opsgraph.models.identity import RoleName
from opsgraph.models.topology import BuiltinModule


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="App",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("code", fields.CharField(unique=True, max_length=128)),
                ("secret_hash", fields.CharField(max_length=256)),
                ("skip_user_auth", fields.BooleanField(default=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "app",
                "app": "opsgraph",
                "pk_attr": "id",
                "table_description": "An API client (bk_app_code). With `skip_user_auth` it may name its user by `bk_username`.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Business",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(unique=True, max_length=256)),
                ("maintainer", fields.CharField(default="", max_length=1024)),
                ("productor", fields.CharField(default="", max_length=1024)),
                ("developer", fields.CharField(default="", max_length=1024)),
                ("tester", fields.CharField(default="", max_length=1024)),
                ("operator", fields.CharField(default="", max_length=1024)),
                ("time_zone", fields.CharField(default="Asia/Shanghai", max_length=64)),
                ("language", fields.CharField(default="1", max_length=8)),
                ("life_cycle", fields.CharField(default="2", max_length=8)),
                ("default", fields.SmallIntField(default=0)),
                ("enabled", fields.BooleanField(default=True)),
                (
                    "attributes",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={"table": "business", "app": "opsgraph", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CloudArea",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(unique=True, max_length=128)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "cloud_area",
                "app": "opsgraph",
                "pk_attr": "id",
                "table_description": "A network area (`plat` in bk-cmdb). Id 0 is the default area.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Host",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("inner_ip", fields.CharField(db_index=True, max_length=64)),
                ("outer_ip", fields.CharField(default="", max_length=64)),
                (
                    "cloud_area",
                    fields.ForeignKeyField(
                        "opsgraph.CloudArea",
                        source_field="cloud_area_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="hosts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "business",
                    fields.ForeignKeyField(
                        "opsgraph.Business",
                        source_field="business_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="hosts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("host_name", fields.CharField(default="", max_length=256)),
                ("os_type", fields.CharField(default="", max_length=8)),
                ("os_name", fields.CharField(default="", max_length=256)),
                ("os_version", fields.CharField(default="", max_length=128)),
                ("cpu", fields.IntField(null=True)),
                ("mem", fields.IntField(null=True)),
                ("disk", fields.IntField(null=True)),
                ("sn", fields.CharField(default="", max_length=256)),
                ("operator", fields.CharField(default="", max_length=256)),
                ("bak_operator", fields.CharField(default="", max_length=256)),
                ("comment", fields.CharField(default="", max_length=1024)),
                ("import_from", fields.CharField(default="3", max_length=8)),
                (
                    "attributes",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "host",
                "app": "opsgraph",
                "unique_together": (("inner_ip", "cloud_area"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="HostLock",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("inner_ip", fields.CharField(max_length=64)),
                ("cloud_area_id", fields.IntField(default=0)),
                ("created_by", fields.CharField(default="", max_length=128)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "host_lock",
                "app": "opsgraph",
                "unique_together": (("inner_ip", "cloud_area_id"),),
                "pk_attr": "id",
                "table_description": "A lock on a host, keyed like bk-cmdb by inner IP and cloud area id.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OperationLog",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("op_type", fields.CharField(max_length=32)),
                ("op_target", fields.CharField(max_length=32)),
                ("op_desc", fields.CharField(default="", max_length=512)),
                ("operator", fields.CharField(max_length=128)),
                ("business_id", fields.IntField(null=True, db_index=True)),
                ("inst_id", fields.IntField(null=True)),
                ("ext_key", fields.CharField(default="", max_length=256)),
                (
                    "pre_data",
                    fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads),
                ),
                (
                    "cur_data",
                    fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads),
                ),
                ("app_code", fields.CharField(default="", max_length=128)),
                ("op_time", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={"table": "operation_log", "app": "opsgraph", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RevokedToken",
            fields=[
                ("jti", fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "revoked_token",
                "app": "opsgraph",
                "pk_attr": "jti",
                "table_description": "A logged-out token's id, kept until the token would have expired anyway.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Set",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "business",
                    fields.ForeignKeyField(
                        "opsgraph.Business",
                        source_field="business_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="sets",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("name", fields.CharField(max_length=256)),
                ("parent_id", fields.IntField()),
                ("default", fields.SmallIntField(default=0)),
                ("set_env", fields.CharField(default="3", max_length=8)),
                ("service_status", fields.CharField(default="1", max_length=8)),
                ("capacity", fields.IntField(null=True)),
                ("description", fields.CharField(default="", max_length=1024)),
                (
                    "attributes",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "set",
                "app": "opsgraph",
                "unique_together": (("business", "name"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Module",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "business",
                    fields.ForeignKeyField(
                        "opsgraph.Business",
                        source_field="business_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="modules",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "set",
                    fields.ForeignKeyField(
                        "opsgraph.Set",
                        source_field="set_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="modules",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("name", fields.CharField(max_length=256)),
                ("default", fields.SmallIntField(default=BuiltinModule.NORMAL)),
                ("module_type", fields.CharField(default="1", max_length=8)),
                ("operator", fields.CharField(default="", max_length=256)),
                ("bak_operator", fields.CharField(default="", max_length=256)),
                (
                    "attributes",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "module",
                "app": "opsgraph",
                "unique_together": (("set", "name"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="HostModule",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "host",
                    fields.ForeignKeyField(
                        "opsgraph.Host",
                        source_field="host_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="memberships",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "module",
                    fields.ForeignKeyField(
                        "opsgraph.Module",
                        source_field="module_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="memberships",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "business",
                    fields.ForeignKeyField(
                        "opsgraph.Business",
                        source_field="business_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="memberships",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
            ],
            options={
                "table": "host_module",
                "app": "opsgraph",
                "unique_together": (("host", "module"),),
                "pk_attr": "id",
                "table_description": "A host's membership in one module. `business` is denormalised for cheap per-business scans.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="User",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("username", fields.CharField(unique=True, max_length=128)),
                ("password_hash", fields.CharField(max_length=256)),
                ("is_superuser", fields.BooleanField(default=False)),
                ("is_active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "user", "app": "opsgraph", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Role",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "user",
                    fields.ForeignKeyField(
                        "opsgraph.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="roles",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "business",
                    fields.ForeignKeyField(
                        "opsgraph.Business",
                        source_field="business_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="roles",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "role",
                    fields.CharEnumField(
                        description="MAINTAINER: maintainer\nOPERATOR: operator\nVIEWER: viewer",
                        enum_type=RoleName,
                        max_length=16,
                    ),
                ),
            ],
            options={
                "table": "role",
                "app": "opsgraph",
                "unique_together": (("user", "business"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
