"""Our error codes → bk-sops' numeric codes (gcloud/err_code.py): "35" + five digits.

3540000 request parameters invalid, 3540100 forbidden, 3540400 content does not exist, 3545000
invalid operation (a precondition failed: "task already started", a node not FAILED …), 3546100
validation error. Gateway failures (app credentials, unknown api, wrong method) keep ESB's codes.

Example:
    bk_code_for("INVALID_OPERATION", SOPS_CODES)   # 3545000
"""

from __future__ import annotations

from collections.abc import Mapping

from opsgraph.compat_rest.bk.error_codes import API_NOT_FOUND, APP_AUTH_FAILED, METHOD_NOT_ALLOWED, OTHER_CODES

PARAM_INVALID = 3540000
FORBIDDEN = 3540100
NOT_EXIST = 3540400
INVALID_OPERATION = 3545000
VALIDATION_ERROR = 3546100

SOPS_CODES: Mapping[str, int] = {
    OTHER_CODES: PARAM_INVALID,
    "UNAUTHENTICATED": APP_AUTH_FAILED,
    "METHOD_NOT_ALLOWED": METHOD_NOT_ALLOWED,
    "API_NOT_FOUND": API_NOT_FOUND,
    "PERMISSION_DENIED": FORBIDDEN,
    "INVALID": PARAM_INVALID,
    "MISSING_FIELD": PARAM_INVALID,
    "MALFORMED_JSON": PARAM_INVALID,
    "BODY_TOO_LARGE": PARAM_INVALID,
    "LIMIT_EXCEEDED": PARAM_INVALID,
    "NOT_FOUND": NOT_EXIST,
    "BUSINESS_NOT_FOUND": NOT_EXIST,
    "TEMPLATE_NOT_FOUND": NOT_EXIST,
    "TASK_NOT_FOUND": NOT_EXIST,
    "PERIODIC_TASK_NOT_FOUND": NOT_EXIST,
    # bk-sops answers a callback for a node the task lacks with "param invalid".
    "NODE_NOT_FOUND": PARAM_INVALID,
    "INVALID_OPERATION": INVALID_OPERATION,
    "CONFLICT": INVALID_OPERATION,
    "RUN_ELSEWHERE": INVALID_OPERATION,
    "TEMPLATE_IN_USE": INVALID_OPERATION,
    "INVALID_TREE": VALIDATION_ERROR,
    "VALIDATION": VALIDATION_ERROR,
}
