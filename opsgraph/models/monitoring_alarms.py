"""Alarm strategies and the alarms they (and the other sources) raise.

A monitor source (bk-monitor v2 监控源) names what is measured: a result table, a field, an
aggregation and its dimensions. Its strategies (告警策略) say when that becomes an alarm: per level
(1 fatal, 2 warning, 3 reminder) detection algorithms, then `count` hits within `check_window`
periods, one notification per `alarm_window` minutes, no-data alarms, a target scope and recovery.

An alarm is deduplicated by `dedupe_key` (its origin and dimensions): while one is ABNORMAL,
`active_key` holds the same value under a unique constraint, so two detectors racing can never
open the same alarm twice; RECOVERED and CLOSED alarms set it to NULL.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from opsgraph.models.topology import Business


class AlarmStatus(StrEnum):
    ABNORMAL = "ABNORMAL"
    RECOVERED = "RECOVERED"
    CLOSED = "CLOSED"


class AlarmOrigin(StrEnum):
    STRATEGY = "STRATEGY"  # a strategy's detection (metrics, uptime availability, collectors)
    HEARTBEAT = "HEARTBEAT"  # an agent stopped reporting
    UPTIME = "UPTIME"  # an uptime check failed from a node
    TASK = "TASK"  # a task ended FAILED
    INGEST = "INGEST"  # an external source through the ingestion webhook


class AlarmEventKind(StrEnum):
    RAISED = "RAISED"
    REPEATED = "REPEATED"
    RECOVERED = "RECOVERED"
    CLOSED = "CLOSED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    SHIELDED = "SHIELDED"
    NOTIFIED = "NOTIFIED"


class MonitorSource(Model):
    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="monitor_sources", on_delete=fields.CASCADE
    )
    business_id: int
    title = fields.CharField(max_length=256)
    description = fields.CharField(max_length=1024, default="")
    scenario = fields.CharField(max_length=32, default="custom")
    monitor_type = fields.CharField(max_length=32, default="")
    src_type = fields.CharField(max_length=32, default="BKMONITOR")
    stat_source_type = fields.CharField(max_length=32, default="BKDATA")
    table = fields.CharField(max_length=64)  # result table without the business prefix
    field = fields.CharField(max_length=64)
    aggregator = fields.CharField(max_length=16, default="avg")
    count_freq = fields.IntField(default=60)  # seconds per detection period
    dimensions: list[str] = fields.JSONField(default=list)
    where_sql = fields.CharField(max_length=1024, default="")
    unit = fields.CharField(max_length=32, default="")
    unit_conversion = fields.FloatField(default=1.0)
    is_enabled = fields.BooleanField(default=True)
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "monitor_source"


class AlarmStrategy(Model):
    id = fields.IntField(primary_key=True)
    source: fields.ForeignKeyRelation[MonitorSource] = fields.ForeignKeyField(
        "opsgraph.MonitorSource", related_name="strategies", on_delete=fields.CASCADE
    )
    source_id: int
    business_id = fields.IntField(db_index=True)
    name = fields.CharField(max_length=256)
    scenario = fields.CharField(max_length=32, default="custom")
    # "1"|"2"|"3" → {detect_algorithm, notify_way, responsible, phone_receiver, role_list,
    # notice_start_time, notice_end_time, is_recovery}: the documented v2 shape, validated on write.
    levels: dict[str, Any] = fields.JSONField(default=dict)
    count = fields.IntField(default=1)
    check_window = fields.IntField(default=5)  # periods
    alarm_window = fields.IntField(default=60)  # minutes between two notifications of one alarm
    nodata_alarm = fields.IntField(default=0)  # periods without data before a no-data alarm; 0 = off
    condition: list[Any] = fields.JSONField(default=list)  # OR of AND lists; [[]] = the whole business
    is_recovery = fields.BooleanField(default=True)
    is_classify_notice = fields.BooleanField(default=False)
    is_enabled = fields.BooleanField(default=True)
    created_by = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "alarm_strategy"


class Alarm(Model):
    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="alarms", on_delete=fields.CASCADE
    )
    business_id: int
    origin = fields.CharEnumField(AlarmOrigin, max_length=16)
    strategy_id = fields.IntField(null=True, db_index=True)
    source_id = fields.IntField(null=True)
    alarm_type = fields.CharField(max_length=32, default="custom")
    level = fields.SmallIntField()
    status = fields.CharEnumField(AlarmStatus, max_length=16, default=AlarmStatus.ABNORMAL, db_index=True)
    dedupe_key = fields.CharField(max_length=64, db_index=True)
    active_key = fields.CharField(max_length=64, null=True, unique=True)
    dimensions: dict[str, Any] = fields.JSONField(default=dict)
    host_id = fields.IntField(null=True)
    ip = fields.CharField(max_length=64, default="")
    bk_cloud_id = fields.IntField(default=0)
    title = fields.CharField(max_length=512)
    content = fields.TextField(default="")
    value = fields.FloatField(null=True)
    source_time = fields.DatetimeField(db_index=True)  # when the anomaly was first seen
    begin_time = fields.DatetimeField(auto_now_add=True)
    latest_time = fields.DatetimeField()
    end_time = fields.DatetimeField(null=True)
    event_count = fields.IntField(default=1)
    acknowledged = fields.BooleanField(default=False)
    ack_by = fields.CharField(max_length=128, default="")
    ack_message = fields.CharField(max_length=1024, default="")
    ack_time = fields.DatetimeField(null=True)
    shield_id = fields.IntField(null=True)
    closed_by = fields.CharField(max_length=128, default="")
    close_message = fields.CharField(max_length=1024, default="")
    notified = fields.BooleanField(default=False)
    last_notified_at = fields.DatetimeField(null=True)

    class Meta:
        table = "alarm"
        indexes = (("business_id", "id"),)


class AlarmEvent(Model):
    """The append-only stream behind `alarmEvents(businessId, afterSeq)`: `id` is the sequence."""

    id = fields.BigIntField(primary_key=True)
    business_id = fields.IntField()
    alarm_id = fields.IntField()
    kind = fields.CharEnumField(AlarmEventKind, max_length=16)
    payload: dict[str, Any] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "alarm_event"
        indexes = (("business_id", "id"),)


class AlarmShield(Model):
    """A time-boxed silence: alarms it matches are not notified while it is in force.

    `cycle_config` makes it periodic (bk-monitor add_shield): empty or type 1 means in force for the
    whole [begin_time, end_time), type 2 daily, 3 weekly (week_list 1..7, Monday 1), 4 monthly
    (day_list 1..31), each between begin_time and end_time of the day (HH:MM:SS) in the business's
    time zone. A window whose end is before its begin runs past midnight.
    """

    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="alarm_shields", on_delete=fields.CASCADE
    )
    business_id: int
    category = fields.CharField(max_length=16)  # scope | strategy | alarm
    strategy_ids: list[int] = fields.JSONField(default=list)
    dimensions: dict[str, Any] = fields.JSONField(default=dict)  # scope: every given dimension must match
    alarm_ids: list[int] = fields.JSONField(default=list)
    cycle_config: dict[str, Any] = fields.JSONField(default=dict)  # {type, begin_time, end_time, week_list, day_list}
    begin_time = fields.DatetimeField()
    end_time = fields.DatetimeField(db_index=True)
    reason = fields.CharField(max_length=1024, default="")
    created_by = fields.CharField(max_length=128)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "alarm_shield"


class AlarmIngestSource(Model):
    """An external system allowed to push alarms into one business through the ingestion webhook.
    Only the SHA-256 of its bearer token is stored; the token is shown once, at creation."""

    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="alarm_ingest_sources", on_delete=fields.CASCADE
    )
    business_id: int
    name = fields.CharField(max_length=128)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_by = fields.CharField(max_length=128)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "alarm_ingest_source"
        unique_together = (("business", "name"),)
