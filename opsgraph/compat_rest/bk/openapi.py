"""The BlueKing dialect's OpenAPI document, generated from its route table
(`compat_rest/openapi.py` builds it; this module says what a bk row and envelope look like).

Example:
    doc = openapi_document(BK_ROUTES)
    doc["paths"]["/api/c/compapi/v2/cc/search_business/"]["post"]["operationId"]  # "cc_search_business"
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from opsgraph.compat_rest import openapi
from opsgraph.compat_rest.bk.credentials import AUTHORIZATION_HEADER
from opsgraph.compat_rest.bk.envelope import REQUEST_ID_HEADER
from opsgraph.compat_rest.bk.routes import BkRoute, BkRouteTable

PATH_PREFIX = "/api/c/compapi/v2"
_ENVELOPES = {"code": "BkEnvelope", "bk_error_code": "BkErrorCodeEnvelope", "code_trace": "BkTraceEnvelope"}


def openapi_document(table: BkRouteTable) -> dict[str, Any]:
    return openapi.openapi_document(_DIALECT, _operations(table))


def make_openapi_endpoint(table: BkRouteTable) -> Callable[[Request], Awaitable[Response]]:
    return openapi.make_openapi_endpoint(lambda: openapi_document(table))


def _operations(table: BkRouteTable) -> Iterator[openapi.ApiOperation]:
    for route in table:
        for method in sorted(route.methods):
            yield _operation(route, method)


def _operation(route: BkRoute, method: str) -> openapi.ApiOperation:
    operation_id = f"{route.system}_{route.name}"
    if len(route.methods) > 1:
        operation_id += f"_{method.lower()}"
    envelope: dict[str, Any] = {"$ref": f"#/components/schemas/{_ENVELOPES[route.envelope]}"}
    if route.data_schema is not None:
        envelope = {"allOf": [envelope, {"type": "object", "properties": {"data": dict(route.data_schema)}}]}
    request_schema = dict(route.request_schema) if route.request_schema is not None else openapi.ANY_OBJECT
    is_get = method == "GET"
    return openapi.ApiOperation(
        path=f"{PATH_PREFIX}/{route.system}/{route.name}/",
        method=method,
        operation_id=operation_id,
        tags=(route.system,),
        summary=route.summary or f"{route.system}.{route.name}",
        responses={
            "200": openapi.json_response(
                "The envelope; result=false with a code for refused requests", envelope, [REQUEST_ID_HEADER]
            ),
            "500": openapi.json_response("Internal failure: the envelope with code -1", envelope),
        },
        query=request_schema if is_get else None,
        body=None if is_get else {"application/json": request_schema},
        body_required=False,  # an empty body is read as {}
    )


def _envelope_schemas() -> dict[str, Any]:
    code = {"oneOf": [{"type": "integer"}, {"type": "string"}], "description": "0 = success"}
    common = {
        "result": {"type": "boolean"},
        "data": {"description": "Endpoint-specific; null on errors"},
        "request_id": {"type": "string"},
    }
    return {
        "BkEnvelope": {
            "type": "object",
            "required": ["result", "code", "message", "data"],
            "properties": {**common, "code": code, "message": {"type": "string"}},
        },
        "BkTraceEnvelope": {
            "type": "object",
            "required": ["result", "code", "message", "data", "trace_id"],
            "properties": {**common, "code": code, "message": {"type": "string"}, "trace_id": {"type": "string"}},
        },
        "BkErrorCodeEnvelope": {
            "type": "object",
            "required": ["result", "bk_error_code", "bk_error_msg", "data"],
            "properties": {**common, "bk_error_code": code, "bk_error_msg": {"type": "string"}},
        },
    }


_DIALECT = openapi.ApiDialect(
    title="OpsGraph BlueKing ESB compatibility",
    description=(
        "Legacy BlueKing API paths served over the OpsGraph GraphQL API. Every path is also "
        "answered without the trailing slash and in the v1 layout /api/c/compapi/{system}/{api}/. "
        f"Credentials go in the {AUTHORIZATION_HEADER} JSON header, or as bk_app_code, "
        "bk_app_secret and bk_token|bk_username in the JSON body (POST) or query string (GET). "
        "Refused requests are HTTP 200 with result=false; an unknown api is HTTP 404."
    ),
    schemas=_envelope_schemas(),
    security_schemes={
        "bkapiAuthorization": {
            "type": "apiKey",
            "in": "header",
            "name": AUTHORIZATION_HEADER,
            "description": 'JSON: {"bk_app_code": .., "bk_app_secret": .., "bk_token" or "bk_username": ..}',
        }
    },
    security=(("bkapiAuthorization",),),
)
