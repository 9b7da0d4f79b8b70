"""Run stored GraphQL operations for the REST dialects, turning GraphQL errors into our own errors.

compat_rest never touches models: every legacy endpoint runs one or more operations through the
strawberry schema with the caller's principal, so permissions, validation and audit live in one place.

Example:
    document = load_operation("opsgraph.compat_rest.bk.cc", "search_business.graphql")
    data = await run_operation(document, {"first": 20}, principal, settings)
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib import resources
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError, parse

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import OpsGraphError
from opsgraph.core.settings import Settings

# Errors carrying one of these codes are our bugs, not the caller's: they surface as "system busy".
_INTERNAL_CODES = frozenset({"INTERNAL", "INTERNAL_SERVER_ERROR", "CONFIGURATION"})
# What the schema (and common GraphQL servers) call a document the caller got wrong.
_VALIDATION_CODES = frozenset({"GRAPHQL_VALIDATION", "GRAPHQL_PARSE_FAILED", "BAD_USER_INPUT"})


class InternalOperationError(RuntimeError):
    """An operation failed for a reason the caller cannot fix (a bug, a masked resolver exception)."""


@cache
def load_operation(package: str, filename: str) -> str:
    """Read a stored `.graphql` operation once; `package` is a package or a module inside one.

    Passing a module's `__name__` works too, so a route module can say `load_operation(__name__, ...)`.
    The document is parsed here so a typo fails at start-up, not on the first request.
    """
    module = importlib.import_module(package)
    anchor = package if hasattr(module, "__path__") else (module.__package__ or package)
    text = resources.files(anchor).joinpath(filename).read_text(encoding="utf-8")
    try:
        parse(text)
    except GraphQLSyntaxError as exc:
        raise ValueError(f"stored operation {anchor}/{filename} does not parse: {exc.message}") from exc
    return text


async def run_operation(
    document: str, variables: dict[str, Any], principal: Principal, settings: Settings, *, token: str | None = None
) -> dict[str, Any]:
    """Execute `document` as `principal`; return `data` or raise the first error as ours.

    `token`: the login token the caller sent, for operations about the token itself (`logout`)."""
    # Imported here: the schema sits above compat_rest's import time (and imports resolvers/models).
    from opsgraph.schema import schema
    from opsgraph.schema.context import GraphQLContext

    context = GraphQLContext.for_principal(principal, settings)
    context.token = token
    result = await schema.execute(document, variable_values=variables, context_value=context)
    if result.errors:
        raise error_from_graphql(result.errors[0])
    data: dict[str, Any] = result.data or {}
    return data


def error_from_graphql(error: GraphQLError) -> Exception:
    """Our error for one GraphQL error; internal failures become `InternalOperationError`."""
    original = error.original_error
    if isinstance(original, OpsGraphError):
        return original
    extensions = error.extensions or {}
    code = extensions.get("code")
    # Parse, validation and variable-coercion errors have no path: the document or its input is
    # wrong. An execution error that is not one of ours is a resolver bug or a non-null violation
    # (possibly masked), which the caller must not see.
    if error.path is None and (not code or code in _VALIDATION_CODES):
        return OpsGraphError(error.message, code="INVALID")
    if not isinstance(code, str) or not code or code in _INTERNAL_CODES or code in _VALIDATION_CODES:
        return InternalOperationError(f"operation failed at {error.path}: {error.message}")
    field = extensions.get("field")
    return OpsGraphError(error.message, field=field if isinstance(field, str) else None, code=code)


def raise_user_errors(payload: dict[str, Any] | None) -> None:
    """Raise the first `UserError` of a mutation payload (`errors: [{code, field, message}]`).

    Example:
        payload = (await run_operation(CREATE_SET, variables, principal, settings))["createSet"]
        raise_user_errors(payload)   # OpsGraphError(code="DUPLICATE", field="name") if it failed
    """
    errors = (payload or {}).get("errors") or []
    if not errors:
        return
    first = errors[0]
    raise OpsGraphError(
        str(first.get("message") or "operation failed"),
        field=first.get("field"),
        code=str(first.get("code") or "INVALID"),
    )
