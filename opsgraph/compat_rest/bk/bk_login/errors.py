"""Our error codes → bk_login's (legacy-bk-paas login `ApiErrorCodeEnumV2`): 1302100 invalid
parameter or token, 1302103 user does not exist. Gateway failures keep ESB's 13060xx codes."""

from __future__ import annotations

from collections.abc import Mapping

from opsgraph.compat_rest.bk.error_codes import API_NOT_FOUND, APP_AUTH_FAILED, METHOD_NOT_ALLOWED, OTHER_CODES

PARAM_NOT_VALID = 1302100
USER_NOT_EXISTS = 1302103

LOGIN_CODES: Mapping[str, int] = {
    OTHER_CODES: PARAM_NOT_VALID,
    "UNAUTHENTICATED": APP_AUTH_FAILED,
    "METHOD_NOT_ALLOWED": METHOD_NOT_ALLOWED,
    "API_NOT_FOUND": API_NOT_FOUND,
    "NOT_FOUND": USER_NOT_EXISTS,
}
