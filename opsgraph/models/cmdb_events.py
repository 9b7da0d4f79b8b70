"""CMDB change events and their delivery to HTTP subscribers (bk-cmdb v3.0–v3.9 event push).

- `CmdbEvent` is the outbox: every change to hosts, topology, instances, associations and host
  placement writes one row in the same transaction as the change, so an event exists exactly when
  its change committed.
- `EventSubscription` is a subscriber (`subscribe_event`), with its delivery statistics.
- `EventDelivery` is one event owed to one subscriber: created when the dispatcher fans an event
  out, retried with backoff until confirmed, kept with its outcome. A restart loses nothing: a
  delivery is only marked done after its subscriber confirmed it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"  # given up: older than the retention of undelivered events


class CmdbEvent(Model):
    id = fields.IntField(primary_key=True)  # the event_id receivers deduplicate on
    event_type = fields.CharField(max_length=16)  # instdata | relation | association
    obj_type = fields.CharField(max_length=128)
    action = fields.CharField(max_length=16)  # create | update | delete
    # No foreign key: an event outlives the business it happened in.
    business_id = fields.IntField(null=True)
    cur_data: Any = fields.JSONField(null=True)
    pre_data: Any = fields.JSONField(null=True)
    update_fields: list[str] = fields.JSONField(default=list)
    deleted_fields: list[str] = fields.JSONField(default=list)
    operator = fields.CharField(max_length=128, default="")
    action_time = fields.DatetimeField(auto_now_add=True)
    dispatched = fields.BooleanField(default=False, db_index=True)

    class Meta:
        table = "cmdb_event"


class EventSubscription(Model):
    id = fields.IntField(primary_key=True)  # subscription_id
    business_id = fields.IntField(default=0)  # bk_biz_id; 0 = the estate as a whole
    name = fields.CharField(max_length=256)
    system_name = fields.CharField(max_length=256, default="")
    callback_url = fields.CharField(max_length=1024)
    confirm_mode = fields.CharField(max_length=16)
    confirm_pattern = fields.CharField(max_length=1024, default="")
    timeout_seconds = fields.IntField(default=10)
    subscription_form = fields.TextField()  # event type names, comma-joined and sorted
    operator = fields.CharField(max_length=128, default="")
    app_code = fields.CharField(max_length=128, default="")
    # The HMAC key of the signature header, encrypted (SecretBox); empty = the subscribing app's secret.
    secret_encrypted = fields.TextField(default="")
    # Events up to this id happened before the subscription existed and are not owed to it.
    since_event_id = fields.IntField(default=0)
    total = fields.BigIntField(default=0)  # push attempts
    failure = fields.BigIntField(default=0)  # failed push attempts
    delivered = fields.BigIntField(default=0)
    given_up = fields.BigIntField(default=0)
    last_error = fields.TextField(default="")
    last_delivered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "event_subscription"


class EventDelivery(Model):
    id = fields.IntField(primary_key=True)  # distribution_id
    subscription: fields.ForeignKeyRelation[EventSubscription] = fields.ForeignKeyField(
        "opsgraph.EventSubscription", related_name="deliveries", on_delete=fields.CASCADE
    )
    subscription_id: int
    event: fields.ForeignKeyRelation[CmdbEvent] = fields.ForeignKeyField(
        "opsgraph.CmdbEvent", related_name="deliveries", on_delete=fields.CASCADE
    )
    event_id: int
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.TextField(default="")
    delivered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "event_delivery"
        unique_together = (("subscription", "event"),)
        indexes = (("subscription_id", "status", "next_attempt_at"),)
