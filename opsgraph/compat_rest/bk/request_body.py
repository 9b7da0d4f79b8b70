"""Read a BlueKing request's raw parameters: the query string and the JSON body.

What real clients send (reference/real_clients_on_the_wire.md §1): bkapi-client-core sends no
body at all for `data={}` (even on POST), the vendored legacy SDK posts JSON without a
Content-Type, and GET puts everything in the query string. So: an empty body is `{}`, a body is
JSON whatever its Content-Type says (form-encoded is tolerated), and anything else is refused
with MALFORMED_JSON before any credential is looked at.

Example:
    raw = await read_raw_params(request, max_bytes=settings.max_body_bytes)
    raw.query   # {"bk_biz_id": "2", "bk_host_id": ["1", "2"]}
    raw.body    # {"condition": {}}
    raw.merged  # query overlaid by body
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from opsgraph.compat_rest.bk.params import Params
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.request_body import read_capped_body

__all__ = ["Params", "RawParams", "parse_body", "read_raw_params"]

_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class RawParams:
    query: dict[str, Any]
    body: dict[str, Any]

    @property
    def merged(self) -> dict[str, Any]:
        """Body wins: legacy GETs and DELETEs are documented with JSON bodies as well."""
        return {**self.query, **self.body}


async def read_raw_params(request: Request, *, max_bytes: int) -> RawParams:
    """The parameters; a body over `max_bytes` is refused before more of it is read."""
    query = _multi_dict(request.query_params.multi_items())
    body = parse_body(await read_capped_body(request, max_bytes), request.headers.get("content-type", ""))
    return RawParams(query=query, body=body)


def parse_body(raw: bytes, content_type: str = "") -> dict[str, Any]:
    """The body as a JSON object; empty means `{}`."""
    try:
        text = raw.decode("utf-8-sig").strip()
    except UnicodeDecodeError as exc:
        raise _malformed("request body is not UTF-8 text") from exc
    if not text:
        return {}
    if content_type.split(";")[0].strip().lower() == _FORM and not text.startswith("{"):
        return _multi_dict(parse_qsl(text, keep_blank_values=True))
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise _malformed(f"request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except (ValueError, RecursionError) as exc:
        raise _malformed(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise _malformed(f"request body must be a JSON object, got {type(value).__name__}")
    return value


def _multi_dict(items: list[tuple[str, str]]) -> dict[str, Any]:
    """Repeated keys become lists; jQuery-style `ids[]=1&ids[]=2` is the same as `ids=1&ids=2`."""
    out: dict[str, Any] = {}
    for key, value in items:
        name = key.removesuffix("[]")
        if name in out:
            previous = out[name]
            out[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[name] = [value] if key.endswith("[]") else value
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _malformed(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="MALFORMED_JSON")
