"""`sleep_timer` (定时): wait a number of seconds, or until a time in the business's time zone.

`bk_timing` is `^\\d+$` seconds or `YYYY-MM-DD HH:MM:SS`; with `force_check` (default true) a
time in the past fails the node, as bk-sops does ("定时时间需晚于当前时间"). The wake-up time is
saved first, so a restart waits only for what is left.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opsgraph.executors.pipeline.plugins import NodeWork, Plugin, PluginOutcome, register_plugin
from opsgraph.executors.pipeline.variables import references
from opsgraph.models.topology import Business

_SECONDS = re.compile(r"^\d{1,9}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2} ((0|1)\d|2[0-3]):[0-5]\d:[0-5]\d$")
PAST_MESSAGE = "[定时]节点执行失败: 定时时间需晚于当前时间, 请检查节点配置 (the time must be later than now)"
FORMAT_MESSAGE = "[定时]节点执行失败: 定时时间仅支持「秒(s)」或「%Y-%m-%d %H:%M:%S」格式 (got {value!r})"


@register_plugin
class SleepTimer(Plugin):
    code = "sleep_timer"
    name = "定时"

    def check(self, data: dict[str, Any]) -> str | None:
        timing = (data.get("bk_timing") or {}).get("value")
        if timing is None or timing == "":
            return "bk_timing is required"
        text = str(timing)
        if not list(references(text)) and not (_SECONDS.match(text) or _DATE.match(text)):
            return FORMAT_MESSAGE.format(value=text)
        return None

    async def run(self, work: NodeWork) -> PluginOutcome:
        wake_at = work.schedule.get("wake_at")
        if wake_at is None:
            planned = await self._plan(work)
            if isinstance(planned, PluginOutcome):
                return planned
            wake_at = planned.isoformat()
            await work.save_schedule(wake_at=wake_at)
        remaining = (datetime.fromisoformat(wake_at) - datetime.now(tz=UTC)).total_seconds()
        if remaining > 0:
            stopper = asyncio.ensure_future(work.cancel.wait())
            try:
                await asyncio.wait({stopper}, timeout=remaining)
            finally:
                stopper.cancel()
            if work.cancel.is_set():
                return PluginOutcome(False, error="the timer was stopped")
        return PluginOutcome(True)

    async def _plan(self, work: NodeWork) -> datetime | PluginOutcome:
        timing = str(work.inputs.get("bk_timing", "")).strip()
        now = datetime.now(tz=UTC)
        if _SECONDS.match(timing):
            return now + timedelta(seconds=int(timing))
        if _DATE.match(timing):
            zone = await _business_zone(work.business_id)
            eta = datetime.strptime(timing, "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone)
            force = work.inputs.get("force_check", True)
            if force not in (False, "false", "False", 0, "0") and eta < now:
                return PluginOutcome(False, error=PAST_MESSAGE)
            return eta.astimezone(UTC)
        return PluginOutcome(False, error=FORMAT_MESSAGE.format(value=timing))


async def _business_zone(business_id: int | None) -> ZoneInfo:
    name = "UTC"
    if business_id is not None:
        row = await Business.filter(id=business_id).values("time_zone")
        name = str(row[0]["time_zone"]) if row else "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
