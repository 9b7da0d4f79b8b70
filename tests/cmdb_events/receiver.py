"""A real HTTP event receiver on loopback: records every POST (headers and JSON body) and answers
with a status the test chooses; it can be stopped and started again on the same port (a subscriber
that is down for a while)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.server import free_port


@dataclass
class Received:
    headers: dict[str, str]
    raw: bytes
    body: dict[str, Any]


@dataclass
class Receiver:
    port: int = field(default_factory=free_port)
    status: int = 200
    reply: bytes = b'{"result": true}'
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cmdb/events"

    def start(self) -> Receiver:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with owner._lock:
                    status, reply = owner.status, owner.reply
                    if 200 <= status < 300:
                        owner.received.append(
                            Received({k.lower(): v for k, v in self.headers.items()}, raw, json.loads(raw))
                        )
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                return

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def bodies(self, keep: Callable[[dict[str, Any]], bool] = lambda body: True) -> list[dict[str, Any]]:
        with self._lock:
            return [item.body for item in self.received if keep(item.body)]

    def wait_for(
        self, count: int, keep: Callable[[dict[str, Any]], bool] = lambda b: True, timeout: float = 30
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.bodies(keep)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                names = [event_name(body) for body in found]
                raise AssertionError(f"{len(found)} of {count} events arrived within {timeout} s: {names}")
            time.sleep(0.05)


def event_name(body: dict[str, Any]) -> str:
    if body["event_type"] == "relation":
        return str(body["obj_type"])
    if body["event_type"] == "association":
        return f"{body['obj_type']}update"
    return f"{body['obj_type']}{body['action']}"
