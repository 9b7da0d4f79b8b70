"""Remote commands started on hosts: where they run, their process group and the token they carry.

A row is committed with the host's RUNNING state, before its command may start; the command leaves
its process group on the host in a file named by the token (ssh.group_file), so a process that dies
at any point leaves enough behind for recovery or a lease takeover to reconnect and kill exactly
that process group (the token, exported into the command's environment, proves a process group is
still ours and not a reused number). Rows of older runs carry the group itself in `pgid`.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class RemoteProcess(Model):
    id = fields.BigIntField(primary_key=True)
    task_id = fields.IntField(db_index=True)
    step_id = fields.IntField()
    result_id = fields.IntField(db_index=True)  # the TaskHostResult whose command this is
    address = fields.CharField(max_length=128)
    port = fields.IntField(default=22)
    pgid = fields.IntField()  # 0: the command left it on the host, in its token's group file (ssh.group_file)
    token = fields.CharField(max_length=64)
    holder = fields.CharField(max_length=191, default="")  # the process that started it
    started_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "remote_process"
