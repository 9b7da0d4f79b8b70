"""What every bk `monitor` row shares: registration with its documented success code (the string
"0" for some endpoints, the int 200 for others: each row says which, as its doc example shows),
v2 time formats, comma-separated id lists and waiting for a deploy task.

Example:
    @monitor_route("get_alarms", methods=GET, code="0")
    async def get_alarms(params: Params, principal: Principal, settings: Settings) -> dict: ...
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from opsgraph.compat_rest.bk.monitor.errors import MONITOR_CODES
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.bk.routes import BK_ROUTES, Handler
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.settings import Settings

GET = frozenset({"GET", "POST"})  # documented GET; POST with the same parameters is accepted too
POST = frozenset({"POST"})
STRING_ZERO = "0"
INT_200 = 200
FINISHED = {"SUCCESS", "FAILED", "CANCELLED", "ABNORMAL", "SKIPPED"}
DEPLOY_WAIT_SECONDS = 150.0
_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.\d+)?\s*([+-]\d{2}:?\d{2}|Z)?$")


def monitor_route(
    name: str, *, methods: frozenset[str], code: int | str, summary: str = ""
) -> Callable[[Handler], Handler]:
    return BK_ROUTES.handler(
        "monitor",
        name,
        methods=methods,
        error_codes=MONITOR_CODES,
        success_code=code,
        success_message="OK",
        summary=summary,
    )


def v2_time(value: str | None) -> str | None:
    """ "2018-11-27 02:30:25+0000" (the docs' examples carry an offset; ours is UTC)."""
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+0000")


def parse_time(params: Params, name: str) -> datetime | None:
    """ "YYYY-MM-DD hh:mm:ss" with an optional offset (+0800); none means UTC, as documented."""
    raw = params.get_str(name, required=False)
    if raw is None or not raw.strip():
        return None
    found = _TIME.match(raw.strip())
    if not found:
        raise ValidationFailed(f"{name} must be YYYY-MM-DD hh:mm:ss[+hhmm], got {raw!r}", field=name)
    zone = found.group(3) or "+0000"
    zone = "+00:00" if zone == "Z" else (zone if ":" in zone else f"{zone[:3]}:{zone[3:]}")
    try:
        return datetime.fromisoformat(f"{found.group(1)}T{found.group(2)}{zone}")
    except ValueError as exc:
        raise ValidationFailed(f"{name} is not a valid time", field=name) from exc


def id_list(params: Params, name: str, *, required: bool) -> list[int] | None:
    """ "136,405", a JSON list or one number."""
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise ValidationFailed(f"{name} is required", field=name, code="MISSING_FIELD")
        return None
    items = value if isinstance(value, list) else [v for v in re.split(r"[,\s]+", str(value)) if v]
    try:
        ids = [int(str(v).strip()) for v in items]
    except ValueError as exc:
        raise ValidationFailed(f"{name} must be ids joined by commas", field=name) from exc
    if not ids or len(ids) > 1000 or not all(0 < i < 2**31 for i in ids):
        raise ValidationFailed(f"{name} must list 1 to 1000 positive ids", field=name)
    return ids


def text_list(params: Params, name: str) -> list[str] | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(v).strip() for v in items if str(v).strip()]


async def run(package: str, document: str, variables: dict[str, Any], principal: Principal, settings: Settings) -> Any:
    return await run_operation(load_operation(package, document), variables, principal, settings)


async def wait_for_task(task_id: int, principal: Principal, settings: Settings) -> dict[str, Any] | None:
    """The task with its host results once it has finished; None if it is still running at the deadline."""
    deadline = time.monotonic() + DEPLOY_WAIT_SECONDS
    while True:
        task = (await run(__name__, "task_results.graphql", {"j": task_id}, principal, settings))["task"]
        if task is None or task["status"] in FINISHED:
            return task
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(0.25)


def host_outcomes(task: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """ip → {ok, message} of a finished deploy task (one step)."""
    outcomes: dict[str, dict[str, Any]] = {}
    if task is None:
        return outcomes
    for step in task["steps"]:
        for result in step["hostResults"]["nodes"]:
            ok = result["status"] == "SUCCESS"
            message = "success" if ok else (result["error"] or result["failure"] or result["status"])
            outcomes[f"{result['bkCloudId']}:{result['ip']}"] = {"ok": ok, "message": message}
    return outcomes
