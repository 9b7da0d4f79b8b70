"""Authentication refusals on every WebSocket route, one row per route the app mounts.

Each row says how to open its socket with a case's credentials and what its refusal looks like;
each is opened with every case its credential kind has (`refusal_cases.CASES`) and must be
refused before any work: GraphQL's graphql-transport-ws closes with 4403 without a single frame
(no `connection_ack`, and the operation sent right behind `connection_init` gets no `next`);
OpenC3's sockets send the dialect's one refusal line and close with 1008 (policy violation), never
a log line or terminal output. `test_every_websocket_route_is_a_row` derives the list from the
app's routes, so a new WebSocket route fails until it has a row here.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.robustness.refusal_cases import ALL, LOGIN, Credentials, credentials_for, mounted_routes, revoked_token_of
from tests.support.server import APP_CODE, APP_SECRET, Server

GRAPHQL_WS = [Subprotocol("graphql-transport-ws")]
FORBIDDEN = 4403  # graphql-transport-ws: connection_init refused
POLICY_VIOLATION = 1008
WAIT = 10.0


@dataclass(frozen=True)
class Answer:
    """What the server did with the socket: the text frames it sent, then how it closed it."""

    frames: tuple[str, ...]
    close_code: int | None  # None: still open after WAIT s (or the handshake itself was refused)
    handshake_status: int | None = None  # HTTP status of a refused handshake


def _read_until_closed(ws: ClientConnection) -> Answer:
    frames: list[str] = []
    while True:
        try:
            frame = ws.recv(timeout=WAIT)
        except ConnectionClosed as closed:
            return Answer(tuple(frames), closed.rcvd.code if closed.rcvd else None)
        except TimeoutError:
            return Answer(tuple(frames), None)
        frames.append(frame if isinstance(frame, str) else frame.decode(errors="replace"))


def _graphql_socket(server: Server, path: str, c: Credentials) -> Answer:
    token = c.token or c.raw
    payload = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        ws = connect(f"ws://127.0.0.1:{server.port}{path}", subprotocols=GRAPHQL_WS, open_timeout=WAIT)
    except InvalidStatus as refused:
        return Answer((), None, refused.response.status_code)
    with ws:
        ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        # Work asked for at once: a server that did any before refusing would answer it (a refusal
        # may have closed the socket already; what it sent before is still read below).
        query = {"query": "{ businesses(first: 1) { totalCount } }"}
        with contextlib.suppress(ConnectionClosed):
            ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": query}))
        return _read_until_closed(ws)


def _openc3_socket(server: Server, path: str, c: Credentials) -> Answer:
    headers: dict[str, str] = {}
    if c.token or c.raw:
        headers["Authorization"] = f"Bearer {c.token or c.raw}"
    if c.app_code is not None:
        headers.update(appname=c.app_code, appkey=c.app_secret or "")
    try:
        ws = connect(f"ws://127.0.0.1:{server.port}{path}", additional_headers=headers, open_timeout=WAIT)
    except InvalidStatus as refused:
        return Answer((), None, refused.response.status_code)
    with ws:
        if "/cmd/" in path:
            # Keystrokes right away: a terminal that opened would run them (a refusal may have closed
            # the socket already; what it sent before is still read below).
            with contextlib.suppress(ConnectionClosed):
                ws.send("id\r")
        return _read_until_closed(ws)


def _closed_silently(code: int) -> Callable[[Answer], bool]:
    return lambda answer: answer.frames == () and answer.close_code == code


def _refused_with(line: str) -> Callable[[Answer], bool]:
    return lambda answer: answer.frames == (line,) and answer.close_code == POLICY_VIOLATION


@dataclass(frozen=True)
class Socket:
    path: str  # a path the route matches, with its query
    open: Callable[[Server, str, Credentials], Answer]
    refused: Callable[[Answer], bool]
    cases: tuple[str, ...]  # the cases its credential kind has


# Keyed by the route's path as the app mounts it. The log socket's uuid and the terminal's tree are
# well-formed, so the credentials are the only reason to refuse.
SOCKETS: dict[str, Socket] = {
    "/graphql": Socket("/graphql", _graphql_socket, _closed_silently(FORBIDDEN), LOGIN),
    "/api/job/slave/{slavename}/ws": Socket(
        "/api/job/slave/x/ws?uuid=abcdefabcdef", _openc3_socket, _refused_with("open log fail: nocookie"), ALL
    ),
    "/slave/{slavename}/ws": Socket(
        "/slave/x/ws?uuid=abcdefabcdef", _openc3_socket, _refused_with("open log fail: nocookie"), ALL
    ),
    "/api/job/cmd/{treeid}": Socket(
        "/api/job/cmd/1?node=127.0.0.1", _openc3_socket, _refused_with("open terminal fail: not logged in"), ALL
    ),
}
PAIRS = [(route, case) for route, socket in SOCKETS.items() for case in socket.cases]


@pytest.fixture(scope="module")
def revoked_token(server: Server) -> str:
    return revoked_token_of(server)


@pytest.mark.parametrize(("route", "case"), PAIRS, ids=[f"{r}-{c}" for r, c in PAIRS])
def test_refused(server: Server, revoked_token: str, route: str, case: str) -> None:
    socket = SOCKETS[route]
    answer = socket.open(server, socket.path, credentials_for(case, revoked_token))
    assert socket.refused(answer), f"{route} with {case} credentials: {answer}"


def test_every_websocket_route_is_a_row() -> None:
    from starlette.routing import WebSocketRoute

    mounted = {route.path for route in mounted_routes() if isinstance(route, WebSocketRoute)}
    assert mounted == set(SOCKETS), (
        f"WebSocket routes without a row: {sorted(mounted - set(SOCKETS))}; rows of no route: "
        f"{sorted(set(SOCKETS) - mounted)}"
    )


def test_the_rows_hold_real_credentials_apart(server: Server, admin_token: str) -> None:
    """With valid credentials the same sockets get past authentication: the refusals mean something."""
    valid = Credentials(token=admin_token)
    graphql = _graphql_socket_until_ack(server, admin_token)
    assert graphql == "connection_ack"
    log = _openc3_socket(server, SOCKETS["/slave/{slavename}/ws"].path, valid)
    assert log.frames == ("open log fail: Non-existent uuid:abcdefabcdef",), log
    app = Credentials(app_code=APP_CODE, app_secret=APP_SECRET)
    terminal = _openc3_socket(server, SOCKETS["/api/job/cmd/{treeid}"].path, app)
    assert terminal.frames, terminal
    assert terminal.frames[0].startswith("open terminal fail: "), terminal  # no such tree: past the login
    assert "not logged in" not in terminal.frames[0], terminal


def _graphql_socket_until_ack(server: Server, token: str) -> str:
    with connect(f"ws://127.0.0.1:{server.port}/graphql", subprotocols=GRAPHQL_WS, open_timeout=WAIT) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        return str(json.loads(ws.recv(timeout=WAIT))["type"])
