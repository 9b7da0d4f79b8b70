"""One Huawei-dialect request as handlers see it: path parameters, query, the raw body and its
JSON or multipart reading. The body is read once (the signature covers its exact bytes) and every
reading works from those bytes.

Example (in a handler):
    body = request.json_object()                 # {} for an empty body; 400 when it is not an object
    fields, files = await request.form()         # multipart/form-data
    eps = request.query_value("enterprise_project_id")
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from opsgraph.core.errors import OpsGraphError

MAX_FORM_FILES = 50
MAX_FORM_FIELDS = 50


@dataclass(frozen=True)
class FormFile:
    field: str
    filename: str
    content: bytes


@dataclass
class HuaweiRequest:
    method: str
    raw_path: str  # as sent, percent-encoded (the signature covers it); `path_params` are decoded
    path_params: dict[str, str]
    raw_query: str
    headers: Headers
    body: bytes
    _json: Any = field(default=None, repr=False)

    @property
    def query(self) -> dict[str, list[str]]:
        values: dict[str, list[str]] = {}
        for item in self.raw_query.split("&"):
            if item:
                key, _, value = item.partition("=")
                values.setdefault(unquote(key), []).append(unquote(value))
        return values

    def query_value(self, name: str) -> str | None:
        found = self.query.get(name)
        return found[0] if found else None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; an empty body is `{}` (the SDK sends nothing for an empty model)."""
        if self._json is None:
            if not self.body.strip():
                self._json = {}
            else:
                try:
                    self._json = json.loads(self.body)
                except (ValueError, RecursionError) as exc:
                    raise OpsGraphError(f"the request body is not valid JSON: {exc}", code="MALFORMED_JSON") from exc
        if not isinstance(self._json, dict):
            raise OpsGraphError("the request body must be a JSON object", code="MALFORMED_JSON")
        return self._json

    async def form(self) -> tuple[dict[str, str], list[FormFile]]:
        """multipart/form-data: text fields, and every part that carries a file name."""
        if self.content_type != "multipart/form-data":
            raise OpsGraphError("expected a multipart/form-data body", code="MALFORMED_BODY")
        parser = MultiPartParser(self.headers, _once(self.body), max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS)
        try:
            parsed = await parser.parse()
        except MultiPartException as exc:
            raise OpsGraphError(f"malformed multipart body: {exc.message}", code="MALFORMED_BODY") from exc
        fields: dict[str, str] = {}
        files: list[FormFile] = []
        try:
            for name, value in parsed.multi_items():
                if isinstance(value, UploadFile):
                    files.append(FormFile(field=name, filename=value.filename or name, content=await value.read()))
                else:
                    fields.setdefault(name, value)
        finally:
            await parsed.close()
        return fields, files


async def _once(body: bytes) -> AsyncGenerator[bytes, None]:
    yield body


def decoded_headers(headers: Headers) -> Mapping[str, list[str]]:
    """Header values as the client meant them: Starlette decodes bytes as latin-1, the SDK sends
    UTF-8 bytes, so non-ASCII values are re-read as UTF-8 (the signature hashes the UTF-8 text)."""
    values: dict[str, list[str]] = {}
    for name, value in headers.items():
        try:
            text = value.encode("latin-1").decode("utf-8")
        except UnicodeError:
            text = value
        values.setdefault(name.lower(), []).append(text)
    return values
