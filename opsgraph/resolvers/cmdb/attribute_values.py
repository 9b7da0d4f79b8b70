"""The values an instance may hold, per attribute type, checked on every write (bk-cmdb
src/common/metadata/attribute.go; upstream_semantics_wave2.md §6.2). Pure functions, no database.

Example:
    spec = AttributeSpec(property_id="port", property_type="int", option={"min": 1})
    check_value(spec, "8080", "port")     # 8080
    check_value(spec, 0, "port")          # ValidationFailed(code="INVALID"): below the minimum
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from opsgraph.core.errors import ValidationFailed
from opsgraph.resolvers.cmdb.attribute_types import (
    BOOL,
    DATE,
    EMPTY_TEXT_TYPES,
    ENUM,
    ENUMMULTI,
    ENUMQUOTE,
    FLOAT,
    INT,
    INT64_MAX,
    INT64_MIN,
    LIST,
    LONGCHAR,
    LONGCHAR_MAX,
    MULTIASST,
    OBJUSER,
    OBJUSER_MAX,
    ORGANIZATION,
    QUOTE_TYPES,
    SINGLEASST,
    SINGLECHAR,
    SINGLECHAR_MAX,
    TIME,
    TIMEZONE,
    AttributeSpec,
    compile_pattern,
    invalid,
    parse_number,
)
from opsgraph.resolvers.cmdb.codes import NEED_BOOL, NEED_INT, NEED_TIMEZONE, NOT_MULTIPLE, OVER_LIMIT, PATTERN_MISMATCH

_USER_NAME = re.compile(r"(\d|[a-zA-Z])([a-zA-Z0-9@._-])*")
_TIMEZONE = re.compile(r"[a-zA-Z0-9\-−_/+]+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def is_empty(spec: AttributeSpec, value: Any) -> bool:
    if value is None:
        return True
    if spec.property_type in EMPTY_TEXT_TYPES and isinstance(value, str) and not value.strip():
        return True
    return isinstance(value, list) and not value


def check_value(spec: AttributeSpec, value: Any, field: str) -> Any:
    """The value to store (trimmed, coerced), None for an empty one; required-ness is the caller's."""
    if is_empty(spec, value):
        return None
    checker = _VALUE_CHECKS[spec.property_type]
    return checker(spec, value, field)


def _text(spec: AttributeSpec, value: Any, field: str, limit: int) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # numbers where text is expected: upstream callers send them
    if not isinstance(value, str):
        raise invalid(field, "must be a string")
    value = value.strip()
    if len(value) > limit:
        raise invalid(field, f"is longer than {limit} characters", OVER_LIMIT)
    pattern = spec.option if isinstance(spec.option, str) else ""
    if pattern and compile_pattern(pattern).search(value) is None:
        raise invalid(field, f"does not match {pattern!r}", PATTERN_MISMATCH)
    return value


def _singlechar(spec: AttributeSpec, value: Any, field: str) -> str:
    return _text(spec, value, field, SINGLECHAR_MAX)


def _longchar(spec: AttributeSpec, value: Any, field: str) -> str:
    return _text(spec, value, field, LONGCHAR_MAX)


def _in_range(spec: AttributeSpec, number: int | float, field: str) -> None:
    option = spec.option if isinstance(spec.option, dict) else {}
    low, high = option.get("min"), option.get("max")
    if (low is not None and number < low) or (high is not None and number > high):
        raise invalid(field, f"must be between {low} and {high}")


def _int(spec: AttributeSpec, value: Any, field: str) -> int:
    try:
        number = parse_number(value, field, integral=True)
    except ValidationFailed as exc:
        raise invalid(field, "must be an integer", NEED_INT) from exc
    if not isinstance(number, int) or not INT64_MIN <= number <= INT64_MAX:
        raise invalid(field, "must be a 64-bit integer", NEED_INT)
    _in_range(spec, number, field)
    return number


def _float(spec: AttributeSpec, value: Any, field: str) -> float:
    number = parse_number(value, field, integral=False)
    if number is None:
        raise invalid(field, "must be a number")
    _in_range(spec, number, field)
    return float(number)


def _option_ids(spec: AttributeSpec) -> list[str]:
    return [item["id"] for item in spec.option or [] if isinstance(item, dict)]


def _enum(spec: AttributeSpec, value: Any, field: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or value not in _option_ids(spec):
        raise invalid(field, f"must be one of the option ids {_option_ids(spec)}")
    return value


def _as_list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise invalid(field, "must be a list")
    return value


def _enummulti(spec: AttributeSpec, value: Any, field: str) -> list[str] | None:
    items = [_enum(spec, item, f"{field}[{i}]") for i, item in enumerate(_as_list(value, field))]
    if len(items) > 1 and not spec.multiple:
        raise invalid(field, "takes one value (the attribute is not multiple)", NOT_MULTIPLE)
    return list(dict.fromkeys(items)) or None


def _instance_ids(value: Any, field: str) -> list[int]:
    if isinstance(value, str):  # v3.1 sent association values as comma-joined ids
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, list):
        value = [value]
    ids = []
    for index, item in enumerate(value):
        number = _int(AttributeSpec("", INT), item, f"{field}[{index}]")
        if number <= 0 or number > 2**31 - 1:
            raise invalid(f"{field}[{index}]", "is not an instance id")
        ids.append(number)
    return list(dict.fromkeys(ids))


def _enumquote(spec: AttributeSpec, value: Any, field: str) -> list[int] | None:
    ids = _instance_ids(value, field)
    if len(ids) > 1 and not spec.multiple:
        raise invalid(field, "takes one instance (the attribute is not multiple)", NOT_MULTIPLE)
    allowed = {item["bk_inst_id"] for item in spec.option or [] if isinstance(item, dict)}
    outside = [i for i in ids if allowed and i not in allowed]
    if outside:
        raise invalid(field, f"refers to instances outside the option: {outside}")
    return ids or None


def _singleasst(spec: AttributeSpec, value: Any, field: str) -> list[int] | None:
    ids = _instance_ids(value, field)
    if len(ids) > 1:
        raise invalid(field, "takes one instance (singleasst)", NOT_MULTIPLE)
    return ids or None


def _multiasst(spec: AttributeSpec, value: Any, field: str) -> list[int] | None:
    return _instance_ids(value, field) or None


def _list(spec: AttributeSpec, value: Any, field: str) -> str:
    if not isinstance(value, str) or value not in (spec.option or []):
        raise invalid(field, f"must be one of {spec.option}")
    return value


def _date(spec: AttributeSpec, value: Any, field: str) -> str:
    if not isinstance(value, str) or not _DATE.fullmatch(value.strip()):
        raise invalid(field, "must be a date YYYY-MM-DD")
    try:
        date.fromisoformat(value.strip())
    except ValueError as exc:
        raise invalid(field, "is not a calendar date") from exc
    return value.strip()


def _time(spec: AttributeSpec, value: Any, field: str) -> str:
    """ "YYYY-MM-DD HH:MM:SS" or RFC 3339 with a zone (src/common/util/struti.go); stored as given."""
    if not isinstance(value, str):
        raise invalid(field, "must be a time 'YYYY-MM-DD HH:MM:SS' or RFC 3339")
    text = value.strip()
    try:
        if _TIME.fullmatch(text):
            datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
            return text
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise invalid(field, "is not a valid time") from exc
    if "T" not in text or parsed.tzinfo is None:
        raise invalid(field, "must be 'YYYY-MM-DD HH:MM:SS' or RFC 3339 with a zone")
    return text


def _objuser(spec: AttributeSpec, value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise invalid(field, "must be a comma-separated string of user names")
    text = value.strip()
    if len(text) > OBJUSER_MAX:
        raise invalid(field, f"is longer than {OBJUSER_MAX} characters", OVER_LIMIT)
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if not _USER_NAME.fullmatch(name):
            raise invalid(field, f"holds an invalid user name {name!r}", PATTERN_MISMATCH)
    if len(names) > 1 and not spec.multiple:
        raise invalid(field, "takes one user (the attribute is not multiple)", NOT_MULTIPLE)
    return ",".join(names)


def _organization(spec: AttributeSpec, value: Any, field: str) -> list[int] | None:
    items = _as_list(value, field)
    ids = [_int(AttributeSpec("", INT), item, f"{field}[{i}]") for i, item in enumerate(items)]
    if len(ids) > 1 and not spec.multiple:
        raise invalid(field, "takes one organization (the attribute is not multiple)", NOT_MULTIPLE)
    return ids or None


def _timezone(spec: AttributeSpec, value: Any, field: str) -> str:
    if not isinstance(value, str) or not _TIMEZONE.fullmatch(value.strip()):
        raise invalid(field, "must be a time zone such as Asia/Shanghai", NEED_TIMEZONE)
    return value.strip()


def _bool(spec: AttributeSpec, value: Any, field: str) -> bool:
    if not isinstance(value, bool):  # "true" is refused, as upstream does
        raise invalid(field, "must be a JSON boolean", NEED_BOOL)
    return value


_VALUE_CHECKS = {
    SINGLECHAR: _singlechar,
    LONGCHAR: _longchar,
    INT: _int,
    FLOAT: _float,
    ENUM: _enum,
    ENUMMULTI: _enummulti,
    ENUMQUOTE: _enumquote,
    LIST: _list,
    DATE: _date,
    TIME: _time,
    OBJUSER: _objuser,
    ORGANIZATION: _organization,
    TIMEZONE: _timezone,
    BOOL: _bool,
    SINGLEASST: _singleasst,
    MULTIASST: _multiasst,
}


def referenced_ids(spec: AttributeSpec, value: Any) -> list[int]:
    """Instance ids a stored value of a quote/association type points at (empty for other types)."""
    if spec.property_type in QUOTE_TYPES and isinstance(value, list):
        return [v for v in value if isinstance(v, int)]
    return []
