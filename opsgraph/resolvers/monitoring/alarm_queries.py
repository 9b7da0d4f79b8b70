"""Reading alarms and component instances: the filters GraphQL and the v2 endpoints share, always
confined to the businesses the caller can see (a hidden business's alarms are simply absent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.queryset import QuerySet

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.models.monitoring_alarms import Alarm, AlarmOrigin, AlarmStatus
from opsgraph.models.monitoring_checks import ComponentInstance

ORDERINGS = {"id", "source_time", "begin_time", "end_time", "latest_time", "level"}
MAX_PAGE = 5000  # bk-monitor search_alert's documented cap


@dataclass
class AlarmFilter:
    business_ids: list[int] | None = None
    ids: list[int] | None = None
    statuses: list[str] | None = None
    levels: list[int] | None = None
    origins: list[str] | None = None
    alarm_types: list[str] | None = None
    strategy_id: int | None = None
    ip: str | None = None
    bk_cloud_id: int | None = None
    source_time_from: datetime | None = None
    source_time_to: datetime | None = None
    content_contains: str | None = None
    notified: bool | None = None
    acknowledged: bool | None = None


def _visible(principal: Principal, business_ids: list[int] | None) -> list[int] | None:
    visible = principal.visible_business_ids()
    if business_ids is None:
        return visible
    return business_ids if visible is None else [b for b in business_ids if b in set(visible)]


def alarm_query(principal: Principal, spec: AlarmFilter) -> QuerySet[Alarm]:
    query = Alarm.all()
    businesses = _visible(principal, spec.business_ids)
    if businesses is not None:
        query = query.filter(business_id__in=businesses)
    if spec.ids is not None:
        query = query.filter(id__in=spec.ids)
    if spec.statuses:
        try:
            query = query.filter(status__in=[AlarmStatus(s.upper()) for s in spec.statuses])
        except ValueError as exc:
            raise ValidationFailed("status must be ABNORMAL, RECOVERED or CLOSED", field="status") from exc
    if spec.levels:
        if not all(level in (1, 2, 3) for level in spec.levels):
            raise ValidationFailed("level must be 1, 2 or 3", field="level")
        query = query.filter(level__in=spec.levels)
    if spec.origins:
        query = query.filter(origin__in=[AlarmOrigin(o) for o in spec.origins])
    if spec.alarm_types:
        query = query.filter(alarm_type__in=spec.alarm_types)
    if spec.strategy_id is not None:
        query = query.filter(strategy_id=spec.strategy_id)
    if spec.ip is not None:
        query = query.filter(ip=spec.ip)
    if spec.bk_cloud_id is not None:
        query = query.filter(bk_cloud_id=spec.bk_cloud_id)
    if spec.source_time_from is not None:
        query = query.filter(source_time__gte=spec.source_time_from)
    if spec.source_time_to is not None:
        query = query.filter(source_time__lte=spec.source_time_to)
    if spec.content_contains:
        query = query.filter(content__contains=spec.content_contains)
    if spec.notified is not None:
        query = query.filter(notified=spec.notified)
    if spec.acknowledged is not None:
        query = query.filter(acknowledged=spec.acknowledged)
    return query


async def search_alarms(
    principal: Principal, spec: AlarmFilter, *, ordering: str, offset: int, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    """Offset-paged alarms for the v2 dialect (get_alarms, list_alarm_instance)."""
    name = ordering.lstrip("-")
    if name not in ORDERINGS:
        raise ValidationFailed(
            f"ordering must be one of {', '.join(sorted(ORDERINGS))} (with - for descending)", field="ordering"
        )
    if offset < 0:
        raise ValidationFailed("page must be at least 1", field="page")
    if not 0 < limit <= MAX_PAGE:
        raise ValidationFailed(f"page_size must be between 1 and {MAX_PAGE}", field="page_size")
    query = alarm_query(principal, spec)
    total = await query.count()
    rows = await query.order_by(ordering, "id").offset(offset).limit(limit).values()
    return total, rows


@dataclass
class ComponentFilter:
    business_ids: list[int] | None = None
    ids: list[int] | None = None
    ip: str | None = None
    component: str | None = None
    bk_cloud_id: int | None = None
    status: str | None = None


def component_query(principal: Principal, spec: ComponentFilter) -> QuerySet[ComponentInstance]:
    query = ComponentInstance.all()
    businesses = _visible(principal, spec.business_ids)
    if businesses is not None:
        query = query.filter(business_id__in=businesses)
    if spec.ids is not None:
        query = query.filter(id__in=spec.ids)
    if spec.ip is not None:
        query = query.filter(ip=spec.ip)
    if spec.component is not None:
        query = query.filter(component=spec.component)
    if spec.bk_cloud_id is not None:
        query = query.filter(bk_cloud_id=spec.bk_cloud_id)
    if spec.status is not None:
        query = query.filter(status=spec.status)
    return query
