"""One process of the subscriptions benchmark's clients: N graphql-transport-ws subscribers.

Run by `bench.subscriptions_bench`, never by hand:
    python -m bench.subscriptions_client --url ws://… --token T --task ID --subscribers N --out FILE

Each subscriber is its own WebSocket (the `websockets` library, no GraphQL client on top, so the
client costs as little as it can): `connection_init` with the token, `subscribe` to
`taskEvents(taskId, afterSeq: 0)`, then every `next` until `complete`. The process prints
`attached <first connect> <last first event>` (epoch seconds) once every subscriber has received
its first event — the replay of what the task had already recorded — and writes, when every stream
is complete, per subscriber the `seq`s in the order they came, and per event its `at` and when it
arrived (epoch seconds); with `--record`, the first subscriber's events whole as well.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import websockets

SUBSCRIPTION = "subscription($t: ID!) { taskEvents(taskId: $t, afterSeq: 0) { seq kind payload at } }"
_CONNECT_AT_ONCE = 64  # handshakes in flight: a burst of 1,000 would only time the listen backlog


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="ws://host:port/graphql")
    parser.add_argument("--token", default="")
    parser.add_argument("--task", required=True, help="the task's global id")
    parser.add_argument("--subscribers", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--timeout", type=float, default=300.0, help="give up on a stream after this long")
    parser.add_argument("--record", action="store_true", help="also write the first subscriber's events whole")
    return parser.parse_args()


def epoch(at: Any) -> float | None:
    return datetime.fromisoformat(at).timestamp() if isinstance(at, str) else None


class Subscriber:
    def __init__(self, index: int) -> None:
        self.index = index
        self.seqs: list[int] = []
        self.times: list[tuple[float | None, float]] = []  # (at, received) per event
        self.first = asyncio.get_running_loop().create_future()
        self.events: list[dict[str, Any]] | None = None  # whole events, when recording
        self.error = ""

    async def run(self, args: argparse.Namespace, gate: asyncio.Semaphore) -> None:
        try:
            async with gate:
                protocols = [websockets.Subprotocol("graphql-transport-ws")]
                # No client pings: a client process busy with 500 sockets would time its own pings out.
                websocket = await websockets.connect(
                    args.url, subprotocols=protocols, max_size=None, ping_interval=None
                )
                await websocket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": args.token}}))
                acknowledged = json.loads(await websocket.recv())
                if acknowledged.get("type") != "connection_ack":
                    raise RuntimeError(f"no connection_ack: {acknowledged}")
                subscribe = {"query": SUBSCRIPTION, "variables": {"t": args.task}}
                await websocket.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
            async with websocket:
                await self._read(websocket)
        except Exception as exc:  # reported, not raised: the other subscribers go on
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            if not self.first.done():
                self.first.set_result(None)

    async def _read(self, websocket: Any) -> None:
        async for raw in websocket:
            received = time.time()
            message = json.loads(raw)
            kind = message.get("type")
            if kind == "next":
                event = message["payload"]["data"]["taskEvents"]
                self.seqs.append(event["seq"])
                self.times.append((epoch(event.get("at")), received))
                if self.events is not None:
                    self.events.append(event)
                if not self.first.done():
                    self.first.set_result(received)
            elif kind == "complete":
                return
            elif kind == "ping":
                await websocket.send(json.dumps({"type": "pong"}))
            elif kind == "error":
                raise RuntimeError(f"subscription refused: {message.get('payload')}")


async def main_async(args: argparse.Namespace) -> None:
    gate = asyncio.Semaphore(_CONNECT_AT_ONCE)
    subscribers = [Subscriber(i) for i in range(args.subscribers)]
    if args.record:
        subscribers[0].events = []
    started = time.time()
    tasks = [asyncio.create_task(s.run(args, gate)) for s in subscribers]
    firsts = await asyncio.gather(*(s.first for s in subscribers))
    attached = max((t for t in firsts if t is not None), default=time.time())
    print(f"attached {started:.6f} {attached:.6f}", flush=True)
    await asyncio.wait(tasks, timeout=args.timeout)
    result = {
        "subscribers": [{"seqs": s.seqs, "times": s.times, "error": s.error} for s in subscribers],
        "unfinished": sum(1 for t in tasks if not t.done()),
        "events": subscribers[0].events,
    }
    for task in tasks:
        task.cancel()
    args.out.write_text(json.dumps(result))


def main() -> None:
    args = parse_args()
    try:
        asyncio.run(main_async(args))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
