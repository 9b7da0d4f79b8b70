"""Our error codes → bk-job's numeric codes (bk-job `common/constant/ErrorCode.java`).

bk-job groups its codes by service: 1241xxx common, 1243xxx job management (scripts, plans),
1244xxx execution, 1245xxx crons; 9900403 is the BlueKing-wide "no permission" it shares with CMDB.
Gateway failures (bad app credentials, unknown api, wrong method) keep ESB's 13xxxxx codes, which
no system overrides. Every `job` row passes this table to the route (`error_codes=JOB_CODES`).

Example:
    bk_code_for("HOST_NOT_IN_BUSINESS", JOB_CODES)   # 1244002, "invalid hosts"
"""

from __future__ import annotations

from collections.abc import Mapping

from opsgraph.compat_rest.bk.error_codes import API_NOT_FOUND, APP_AUTH_FAILED, METHOD_NOT_ALLOWED, OTHER_CODES

MISSING_PARAM = 1241004  # MISSING_PARAM_WITH_PARAM_NAME: our messages name the parameter
ILLEGAL_PARAM = 1241005  # ILLEGAL_PARAM_WITH_PARAM_NAME
NOT_SUPPORTED = 1241011  # NOT_SUPPORT_FEATURE: documented, but not something OpsGraph can do (yet)

JOB_CODES: Mapping[str, int] = {
    OTHER_CODES: ILLEGAL_PARAM,
    "UNAUTHENTICATED": APP_AUTH_FAILED,
    "METHOD_NOT_ALLOWED": METHOD_NOT_ALLOWED,
    "API_NOT_FOUND": API_NOT_FOUND,
    "PERMISSION_DENIED": 9900403,  # BK_PERMISSION_DENIED
    "MALFORMED_JSON": 1239004,  # API_PARAM_NULL_OR_ILLEGAL
    "BODY_TOO_LARGE": 1239004,
    "MISSING_FIELD": MISSING_PARAM,
    "INVALID": ILLEGAL_PARAM,
    "LIMIT_EXCEEDED": ILLEGAL_PARAM,
    "DUPLICATE": ILLEGAL_PARAM,
    "CONFLICT": ILLEGAL_PARAM,
    "NOT_SUPPORTED": NOT_SUPPORTED,
    # bk-job has no generic "not found": a request naming something missing is an illegal parameter.
    "NOT_FOUND": ILLEGAL_PARAM,
    "BUSINESS_NOT_FOUND": 1243049,  # APP_NOT_EXIST: "business/business set does not exist"
    "SCRIPT_NOT_FOUND": 1243001,  # SCRIPT_NOT_EXIST
    # bk_job_id names an execution plan in bk-job v3 (a job template in the v2 docs).
    "TEMPLATE_NOT_FOUND": 1243009,  # TASK_PLAN_NOT_EXIST
    "STEP_NOT_FOUND": 1244011,  # EXECUTE_TASK_PLAN_ILLEGAL: a step the plan does not have
    "ACCOUNT_NOT_FOUND": 1244003,  # ACCOUNT_NOT_EXIST
    "NO_TARGETS": 1244001,  # SERVER_EMPTY
    "HOST_NOT_FOUND": 1244002,  # HOST_INVALID: not in the CMDB …
    "HOST_NOT_IN_BUSINESS": 1244002,  # … or in another business
    "TASK_NOT_FOUND": 1244006,  # TASK_INSTANCE_NOT_EXIST
    "STEP_INSTANCE_NOT_FOUND": 1244007,  # STEP_INSTANCE_NOT_EXIST
    "CRON_NOT_FOUND": 1245001,  # CRON_JOB_NOT_EXIST
}
