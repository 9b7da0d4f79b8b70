"""Helpers the BlueKing systems share (job, nodeman): bk-job's time format and "missing or forbidden?"."""

from __future__ import annotations

from datetime import UTC, datetime

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, OpsGraphError, PermissionDenied


def bk_time(value: str | None, *, offset: bool) -> str | None:
    """A GraphQL DateTime as bk-job writes times: "2018-03-15 12:56:35", with " +0000" where the
    endpoint's documented example carries an offset. Times are UTC."""
    if not value:
        return None
    moment = datetime.fromisoformat(value).astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S %z" if offset else "%Y-%m-%d %H:%M:%S")


def refuse_missing(principal: Principal, biz: int, message: str, code: str) -> OpsGraphError:
    """The error for something GraphQL did not return: no role on the business is bk-job's 9900403
    (it checks the scope's permission before looking anything up); otherwise `message` with `code`."""
    if not principal.can(biz):
        return PermissionDenied(f"user {principal.username!r} has no permission on business {biz}")
    return NotFound(message, code=code)
