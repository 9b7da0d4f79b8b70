"""Real TCP, UDP and HTTP servers on loopback for the uptime tests; each can be stopped and started
again on the same port, to play a service that goes down and comes back."""

from __future__ import annotations

import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.server import free_port


class _Tcp(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(b"hello from tcp\n")


class _Udp(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        sock.sendto(b"pong:" + data, self.client_address)


class _Http(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"service ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Target:
    """One server kind on 127.0.0.1:port that can go down and come back."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.port = free_port()
        self._server: Any = None

    def start(self) -> Target:
        if self.kind == "tcp":
            socketserver.ThreadingTCPServer.allow_reuse_address = True
            self._server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), _Tcp)
        elif self.kind == "udp":
            self._server = socketserver.ThreadingUDPServer(("127.0.0.1", self.port), _Udp)
        else:
            ThreadingHTTPServer.allow_reuse_address = True
            self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _Http)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def listener(port: int) -> socket.socket:
    """A bare listening TCP socket (a component's well-known port)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(8)
    return sock
