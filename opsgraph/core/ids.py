"""Opaque global ids for the `Node` interface: base64("Type:pk").

Example:
    >>> encode_global_id("Host", 7)
    'SG9zdDo3'
    >>> decode_global_id("SG9zdDo3")
    ('Host', 7)
"""

from __future__ import annotations

import base64
import binascii

from opsgraph.core.errors import ValidationFailed

# Primary keys are 32-bit integer columns on every backend.
MAX_PK = 2**31 - 1


def encode_global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def decode_global_id(global_id: str, expected_type: str | None = None) -> tuple[str, int]:
    padded = global_id + "=" * (-len(global_id) % 4)
    try:
        type_name, _, raw_pk = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        pk = int(raw_pk)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValidationFailed(f"malformed id {global_id!r}", field="id") from exc
    if not 0 <= pk <= MAX_PK:
        raise ValidationFailed(f"id {global_id!r} is out of range", field="id")
    if expected_type is not None and type_name != expected_type:
        raise ValidationFailed(f"id {global_id!r} is a {type_name}, expected a {expected_type}", field="id")
    return type_name, pk
