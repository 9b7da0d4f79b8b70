"""The subscriptions benchmark's baseline: a minimal Starlette graphql-transport-ws broadcaster of the
same `taskEvents` payloads, served by uvicorn in its own process like `opsgraph serve`.

What it does per connection: `connection_init` → `connection_ack`, `subscribe` → the events of the
loaded script that come "before go" (what OpsGraph replays from the database), `ping` → `pong`.
`POST /load` takes a script — `{"replay": [event…], "live": [[seconds after go, event]…]}`, events
as OpsGraph delivered them — and `POST /go` broadcasts the live events at their times, each stamped
with `at` = now when its broadcast starts (OpsGraph stamps its events before they are committed),
to every subscriber in turn, one `json.dumps` per subscriber and event, then `complete`s every
subscription. No GraphQL, no database, no authentication: the floor of delivering the same bytes.

Run: python -m bench.subscriptions_baseline --port 8200
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

PROTOCOL = "graphql-transport-ws"


@dataclass
class Broadcast:
    replay: list[dict[str, Any]] = field(default_factory=list)
    live: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    subscribers: dict[WebSocket, str] = field(default_factory=dict)  # socket → its operation id

    async def send(self, websocket: WebSocket, operation: str, event: dict[str, Any]) -> None:
        message = {"id": operation, "type": "next", "payload": {"data": {"taskEvents": event}}}
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await websocket.send_text(json.dumps(message))

    async def run(self) -> None:
        started = time.monotonic()
        for offset, event in self.live:
            delay = started + offset - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            stamped = {**event, "at": datetime.now(tz=UTC).isoformat()}
            for websocket, operation in list(self.subscribers.items()):
                await self.send(websocket, operation, stamped)
        for websocket, operation in list(self.subscribers.items()):
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await websocket.send_text(json.dumps({"id": operation, "type": "complete"}))
        self.subscribers.clear()


def create_app() -> Starlette:
    broadcast = Broadcast()

    async def graphql_socket(websocket: WebSocket) -> None:
        await websocket.accept(subprotocol=PROTOCOL)
        try:
            while True:
                message = json.loads(await websocket.receive_text())
                kind = message.get("type")
                if kind == "connection_init":
                    await websocket.send_text(json.dumps({"type": "connection_ack"}))
                elif kind == "ping":
                    await websocket.send_text(json.dumps({"type": "pong"}))
                elif kind == "subscribe":
                    for event in broadcast.replay:
                        await broadcast.send(websocket, message["id"], event)
                    broadcast.subscribers[websocket] = message["id"]
                elif kind == "complete":
                    broadcast.subscribers.pop(websocket, None)
        except WebSocketDisconnect:
            broadcast.subscribers.pop(websocket, None)

    async def load(request: Request) -> JSONResponse:
        script = await request.json()
        broadcast.replay = list(script["replay"])
        broadcast.live = [(float(offset), event) for offset, event in script["live"]]
        broadcast.subscribers.clear()
        return JSONResponse({"ok": True})

    async def go(request: Request) -> JSONResponse:
        task = asyncio.create_task(broadcast.run())
        request.app.state.running = task  # keep a reference until it ends
        return JSONResponse({"ok": True})

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            WebSocketRoute("/graphql", graphql_socket),
            Route("/load", load, methods=["POST"]),
            Route("/go", go, methods=["POST"]),
            Route("/healthz", healthz),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
