"""One OpenC3-dialect request as handlers see it: Dancer's merged `params()`.

OpenC3 is Perl Dancer: a handler reads one parameter hash merged from the query string, the body
(JSON object or form fields) and the route's `:params`, the route winning. The body is read once,
capped, and kept as bytes for the upload endpoints.

Example (in a handler):
    name = request.text("name")                   # "" when absent
    treeid = request.path_int("treeid")           # from /…/:treeid
    fields, files = await request.form()          # multipart/form-data uploads
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from opsgraph.core.errors import ValidationFailed

MAX_FORM_FILES = 20
MAX_FORM_FIELDS = 100


@dataclass(frozen=True)
class FormFile:
    field: str
    filename: str
    content: bytes


@dataclass
class C3Request:
    method: str
    path: str
    path_params: dict[str, str]
    query: dict[str, str]
    headers: Headers
    cookies: Mapping[str, str]
    body: bytes
    _body_params: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def body_params(self) -> dict[str, Any]:
        """The body as parameters: a JSON object, or form-urlencoded fields; {} otherwise."""
        if self._body_params is None:
            self._body_params = _parse_body(self.content_type, self.body)
        return self._body_params

    @property
    def params(self) -> dict[str, Any]:
        return {**self.query, **self.body_params(), **self.path_params}

    def get(self, name: str) -> Any:
        return self.params.get(name)

    async def form(self) -> tuple[dict[str, str], list[FormFile]]:
        if self.content_type != "multipart/form-data":
            raise ValidationFailed("upload the file as multipart/form-data", field="file")
        parser = MultiPartParser(self.headers, _once(self.body), max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS)
        try:
            parsed = await parser.parse()
        except MultiPartException as exc:
            raise ValidationFailed(f"malformed multipart body: {exc.message}", field="file") from exc
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


def _parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    if not body.strip() or content_type == "multipart/form-data":
        return {}
    if content_type == "application/x-www-form-urlencoded":
        try:
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError as exc:
            raise ValidationFailed("the form body is not UTF-8", field="body") from exc
    # Dancer deserialises any body it can read as JSON; clients often omit the content type.
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError) as exc:
        if content_type in ("", "application/json", "text/plain"):
            raise ValidationFailed(f"the request body is not valid JSON: {exc}", field="body") from exc
        return {}
    if not isinstance(parsed, dict):
        raise ValidationFailed("the request body must be a JSON object", field="body")
    return parsed


def parse_query(raw: bytes) -> dict[str, str]:
    try:
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError as exc:
        raise ValidationFailed("the query string is not UTF-8", field="query") from exc


async def _once(body: bytes) -> AsyncGenerator[bytes, None]:
    yield body
