"""Per-subscription delivery figures that are counted, not stored: pending deliveries (a loader)."""

from __future__ import annotations

from tortoise.functions import Count

from opsgraph.models.cmdb_events import DeliveryStatus, EventDelivery, EventSubscription

# Every column but the encrypted signing secret.
SUBSCRIPTION_PUBLIC_COLUMNS = tuple(name for name in EventSubscription._meta.db_fields if name != "secret_encrypted")


async def pending_deliveries(subscription_ids: list[int]) -> list[int]:
    """How many deliveries each subscription still owes: one GROUP BY for the whole batch."""
    rows = (
        await EventDelivery.filter(subscription_id__in=subscription_ids, status=DeliveryStatus.PENDING)
        .annotate(pending=Count("id"))
        .group_by("subscription_id")
        .values("subscription_id", "pending")
    )
    counts = {row["subscription_id"]: int(row["pending"]) for row in rows}
    return [counts.get(pk, 0) for pk in subscription_ids]
