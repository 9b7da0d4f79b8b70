"""query_task_count: a business's pipeline tasks counted by status, category, flow type or how
they were created (bk-sops TaskFlowInstanceManager.group_by_*), with the documented filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.functions import Count
from tortoise.queryset import QuerySet

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.models.pipelines import PipelineRun
from opsgraph.resolvers.topology.business import get_business

GROUPS = ("status", "category", "flow_type", "create_method")
CATEGORY_NAMES = {
    "OpsTools": "运维工具",
    "MonitorAlarm": "监控告警",
    "ConfManage": "配置管理",
    "DevTools": "开发工具",
    "EnterpriseIT": "企业IT",
    "OfficeApp": "办公应用",
    "Other": "其它",
    "Default": "默认分类",
}
FLOW_TYPE_NAMES = {"common": "默认任务流程", "common_func": "职能化任务流程"}
CREATE_METHOD_NAMES = {
    "app": "手动",
    "api": "API网关",
    "app_maker": "轻应用",
    "periodic": "周期任务",
    "clocked": "计划任务",
    "mobile": "移动端",
}
_NAMES = {"category": CATEGORY_NAMES, "flow_type": FLOW_TYPE_NAMES, "create_method": CREATE_METHOD_NAMES}


@dataclass
class CountFilter:
    template_id: int | None = None
    name: str | None = None
    creator: str | None = None
    executor: str | None = None
    create_time_gte: datetime | None = None
    create_time_lte: datetime | None = None
    start_time_gte: datetime | None = None
    start_time_lte: datetime | None = None
    is_started: bool | None = None
    is_finished: bool | None = None


def _filtered(business_id: int, spec: CountFilter) -> QuerySet[PipelineRun]:
    query = PipelineRun.filter(task__business_id=business_id)
    lookups: dict[str, Any] = {
        "template_id": spec.template_id,
        "task__name": spec.name,
        "task__creator": spec.creator,
        "executor": spec.executor,
        "task__created_at__gte": spec.create_time_gte,
        "task__created_at__lte": spec.create_time_lte,
        "task__started_at__gte": spec.start_time_gte,
        "task__started_at__lte": spec.start_time_lte,
        "is_started": spec.is_started,
        "is_finished": spec.is_finished,
    }
    return query.filter(**{key: value for key, value in lookups.items() if value is not None})


async def count_tasks(
    principal: Principal, business_id: int, group_by: str, spec: CountFilter
) -> tuple[int, list[dict[str, Any]]]:
    """(total, groups [{code, name, value}])."""
    await get_business(principal, business_id, "viewer")
    if group_by not in GROUPS:
        raise ValidationFailed(f"group_by must be one of {', '.join(GROUPS)}", field="group_by")
    query = _filtered(business_id, spec)
    total = await query.count()
    if group_by == "status":
        return total, [
            {"code": "CREATED", "name": "未执行", "value": await query.filter(is_started=False).count()},
            {
                "code": "EXECUTING",
                "name": "执行中",
                "value": await query.filter(is_started=True, is_finished=False).count(),
            },
            {"code": "FINISHED", "name": "已完成", "value": await query.filter(is_finished=True).count()},
        ]
    rows = await query.annotate(value=Count("id")).group_by(group_by).order_by(group_by).values(group_by, "value")
    names = _NAMES[group_by]
    return total, [
        {"code": row[group_by], "name": names.get(row[group_by], row[group_by]), "value": row["value"]} for row in rows
    ]
