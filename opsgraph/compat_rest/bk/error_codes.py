"""Our error `code`s → BlueKing numeric codes (bk-cmdb `src/common/errInfo.go`, ESB 13xxxxx).

CMDB codes are the default because `cc` is the first system served and bk clients only test
`result`/`code != 0`; other systems give their routes their own table (`BkRoute.error_codes`,
e.g. `bk/job/errors.py`).

Example:
    bk_code_for("NOT_FOUND")        # 1199019
    bk_code_for("SOMETHING_NEW")    # 1199006, the generic "params invalid"
"""

from __future__ import annotations

from collections.abc import Mapping

SUCCESS = 0
SYSTEM_BUSY = -1  # CCSystemBusy: internal failures, with a generic message
SYSTEM_BUSY_MESSAGE = "system busy, please retry later"

# Gateway-level failures. ESB keeps these in its own 13xxxxx range, apart from the systems' codes.
APP_AUTH_FAILED = 1306000
API_NOT_FOUND = 1306404
METHOD_NOT_ALLOWED = 1306405

PARAMS_INVALID = 1199006  # CCErrCommParamsInvalid: the catch-all for refused input

CMDB_CODES: Mapping[str, int] = {
    "UNAUTHENTICATED": APP_AUTH_FAILED,
    "PERMISSION_DENIED": 9900403,  # CCNoPermission, shared by CMDB and Job
    "INVALID": PARAMS_INVALID,
    "NOT_FOUND": 1199019,  # CCErrCommNotFound
    "DUPLICATE": 1199014,  # CCErrCommDuplicateItem
    "PAGE_LIMIT": 1199059,  # CCErrCommPageLimitIsExceeded
    # Our LIMIT_EXCEEDED is raised for page sizes (`first` caps) and query limits alike;
    # the page-limit code is what cc clients already handle.
    "LIMIT_EXCEEDED": 1199059,
    "BODY_TOO_LARGE": 1199015,  # CCErrCommOverLimit
    "MALFORMED_JSON": 1199000,  # CCErrCommJSONUnmarshalFailed
    "MISSING_FIELD": 1199008,  # CCErrCommParamsLostField
    "METHOD_NOT_ALLOWED": METHOD_NOT_ALLOWED,
    "API_NOT_FOUND": API_NOT_FOUND,
    "MODULE_NOT_IN_BUSINESS": 1113004,  # CCErrCoreServiceHasModuleNotBelongBusiness
    "BUILTIN_MODULE_MIXED": 1113005,  # CCErrCoreServiceModuleContainDefaultModuleErr
    "HOST_NOT_IN_BUSINESS": 1113002,  # CCErrCoreServiceHostNotBelongBusiness
    # transfer_host_to_resourcemodule answers 1110056 (CCErrHostModuleConfigNotMatch) for hosts
    # outside the idle/fault/recycle modules.
    "HOST_NOT_IN_BUILTIN_MODULE": 1110056,
    # No dedicated upstream code for "host is not in the resource pool" (AssignHostToApp); the same
    # "host does not belong here" code is the closest. 1110057 means "module missing / several
    # built-in modules", which would mislead.
    "HOST_NOT_IN_RESOURCE_POOL": 1110056,
    "SET_NOT_IN_BUSINESS": 1110060,  # CCErrHostSetNotBelongBusinessErr
    "MODULE_NOT_IN_SET": 1110062,  # CCErrHostModuleNotBelongSetErr
    "BUSINESS_HAS_HOSTS": 1101087,  # CCErrTopoArchiveBusinessHasHost
    "SET_HAS_HOSTS": 1101030,  # CCErrTopoHasHost
    "MODULE_HAS_HOSTS": 1101030,  # CCErrTopoHasHost
    "BUILTIN_OBJECT": 1199054,  # CCErrCommOperateBuiltInItemForbidden
    "BUSINESS_ARCHIVED": 1110031,  # CCErrorHostBizIsArchived: archived businesses take no hosts
    "OBJECT_INST_ID_REQUIRED": 1110058,  # CCErrHostSearchNeedObjectInstIDErr: an "object" clause without bk_inst_id
    # CMDB's host lock has no error of its own in errInfo.go; a locked host is a refused request.
    "HOST_LOCKED": PARAMS_INVALID,
    "CONFLICT": PARAMS_INVALID,
    "DATABASE": 1199017,  # CCErrCommDBSelectFailed family: the store refused, not the input
}

# Codes that mean "our fault": answered as SYSTEM_BUSY with a generic message, logged server-side.
INTERNAL_CODES = frozenset({"CONFIGURATION", "INTERNAL", "INTERNAL_SERVER_ERROR"})


# A table's entry for the codes it does not list (default: CMDB's "params invalid").
OTHER_CODES = "*"


def bk_code_for(code: str, table: Mapping[str, int] = CMDB_CODES) -> int:
    """The numeric code for one of our error codes; unlisted codes get the table's `OTHER_CODES` entry."""
    if code in INTERNAL_CODES:
        return SYSTEM_BUSY
    return table.get(code, table.get(OTHER_CODES, PARAMS_INVALID))
