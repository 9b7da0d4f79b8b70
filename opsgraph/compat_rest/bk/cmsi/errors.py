"""Our error codes → the numbers a cmsi caller sees. CMSI components have no codes of their own:
ESB answers a component's `result: false` with 1306000 and its own parameter check with 1306406
(legacy-bk-paas esb/common/errors.py)."""

from __future__ import annotations

from collections.abc import Mapping

from opsgraph.compat_rest.bk.error_codes import API_NOT_FOUND, APP_AUTH_FAILED, METHOD_NOT_ALLOWED, OTHER_CODES

COMPONENT_FAILED = 1306000  # a component's result false: partial failures, an unusable channel
PARAMETER_ERROR = 1306406
USER_PERMISSION = 1306402

CMSI_CODES: Mapping[str, int] = {
    OTHER_CODES: PARAMETER_ERROR,
    "UNAUTHENTICATED": APP_AUTH_FAILED,
    "METHOD_NOT_ALLOWED": METHOD_NOT_ALLOWED,
    "API_NOT_FOUND": API_NOT_FOUND,
    "PERMISSION_DENIED": USER_PERMISSION,
    "CHANNEL_UNAVAILABLE": COMPONENT_FAILED,
    "UNSUPPORTED_MSG_TYPE": COMPONENT_FAILED,
}
