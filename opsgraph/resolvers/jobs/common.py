"""Checks shared by the work-object modules: who may write, loading an object with its business's
role check, and the value limits bk-job documents (names, content size, timeouts)."""

from __future__ import annotations

from typing import Any, TypeVar

from tortoise.models import Model

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed

# Defining what can run on a business's hosts is the maintainers' job (bk-job: 运维); anyone with a
# role may look.
WRITE_ROLE = "maintainer"
READ_ROLE = "viewer"

MAX_CONTENT_BYTES = 1 << 20  # script content and uploaded file content, 1 MiB
DEFAULT_TIMEOUT = 7200  # seconds, bk-job's default
MAX_TIMEOUT = 86400  # bk-job's API range is 1..86400

M = TypeVar("M", bound=Model)


async def load_owned(principal: Principal, model: type[M], pk: int, *, minimum_role: str, label: str, field: str) -> M:
    """An object that belongs to a business, after checking the caller's role on that business.

    An object of a business the caller has no role on is answered exactly like a missing one: a
    refusal there would confirm the id exists and name its business. A caller who may see it but
    lacks `minimum_role` is refused (PERMISSION_DENIED), which names only a business it sees."""
    found = await model.get_or_none(id=pk)
    owner: int | None = None if found is None else found.business_id  # type: ignore[attr-defined]
    if found is None or owner is None or not principal.can(owner):
        raise NotFound(f"{label} {pk} does not exist", field=field)
    principal.require(owner, minimum_role)
    return found


def clean_name(value: Any, *, field: str, label: str, max_length: int = 256) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"{label} is required", field=field)
    value = value.strip()
    if len(value) > max_length:
        raise ValidationFailed(f"{label} must be at most {max_length} characters", field=field)
    return value


def clean_description(value: Any, *, field: str = "description") -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 1024:
        raise ValidationFailed("description must be text of at most 1024 characters", field=field)
    return value


def check_content(content: Any, *, field: str = "content") -> str:
    if not isinstance(content, str) or not content:
        raise ValidationFailed("content must not be empty", field=field)
    if len(content.encode()) > MAX_CONTENT_BYTES:
        raise ValidationFailed(f"content exceeds {MAX_CONTENT_BYTES} bytes", field=field)
    return content


def check_timeout(value: Any, *, field: str = "timeout") -> int:
    if value is None:
        return DEFAULT_TIMEOUT
    # bool is an int in Python; a JSON `true` is not a timeout.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TIMEOUT:
        raise ValidationFailed(f"timeout must be an integer of seconds in 1..{MAX_TIMEOUT}", field=field)
    return value
