"""How a graphql-transport-ws client authenticates: `connection_init` payload, or (for GraphiQL after
`login`) the `bk_token` cookie — only from our own origin, since browsers send cookies on
cross-site WebSockets too."""

from __future__ import annotations

import json
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from tests.support.server import GraphQLClient, Server

PROTOCOL = [Subprotocol("graphql-transport-ws")]


def handshake(server: Server, payload: dict[str, Any] | None, headers: dict[str, str]) -> dict[str, Any]:
    """The server's answer to `connection_init`: the ack, or a close with its code."""
    url = f"ws://127.0.0.1:{server.port}/graphql"
    try:
        ws = connect(url, subprotocols=PROTOCOL, additional_headers=headers, open_timeout=10)
    except InvalidStatus as refused:
        return {"type": "rejected", "status": refused.response.status_code}
    with ws:
        ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
        try:
            return dict(json.loads(ws.recv(timeout=10)))
        except ConnectionClosed as closed:
            return {"type": "closed", "code": closed.rcvd.code if closed.rcvd else None}


def test_token_in_connection_init(server: Server, gql: GraphQLClient) -> None:
    assert handshake(server, {"Authorization": f"Bearer {gql.token}"}, {})["type"] == "connection_ack"


def test_no_credentials_is_refused(server: Server) -> None:
    answer = handshake(server, None, {})
    assert answer == {"type": "closed", "code": 4403}


def test_cookie_from_our_own_page(server: Server, gql: GraphQLClient) -> None:
    headers = {"Cookie": f"bk_token={gql.token}", "Origin": f"http://127.0.0.1:{server.port}"}
    assert handshake(server, None, headers)["type"] == "connection_ack"


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1:1"])
def test_cookie_from_another_site_is_not_enough(server: Server, gql: GraphQLClient, origin: str) -> None:
    headers = {"Cookie": f"bk_token={gql.token}", "Origin": origin}
    # Refused at the handshake (strawberry's same-origin check); the cookie is never looked at.
    assert handshake(server, None, headers) == {"type": "rejected", "status": 403}
