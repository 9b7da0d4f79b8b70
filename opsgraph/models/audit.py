"""The operation log: one row per mutation, served by `get_operation_log`."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class OperationLog(Model):
    id = fields.IntField(primary_key=True)
    op_type = fields.CharField(max_length=32)
    op_target = fields.CharField(max_length=32)
    op_desc = fields.CharField(max_length=512, default="")
    operator = fields.CharField(max_length=128)
    business_id = fields.IntField(null=True, db_index=True)
    inst_id = fields.IntField(null=True)
    ext_key = fields.CharField(max_length=256, default="")
    pre_data: Any = fields.JSONField(null=True)
    cur_data: Any = fields.JSONField(null=True)
    app_code = fields.CharField(max_length=128, default="")
    op_time = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "operation_log"
