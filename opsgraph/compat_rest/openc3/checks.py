"""OpenC3's parameter checks (upstream `Format->new(...)->check`): a refusal reads
`check format fail <field>`, followed here by what was wrong with it.

Example (in a handler):
    tree = checks.tree_id(request)                                  # the :treeid path segment
    name = checks.text(request, "name", required=True)
    kind = checks.choice(request, "node_type", ("buildin", "builtin", "group"), required=True)
    since = checks.date(request, "time_start")                      # "2024-05-01" or None
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from opsgraph.compat_rest.openc3.request import C3Request
from opsgraph.core.errors import ValidationFailed

DIGITS = re.compile(r"^\d+$")
ALNUM = re.compile(r"^[a-zA-Z0-9]+$")
DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
MAX_TEXT = 4096


class FormatFailed(ValidationFailed):
    code = "FORMAT"


def fail(name: str, why: str) -> FormatFailed:
    return FormatFailed(f"check format fail {name}: {why}", field=name)


def _raw(request: C3Request, name: str) -> Any:
    value = request.get(name)
    return None if value is None else value


def text(
    request: C3Request,
    name: str,
    *,
    required: bool = False,
    pattern: re.Pattern[str] | None = None,
    max_length: int = MAX_TEXT,
    default: str = "",
) -> str:
    """A string parameter (numbers are accepted as their text, as Perl reads them)."""
    value = _raw(request, name)
    if value is None or value == "":
        if required:
            raise fail(name, "is required")
        return default
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise fail(name, "must be text")
    result = str(value)
    if len(result) > max_length:
        raise fail(name, f"is longer than {max_length} characters")
    if pattern is not None and not pattern.match(result):
        raise fail(name, f"does not match {pattern.pattern}")
    return result


def optional_text(request: C3Request, name: str, *, max_length: int = MAX_TEXT) -> str | None:
    value = text(request, name, max_length=max_length)
    return value if value != "" or request.get(name) == "" else None


def integer(request: C3Request, name: str, *, required: bool = False, default: int | None = None) -> int | None:
    value = _raw(request, name)
    if value is None or value == "":
        if required:
            raise fail(name, "is required")
        return default
    if isinstance(value, bool) or not DIGITS.match(str(value)):
        raise fail(name, "must be a non-negative integer")
    number = int(str(value))
    if number > 2**31 - 1:
        raise fail(name, "is out of range")
    return number


def required_int(request: C3Request, name: str) -> int:
    value = integer(request, name, required=True)
    assert value is not None
    return value


def tree_id(request: C3Request, name: str = "treeid") -> int:
    return required_int(request, name)


def choice(
    request: C3Request, name: str, options: tuple[str, ...], *, required: bool = False, default: str = ""
) -> str:
    value = text(request, name, required=required, default=default)
    if value and value not in options:
        raise fail(name, f"must be one of {', '.join(options)}")
    return value


def date_param(request: C3Request, name: str) -> date | None:
    value = text(request, name)
    if not value:
        return None
    match = DATE.match(value)
    if match is None:
        raise fail(name, "must be a date 0000-00-00")
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError as exc:
        raise fail(name, "is not a calendar date") from exc


def flag(request: C3Request, name: str) -> bool:
    """Perl truth: absent, "", "0" and false are false."""
    value = _raw(request, name)
    return value not in (None, "", "0", 0, False, "false")


def mapping(request: C3Request, name: str) -> dict[str, Any]:
    """A hash parameter (`variable: {k: v}`); absent is {}."""
    value = _raw(request, name)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise fail(name, "must be an object of name → value")
    return value


def comma_list(request: C3Request, name: str, *, required: bool = False, max_items: int = 50_000) -> list[str]:
    raw = text(request, name, required=required, max_length=4 * 1024 * 1024)
    items = [item.strip() for item in re.split(r"[,\s]+", raw) if item.strip()]
    if required and not items:
        raise fail(name, "is required")
    if len(items) > max_items:
        raise fail(name, f"has more than {max_items} items")
    return list(dict.fromkeys(items))
