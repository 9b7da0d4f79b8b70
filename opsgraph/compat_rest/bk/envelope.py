"""BlueKing response envelopes: `{result, code, message, data, request_id}` and the
`{result, bk_error_code, bk_error_msg, data, request_id}` style some cc endpoints document.

Business errors are HTTP 200 with `result: false`: bk clients raise on any status ≥ 400 and only
the body tells them what went wrong. Every answer carries `X-Bkapi-Request-Id`.

Example:
    body = success_body({"count": 0, "info": []}, style="code", request_id=rid)
    # {"result": true, "code": 0, "message": "", "data": {...}, "request_id": rid}
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from starlette.responses import JSONResponse

from opsgraph.compat_rest.bk.error_codes import CMDB_CODES, SYSTEM_BUSY, SYSTEM_BUSY_MESSAGE, bk_code_for
from opsgraph.core.errors import OpsGraphError
from opsgraph.core.log_context import current_request_id

# "code_trace": the `code` envelope plus `trace_id` (bk-sops answers carry one; it is the request id).
EnvelopeStyle = Literal["code", "bk_error_code", "code_trace"]
REQUEST_ID_HEADER = "X-Bkapi-Request-Id"


@dataclass(frozen=True)
class BkReply:
    """Returned by an adapter or handler when the documented answer is not a plain success.

    CMDB reports some partial failures as `result: false, code: 0` with per-item data, and a
    few systems document their own success code; everything left as None takes the route's value.

    Example:
        return BkReply(data={"failed": ids}, result=False, message="some hosts failed")
    """

    data: Any = None
    result: bool = True
    code: int | str | None = None
    message: str | None = None
    # Top-level keys beside the envelope's own, e.g. monitor's DRF-style `_meta: {count, previous, next}`.
    extra: Mapping[str, Any] | None = None


def new_request_id() -> str:
    """The request's own id (http/request_context.py binds one per request), so the envelope's
    `request_id` is the one in the server's and the workers' log lines about this call."""
    return current_request_id() or uuid.uuid4().hex


def envelope_body(
    style: EnvelopeStyle, *, result: bool, code: int | str, message: str, data: Any, request_id: str
) -> dict[str, Any]:
    if style == "bk_error_code":
        return {
            "result": result,
            "bk_error_code": code,
            "bk_error_msg": message,
            "data": data,
            "request_id": request_id,
        }
    body = {"result": result, "code": code, "message": message, "data": data, "request_id": request_id}
    if style == "code_trace":
        body["trace_id"] = request_id
    return body


def success_body(
    data: Any, *, style: EnvelopeStyle, request_id: str, code: int | str = 0, message: str = ""
) -> dict[str, Any]:
    if isinstance(data, BkReply):
        body = envelope_body(
            style,
            result=data.result,
            code=code if data.code is None else data.code,
            message=message if data.message is None else data.message,
            data=data.data,
            request_id=request_id,
        )
        return {**body, **(data.extra or {})}
    return envelope_body(style, result=True, code=code, message=message, data=data, request_id=request_id)


def error_body(
    error: OpsGraphError, *, style: EnvelopeStyle, request_id: str, codes: Mapping[str, int] = CMDB_CODES
) -> dict[str, Any]:
    code = bk_code_for(error.code, codes)
    # Internal codes never show their message: it may name files, tables or hosts.
    message = SYSTEM_BUSY_MESSAGE if code == SYSTEM_BUSY else error.message
    return envelope_body(style, result=False, code=code, message=message, data=None, request_id=request_id)


def system_busy_body(*, style: EnvelopeStyle, request_id: str) -> dict[str, Any]:
    return envelope_body(
        style, result=False, code=SYSTEM_BUSY, message=SYSTEM_BUSY_MESSAGE, data=None, request_id=request_id
    )


def envelope_response(body: dict[str, Any], *, request_id: str, status_code: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, headers={REQUEST_ID_HEADER: request_id})
