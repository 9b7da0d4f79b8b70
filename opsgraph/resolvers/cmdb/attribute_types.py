"""Attribute types and the `option` each type takes (checked when an attribute is created or changed);
the values an instance may hold are checked in attribute_values.py. Pure functions, no database.

Rules and codes follow bk-cmdb (src/common/valid/attribute/attribute.go for options,
src/common/metadata/attribute.go for values); upstream_semantics_wave2.md §6.2 has the table.
Regex options are compiled with RE2 (linear time): a caller's pattern cannot stall the server.

Example:
    normalize_option("int", {"min": "1", "max": "60"})     # {"min": 1, "max": 60}
    normalize_option("enum", [{"id": "a", "name": "A", "is_default": True}, {"id": "b", "name": "A2"}])
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import re2

from opsgraph.core.errors import ValidationFailed
from opsgraph.resolvers.cmdb.codes import (
    NEED_BOOL,
    NOT_MULTIPLE,
    OVER_LIMIT,
    REQUIRED,
    TOO_LONG,
)

SINGLECHAR, LONGCHAR, INT, FLOAT = "singlechar", "longchar", "int", "float"
ENUM, ENUMMULTI, ENUMQUOTE, LIST = "enum", "enummulti", "enumquote", "list"
DATE, TIME, OBJUSER, ORGANIZATION, TIMEZONE, BOOL = "date", "time", "objuser", "organization", "timezone", "bool"
# bk-cmdb v3.1's association attributes (the seed's type list still names them; v3.2 dropped them):
# the value is the id (singleasst) or ids (multiasst) of instances of the model `bk_asst_obj_id`.
SINGLEASST, MULTIASST = "singleasst", "multiasst"

# The modern 16 (src/common/definitions.go FieldTypes) minus table/innertable, plus v3.1's two.
# table/innertable are left out: the seed's type list (v3.1/v3.2) lacks them and the reference names
# them without an option format or value check; upstream keeps an innertable's rows as instances of a
# separate quoted model, edited through their own APIs, not as values. Creating one is refused.
SUPPORTED_TYPES = frozenset(
    {SINGLECHAR, LONGCHAR, INT, FLOAT, ENUM, ENUMMULTI, ENUMQUOTE, LIST, DATE, TIME, OBJUSER, ORGANIZATION}
    | {TIMEZONE, BOOL, SINGLEASST, MULTIASST}
)
MULTIPLE_TYPES = frozenset({ENUMMULTI, ENUMQUOTE, OBJUSER, ORGANIZATION})
QUOTE_TYPES = frozenset({ENUMQUOTE, SINGLEASST, MULTIASST})
# "" is an empty value for these, as null is for every type.
EMPTY_TEXT_TYPES = frozenset({SINGLECHAR, LONGCHAR, DATE, TIME, OBJUSER})
# Which types a unique rule may use (bk-cmdb#5240; enummulti forbidden by #7193).
SINGLE_UNIQUE_TYPES = frozenset({SINGLECHAR, INT, FLOAT})
JOINT_UNIQUE_TYPES = frozenset({SINGLECHAR, INT, FLOAT, ENUM, DATE, LIST})

SINGLECHAR_MAX = 256
LONGCHAR_MAX = 2000
OBJUSER_MAX = 2000
OPTION_ITEMS_MAX = 200
OPTION_TEXT_MAX = 128
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class AttributeSpec:
    """What value checks need to know about one attribute."""

    property_id: str
    property_type: str
    option: Any = None
    required: bool = False
    multiple: bool = False
    editable: bool = True
    name: str = ""
    id: int = 0
    is_system: bool = False
    is_preset: bool = False
    default: Any = None


def stored(value: Any) -> dict[str, Any]:
    """How `option` and `default` sit in their JSON columns: Tortoise reads any JSON *string* cell as
    JSON text, so a bare regex or text default could not be stored; an envelope keeps every kind."""
    return {"value": value}


def unstored(cell: Any) -> Any:
    return cell.get("value") if isinstance(cell, dict) else cell


def invalid(field: str, message: str, code: str = "INVALID") -> ValidationFailed:
    return ValidationFailed(f"{field} {message}", field=field, code=code)


# ----------------------------------------------------------------------------------------- options


def _decode_json_text(option: Any) -> Any:
    """The doc sends option as an object on create and as JSON text on update: accept both."""
    if isinstance(option, str) and option.strip()[:1] in ("{", "["):
        try:
            return json.loads(option)
        except ValueError:
            return option
    return option


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> Any:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = 8 << 20
    return re2.compile(pattern, options)


def _regex_option(option: Any, field: str) -> str:
    if option is None or option == "":
        return ""
    if isinstance(option, dict) and set(option) <= {"min", "max"}:
        # The doc's own create_object_attribute example gives a singlechar {"min","max"}; v3.2 did
        # not check string options, so the range is accepted and means nothing for text.
        return ""
    if not isinstance(option, str):
        raise invalid(field, "must be a regular expression (a string) for this type")
    try:
        compile_pattern(option)
    except re2.error as exc:
        raise invalid(field, f"is not a valid regular expression: {exc}") from exc
    return option


def parse_number(value: Any, field: str, integral: bool) -> int | float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise invalid(field, "must be a number")
    if isinstance(value, str):
        try:
            value = float(value.strip()) if not integral else int(value.strip())
        except ValueError as exc:
            raise invalid(field, f"must be {'an integer' if integral else 'a number'}") from exc
    if isinstance(value, float):
        if not math.isfinite(value):
            raise invalid(field, "must be a finite number")
        if integral:
            if not value.is_integer():
                raise invalid(field, "must be an integer")
            value = int(value)
    if not isinstance(value, int | float):
        raise invalid(field, "must be a number")
    return value


def _range_option(option: Any, field: str, integral: bool) -> dict[str, Any]:
    if option is None or option == "" or option == {}:
        return {}
    if not isinstance(option, dict):
        raise invalid(field, 'must be {"min": …, "max": …}')
    unknown = set(option) - {"min", "max"}
    if unknown:
        raise invalid(field, f"has unknown keys {sorted(unknown)}")
    low = parse_number(option.get("min"), f"{field}.min", integral)
    high = parse_number(option.get("max"), f"{field}.max", integral)
    if low is not None and high is not None and low > high:
        raise invalid(field, "min is greater than max")
    for bound in (low, high):
        if integral and bound is not None and not INT64_MIN <= bound <= INT64_MAX:
            raise invalid(field, "is outside the 64-bit integer range")
    return {key: bound for key, bound in (("min", low), ("max", high)) if bound is not None}


def _text_item(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid(field, "must be a non-empty string", REQUIRED)
    if len(value) > OPTION_TEXT_MAX:
        raise invalid(field, f"is longer than {OPTION_TEXT_MAX} characters", TOO_LONG)
    return value.strip()


def _enum_option(option: Any, field: str) -> list[dict[str, Any]]:
    if not isinstance(option, list) or not option:
        raise invalid(field, 'must be a non-empty list of {"id", "name", "type": "text", "is_default"}')
    if len(option) > OPTION_ITEMS_MAX:
        raise invalid(field, f"has more than {OPTION_ITEMS_MAX} entries", OVER_LIMIT)
    items: list[dict[str, Any]] = []
    defaults = 0
    for index, entry in enumerate(option):
        where = f"{field}[{index}]"
        if not isinstance(entry, dict):
            raise invalid(where, "must be an object")
        kind = entry.get("type", "text")
        if kind != "text":
            raise invalid(f"{where}.type", "must be 'text'")
        is_default = entry.get("is_default", False)
        if not isinstance(is_default, bool):
            raise invalid(f"{where}.is_default", "must be a boolean", NEED_BOOL)
        defaults += is_default
        item = {
            "id": _text_item(entry.get("id"), f"{where}.id"),
            "name": _text_item(entry.get("name"), f"{where}.name"),
            "type": "text",
            "is_default": is_default,
        }
        items.append(item)
    if defaults > 1:
        raise invalid(field, "may mark at most one entry as the default")
    ids = [item["id"] for item in items]
    if len(set(ids)) != len(ids):
        raise invalid(field, "repeats an id")
    return items


def _quote_option(option: Any, field: str) -> list[dict[str, Any]]:
    if option in (None, ""):
        return []
    if not isinstance(option, list):
        raise invalid(field, 'must be a list of {"bk_obj_id", "bk_inst_id"}')
    items = []
    for index, entry in enumerate(option):
        where = f"{field}[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("bk_obj_id"), str):
            raise invalid(where, 'must be {"bk_obj_id": <model id>, "bk_inst_id": <id>}')
        inst_id = parse_number(entry.get("bk_inst_id"), f"{where}.bk_inst_id", integral=True)
        items.append({"bk_obj_id": entry["bk_obj_id"], "bk_inst_id": inst_id})
    return items


def _list_option(option: Any, field: str) -> list[str]:
    if not isinstance(option, list) or not option:
        raise invalid(field, "must be a non-empty list of strings")
    if len(option) > OPTION_ITEMS_MAX:
        raise invalid(field, f"has more than {OPTION_ITEMS_MAX} values", OVER_LIMIT)
    values = [_text_item(item, f"{field}[{i}]") for i, item in enumerate(option)]
    if len(set(values)) != len(values):
        raise invalid(field, "repeats a value")
    return values


def normalize_option(property_type: str, option: Any, field: str = "option") -> Any:
    """The option as stored for `property_type`, or ValidationFailed."""
    option = _decode_json_text(option)
    if property_type in (SINGLECHAR, LONGCHAR):
        return _regex_option(option, field)
    if property_type in (INT, FLOAT):
        return _range_option(option, field, integral=property_type == INT)
    if property_type in (ENUM, ENUMMULTI):
        return _enum_option(option, field)
    if property_type == ENUMQUOTE:
        return _quote_option(option, field)
    if property_type == LIST:
        return _list_option(option, field)
    # date, time, objuser, organization, timezone, bool and the association types take no option;
    # whatever a caller sends is kept as given (bk-cmdb stores it) but never interpreted.
    return option if option not in ("",) else None


def check_multiple(property_type: str, multiple: bool, field: str = "ismultiple") -> None:
    if multiple and property_type not in MULTIPLE_TYPES:
        raise invalid(field, f"is only allowed for {', '.join(sorted(MULTIPLE_TYPES))}", NOT_MULTIPLE)
