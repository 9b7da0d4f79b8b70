"""OpenAPI 3.1 documents generated from a dialect's route table, and the endpoint serving one.

Each dialect turns its rows into `ApiOperation`s and describes itself once (`ApiDialect`: title,
envelopes, security schemes); this module does the rest, so the BlueKing, Huawei and OpenC3
documents are built the same way. A document is served without authentication: it describes paths
and envelopes only and holds no estate data.

Example:
    dialect = ApiDialect(title="…", description="…", schemas={"Envelope": {...}},
                         security_schemes={"token": {...}})
    operations = [ApiOperation(path="/v5/{project_id}/common/task", method="POST",
                               operation_id="hss_create_task", responses={"200": {...}})]
    openapi_document(dialect, operations)["paths"]["/v5/{project_id}/common/task"]["post"]
    Route("/api/huawei/openapi.json", make_openapi_endpoint(lambda: openapi_document(dialect, ops)))
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import opsgraph

ANY_OBJECT: Mapping[str, Any] = {"type": "object", "additionalProperties": True}
_PATH_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True, kw_only=True)
class ApiOperation:
    """One method on one path. `path` is an OpenAPI template (`{name}` = one segment)."""

    path: str
    method: str
    operation_id: str
    responses: Mapping[str, Any]
    summary: str = ""
    tags: tuple[str, ...] = ()
    # The JSON body's schema by media type; None: the operation reads no body.
    body: Mapping[str, Mapping[str, Any]] | None = None
    body_required: bool = False
    # The query string read as one object (form style, exploded); None: no query parameters.
    query: Mapping[str, Any] | None = None
    path_schemas: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # default: a string
    public: bool = False  # needs no credentials (`security: []` overrides the document's)

    def as_openapi(self, path: str | None = None) -> dict[str, Any]:
        """The operation object; `path`: the equivalent template it is listed under, whose
        parameter names it takes in order (each keeps its own name in the description)."""
        own = _PATH_PARAMETER.findall(self.path)
        listed = _PATH_PARAMETER.findall(path) if path is not None else own
        operation: dict[str, Any] = {
            "operationId": self.operation_id,
            "summary": self.summary or self.operation_id,
            "responses": dict(self.responses),
        }
        if self.tags:
            operation["tags"] = list(self.tags)
        if self.public:
            operation["security"] = []
        parameters: list[dict[str, Any]] = []
        for name, listed_name in zip(own, listed, strict=True):
            parameter = {"name": listed_name, "in": "path", "required": True}
            parameter["schema"] = dict(self.path_schemas.get(name, _SEGMENT))
            if listed_name != name:
                parameter["description"] = f"{name} (this operation's name for it)"
            parameters.append(parameter)
        if self.query is not None:
            parameters.append({"name": "params", "in": "query", "style": "form", "explode": True, "schema": self.query})
        if parameters:
            operation["parameters"] = parameters
        if self.body is not None:
            operation["requestBody"] = {
                "required": self.body_required,
                "content": {media: {"schema": dict(schema)} for media, schema in self.body.items()},
            }
        return operation


# A path segment as a client could send it: never empty (an empty segment is another path).
_SEGMENT: Mapping[str, Any] = {"type": "string", "minLength": 1}


@dataclass(frozen=True, kw_only=True)
class ApiDialect:
    """What a document says about its dialect as a whole."""

    title: str
    description: str
    schemas: Mapping[str, Any] = field(default_factory=dict)
    security_schemes: Mapping[str, Any] = field(default_factory=dict)
    # Alternatives, any one of which authenticates; each names the schemes it needs together.
    security: tuple[tuple[str, ...], ...] = ()


def openapi_document(dialect: ApiDialect, operations: Iterable[ApiOperation]) -> dict[str, Any]:
    """The document. Templates that differ only in parameter names (`/agent/{treeid}/{agentid}`
    for DELETE, `/agent/{treeid}/{regionid}` for GET) are one path to OpenAPI, which forbids
    listing both: the later ones are listed under the first."""
    paths: dict[str, dict[str, Any]] = {}
    listed_as: dict[str, str] = {}  # a template with its parameters unnamed → the listed template
    seen: set[str] = set()
    for operation in operations:
        if operation.operation_id in seen:
            raise ValueError(f"operationId {operation.operation_id} is used twice")
        seen.add(operation.operation_id)
        path = listed_as.setdefault(_PATH_PARAMETER.sub("{}", operation.path), operation.path)
        methods = paths.setdefault(path, {})
        if operation.method.lower() in methods:
            raise ValueError(f"{operation.method} {operation.path} and {path} are the same operation")
        methods[operation.method.lower()] = operation.as_openapi(path)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": dialect.title, "version": opsgraph.__version__, "description": dialect.description},
        "paths": paths,
        "components": {"schemas": dict(dialect.schemas), "securitySchemes": dict(dialect.security_schemes)},
    }
    if dialect.security:
        document["security"] = [{name: [] for name in needed} for needed in dialect.security]
    return document


def json_response(description: str, schema: Mapping[str, Any], headers: Iterable[str] = ()) -> dict[str, Any]:
    """A response object: a JSON body of `schema`, with string `headers`."""
    response: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": schema}}}
    names = list(headers)
    if names:
        response["headers"] = {name: {"schema": {"type": "string"}} for name in names}
    return response


def make_openapi_endpoint(build: Callable[[], dict[str, Any]]) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint answering the document `build` returns, built on the first request (route
    modules register rows on import, so the table is complete by then) and kept."""
    built: list[dict[str, Any]] = []

    async def openapi_json(request: Request) -> Response:
        if not built:
            built.append(build())
        return JSONResponse(built[0])

    return openapi_json
