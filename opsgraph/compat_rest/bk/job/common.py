"""What every bk `job` row shares: registration with bk-job's error codes, bk ids, base64
parameters, target lists, total times and offset paging. (Times and "missing or forbidden?" are
shared with nodeman: bk/common.py.)

Example:
    @job_route("get_os_account", methods=GET)
    async def get_os_account(params: Params, principal: Principal, settings: Settings) -> list[dict]:
        biz = business_id(params)
        ...
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from opsgraph.compat_rest.bk.common import refuse_missing
from opsgraph.compat_rest.bk.job.errors import JOB_CODES
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.bk.routes import BK_ROUTES, Handler
from opsgraph.compat_rest.execute import run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, OpsGraphError, ValidationFailed
from opsgraph.core.settings import Settings

T = TypeVar("T")
GET = frozenset({"GET"})
POST = frozenset({"POST"})
ANY = frozenset({"GET", "POST"})
# bk ids are int64 upstream but int32 columns here: a larger id cannot exist, and PostgreSQL would
# refuse it as a database error rather than answer "not found".
MAX_ID = 2**31 - 1
# bk-job's v2 timeout range and default for script steps (v3 moved to 1..86400, default 7200).
MIN_TIMEOUT, MAX_TIMEOUT, DEFAULT_TIMEOUT = 60, 86_400, 1000


def job_route(name: str, *, methods: frozenset[str] = POST, summary: str = "") -> Callable[[Handler], Handler]:
    """Register a `job` handler row; refusals carry bk-job's numeric codes."""
    return BK_ROUTES.handler("job", name, methods=methods, error_codes=JOB_CODES, summary=summary)


def not_supported(message: str, field: str) -> OpsGraphError:
    """A documented feature OpsGraph cannot honour: refused clearly instead of silently ignored."""
    return ValidationFailed(message, field=field, code="NOT_SUPPORTED")


# --- ids -----------------------------------------------------------------------------------------


def bk_id(params: Params, name: str, code: str, *, required: bool = True) -> int | None:
    """A bk id parameter; one that cannot exist here is "not found" with `code`."""
    value = params.get_int(name) if required else params.get_int(name, required=False)
    if value is not None and not 0 < value <= MAX_ID:
        raise NotFound(f"{params.field(name)} {value} does not exist", field=params.field(name), code=code)
    return value


def required_id(params: Params, name: str, code: str) -> int:
    value = bk_id(params, name, code)
    assert value is not None
    return value


def business_id(params: Params) -> int:
    return required_id(params, "bk_biz_id", "BUSINESS_NOT_FOUND")


async def business_list(
    document: str, connection: str, variables: dict[str, Any], biz: int, principal: Principal, settings: Settings
) -> list[dict[str, Any]]:
    """Every node of `business(bkBizId:) { <connection>(first:, after:) }`, page by page.

    `document` takes `$bkBizId`, `$first` and `$after` besides `variables`.
    """
    nodes: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page_variables = {**variables, "bkBizId": biz, "first": settings.max_page_size, "after": after}
        business = (await run_operation(document, page_variables, principal, settings))["business"]
        if business is None:
            raise refuse_missing(principal, biz, f"business {biz} does not exist", "BUSINESS_NOT_FOUND")
        page = business[connection]
        nodes.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


# --- request values ------------------------------------------------------------------------------


def base64_text(params: Params, name: str, *, required: bool = False) -> str | None:
    """A base64 parameter (script content, parameters) as text; bad base64 or non-UTF-8 is refused."""
    raw = params.get_str(name) if required else params.get_str(name, required=False)
    if raw is None:
        return None
    try:
        # Line breaks are dropped first: `base64` on the command line wraps its output at 76 columns.
        return base64.b64decode("".join(raw.split()), validate=True).decode("utf-8")
    except (binascii.Error, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        raise ValidationFailed(
            f"{params.field(name)} is not valid base64 of UTF-8 text", field=params.field(name)
        ) from exc


def script_timeout(params: Params, name: str = "script_timeout", default: int | None = DEFAULT_TIMEOUT) -> int | None:
    value = params.get_int(name, default, required=False)
    if value is not None and not MIN_TIMEOUT <= value <= MAX_TIMEOUT:
        raise ValidationFailed(
            f"{params.field(name)} must be between {MIN_TIMEOUT} and {MAX_TIMEOUT} seconds, got {value}",
            field=params.field(name),
        )
    return value


def dynamic_groups(params: Params) -> list[str] | None:
    """`custom_query_id`: CMDB dynamic groups (bk custom query ids) whose hosts are targets too,
    resolved by the run when it starts. None when absent."""
    queries = params.get_list("custom_query_id", required=False)
    if not queries:
        return None
    if not all(isinstance(query, str | int) and not isinstance(query, bool) for query in queries):
        field = params.field("custom_query_id")
        raise ValidationFailed(f"{field} must be a list of custom query ids", field=field)
    return [str(query) for query in queries]


def targets(params: Params) -> list[dict[str, Any]] | None:
    """`ip_list` as GraphQL HostAddressInput values (dynamic groups: `dynamic_groups`).

    None when no hosts are named, so the resolver answers "no target hosts" (bk-job 1244001).
    """
    items = params.get_list("ip_list", required=False)
    if not items:
        return None
    hosts: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        where = f"{params.field('ip_list')}[{index}]"
        if not isinstance(item, dict):
            raise ValidationFailed(f"{where} must be an object {{bk_cloud_id, ip}}", field=where)
        host = Params(item, prefix=f"{where}.")
        # Documented as required; an absent cloud area is the default one (0), as CMDB reads it.
        hosts.append({"ip": host.get_str("ip").strip(), "bkCloudId": host.get_int("bk_cloud_id", 0, required=False)})
    return hosts


# --- answers -------------------------------------------------------------------------------------


def total_seconds(start: str | None, end: str | None) -> float | None:
    """bk-job's `total_time`: seconds with milliseconds, once both ends are known."""
    if not start or not end:
        return None
    elapsed = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return round(max(elapsed.total_seconds(), 0.0), 3)


def offset_page(rows: Sequence[T], params: Params, *, default_length: int | None = None) -> list[T]:
    """bk-job `start` (offset, default 0) and `length` (default: everything, or `default_length`)."""
    start = params.get_int("start", 0, required=False)
    length = params.get_int("length", default_length, required=False)
    if start < 0:
        raise ValidationFailed(f"{params.field('start')} must not be negative", field=params.field("start"))
    if length is not None and length < 0:
        raise ValidationFailed(f"{params.field('length')} must not be negative", field=params.field("length"))
    # bk-job: a length of 0 means "no paging", like an absent one.
    return list(rows[start:] if not length else rows[start : start + length])


def day_bound(params: Params, name: str, *, end: bool) -> datetime | None:
    """A `YYYY-MM-DD` filter (UTC); an end day is inclusive, so it bounds the next midnight."""
    raw = params.get_str(name, required=False)
    if not raw:
        return None
    try:
        day = datetime.strptime(raw.strip()[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise ValidationFailed(f"{params.field(name)} must be a date YYYY-MM-DD", field=params.field(name)) from exc
    return day.replace(hour=23, minute=59, second=59, microsecond=999_999) if end else day


def within(value: str, low: datetime | None, high: datetime | None) -> bool:
    moment = datetime.fromisoformat(value)
    return (low is None or moment >= low) and (high is None or moment <= high)
