"""Mail attachments as cmsi gives them: `[{filename, content (base64), type, disposition, content_id}]`.

`type` defaults to the filename's suffix; images default to `disposition: inline` with
`content_id: "<filename>"`, other files to `attachment`. The content is kept base64 in the message
record (the outbox may need it again for a retry). The cmsi doc types `attachments` as bool; it is a
list, and that is what is accepted.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from opsgraph.core.errors import LimitExceeded, ValidationFailed
from opsgraph.executors.mail_transport import attachment_mime_type

MAX_ATTACHMENTS = 20
MAX_TOTAL_BYTES = 10 * 1024 * 1024
_DISPOSITIONS = ("inline", "attachment")


def parse_attachments(items: Any, field: str = "attachments") -> list[dict[str, Any]]:
    if items is None or items == "":
        return []
    if not isinstance(items, list):
        raise ValidationFailed(f"{field} must be a list of {{filename, content}} objects", field=field)
    if len(items) > MAX_ATTACHMENTS:
        raise LimitExceeded(f"at most {MAX_ATTACHMENTS} attachments per mail", field=field)
    parsed: list[dict[str, Any]] = []
    total = 0
    for index, item in enumerate(items):
        where = f"{field}[{index}]"
        if not isinstance(item, Mapping):
            raise ValidationFailed(f"{where} must be an object {{filename, content}}", field=where)
        attachment, size = _one(item, where)
        total += size
        if total > MAX_TOTAL_BYTES:
            raise LimitExceeded(f"attachments exceed {MAX_TOTAL_BYTES // (1024 * 1024)} MiB in total", field=field)
        parsed.append(attachment)
    return parsed


def _text(item: Mapping[str, Any], name: str, where: str, *, required: bool = False) -> str:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise ValidationFailed(f"{where}.{name} is required", field=f"{where}.{name}", code="MISSING_FIELD")
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{where}.{name} must be a string", field=f"{where}.{name}")
    if any(ch in value for ch in "\r\n\0"):
        raise ValidationFailed(f"{where}.{name} must be one line", field=f"{where}.{name}")
    return value


def _one(item: Mapping[str, Any], where: str) -> tuple[dict[str, Any], int]:
    filename = _text(item, "filename", where, required=True)
    if len(filename) > 255 or "/" in filename or "\\" in filename:
        raise ValidationFailed(f"{where}.filename must be a plain file name", field=f"{where}.filename")
    content = item.get("content")
    if not isinstance(content, str) or not content:
        raise ValidationFailed(f"{where}.content (base64) is required", field=f"{where}.content", code="MISSING_FIELD")
    try:
        raw = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed(f"{where}.content is not valid base64", field=f"{where}.content") from exc
    mime_type = attachment_mime_type(filename, _text(item, "type", where))
    image = mime_type.startswith("image/")
    disposition = _text(item, "disposition", where).lower() or ("inline" if image else "attachment")
    if disposition not in _DISPOSITIONS:
        raise ValidationFailed(f"{where}.disposition must be inline or attachment", field=f"{where}.disposition")
    content_id = _text(item, "content_id", where) or (f"<{filename}>" if image else "")
    return {
        "filename": filename,
        "content": base64.b64encode(raw).decode(),
        "mime_type": mime_type,
        "disposition": disposition,
        "content_id": content_id,
        "size": len(raw),
    }, len(raw)
