"""The strawberry context: the operation context plus the HTTP request/response, when there is one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import AuthenticationError
from opsgraph.core.settings import Settings
from opsgraph.resolvers.context import OperationContext
from opsgraph.resolvers.loaders import Loaders


@dataclass
class GraphQLContext(OperationContext):
    request: Any = None
    response: Any = None
    token: str | None = None
    auth_error: str | None = None
    connection_params: Any = None

    @classmethod
    def for_principal(cls, principal: Principal, settings: Settings) -> GraphQLContext:
        """A context for in-process execution (the REST compat layer), fresh loaders each time."""
        return cls(principal=principal, settings=settings, loaders=Loaders())

    @property
    def caller(self) -> Principal:
        if self.principal is None:
            raise AuthenticationError(self.auth_error or "authentication required")
        return self.principal
