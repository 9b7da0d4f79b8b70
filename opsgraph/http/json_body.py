"""Decode a request body that must be one JSON object, refusing everything else with a clear reason.

`json.loads` alone turns a client's mistake into a server error in several ways: invalid UTF-8
raises UnicodeDecodeError, 100,000 nested brackets raise RecursionError, `null`/`"x"`/`1`/`true`
are valid JSON but not a request. Values nested deeper than `MAX_NESTING` are refused too: nothing
we accept is that deep, and deeper values would only feed recursion further on (variable coercion,
storage as JSON).

Example:
    decode_json_object(b'{"query": "{ me { username } }"}')   # {"query": "{ me { username } }"}
    decode_json_object(b"null")                                # raises MalformedBody
"""

from __future__ import annotations

import json
from typing import Any

MAX_NESTING = 64


class MalformedBody(ValueError):
    """The body is not one acceptable JSON object; the message says why, without echoing it."""


def decode_json_object(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedBody(f"the body is not UTF-8 text (invalid byte at offset {exc.start})") from exc
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise MalformedBody(f"the body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except RecursionError as exc:
        raise MalformedBody(f"the body is nested deeper than {MAX_NESTING} levels") from exc
    except ValueError as exc:
        raise MalformedBody(f"the body is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise MalformedBody(f"the body must be a JSON object, not {_json_kind(value)}")
    if _nesting(value) > MAX_NESTING:
        raise MalformedBody(f"the body is nested deeper than {MAX_NESTING} levels")
    return value


def _nesting(value: Any) -> int:
    """How deep containers nest, counted without recursion (the value may be very deep)."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > deepest:
            deepest = depth
            if deepest > MAX_NESTING:
                return deepest
        children = item.values() if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")
