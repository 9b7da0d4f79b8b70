"""Leases: a named row that one process holds until `expires_at` (epoch seconds).

Used for "exactly one process does this now" across servers and workers on one database: a
periodic duty (`cron`, `task-supervisor`…), one task owned by one worker (`task:<id>`). Taking or
renewing one is a single conditional UPDATE (free, expired, or already ours); a holder that dies
stops renewing and the lease is free once it expires. `epoch` counts the holders a lease has had
(a fencing token): it goes up each time a process takes the lease from someone else, so a holder
that stalled past its lease can tell, in the transaction of each write, that its turn is over
(executors/fencing.py). Clocks of the processes are assumed to be
in sync (NTP) to well within a lease's length.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Lease(Model):
    name = fields.CharField(max_length=191, primary_key=True)
    holder = fields.CharField(max_length=191, default="")
    expires_at = fields.FloatField(default=0.0, db_index=True)
    epoch = fields.BigIntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "lease"
