"""What every `sops` row shares: registration (bk-sops' codes, the envelope with `trace_id`), ids,
bk-sops' time format, and reading a pipeline task through GraphQL.

Reads are documented as GET and writes as POST; reads also answer POST, as other generations of bk
clients send them.

Example:
    @sops_route("get_task_status", methods=ANY)
    async def get_task_status(params: Params, principal: Principal, settings: Settings) -> dict: ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opsgraph.compat_rest.bk.common import bk_time, refuse_missing
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.bk.routes import BK_ROUTES, Handler
from opsgraph.compat_rest.bk.sops.errors import SOPS_CODES
from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.core.ids import MAX_PK, encode_global_id
from opsgraph.core.settings import Settings

ANY = frozenset({"GET", "POST"})
POST = frozenset({"POST"})


def sops_route(name: str, *, methods: frozenset[str] = ANY, summary: str = "") -> Callable[[Handler], Handler]:
    return BK_ROUTES.handler(
        "sops", name, methods=methods, envelope="code_trace", error_codes=SOPS_CODES, summary=summary
    )


def positive_id(params: Params, name: str, code: str, *, required: bool = True) -> int | None:
    value = params.get_int(name) if required else params.get_int(name, required=False)
    if value is not None and not 0 < value <= MAX_PK:
        raise NotFound(f"{params.field(name)} {value} does not exist", field=params.field(name), code=code)
    return value


def business_id(params: Params) -> int:
    value = positive_id(params, "bk_biz_id", "BUSINESS_NOT_FOUND")
    assert value is not None
    return value


def task_id(params: Params, name: str = "task_id") -> int:
    value = positive_id(params, name, "TASK_NOT_FOUND")
    assert value is not None
    return value


def sops_time(value: str | None, *, offset: bool = True) -> str:
    """bk-sops' "2018-04-26 16:08:34 +0800" (UTC here: +0000); "" when unknown, as bk-sops prints it."""
    return bk_time(value, offset=offset) or ""


def elapsed(start: str | None, end: str | None) -> int:
    from datetime import UTC, datetime

    if not start:
        return 0
    finish = datetime.fromisoformat(end) if end else datetime.now(tz=UTC)
    return max(int((finish - datetime.fromisoformat(start)).total_seconds()), 0)


def task_global_id(task: int) -> str:
    return encode_global_id("Task", task)


def json_object(params: Params, name: str) -> dict[str, Any]:
    value = params.get_dict(name, required=False)
    return value if value is not None else {}


def string_list(params: Params, name: str) -> list[str]:
    values = params.get_list(name, required=False) or []
    if not all(isinstance(item, str) and item for item in values):
        raise ValidationFailed(f"{params.field(name)} must be a list of node ids", field=params.field(name))
    return values


async def load_run(
    params: Params, principal: Principal, settings: Settings, document: str, package: str
) -> tuple[int, dict[str, Any]]:
    """(bk_biz_id, pipelineRun) of the task the request names, in the business it names.

    `document` takes `$bkTaskId` and selects `pipelineRun { task { bkBizId } … }`."""
    biz = business_id(params)
    task = task_id(params)
    data = await run_operation(load_operation(package, document), {"bkTaskId": task}, principal, settings)
    run = data["pipelineRun"]
    if run is None or run["task"]["bkBizId"] != biz:
        raise refuse_missing(principal, biz, f"task[id={task}] of business[{biz}] does not exist", "TASK_NOT_FOUND")
    return biz, run


async def mutate(
    document: str, package: str, name: str, variables: dict[str, Any], principal: Principal, settings: Settings
) -> dict[str, Any]:
    """Run a mutation and return its payload, raising its first UserError as ours."""
    payload: dict[str, Any] = (await run_operation(load_operation(package, document), variables, principal, settings))[
        name
    ]
    raise_user_errors(payload)
    return payload
