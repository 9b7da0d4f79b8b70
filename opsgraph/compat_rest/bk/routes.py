"""The BlueKing route table: one row per legacy endpoint.

A row names its system and api, the HTTP methods it answers, and either a stored GraphQL operation
with two adapters (request → variables, result → `data`) or a handler for endpoints that need
several operations. Rows live in `bk/<system>/<group>.py` modules, found by `load_route_modules`.

Example (a made-up row, next to a `demo_business.graphql` file in the same package):
    from opsgraph.compat_rest.bk import BK_ROUTES, BkRoute

    BK_ROUTES.add(BkRoute(
        system="demo", name="get_business_name", methods=frozenset({"GET", "POST"}),
        operation="demo_business.graphql", package=__name__,
        to_variables=lambda params, principal: {"id": params.get_int("bk_biz_id")},
        to_data=lambda data, params: {"bk_biz_name": data["business"]["name"]},
    ))

    @BK_ROUTES.handler("demo", "count_things", envelope="bk_error_code")
    async def count_things(params: Params, principal: Principal, settings: Settings) -> dict[str, int]:
        first = await run_operation(load_operation(__name__, "a.graphql"), {}, principal, settings)
        ...
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from opsgraph.compat_rest.bk.envelope import EnvelopeStyle
from opsgraph.compat_rest.bk.error_codes import CMDB_CODES
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.discovery import import_endpoint_modules
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.settings import Settings

VariablesAdapter = Callable[[Params, Principal], dict[str, Any] | Awaitable[dict[str, Any]]]
DataAdapter = Callable[[dict[str, Any], Params], Any]
Handler = Callable[[Params, Principal, Settings], Awaitable[Any]]

KNOWN_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
_OPERATION_FILE_SUFFIX = ".graphql"


@dataclass(frozen=True, kw_only=True)
class BkRoute:
    """One endpoint. `operation` is a `.graphql` filename in `package` (pass `__name__`; a module
    means its own package) or the document text itself. `to_data` may return a `BkReply`."""

    system: str
    name: str
    methods: frozenset[str] = frozenset({"POST"})
    operation: str | None = None
    to_variables: VariablesAdapter | None = None
    to_data: DataAdapter | None = None
    handler: Handler | None = None
    envelope: EnvelopeStyle = "code"
    success_message: str = ""
    success_code: int | str = 0
    package: str | None = None
    # Our error code → the system's numeric code for refusals (each system has its own numbers).
    error_codes: Mapping[str, int] = field(default_factory=lambda: CMDB_CODES)
    # Names that are credentials elsewhere but data here (bk_login.get_user's `bk_username`).
    keep_params: frozenset[str] = frozenset()
    # For the generated OpenAPI document only.
    summary: str = ""
    request_schema: Mapping[str, Any] | None = None
    data_schema: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        methods = frozenset(m.upper() for m in self.methods)
        object.__setattr__(self, "methods", methods)
        where = f"bk route {self.system}.{self.name}"
        if not methods or not methods <= KNOWN_METHODS:
            raise ValueError(f"{where}: methods must be a non-empty subset of {sorted(KNOWN_METHODS)}")
        if (self.handler is None) == (self.operation is None):
            raise ValueError(f"{where}: give exactly one of `operation` or `handler`")
        if self.handler is not None and (self.to_variables or self.to_data):
            raise ValueError(f"{where}: a handler route has no adapters; the handler does their work")
        if self.is_operation_file and not self.package:
            raise ValueError(f"{where}: `package` is needed to find {self.operation}")

    @property
    def key(self) -> tuple[str, str]:
        return (self.system, self.name)

    @property
    def is_operation_file(self) -> bool:
        op = self.operation
        return op is not None and op.endswith(_OPERATION_FILE_SUFFIX) and "{" not in op

    def document(self) -> str:
        if self.operation is None:
            raise ValueError(f"bk route {self.system}.{self.name} runs a handler, not one operation")
        if self.is_operation_file:
            return load_operation(self.package or "", self.operation)
        return self.operation

    async def call(self, params: Params, principal: Principal, settings: Settings) -> Any:
        """Run the endpoint and return its `data` (or a `BkReply`)."""
        if self.handler is not None:
            return await self.handler(params, principal, settings)
        variables = self.to_variables(params, principal) if self.to_variables else {}
        if inspect.isawaitable(variables):
            variables = await variables
        data = await run_operation(self.document(), variables, principal, settings)
        if self.to_data is None:
            return data
        shaped = self.to_data(data, params)
        return await shaped if inspect.isawaitable(shaped) else shaped


class BkRouteTable:
    """Rows by (system, api name). A duplicate is a programming error and fails at import."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], BkRoute] = {}

    def add(self, route: BkRoute) -> BkRoute:
        if route.key in self._routes:
            raise ValueError(f"bk route {route.system}.{route.name} is registered twice")
        if route.operation is not None:
            route.document()  # a missing or unparsable .graphql file fails at start-up
        self._routes[route.key] = route
        return route

    def handler(
        self,
        system: str,
        name: str,
        *,
        methods: frozenset[str] = frozenset({"POST"}),
        envelope: EnvelopeStyle = "code",
        success_message: str = "",
        success_code: int | str = 0,
        error_codes: Mapping[str, int] = CMDB_CODES,
        keep_params: frozenset[str] = frozenset(),
        summary: str = "",
        request_schema: Mapping[str, Any] | None = None,
        data_schema: Mapping[str, Any] | None = None,
    ) -> Callable[[Handler], Handler]:
        """Decorator registering an async `handler(params, principal, settings)` as a row."""

        def register(fn: Handler) -> Handler:
            self.add(
                BkRoute(
                    system=system,
                    name=name,
                    methods=methods,
                    handler=fn,
                    envelope=envelope,
                    success_message=success_message,
                    success_code=success_code,
                    error_codes=error_codes,
                    keep_params=keep_params,
                    summary=summary or (inspect.getdoc(fn) or "").split("\n")[0],
                    request_schema=request_schema,
                    data_schema=data_schema,
                )
            )
            return fn

        return register

    def get(self, system: str, name: str) -> BkRoute | None:
        return self._routes.get((system, name))

    def __iter__(self) -> Iterator[BkRoute]:
        return iter(sorted(self._routes.values(), key=lambda r: r.key))

    def __len__(self) -> int:
        return len(self._routes)


BK_ROUTES = BkRouteTable()


def load_route_modules(package: str = "opsgraph.compat_rest.bk") -> None:
    """Import every module of every system subpackage (`bk/cc/…`, `bk/job/…`) so rows register."""
    import_endpoint_modules(package)
