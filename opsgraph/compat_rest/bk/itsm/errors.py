"""Our error codes → bk-itsm's numeric codes (itsm/component/exceptions.py, 39xxxxx).

bk-itsm answers a refused operation with 3900002 (not allowed) or 3900004 (operate-ticket error,
"不支持的操作类型"), a missing ticket with 3900022, a state that is not current with 3900017, a
required form field with 3900030 and other bad parameters with 3900005. Gateway failures keep
ESB's 13xxxxx codes.

Example:
    bk_code_for("TICKET_NOT_FOUND", ITSM_CODES)   # 3900022
"""

from __future__ import annotations

from collections.abc import Mapping

from opsgraph.compat_rest.bk.error_codes import API_NOT_FOUND, APP_AUTH_FAILED, METHOD_NOT_ALLOWED, OTHER_CODES

PARAM_ERROR = 3900005
NOT_ALLOWED = 3900002
OPERATE_ERROR = 3900004
OBJECT_NOT_EXIST = 3900404

ITSM_CODES: Mapping[str, int] = {
    OTHER_CODES: PARAM_ERROR,
    "UNAUTHENTICATED": APP_AUTH_FAILED,
    "METHOD_NOT_ALLOWED": METHOD_NOT_ALLOWED,
    "API_NOT_FOUND": API_NOT_FOUND,
    "PERMISSION_DENIED": 3900499,  # IAM denied
    "INVALID": PARAM_ERROR,
    "MISSING_FIELD": PARAM_ERROR,
    "MALFORMED_JSON": PARAM_ERROR,
    "BODY_TOO_LARGE": PARAM_ERROR,
    "LIMIT_EXCEEDED": PARAM_ERROR,
    "FIELD_REQUIRED": 3900030,
    "UNSUPPORTED_ACTION": OPERATE_ERROR,
    "NOT_SUPPORTED": OPERATE_ERROR,
    "TICKET_NOT_FOUND": 3900022,
    "STATE_NOT_FOUND": 3900017,
    "NOT_FOUND": OBJECT_NOT_EXIST,
    "SERVICE_NOT_FOUND": OBJECT_NOT_EXIST,
    "CATALOG_NOT_FOUND": OBJECT_NOT_EXIST,
    "BUSINESS_NOT_FOUND": OBJECT_NOT_EXIST,
    "NOT_PROCESSOR": NOT_ALLOWED,
    "CONFLICT": NOT_ALLOWED,
    "TICKET_NOT_RUNNING": NOT_ALLOWED,
    "TICKET_NOT_SUSPENDED": NOT_ALLOWED,
    "TICKET_ENDED": NOT_ALLOWED,
    "ALREADY_SIGNED": NOT_ALLOWED,
    "ALREADY_PROCESSED": NOT_ALLOWED,
    "NOT_REVOCABLE": NOT_ALLOWED,
    "NOT_TRANSFERABLE": NOT_ALLOWED,
    "STEP_RECEIVING": NOT_ALLOWED,  # claim it first
    "STEP_DISTRIBUTING": NOT_ALLOWED,  # distribute it first
}
