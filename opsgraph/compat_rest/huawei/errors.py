"""Huawei Cloud error answers: an HTTP status and `{"error_code", "error_msg"}`, with `X-Request-Id`.

Two families, as on Huawei Cloud:
- the API gateway's own codes (`APIGW.0101` unknown API, `APIGW.0201` bad/oversized request,
  `APIGW.0301` authentication failed, `APIGW.0302` not allowed), answered before a service runs;
- a service's codes, `<PREFIX>.<4 digits>` (the route's `error_prefix`, e.g. `HSS`). The service
  docs only reference their code lists, so the numbers are ours and fixed here:
    .0001 400 invalid parameter (every refusal without a more precise entry)
    .0002 400 malformed request body
    .0003 403 permission denied
    .0004 404 a named resource does not exist (our NOT_FOUND and every *_NOT_FOUND code)
    .1001 500 internal error (the message never carries details; the log has them)
The huaweicloudsdk clients read `error_code`/`error_msg` into `ClientRequestException` (4xx) or
`ServerResponseException` (5xx), and `X-Request-Id` into `request_id`.
"""

from __future__ import annotations

import uuid

from starlette.responses import JSONResponse

from opsgraph.core.errors import OpsGraphError

REQUEST_ID_HEADER = "X-Request-Id"
INTERNAL_CODES = frozenset({"CONFIGURATION", "INTERNAL", "INTERNAL_SERVER_ERROR"})


class HuaweiError(Exception):
    """A refusal already in Huawei terms (raised by the dispatcher and auth for gateway failures)."""

    def __init__(self, status: int, error_code: str, error_msg: str) -> None:
        super().__init__(f"{status} {error_code}: {error_msg}")
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg


def api_not_found(what: str) -> HuaweiError:
    return HuaweiError(404, "APIGW.0101", f"The API does not exist or has not been published: {what}")


def bad_request(message: str) -> HuaweiError:
    return HuaweiError(400, "APIGW.0201", f"API request error: {message}")


def body_too_large(limit: int) -> HuaweiError:
    return HuaweiError(413, "APIGW.0201", f"Request entity too large (at most {limit} bytes)")


def unauthenticated(detail: str) -> HuaweiError:
    return HuaweiError(401, "APIGW.0301", f"Incorrect IAM authentication information: {detail}")


def forbidden(detail: str) -> HuaweiError:
    return HuaweiError(403, "APIGW.0302", f"The IAM user is not authorized to access the API: {detail}")


_SERVICE_CODES: dict[str, tuple[int, str]] = {
    "MALFORMED_JSON": (400, "0002"),
    "MALFORMED_BODY": (400, "0002"),
    "PERMISSION_DENIED": (403, "0003"),
    "NOT_FOUND": (404, "0004"),
}
_INVALID = (400, "0001")
_INTERNAL = (500, "1001")


def service_error(error: OpsGraphError, prefix: str) -> HuaweiError:
    """Our error as the service's: status and `<prefix>.<number>` from the table above."""
    if error.code in INTERNAL_CODES:
        return internal_error(prefix)
    if error.code == "UNAUTHENTICATED":
        return unauthenticated(error.message)
    status, number = _SERVICE_CODES.get(error.code) or (
        _SERVICE_CODES["NOT_FOUND"] if error.code.endswith("_NOT_FOUND") else _INVALID
    )
    return HuaweiError(status, f"{prefix}.{number}", error.message)


def internal_error(prefix: str) -> HuaweiError:
    status, number = _INTERNAL
    return HuaweiError(status, f"{prefix}.{number}", "Internal server error; retry later or report the request id")


def new_request_id() -> str:
    return uuid.uuid4().hex


def error_response(error: HuaweiError, request_id: str) -> JSONResponse:
    return JSONResponse(
        {"error_code": error.error_code, "error_msg": error.error_msg},
        status_code=error.status,
        headers={REQUEST_ID_HEADER: request_id},
    )
