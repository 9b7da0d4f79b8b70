"""Many subscribers of one live task: each event is executed and encoded once per distinct document and
shared, yet every subscriber gets exactly its own selection, the whole stream in order, and only if it
may see the task — a viewer of the business shares the admin's events, an outsider is refused.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from gql import GraphQLRequest
from gql.transport.exceptions import TransportQueryError

from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import login, run_script, ssh_estate, summary, wait_for_task, ws_client
from tests.support.server import GraphQLClient, Server
from tests.support.sshd import SshUser
from tests.support.topology import mutate_ok

GRANT_ROLE = """
mutation($u: String!, $b: ID!, $role: String!) {
  grantRole(input: {username: $u, businessId: $b, role: $role}) { ok errors { code field message } }
}"""
WHOLE = "subscription($t: ID!) { taskEvents(taskId: $t) { seq kind payload at } }"
KINDS = "subscription($t: ID!) { taskEvents(taskId: $t) { seq kind } }"
FRAGMENT = """subscription($t: ID!) { taskEvents(taskId: $t) { seq ...Body } }
fragment Body on TaskEvent { payload }"""
PASSWORD = "shared-events-password-1"


async def stream(server: Server, token: str, document: str, task_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    async with ws_client(server, token) as session:
        subscription = session.subscribe(GraphQLRequest(document, variable_values={"t": task_id}))
        try:
            async for result in subscription:
                events.append(result["taskEvents"])
        finally:
            await subscription.aclose()
    return events


def new_user(server: Server, name: str) -> str:
    server.cli("admin", "create-user", name, "--password", PASSWORD)
    token = login(server.url, name, PASSWORD).token
    assert token is not None
    return token


async def test_subscribers_share_events_but_keep_their_own_selection_and_rights(
    server: Server,
    admin_token: str,
    gql: GraphQLClient,
    sshd_pool: SshdPoolFactory,
    ssh_user: SshUser,
    unique: str,
) -> None:
    estate = ssh_estate(gql, f"shared-events-{unique}", sshd_pool(3), ssh_user, count=2)
    viewer, outsider = f"viewer-{uuid.uuid4().hex[:8]}", f"outsider-{uuid.uuid4().hex[:8]}"
    viewer_token, outsider_token = new_user(server, viewer), new_user(server, outsider)
    mutate_ok(gql, GRANT_ROLE, {"u": viewer, "b": estate.business.id, "role": "viewer"})
    ref = run_script(gql, estate, "for i in 1 2 3 4 5 6 7 8; do echo line-$i; sleep 0.1; done")

    readers = [
        *(stream(server, admin_token, WHOLE, ref.id) for _ in range(3)),
        stream(server, viewer_token, WHOLE, ref.id),
        *(stream(server, admin_token, KINDS, ref.id) for _ in range(2)),
        stream(server, viewer_token, FRAGMENT, ref.id),
    ]
    *whole, viewer_whole, kinds_a, kinds_b, fragment = await asyncio.wait_for(asyncio.gather(*readers), 60)
    with pytest.raises(TransportQueryError) as refused:
        await asyncio.wait_for(stream(server, outsider_token, WHOLE, ref.id), 20)
    assert "does not exist" in str(refused.value), refused.value

    task = await asyncio.to_thread(wait_for_task, gql, ref)
    assert task["status"] == "SUCCESS", summary(task)
    last = task["lastSeq"]
    reference = whole[0]
    assert [e["seq"] for e in reference] == list(range(1, last + 1))
    assert all(e.keys() == {"seq", "kind", "payload", "at"} for e in reference)
    assert whole[1] == reference
    assert whole[2] == reference
    assert viewer_whole == reference
    for kinds in (kinds_a, kinds_b):
        assert kinds == [{"seq": e["seq"], "kind": e["kind"]} for e in reference]
    assert fragment == [{"seq": e["seq"], "payload": e["payload"]} for e in reference]
    lines = [line["text"] for e in reference if e["kind"] == "LOG" for line in e["payload"]["lines"]]
    assert sorted(lines) == sorted(f"line-{i}" for i in range(1, 9) for _ in estate.ips)
