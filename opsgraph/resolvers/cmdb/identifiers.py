"""bk-cmdb's rules for identifiers and display names (src/common/valid/valid.go).

Ids (`bk_classification_id`, `bk_obj_id`, `bk_property_id`, `bk_group_id`, `bk_asst_id`) match
`^[a-zA-Z]\\w*$` and are at most 128 characters; names are at most 128 characters. An id that
passes is also safe to splice into a JSON path of SQL (instance search relies on that).

Example:
    check_id("rack_1", "bk_obj_id")      # fine
    check_id("1rack", "bk_obj_id")       # ValidationFailed(code=INVALID_ID)
"""

from __future__ import annotations

import re
from typing import Any

from opsgraph.core.errors import ValidationFailed
from opsgraph.models.cmdb_models import ID_MAX_LENGTH, NAME_MAX_LENGTH
from opsgraph.resolvers.cmdb.codes import INVALID_ID, REQUIRED, TOO_LONG

ID_PATTERN = re.compile(r"[a-zA-Z]\w*", re.ASCII)
# Only preset attributes may use these prefixes (bk-cmdb#4362): they are bk-cmdb's namespace.
RESERVED_PROPERTY_PREFIXES = ("bk_", "_bk")


def check_id(value: Any, field: str) -> str:
    if value is None or value == "":
        raise ValidationFailed(f"{field} is required", field=field, code=REQUIRED)
    if not isinstance(value, str):
        raise ValidationFailed(f"{field} must be a string", field=field, code=INVALID_ID)
    if len(value) > ID_MAX_LENGTH:
        raise ValidationFailed(f"{field} is longer than {ID_MAX_LENGTH} characters", field=field, code=TOO_LONG)
    if not ID_PATTERN.fullmatch(value):
        raise ValidationFailed(
            f"{field} {value!r} must start with a letter and hold only letters, digits and _",
            field=field,
            code=INVALID_ID,
        )
    return value


def check_name(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"{field} is required", field=field, code=REQUIRED)
    value = value.strip()
    if len(value) > NAME_MAX_LENGTH:
        raise ValidationFailed(f"{field} is longer than {NAME_MAX_LENGTH} characters", field=field, code=TOO_LONG)
    return value


def is_safe_id(value: str) -> bool:
    """True for an id that may be spliced into SQL as a JSON key (checked again at that point)."""
    return len(value) <= ID_MAX_LENGTH and ID_PATTERN.fullmatch(value) is not None
