"""Domain failures as `UserError`s in mutation payloads; auth failures stay GraphQL errors.

Example:
    @strawberry.mutation
    @returns_user_errors(CreateSetPayload)
    async def create_set(self, info: Info, input: CreateSetInput) -> CreateSetPayload: ...

A raised `ValidationFailed("...", field="name")` becomes
`CreateSetPayload(errors=[UserError(code="INVALID", field="name", message="...")])`.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import strawberry

from opsgraph.core.errors import AuthenticationError, OpsGraphError, PermissionDenied

P = ParamSpec("P")
R = TypeVar("R")


@strawberry.type
class UserError:
    code: str
    field: str | None
    message: str

    @classmethod
    def from_exception(cls, exc: OpsGraphError) -> UserError:
        return cls(code=exc.code, field=exc.field, message=exc.message)


def returns_user_errors(
    payload: Callable[..., R],
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    def decorate(resolver: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(resolver)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await resolver(*args, **kwargs)
            except (AuthenticationError, PermissionDenied):
                raise
            except OpsGraphError as exc:
                return payload(errors=[UserError.from_exception(exc)])

        return wrapper

    return decorate


def error_extensions(exc: BaseException | None) -> dict[str, Any]:
    if isinstance(exc, OpsGraphError):
        extensions: dict[str, Any] = {"code": exc.code}
        if exc.field:
            extensions["field"] = exc.field
        return extensions
    return {}
