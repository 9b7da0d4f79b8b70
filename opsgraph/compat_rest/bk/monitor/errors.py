"""Our error codes → what the monitor v2 endpoints answer with `result: false`.

bk-monitor v2 publishes no per-error code table for these endpoints; ESB fills its own for
component errors (upstream_semantics_wave2 §0.3): 1306406 "parameter error" for refused input,
1306000 for the rest. "No permission" is BlueKing's shared 9900403; gateway failures keep ESB's.
"""

from __future__ import annotations

from collections.abc import Mapping

from opsgraph.compat_rest.bk.error_codes import API_NOT_FOUND, APP_AUTH_FAILED, METHOD_NOT_ALLOWED, OTHER_CODES

PARAMETER_ERROR = 1306406

MONITOR_CODES: Mapping[str, int] = {
    OTHER_CODES: PARAMETER_ERROR,
    "UNAUTHENTICATED": APP_AUTH_FAILED,
    "METHOD_NOT_ALLOWED": METHOD_NOT_ALLOWED,
    "API_NOT_FOUND": API_NOT_FOUND,
    "PERMISSION_DENIED": 9900403,
}
