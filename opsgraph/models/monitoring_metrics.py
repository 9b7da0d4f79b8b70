"""The metrics store: time series in the database (SQLite by default, PostgreSQL at scale).

A series is one metric of one result table with one set of dimension values (e.g. `system_disk`
`in_use` for ip 10.0.0.5, device `/`); its points are (epoch second, value) rows. Raw points are
kept for the raw retention, then only hourly roll-ups (count, sum, min, max) remain for the
roll-up retention. Points are written in batches by `executors.monitoring.metric_writer`.

Columns are plain integers rather than foreign keys: points are the hottest table, and a series is
never deleted while it has points (retention removes points, not series).
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class MetricSeries(Model):
    id = fields.IntField(primary_key=True)
    business_id = fields.IntField(db_index=True)
    host_id = fields.IntField(null=True, db_index=True)
    table = fields.CharField(max_length=64)  # the result table without the business prefix: "system_disk"
    metric = fields.CharField(max_length=64)  # the field: "in_use"
    dims: dict[str, Any] = fields.JSONField(default=dict)  # dimension name → value (text)
    dims_key = fields.CharField(max_length=64)  # sha256 of the canonical dims: the series identity
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "metric_series"
        unique_together = (("business_id", "table", "metric", "dims_key"),)
        indexes = (("business_id", "table"),)


class MetricPoint(Model):
    id = fields.BigIntField(primary_key=True)
    series_id = fields.IntField()
    ts = fields.BigIntField()  # epoch seconds (UTC)
    value = fields.FloatField()

    class Meta:
        table = "metric_point"
        indexes = (("series_id", "ts"), ("ts",))


class MetricRollup(Model):
    """One hour of one series: what stays once the raw points have expired."""

    id = fields.BigIntField(primary_key=True)
    series_id = fields.IntField()
    ts = fields.BigIntField()  # the hour's first second
    count = fields.IntField()
    total = fields.FloatField()
    minimum = fields.FloatField()
    maximum = fields.FloatField()

    class Meta:
        table = "metric_rollup"
        unique_together = (("series_id", "ts"),)
        indexes = (("ts",),)


class MonitorState(Model):
    """Named watermarks: how far the roll-up or the failed-task scan got. `holder` and `expires_at`
    are no longer written (the monitoring duties take the shared leases of `executors/leases.py`)."""

    name = fields.CharField(max_length=64, primary_key=True)
    holder = fields.CharField(max_length=128, default="")
    expires_at = fields.FloatField(default=0.0)  # epoch seconds
    value: dict[str, Any] = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "monitor_state"
