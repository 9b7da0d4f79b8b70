"""Our own error types. Third-party exceptions are mapped to these at the edge.

Each error carries a stable machine `code` (GraphQL `UserError.code`); the compat layer maps
codes to each legacy dialect's numbers. Subclasses give the family default; a raise site may
pass a more specific code, e.g. `Conflict(..., code="MODULE_NOT_IN_BUSINESS")`.
"""

from __future__ import annotations


class OpsGraphError(Exception):
    """Base of every error we raise on purpose."""

    code = "ERROR"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class ConfigurationError(OpsGraphError):
    code = "CONFIGURATION"


class AuthenticationError(OpsGraphError):
    code = "UNAUTHENTICATED"


class PermissionDenied(OpsGraphError):
    code = "PERMISSION_DENIED"


class ValidationFailed(OpsGraphError):
    code = "INVALID"


class NotFound(OpsGraphError):
    code = "NOT_FOUND"


class Duplicate(OpsGraphError):
    code = "DUPLICATE"


class Conflict(OpsGraphError):
    """Well-formed, but the current state forbids it (e.g. deleting a set that still has hosts)."""

    code = "CONFLICT"


class LimitExceeded(OpsGraphError):
    code = "LIMIT_EXCEEDED"
