"""Our error codes → bk-nodeman's numeric codes (apps/node_man/exceptions.py: module 38, then the
error number). Gateway failures keep ESB's 13xxxxx codes; "no permission" is BlueKing's 9900403."""

from __future__ import annotations

from collections.abc import Mapping

from opsgraph.compat_rest.bk.error_codes import API_NOT_FOUND, APP_AUTH_FAILED, METHOD_NOT_ALLOWED, OTHER_CODES

VALIDATION_ERROR = 3800001  # ValidationError: the catch-all for refused input
JOB_NOT_EXIST = 3800006  # JobNotExistError

NODEMAN_CODES: Mapping[str, int] = {
    OTHER_CODES: VALIDATION_ERROR,
    "UNAUTHENTICATED": APP_AUTH_FAILED,
    "METHOD_NOT_ALLOWED": METHOD_NOT_ALLOWED,
    "API_NOT_FOUND": API_NOT_FOUND,
    "PERMISSION_DENIED": 9900403,
    "TASK_NOT_FOUND": JOB_NOT_EXIST,
}
