"""The Huawei Cloud dialect's OpenAPI document, generated from its route table
(`compat_rest/openapi.py` builds it; this module says what a Huawei row and error look like).

Every operation answers its success status with the row's body, or a gateway / service refusal:
4xx (or 500 for an internal failure) with `{error_code, error_msg}`, always with `X-Request-Id`.

Example:
    doc = openapi_document(HUAWEI_ROUTES)
    doc["paths"]["/v5/{project_id}/common/task"]["post"]["responses"]["401"]   # APIGW.0301
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from opsgraph.compat_rest import openapi
from opsgraph.compat_rest.huawei.auth import PROJECT_HEADER, TOKEN_HEADER
from opsgraph.compat_rest.huawei.errors import REQUEST_ID_HEADER
from opsgraph.compat_rest.huawei.routes import HuaweiRoute, HuaweiRouteTable

PATH = "/api/huawei/openapi.json"
_ERROR = {"$ref": "#/components/schemas/HuaweiError"}
_REFUSALS = {
    "400": "Invalid parameter or malformed body (APIGW.0201, <SERVICE>.0001, <SERVICE>.0002)",
    "401": "Authentication failed (APIGW.0301)",
    "403": "Not allowed: another project, or a missing permission (APIGW.0302, <SERVICE>.0003)",
    "404": "A named resource does not exist (<SERVICE>.0004), or no such API (APIGW.0101)",
    "413": "The body is larger than the gateway accepts (APIGW.0201)",
    "500": "Internal failure (<SERVICE>.1001); the message carries no details, the log has them",
}


def openapi_document(table: HuaweiRouteTable) -> dict[str, Any]:
    return openapi.openapi_document(_DIALECT, _operations(table))


def make_openapi_endpoint(table: HuaweiRouteTable) -> Callable[[Request], Awaitable[Response]]:
    return openapi.make_openapi_endpoint(lambda: openapi_document(table))


def _operations(table: HuaweiRouteTable) -> Iterator[openapi.ApiOperation]:
    for route in table:
        yield _operation(route)


def _operation(route: HuaweiRoute) -> openapi.ApiOperation:
    name = route.handler.__name__
    success = dict(route.response_schema) if route.response_schema is not None else openapi.ANY_OBJECT
    responses = {
        str(route.status): openapi.json_response(route.summary or "Done", success, [REQUEST_ID_HEADER]),
        **{status: openapi.json_response(text, _ERROR, [REQUEST_ID_HEADER]) for status, text in _REFUSALS.items()},
    }
    reads_body = route.method in ("POST", "PUT", "PATCH")
    body = route.request_schemas or {"application/json": openapi.ANY_OBJECT}
    return openapi.ApiOperation(
        path=route.path,
        method=route.method,
        operation_id=f"{route.service.lower()}_{name}",
        tags=(route.service,),
        summary=route.summary,
        responses=responses,
        body=body if reads_body else None,
        query={
            "type": "object",
            "properties": {"enterprise_project_id": {"type": "string"}},
            "additionalProperties": True,
        },
    )


_DIALECT = openapi.ApiDialect(
    title="OpsGraph Huawei Cloud compatibility (CES, HSS)",
    description=(
        "Huawei Cloud CES and HSS paths served over the OpsGraph GraphQL API. Authenticate with an "
        "access key (SDK-HMAC-SHA256 signature in Authorization, X-Sdk-Date within 15 minutes; the key's "
        f"project must be the path's project_id and the {PROJECT_HEADER} header when sent) or with an "
        f"OpsGraph login token in {TOKEN_HEADER}. Refusals are HTTP 4xx with error_code and error_msg."
    ),
    schemas={
        "HuaweiError": {
            "type": "object",
            "required": ["error_code", "error_msg"],
            "properties": {"error_code": {"type": "string"}, "error_msg": {"type": "string"}},
        }
    },
    security_schemes={
        "akskSignature": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<names>, Signature=<hex> (with X-Sdk-Date)",
        },
        "authToken": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Auth-Token",
            "description": "An OpsGraph login token",
        },
    },
    security=(("akskSignature",), ("authToken",)),
)
