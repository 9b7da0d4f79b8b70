"""The GraphQL HTTP and WebSocket endpoint: strawberry's ASGI view with our authentication, body caps
and error shapes.

- The caller is authenticated from `Authorization: Bearer …` or the `bk_token` cookie before the
  body is read; an anonymous request may carry at most `max_anonymous_body_bytes` (a login is
  small), an authenticated one `max_graphql_body_bytes`. Both are checked against `Content-Length`
  before reading and against the bytes as they arrive.
- Every refusal of the HTTP request itself (bad JSON, not an object, wrong content type, too large)
  is a 4xx with a JSON GraphQL error `{"errors": [{"message", "extensions": {"code"}}]}`.
- graphql-transport-ws authenticates from `connection_init` (`{"Authorization": "Bearer <token>"}`),
  or from the `bk_token` cookie when the socket comes from one of our own pages (GraphiQL).
"""

from __future__ import annotations

from typing import Any

from cross_web import HTTPException, StarletteRequestAdapter
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from opsgraph.core.errors import AuthenticationError
from opsgraph.core.request_body import BodyTooLarge, is_same_origin, read_capped_body
from opsgraph.core.settings import Settings
from opsgraph.http.graphiql import graphiql_html
from opsgraph.http.json_body import MalformedBody, decode_json_object
from opsgraph.http.ws_frames import SharedFrameWebSocketAdapter
from opsgraph.resolvers.identity import principal_from_token
from opsgraph.schema import schema
from opsgraph.schema.context import GraphQLContext
from opsgraph.schema.mutations.identity import TOKEN_COOKIE

_STATE_CONTEXT = "opsgraph_context"
_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "BODY_TOO_LARGE"}


def bearer_token(headers: Any, cookies: dict[str, str]) -> str | None:
    authorization = headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return cookies.get(TOKEN_COOKIE) or None


class OpsGraphGraphQL(GraphQL[GraphQLContext, None]):
    websocket_adapter_class = SharedFrameWebSocketAdapter  # an event's payload encoded once (ws_frames)

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            keep_alive=True,
            keep_alive_interval=15,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as exc:
            response = graphql_error_response(exc.status_code, exc.reason)
        except ClientDisconnect:
            return  # nobody is left to answer
        await response(scope, receive, send)

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(graphiql_html())

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket | None) -> GraphQLContext:
        context = GraphQLContext(principal=None, settings=self.settings, request=request, response=response)
        if isinstance(request, WebSocket):
            # graphql-transport-ws authenticates from connection_init (see on_ws_connect).
            return context
        token = bearer_token(request.headers, dict(request.cookies))
        if token:
            await self._authenticate(context, token)
        request.state.__setattr__(_STATE_CONTEXT, context)
        return context

    async def _authenticate(self, context: GraphQLContext, token: str) -> None:
        try:
            context.principal = await principal_from_token(token, self.settings)
            context.token = token
        except AuthenticationError as exc:
            context.auth_error = exc.message

    async def on_ws_connect(self, context: GraphQLContext) -> Any:
        """graphql-transport-ws: the token comes in `connection_init` ({"Authorization": "Bearer …"})."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        raw = str(params.get("Authorization") or params.get("authorization") or params.get("token") or "")
        token = raw.split(" ", 1)[1] if raw.lower().startswith("bearer ") else raw
        if not token and isinstance(context.request, WebSocket) and is_same_origin(context.request):
            # GraphiQL right after `login`: the bk_token cookie. Only from our own pages: a browser
            # sends cookies on cross-site WebSockets too, so another site must not ride on them.
            token = context.request.cookies.get(TOKEN_COOKIE, "")
        if token:
            await self._authenticate(context, token)
        if context.principal is None:
            raise ConnectionRejectionError({"reason": context.auth_error or "authentication required"})
        return None

    async def parse_http_body(self, request: StarletteRequestAdapter) -> GraphQLRequestData:  # type: ignore[override]
        if request.method == "GET":
            return _request_data_from_query_string(request)
        if "application/json" not in (request.content_type or "").lower():
            raise HTTPException(400, "send the request as JSON (Content-Type: application/json)")
        starlette_request: Request = request._request
        context: GraphQLContext | None = getattr(starlette_request.state, _STATE_CONTEXT, None)
        anonymous = context is None or context.principal is None
        cap = self.settings.max_anonymous_body_bytes if anonymous else self.settings.max_graphql_body_bytes
        try:
            data = decode_json_object(await read_capped_body(starlette_request, cap))
        except BodyTooLarge as exc:
            raise HTTPException(413, exc.message) from exc
        except MalformedBody as exc:
            raise HTTPException(400, str(exc)) from exc
        return _request_data(data)


def _request_data_from_query_string(request: StarletteRequestAdapter) -> GraphQLRequestData:
    """`GET /graphql?query=…&variables=…` (queries only; strawberry refuses mutations over GET)."""
    params = request.query_params
    data: dict[str, Any] = {"query": params.get("query"), "operationName": params.get("operationName")}
    if params.get("variables"):
        try:
            data["variables"] = decode_json_object(str(params["variables"]).encode())
        except MalformedBody as exc:
            raise HTTPException(400, f"`variables`: {exc}") from exc
    return _request_data(data)


def _request_data(data: dict[str, Any]) -> GraphQLRequestData:
    query, variables = data.get("query"), data.get("variables")
    operation_name, extensions = data.get("operationName"), data.get("extensions")
    if not isinstance(query, str | None):
        raise HTTPException(400, "`query` must be a string")
    if not isinstance(variables, dict | None):
        raise HTTPException(400, "`variables` must be an object or null")
    if not isinstance(operation_name, str | None):
        raise HTTPException(400, "`operationName` must be a string or null")
    if not isinstance(extensions, dict | None):
        raise HTTPException(400, "`extensions` must be an object or null")
    return GraphQLRequestData(query=query, variables=variables, operation_name=operation_name, extensions=extensions)


def graphql_error_response(status: int, message: str) -> JSONResponse:
    code = _CODES.get(status, "BAD_REQUEST")
    return JSONResponse({"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}, status)
