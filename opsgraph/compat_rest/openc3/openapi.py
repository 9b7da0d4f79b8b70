"""The OpenC3 dialect's OpenAPI document, generated from its route table
(`compat_rest/openapi.py` builds it; this module says what an OpenC3 row and envelope look like).

OpenC3 answers refusals with HTTP 200 `{stat: false, info}` (not logged in: `code: 10000`), a path
it does not know with 404 and a known path under another method with 405 (both in the envelope),
and an internal failure with 500 `{stat: false, info: "internal error (reference …)"}`. Parameters
are Dancer's merged `params()`: the query string, the body (JSON or form) and the `:path` parts.

Example:
    doc = openapi_document(C3_ROUTES)
    doc["paths"]["/api/job/task/{treeid}/{uuid}"]["get"]["operationId"]   # "job_get_task_by_treeid_by_uuid"
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from opsgraph.compat_rest import openapi
from opsgraph.compat_rest.openc3.auth import COOKIE_KEY
from opsgraph.compat_rest.openc3.routes import C3Route, C3RouteTable

PATH = "/api/openc3/openapi.json"
_ENVELOPE = {"$ref": "#/components/schemas/C3Envelope"}
_PARAMETER = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")
_BODY = {"application/json": openapi.ANY_OBJECT, "application/x-www-form-urlencoded": openapi.ANY_OBJECT}
_PROFILE = {
    "type": "object",
    "required": ["name", "email", "admin"],
    "properties": {
        "name": {"type": "string"},
        "email": {"type": "string"},
        "company": {"type": "string"},
        "admin": {"type": "string"},
        "showconnector": {"type": "string"},
        "menu": {"type": "object"},
    },
}


def openapi_document(table: C3RouteTable) -> dict[str, Any]:
    return openapi.openapi_document(_DIALECT, _operations(table))


def make_openapi_endpoint(table: C3RouteTable) -> Callable[[Request], Awaitable[Response]]:
    return openapi.make_openapi_endpoint(lambda: openapi_document(table))


def openapi_path(route: C3Route) -> str:
    """`/api/<module>` + the row's path with `:name` as `{name}`."""
    return f"/api/{route.module}" + _PARAMETER.sub(r"{\1}", route.path)


def _operations(table: C3RouteTable) -> Iterator[openapi.ApiOperation]:
    for route in table:
        yield _operation(route)


def _operation(route: C3Route) -> openapi.ApiOperation:
    # `/fileserver/treeid/:fileid` and `/fileserver/:treeid/:fileid` both exist: parameters read "by_".
    parts = (f"by_{part[1:]}" if part.startswith(":") else part for part in route.segments)
    slug = re.sub(r"[^A-Za-z0-9]+", "_", "_".join(parts)).strip("_") or "root"
    reads_body = route.method in ("POST", "PUT")
    return openapi.ApiOperation(
        path=openapi_path(route),
        method=route.method,
        operation_id=f"{route.module}_{route.method.lower()}_{slug}",
        tags=(route.module,),
        summary=route.summary,
        responses=_responses(route),
        query=openapi.ANY_OBJECT,
        body=_BODY if reads_body else None,
        public=route.public,
    )


def _responses(route: C3Route) -> dict[str, Any]:
    refused = "stat=false with info (not logged in: code 10000)"
    success: dict[str, Any] = openapi.json_response(f"The envelope; {refused}", _ENVELOPE)
    responses: dict[str, Any] = {}
    if route.answers == "text":
        success["content"]["text/plain"] = {"schema": {"type": "string"}}
    elif route.answers == "file":
        success["content"]["application/octet-stream"] = {"schema": {"type": "string", "format": "binary"}}
    elif route.answers == "profile":
        success = openapi.json_response(
            f"The caller's profile (outside the envelope); {refused}", {"anyOf": [_PROFILE, _ENVELOPE]}
        )
    elif route.answers == "redirect":
        success = openapi.json_response(f"A refusal: {refused}", _ENVELOPE)
        responses["302"] = {"description": "To the page", "headers": {"location": {"schema": {"type": "string"}}}}
    responses["200"] = success
    responses["404"] = openapi.json_response("No such path (a path part holding '/' makes another path)", _ENVELOPE)
    responses["405"] = openapi.json_response("The path exists under other methods only", _ENVELOPE)
    responses["500"] = openapi.json_response("Internal failure: info names a reference found in the log", _ENVELOPE)
    return responses


_DIALECT = openapi.ApiDialect(
    title="OpsGraph OpenC3 compatibility",
    description=(
        "OpenC3 paths (/api/job, /api/agent, /api/connector) served over the OpsGraph GraphQL API. "
        f"Authenticate with the login cookie ({COOKIE_KEY}), Authorization: Bearer <login token>, or the "
        "appname and appkey headers of an app. Refusals are HTTP 200 with stat=false and info."
    ),
    schemas={
        "C3Envelope": {
            "type": "object",
            "required": ["stat"],
            "properties": {
                "stat": {"type": "boolean"},
                "info": {"type": "string"},
                "code": {"type": "integer"},
                "uuid": {"type": "string"},
                "data": {"description": "Endpoint-specific"},
            },
        }
    },
    security_schemes={
        "loginCookie": {"type": "apiKey", "in": "cookie", "name": COOKIE_KEY},
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "appName": {"type": "apiKey", "in": "header", "name": "appname"},
        "appKey": {"type": "apiKey", "in": "header", "name": "appkey"},
    },
    security=(("loginCookie",), ("bearer",), ("appName", "appKey")),
)
