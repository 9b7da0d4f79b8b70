"""bk-cmdb's numbers for the model layer's error codes (resolvers/cmdb/codes.py), from
src/common/errInfo.go; the `cc` model-layer rows answer with these, the rest as CMDB_CODES.

Example:
    BkRoute(..., error_codes=MODEL_CODES)   # UNIQUE_VIOLATION → 1199014, MODEL_HAS_INSTANCES → 1101037
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opsgraph.compat_rest.bk.error_codes import CMDB_CODES
from opsgraph.compat_rest.bk.routes import BK_ROUTES, BkRoute
from opsgraph.resolvers.cmdb import codes

MODEL_CODES: Mapping[str, int] = {
    **CMDB_CODES,
    codes.INVALID_ID: 1199011,
    codes.TOO_LONG: 1199073,
    codes.REQUIRED: 1199010,
    codes.OVER_LIMIT: 1199015,
    codes.PATTERN_MISMATCH: 1199016,
    codes.NEED_INT: 1199009,
    codes.NOT_MULTIPLE: 1199012,
    codes.NEED_TIMEZONE: 1199024,
    codes.NEED_BOOL: 1199025,
    codes.NOT_EDITABLE: 1199006,
    codes.CLASSIFICATION_MISSING: 1101024,
    codes.CLASSIFICATION_NOT_FOUND: 1101113,
    codes.CLASSIFICATION_HAS_MODELS: 1101029,
    codes.MODEL_NOT_FOUND: 1199011,
    codes.PRESET_MODEL: 1101135,
    codes.MODEL_HAS_INSTANCES: 1101037,
    codes.MODEL_HAS_ASSOCIATIONS: 1101053,
    codes.MODEL_PAUSED: 1101084,
    codes.BUILTIN_OBJECT: 1199054,
    codes.ATTRIBUTE_NAME_DUPLICATE: 1101107,
    codes.ATTRIBUTE_NOT_FOUND: 1101164,
    codes.ATTRIBUTE_IN_UNIQUE_RULE: 1101165,
    codes.UNIQUE_KEY_KIND: 1101166,
    codes.PRESET_UNIQUE_RULE: 1101167,
    codes.LAST_UNIQUE_RULE: 1101069,
    codes.MAINLINE_UNIQUE_RULE: 1101085,
    codes.UNIQUE_RULE_EXISTS: 1113050,
    codes.UNIQUE_RECHECK_FAILED: 1113039,
    codes.UNIQUE_VIOLATION: 1199014,
    codes.ASSOCIATION_KIND_NOT_FOUND: 1101072,
    codes.ASSOCIATION_KIND_IN_USE: 1101070,
    codes.PRESET_ASSOCIATION_KIND: 1101071,
    codes.MAINLINE_ASSOCIATION: 1101082,
    codes.ASSOCIATION_NOT_FOUND: 1101056,
    codes.PRESET_ASSOCIATION: 1101055,
    codes.ASSOCIATION_INSTANTIATED: 1101043,
    codes.SOURCE_INSTANCE_NOT_FOUND: 1101074,
    codes.TARGET_INSTANCE_NOT_FOUND: 1101073,
    codes.MAPPING_ONE_TO_ONE: 1101052,
    codes.MAPPING_ONE_TO_MANY: 1101061,
    codes.INSTANCE_HAS_ASSOCIATIONS: 1101075,
    codes.CLOUD_AREA_HAS_HOSTS: 1101030,
}


def add_model_route(package: str, **fields: Any) -> None:
    """Register one model-layer `cc` row: system cc, its .graphql files next to `package`, MODEL_CODES."""
    BK_ROUTES.add(BkRoute(system="cc", package=package, error_codes=MODEL_CODES, **fields))
