"""The OpenC3 route table: one row per endpoint of `/api/job`, `/api/agent` and `/api/connector`.

A row names its module, method and path template as the OpenC3 doc writes it (`/task/:treeid/:uuid`,
`:name` matching one segment) and an async handler `(request, caller, settings)`. Handlers run
stored GraphQL operations with `caller.principal` (compat never touches models) and return `data`,
a `C3Reply`, or a Starlette `Response` (redirects, downloads). `public=True` rows need no login
(upstream's open routes: `/release`, `/approval/control*`, the token upload…). Rows live in
`openc3/<module>/<group>.py`, found by `load_route_modules`.

A literal segment beats a parameter at the same place, so `/task/:treeid/count` is not read as
`/task/:treeid/:uuid`, and `/region/:treeid/active` not as `/region/:treeid/:regionid`.

Example (a row in `openc3/job/scripts.py`, next to `tree_scripts.graphql`):
    @C3_ROUTES.route("job", "GET", "/scripts/:treeid")
    async def list_scripts(request: C3Request, caller: C3Caller, settings: Settings) -> Any:
        data = await run_operation(load_operation(__name__, "tree_scripts.graphql"), {...},
                                   caller.principal, settings)
        return [...]
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from opsgraph.compat_rest.discovery import import_endpoint_modules
from opsgraph.compat_rest.openc3.request import C3Request
from opsgraph.core.settings import Settings

if TYPE_CHECKING:
    from opsgraph.compat_rest.openc3.auth import C3Caller

Handler = Callable[[C3Request, "C3Caller", Settings], Awaitable[Any]]
MODULES = ("job", "agent", "connector")
KNOWN_METHODS = frozenset({"GET", "POST", "PUT", "DELETE"})
# What a row answers besides refusals (always the envelope), for the generated OpenAPI document:
# the envelope, plain text, a file's bytes, a 302 redirect, or the front end's bare profile object.
Answer = Literal["envelope", "text", "file", "redirect", "profile"]


@dataclass(frozen=True, kw_only=True)
class C3Route:
    module: str
    method: str
    path: str
    handler: Handler
    public: bool = False
    summary: str = ""
    documented: bool = True  # False: a corrected path or an upstream route the doc does not list
    answers: Answer = "envelope"
    segments: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        where = f"openc3 route {self.module} {self.method} {self.path}"
        if self.module not in MODULES:
            raise ValueError(f"{where}: module must be one of {MODULES}")
        if self.method not in KNOWN_METHODS:
            raise ValueError(f"{where}: method must be one of {sorted(KNOWN_METHODS)}")
        if not self.path.startswith("/") or (self.path.endswith("/") and self.path != "/"):
            raise ValueError(f"{where}: paths start with / and do not end with one")
        object.__setattr__(self, "segments", tuple(self.path.strip("/").split("/")))

    @property
    def specificity(self) -> tuple[bool, ...]:
        return tuple(not segment.startswith(":") for segment in self.segments)

    def match(self, parts: tuple[str, ...]) -> dict[str, str] | None:
        if len(parts) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for pattern, part in zip(self.segments, parts, strict=True):
            if pattern.startswith(":"):
                if not part:
                    return None
                params[pattern[1:]] = part
            elif pattern != part:
                return None
        return params


class C3RouteTable:
    def __init__(self) -> None:
        self._routes: dict[tuple[str, str, str], C3Route] = {}

    def add(self, route: C3Route) -> C3Route:
        key = (route.module, route.method, route.path)
        if key in self._routes:
            raise ValueError(f"openc3 route {route.module} {route.method} {route.path} is registered twice")
        self._routes[key] = route
        return route

    def route(
        self,
        module: str,
        method: str,
        *paths: str,
        public: bool = False,
        summary: str = "",
        corrected: tuple[str, ...] = (),
        answers: Answer = "envelope",
    ) -> Callable[[Handler], Handler]:
        """Register a handler for one or more documented paths, and `corrected` ones (the doc's
        typos fixed: `/varuable/` → `/variable/`), all answering the same way."""

        def register(fn: Handler) -> Handler:
            text = summary or (inspect.getdoc(fn) or "").split("\n")[0]
            documented = [(path, True) for path in paths] + [(path, False) for path in corrected]
            for path, in_doc in documented:
                self.add(
                    C3Route(
                        module=module,
                        method=method,
                        path=path,
                        handler=fn,
                        public=public,
                        summary=text,
                        documented=in_doc,
                        answers=answers,
                    )
                )
            return fn

        return register

    def resolve(self, module: str, method: str, path: str) -> tuple[C3Route, dict[str, str]] | bool | None:
        """The row and its path parameters; False when the path exists under other methods only;
        None when nothing has this path."""
        parts = tuple(path.strip("/").split("/")) if path.strip("/") else ()
        best: tuple[C3Route, dict[str, str]] | None = None
        other_method = False
        for route in self._routes.values():
            if route.module != module:
                continue
            params = route.match(parts)
            if params is None:
                continue
            if route.method != method:
                other_method = True
                continue
            if best is None or route.specificity > best[0].specificity:
                best = (route, params)
        if best is not None:
            return best
        return False if other_method else None

    def __iter__(self) -> Iterator[C3Route]:
        return iter(sorted(self._routes.values(), key=lambda r: (r.module, r.path, r.method)))

    def __len__(self) -> int:
        return len(self._routes)


C3_ROUTES = C3RouteTable()


def load_route_modules(package: str = "opsgraph.compat_rest.openc3") -> None:
    """Import every module of `openc3/job`, `openc3/agent`, `openc3/connector` so rows register."""
    import_endpoint_modules(package)
