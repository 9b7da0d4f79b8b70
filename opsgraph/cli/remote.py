"""A running server's GraphQL API, for commands that need what only the server has (its executors).

Queries and mutations go over HTTP; subscriptions over graphql-transport-ws, authenticated in
`connection_init`. Every failure becomes one `RemoteError` line: the server cannot be reached, it
refused the token, or it answered with a GraphQL error.

Example:
    server = RemoteServer("http://127.0.0.1:8000", token)
    server.execute("{ me { username } }")                    # {'me': {'username': 'admin'}}
    async for data in server.subscribe(EVENTS, {"t": task_id}): ...
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from opsgraph.core.errors import OpsGraphError

PROTOCOL = "graphql-transport-ws"
_ACK_TIMEOUT = 10.0


class RemoteError(OpsGraphError):
    code = "REMOTE"


class StreamInterrupted(RemoteError):
    """The subscription's connection dropped before the server completed it: resume after the last event."""


def graphql_error(errors: list[dict[str, Any]]) -> RemoteError:
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    message = str(first.get("message") or "the server answered with an error")
    code = (first.get("extensions") or {}).get("code")
    if code == "UNAUTHENTICATED":
        return RemoteError(f"the server refused the token: {message}")
    return RemoteError(message)


@dataclass
class RemoteServer:
    url: str
    token: str = field(repr=False)
    timeout: float = 30.0

    @property
    def graphql_url(self) -> str:
        return f"{self.url.rstrip('/')}/graphql"

    @property
    def websocket_url(self) -> str:
        url = self.graphql_url
        if url.startswith("https://"):
            return "wss://" + url[len("https://") :]
        if url.startswith("http://"):
            return "ws://" + url[len("http://") :]
        raise RemoteError(f"server URL must start with http:// or https://, got {self.url!r}")

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """`data` of one query or mutation; GraphQL and transport errors raise RemoteError."""
        if not self.url.startswith(("http://", "https://")):
            raise RemoteError(f"server URL must start with http:// or https://, got {self.url!r}")
        try:
            response = httpx.post(
                self.graphql_url,
                json={"query": query, "variables": variables or {}},
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeout,
            )
        except httpx.TimeoutException as exc:
            raise RemoteError(f"the server at {self.url} did not answer within {self.timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise RemoteError(f"cannot reach the server at {self.url}: {exc}") from exc
        try:
            body = response.json()
        except ValueError as exc:
            raise RemoteError(f"{self.graphql_url} answered HTTP {response.status_code}, not GraphQL") from exc
        if not isinstance(body, dict):
            raise RemoteError(f"{self.graphql_url} answered HTTP {response.status_code}, not GraphQL")
        if body.get("errors"):
            raise graphql_error(body["errors"])
        if response.status_code != 200 or not isinstance(body.get("data"), dict):
            raise RemoteError(f"{self.graphql_url} answered HTTP {response.status_code} without data")
        data: dict[str, Any] = body["data"]
        return data

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> AsyncIterator[dict[str, Any]]:
        """`data` of each event until the server completes the subscription.

        A connection lost midway raises StreamInterrupted; a refused connection or token, RemoteError.
        """
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
        from websockets.typing import Subprotocol

        try:
            async with connect(
                self.websocket_url, subprotocols=[Subprotocol(PROTOCOL)], open_timeout=self.timeout
            ) as socket:
                await socket.send(json.dumps({"type": "connection_init", "payload": self._init_payload()}))
                await self._wait_for_ack(socket)
                subscription_id = str(next(_ids))
                await socket.send(
                    json.dumps(
                        {
                            "id": subscription_id,
                            "type": "subscribe",
                            "payload": {"query": query, "variables": variables or {}},
                        }
                    )
                )
                async for raw in socket:
                    message = json.loads(raw)
                    kind = message.get("type")
                    if kind == "ping":
                        await socket.send(json.dumps({"type": "pong"}))
                    elif kind == "next" and message.get("id") == subscription_id:
                        payload = message.get("payload") or {}
                        if payload.get("errors"):
                            raise graphql_error(payload["errors"])
                        yield payload.get("data") or {}
                    elif kind == "error" and message.get("id") == subscription_id:
                        raise graphql_error(message.get("payload") or [])
                    elif kind == "complete" and message.get("id") == subscription_id:
                        return
                raise StreamInterrupted(f"the server at {self.url} closed the subscription")
        except ConnectionClosed as exc:
            if exc.rcvd is not None and exc.rcvd.code in {4401, 4403}:
                raise RemoteError("the server refused the token for the subscription") from exc
            raise StreamInterrupted(f"the connection to {self.url} was lost") from exc
        except (InvalidHandshake, InvalidURI) as exc:
            raise RemoteError(f"cannot open a subscription at {self.websocket_url}: {exc}") from exc
        except TimeoutError as exc:  # before OSError, of which it is a subclass
            raise RemoteError(f"the server at {self.url} did not accept the subscription in time") from exc
        except OSError as exc:
            raise RemoteError(f"cannot reach the server at {self.url}: {exc}") from exc

    def _init_payload(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def _wait_for_ack(self, socket: Any) -> None:
        async with asyncio.timeout(_ACK_TIMEOUT):
            while True:
                message = json.loads(await socket.recv())
                if message.get("type") == "connection_ack":
                    return
                if message.get("type") == "ping":
                    await socket.send(json.dumps({"type": "pong"}))


_ids = itertools.count(1)
