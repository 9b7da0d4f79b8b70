"""The Huawei Cloud route table: one row per endpoint, `METHOD /v<N>/{project_id}/…`.

A row names its service (which also prefixes its error codes), method, path template, success
status and an async handler `(request, caller, settings) -> JSON-able body`. Handlers run stored
GraphQL operations with `caller.principal` (compat never touches models). Rows live in
`huawei/<service>/<module>.py`, found by `load_route_modules`, so a new endpoint is one module.

Example (a CES row, in `huawei/ces/invocations.py`):
    from opsgraph.compat_rest.huawei import HUAWEI_ROUTES, HuaweiCaller, HuaweiRequest

    @HUAWEI_ROUTES.route("POST", "/v3/{project_id}/agent-invocations/batch-create", service="CES", status=201)
    async def batch_create(request: HuaweiRequest, caller: HuaweiCaller, settings: Settings) -> dict[str, Any]:
        body = request.json_object()
        data = await run_operation(load_operation(__name__, "x.graphql"), {...}, caller.principal, settings)
        return {"invocations": [...]}
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from opsgraph.compat_rest.discovery import import_endpoint_modules
from opsgraph.compat_rest.huawei.auth import HuaweiCaller
from opsgraph.compat_rest.huawei.request import HuaweiRequest
from opsgraph.core.settings import Settings

Handler = Callable[[HuaweiRequest, HuaweiCaller, Settings], Awaitable[Any]]

KNOWN_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
# Huawei paths start with an API version; every other dialect lives under /api/.
VERSIONED_PATH = re.compile(r"^/v\d+/")
_PARAMETER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True, kw_only=True)
class HuaweiRoute:
    method: str
    path: str  # e.g. "/v5/{project_id}/common/task"; `{name}` matches one path segment
    service: str  # "HSS", "CES": the error-code prefix too
    handler: Handler
    status: int = 200
    summary: str = ""
    # For the generated OpenAPI document only: the body's schema per media type, the answer's.
    request_schemas: Mapping[str, Mapping[str, Any]] | None = None
    response_schema: Mapping[str, Any] | None = None
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        where = f"huawei route {self.method} {self.path}"
        if self.method not in KNOWN_METHODS:
            raise ValueError(f"{where}: method must be one of {sorted(KNOWN_METHODS)}")
        if not VERSIONED_PATH.match(self.path):
            raise ValueError(f"{where}: Huawei paths start with /v<N>/")
        if "{project_id}" not in self.path:
            raise ValueError(f"{where}: every Huawei path carries {{project_id}}")
        regex = "".join(
            f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part)
            for index, part in enumerate(_PARAMETER.split(self.path))
        )
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.match(path)
        return found.groupdict() if found else None


class HuaweiRouteTable:
    """Rows by (method, path). A duplicate is a programming error and fails at import."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], HuaweiRoute] = {}

    def add(self, route: HuaweiRoute) -> HuaweiRoute:
        key = (route.method, route.path)
        if key in self._routes:
            raise ValueError(f"huawei route {route.method} {route.path} is registered twice")
        self._routes[key] = route
        return route

    def route(
        self,
        method: str,
        path: str,
        *,
        service: str,
        status: int = 200,
        summary: str = "",
        request_schemas: Mapping[str, Mapping[str, Any]] | None = None,
        response_schema: Mapping[str, Any] | None = None,
    ) -> Callable[[Handler], Handler]:
        """Decorator registering an async `handler(request, caller, settings)` as a row."""

        def register(fn: Handler) -> Handler:
            first_line = (inspect.getdoc(fn) or "").split("\n")[0]
            self.add(
                HuaweiRoute(
                    method=method,
                    path=path,
                    service=service,
                    handler=fn,
                    status=status,
                    summary=summary or first_line,
                    request_schemas=request_schemas,
                    response_schema=response_schema,
                )
            )
            return fn

        return register

    def resolve(self, method: str, path: str) -> tuple[HuaweiRoute, dict[str, str]] | None:
        """The row for `method` and the decoded `path`, with its path parameters.

        A path that exists under another method is still unknown: Huawei's gateway answers both
        with APIGW.0101 / 404.
        """
        for route in self._routes.values():
            if route.method != method:
                continue
            params = route.match(path)
            if params is not None:
                return route, params
        return None

    def __iter__(self) -> Iterator[HuaweiRoute]:
        return iter(sorted(self._routes.values(), key=lambda r: (r.path, r.method)))

    def __len__(self) -> int:
        return len(self._routes)


HUAWEI_ROUTES = HuaweiRouteTable()


def load_route_modules(package: str = "opsgraph.compat_rest.huawei") -> None:
    """Import every module of every service subpackage (`huawei/hss/…`, `huawei/ces/…`) so rows register."""
    import_endpoint_modules(package)
