"""Ticket form fields: checking their definitions when a service is saved, and the values a
ticket or a node operation submits for them (bk-itsm's rules, itsm/ticket/validators/field.py).

A definition: {key, name, type, desc, required, choices: [{key, name}], regex, meta}.
Values arrive as bk-itsm sends them: text, with MULTISELECT / CHECKBOX / MEMBERS as comma-joined
keys (a JSON list is accepted too), TABLE / CUSTOMTABLE as a list of row objects.

`regex` is one of bk-itsm's named rules; custom regular expressions are refused (a user's
pattern could backtrack for ever, and no linear-time engine is installed).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from opsgraph.core.errors import ValidationFailed

FIELD_TYPES = frozenset(
    {
        "STRING", "TEXT", "INT", "DATE", "DATETIME", "TABLE", "SELECT", "MULTISELECT", "CHECKBOX",
        "RADIO", "MEMBERS", "MEMBER", "RICHTEXT", "FILE", "CUSTOMTABLE", "TREESELECT", "CASCADE",
    }
)  # fmt: skip
CHOICE_TYPES = frozenset({"SELECT", "RADIO"})
MULTI_CHOICE_TYPES = frozenset({"MULTISELECT", "CHECKBOX"})
TABLE_TYPES = frozenset({"TABLE", "CUSTOMTABLE"})
# bk-itsm's named validation rules (regex), with fixed patterns of our own.
NAMED_RULES: dict[str, re.Pattern[str] | None] = {
    "": None,
    "EMPTY": None,
    "NUMBER": re.compile(r"^-?\d+(\.\d+)?$"),
    "EMAIL": re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    "PHONE": re.compile(r"^\+?[\d-]{5,20}$"),
    "IP": re.compile(r"^(\d{1,3}\.){3}\d{1,3}$"),
}
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_FIELDS = 100
MAX_VALUE_CHARS = 64 * 1024
TITLE_MAX = 120  # bk-itsm: a title is at most 120 characters


def _text(value: Any, where: str, *, limit: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > limit:
        raise ValidationFailed(f"{where} must be text of at most {limit} characters", field=where)
    if required and not value.strip():
        raise ValidationFailed(f"{where} is required", field=where)
    return value.strip()


def check_definitions(raw: Any, where: str) -> list[dict[str, Any]]:
    """Normalised field definitions; keys unique within the list."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_FIELDS:
        raise ValidationFailed(f"{where} must be a list of at most {MAX_FIELDS} fields", field=where)
    seen: set[str] = set()
    result = []
    for index, item in enumerate(raw):
        at = f"{where}[{index}]"
        if not isinstance(item, dict):
            raise ValidationFailed(f"{at} must be an object", field=at)
        key = item.get("key")
        if not isinstance(key, str) or not _KEY.match(key):
            raise ValidationFailed(f"{at}.key must be a letter or _ then letters, digits or _", field=f"{at}.key")
        if key in seen:
            raise ValidationFailed(f"{at}.key {key!r} is used twice", field=f"{at}.key")
        seen.add(key)
        kind = str(item.get("type") or "STRING").upper()
        if kind not in FIELD_TYPES:
            raise ValidationFailed(f"{at}.type {kind!r} is not a field type", field=f"{at}.type")
        rule = str(item.get("regex") or "")
        if rule not in NAMED_RULES:
            raise ValidationFailed(
                f"{at}.regex must be one of {sorted(r for r in NAMED_RULES if r)}; custom patterns are not supported",
                field=f"{at}.regex",
                code="NOT_SUPPORTED",
            )
        choices = _choices(item.get("choices", item.get("choice")), f"{at}.choices")
        if kind in CHOICE_TYPES | MULTI_CHOICE_TYPES and not choices:
            raise ValidationFailed(f"{at}: a {kind} field needs choices", field=f"{at}.choices")
        meta = item.get("meta") or {}
        if not isinstance(meta, dict):
            raise ValidationFailed(f"{at}.meta must be an object", field=f"{at}.meta")
        result.append(
            {
                "key": key,
                "name": _text(item.get("name") or key, f"{at}.name", limit=128),
                "type": kind,
                "desc": _text(item.get("desc"), f"{at}.desc", limit=1024),
                "required": bool(item.get("required", False)),
                "choices": choices,
                "regex": rule,
                "meta": meta,
            }
        )
    return result


def _choices(raw: Any, where: str) -> list[dict[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValidationFailed(f"{where} must be a list of {{key, name}}", field=where)
    choices = []
    for index, choice in enumerate(raw):
        if not isinstance(choice, dict) or not isinstance(choice.get("key"), str) or not choice["key"]:
            raise ValidationFailed(f"{where}[{index}] must be {{key, name}}", field=where)
        choices.append({"key": choice["key"], "name": str(choice.get("name") or choice["key"])})
    return choices


def _split(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


def check_value(definition: dict[str, Any], value: Any, where: str) -> Any:
    """The stored form of one submitted value (text, or a list of rows for tables)."""
    kind, key = definition["type"], definition["key"]
    if _is_empty(value):
        if definition["required"]:
            raise ValidationFailed(f"{where}: field {key!r} is required", field=where, code="FIELD_REQUIRED")
        return [] if kind in TABLE_TYPES else ""
    if kind in TABLE_TYPES:
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            raise ValidationFailed(f"{where}: field {key!r} takes a list of row objects", field=where)
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float | list):
        raise ValidationFailed(f"{where}: field {key!r} takes text", field=where)
    keys = {c["key"] for c in definition["choices"]}
    if kind in MULTI_CHOICE_TYPES or kind in {"MEMBERS", "MEMBER"}:
        parts = _split(value)
        unknown = [p for p in parts if kind in MULTI_CHOICE_TYPES and p not in keys]
        if unknown:
            raise ValidationFailed(f"{where}: {unknown[0]!r} is not a choice of field {key!r}", field=where)
        return ",".join(parts)
    text = str(value).strip()
    if len(text) > MAX_VALUE_CHARS:
        raise ValidationFailed(f"{where}: field {key!r} is longer than {MAX_VALUE_CHARS} characters", field=where)
    if key == "title" and len(text) > TITLE_MAX:
        raise ValidationFailed(f"{where}: a title is at most {TITLE_MAX} characters", field=where)
    if kind in CHOICE_TYPES and text not in keys:
        raise ValidationFailed(f"{where}: {text!r} is not a choice of field {key!r}", field=where)
    if kind == "INT" and not re.fullmatch(r"-?\d+", text):
        raise ValidationFailed(f"{where}: field {key!r} takes an integer", field=where)
    if kind in {"DATE", "DATETIME"}:
        pattern = "%Y-%m-%d" if kind == "DATE" else "%Y-%m-%d %H:%M:%S"
        try:
            datetime.strptime(text, pattern)
        except ValueError as exc:
            raise ValidationFailed(f"{where}: field {key!r} takes {pattern}", field=where) from exc
    rule = NAMED_RULES.get(definition["regex"])
    if rule is not None and not rule.match(text):
        raise ValidationFailed(f"{where}: field {key!r} fails its {definition['regex']} rule", field=where)
    return text


def check_values(definitions: list[dict[str, Any]], submitted: dict[str, Any], where: str) -> dict[str, Any]:
    """Every defined field's value (required ones present); keys no field defines are dropped, as
    bk-itsm does since it relaxed unknown keys (bk-itsm#1482)."""
    return {d["key"]: check_value(d, submitted.get(d["key"]), f"{where}.{d['key']}") for d in definitions}


def display_value(definition: dict[str, Any] | None, value: Any) -> Any:
    """Choice keys shown by their names, as get_ticket_info's `display_value`."""
    if definition is None or not definition["choices"] or not isinstance(value, str):
        return value
    names = {c["key"]: c["name"] for c in definition["choices"]}
    return ",".join(names.get(part, part) for part in _split(value))


def pairs_to_values(items: Any, where: str) -> dict[str, Any]:
    """bk-itsm's `fields: [{key, value}]` as a mapping; a key given twice is refused."""
    if items is None:
        return {}
    if not isinstance(items, list):
        raise ValidationFailed(f"{where} must be a list of {{key, value}}", field=where)
    values: dict[str, Any] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise ValidationFailed(f"{where}[{index}] must be {{key, value}}", field=where)
        if item["key"] in values:
            raise ValidationFailed(f"{where}: key {item['key']!r} is given twice", field=where)
        values[item["key"]] = item.get("value")
    return values
