"""An OpenAPI 3.1 document generated from the BlueKing route table.

Served without authentication: it describes paths and envelopes only and holds no estate data.

Example:
    doc = openapi_document(BK_ROUTES)
    doc["paths"]["/api/c/compapi/v2/cc/search_business/"]["post"]["operationId"]  # "cc_search_business"
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import opsgraph
from opsgraph.compat_rest.bk.credentials import AUTHORIZATION_HEADER
from opsgraph.compat_rest.bk.envelope import REQUEST_ID_HEADER
from opsgraph.compat_rest.bk.routes import BkRoute, BkRouteTable

PATH_PREFIX = "/api/c/compapi/v2"
_ANY_OBJECT: dict[str, Any] = {"type": "object", "additionalProperties": True}
_ENVELOPES = {"code": "BkEnvelope", "bk_error_code": "BkErrorCodeEnvelope", "code_trace": "BkTraceEnvelope"}


def openapi_document(table: BkRouteTable) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for route in table:
        paths[f"{PATH_PREFIX}/{route.system}/{route.name}/"] = {
            method.lower(): _operation(route, method) for method in sorted(route.methods)
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OpsGraph BlueKing ESB compatibility",
            "version": opsgraph.__version__,
            "description": (
                "Legacy BlueKing API paths served over the OpsGraph GraphQL API. Every path is also "
                "answered without the trailing slash and in the v1 layout /api/c/compapi/{system}/{api}/. "
                f"Credentials go in the {AUTHORIZATION_HEADER} JSON header, or as bk_app_code, "
                "bk_app_secret and bk_token|bk_username in the JSON body (POST) or query string (GET). "
                "Refused requests are HTTP 200 with result=false; an unknown api is HTTP 404."
            ),
        },
        "paths": paths,
        "components": {"schemas": _envelope_schemas(), "securitySchemes": _security_schemes()},
        "security": [{"bkapiAuthorization": []}],
    }


def make_openapi_endpoint(table: BkRouteTable) -> Callable[[Request], Awaitable[Response]]:
    async def openapi_json(request: Request) -> Response:
        return JSONResponse(openapi_document(table))

    return openapi_json


def _operation(route: BkRoute, method: str) -> dict[str, Any]:
    operation_id = f"{route.system}_{route.name}"
    if len(route.methods) > 1:
        operation_id += f"_{method.lower()}"
    envelope: dict[str, Any] = {"$ref": f"#/components/schemas/{_ENVELOPES[route.envelope]}"}
    if route.data_schema is not None:
        envelope = {"allOf": [envelope, {"type": "object", "properties": {"data": dict(route.data_schema)}}]}
    request_schema = dict(route.request_schema) if route.request_schema is not None else _ANY_OBJECT
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "tags": [route.system],
        "summary": route.summary or f"{route.system}.{route.name}",
        "responses": {
            "200": {
                "description": "The envelope; result=false with a code for refused requests",
                "headers": {REQUEST_ID_HEADER: {"schema": {"type": "string"}}},
                "content": {"application/json": {"schema": envelope}},
            },
            "500": {
                "description": "Internal failure: the envelope with code -1",
                "content": {"application/json": {"schema": envelope}},
            },
        },
    }
    if method == "GET":
        operation["parameters"] = [
            {"name": "params", "in": "query", "style": "form", "explode": True, "schema": request_schema}
        ]
    else:
        operation["requestBody"] = {
            "required": False,  # an empty body is read as {}
            "content": {"application/json": {"schema": request_schema}},
        }
    return operation


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


def _security_schemes() -> dict[str, Any]:
    return {
        "bkapiAuthorization": {
            "type": "apiKey",
            "in": "header",
            "name": AUTHORIZATION_HEADER,
            "description": 'JSON: {"bk_app_code": .., "bk_app_secret": .., "bk_token" or "bk_username": ..}',
        }
    }
