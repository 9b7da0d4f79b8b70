"""`taskEvents` over graphql-transport-ws with the published `gql` client: replay after `afterSeq`, then
live, completing when the task ends; authentication from `connection_init`; business scoping."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from gql.transport.exceptions import TransportConnectionFailed, TransportQueryError
from websockets.exceptions import ConnectionClosed

from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import (
    TASK,
    TASK_PROGRESS,
    get_task,
    login,
    read_events,
    run_script,
    ssh_estate,
    summary,
    task_mutation,
    wait_for_task,
    wait_until,
    ws_client,
)
from tests.support.server import GraphQLClient, Server
from tests.support.sshd import SshUser
from tests.support.topology import create_business, mutate_ok

GRANT_ROLE = """
mutation($u: String!, $b: ID!, $role: String!) {
  grantRole(input: {username: $u, businessId: $b, role: $role}) { ok errors { code field message } }
}"""
LINES = 20


def log_lines(events: list[dict[str, Any]], ip: str, stream: str = "stdout") -> list[str]:
    return [
        line["text"]
        for event in events
        if event["kind"] == "LOG" and event["payload"]["ip"] == ip
        for line in event["payload"]["lines"]
        if line["stream"] == stream
    ]


async def test_subscription_sees_the_whole_task_across_a_reconnect(
    server: Server,
    admin_token: str,
    gql: GraphQLClient,
    sshd_pool: SshdPoolFactory,
    ssh_user: SshUser,
    unique: str,
) -> None:
    estate = ssh_estate(gql, f"events-{unique}", sshd_pool(3), ssh_user, count=2)
    content = f"i=1; while [ $i -le {LINES} ]; do echo line-$i; i=$((i+1)); sleep 0.1; done; echo to-stderr >&2"
    ref = run_script(gql, estate, content)

    first = await asyncio.wait_for(read_events(server, admin_token, ref.id, limit=4), 20)
    assert not first.completed
    assert len(first.events) == 4
    seen = first.events[-1]["seq"]

    # Let more events be stored while nobody listens, so the reconnect replays some before going live.
    progressed = await asyncio.to_thread(
        wait_until,
        gql,
        ref,
        lambda t: t["lastSeq"] >= seen + 3,
        what="more events while disconnected",
        query=TASK_PROGRESS,
    )
    second = await asyncio.wait_for(read_events(server, admin_token, ref.id, after=seen), 30)
    assert second.completed, "the stream must complete by itself when the task ends"
    assert second.events[0]["seq"] == seen + 1
    print(f"\nreconnected after seq {seen}; the task was {progressed['status']}, lastSeq {progressed['lastSeq']}")

    events = first.events + second.events
    task = await asyncio.to_thread(wait_for_task, gql, ref)
    assert task["status"] == "SUCCESS", summary(task)
    assert [e["seq"] for e in events] == list(range(1, task["lastSeq"] + 1)), [e["seq"] for e in events]

    task_statuses = [e["payload"]["status"] for e in events if e["kind"] == "TASK_STATUS"]
    assert task_statuses[0] == "RUNNING", task_statuses
    assert task_statuses[-1] == "SUCCESS", task_statuses
    assert events[0]["kind"] == "TASK_STATUS"
    assert events[-1]["kind"] == "TASK_STATUS"
    step_statuses = [e["payload"]["status"] for e in events if e["kind"] == "STEP_STATUS"]
    assert step_statuses == ["RUNNING", "SUCCESS"]
    for ip in estate.ips:
        host_statuses = [e["payload"] for e in events if e["kind"] == "HOST_STATUS" and e["payload"]["ip"] == ip]
        assert [h["status"] for h in host_statuses] == ["RUNNING", "SUCCESS"], host_statuses
        assert host_statuses[-1]["exitCode"] == 0
        assert log_lines(events, ip) == [f"line-{i}" for i in range(1, LINES + 1)]
        assert log_lines(events, ip, "stderr") == ["to-stderr"]

    # A client arriving after the end gets the stored history and the end, then completion.
    late = await asyncio.wait_for(read_events(server, admin_token, ref.id, after=task["lastSeq"] - 2), 10)
    assert late.completed
    assert [e["seq"] for e in late.events] == [task["lastSeq"] - 1, task["lastSeq"]]
    assert late.events[-1]["payload"]["status"] == "SUCCESS"

    # Every event says when it happened, whether replayed from the database or delivered live.
    undated = [e["seq"] for e in events if e["at"] is None]
    assert not undated, f"events without their time `at` (live ones, not replayed): {undated}"


@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["no token", "bad token"])
async def test_connection_without_a_valid_token_is_rejected(server: Server, token: str | None) -> None:
    client = ws_client(server, token)
    with pytest.raises(TransportConnectionFailed) as raised:
        await asyncio.wait_for(client.connect_async(), 10)
    await client.close_async()
    closed = raised.value.__cause__
    assert isinstance(closed, ConnectionClosed), repr(raised.value)
    assert closed.rcvd is not None, closed
    assert closed.rcvd.code == 4403, closed  # graphql-transport-ws: Forbidden


async def test_subscribing_to_another_business_task_is_refused(
    server: Server, gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = ssh_estate(gql, f"events-private-{unique}", sshd_pool(3), ssh_user, count=1)
    ref = run_script(gql, estate, "echo private")
    outsider = f"outsider-{uuid.uuid4().hex[:8]}"
    server.cli("admin", "create-user", outsider, "--password", "outsider-password-1")
    outsider_gql = login(server.url, outsider, "outsider-password-1")
    token = outsider_gql.token
    assert token is not None
    elsewhere = create_business(gql, f"events-elsewhere-{unique}")
    mutate_ok(gql, GRANT_ROLE, {"u": outsider, "b": elsewhere.id, "role": "operator"})

    with pytest.raises(TransportQueryError) as raised:
        await asyncio.wait_for(read_events(server, token, ref.id), 10)

    assert "does not exist" in str(raised.value), raised.value
    # Over HTTP too the task is invisible to them, and they cannot cancel it.
    assert outsider_gql.ok(TASK, {"j": ref.job_instance_id})["task"] is None
    refused = task_mutation(outsider_gql, "cancelTask", ref.id)
    assert [e["code"] for e in refused["errors"]] == ["TASK_NOT_FOUND"], refused
    await asyncio.to_thread(wait_for_task, gql, ref)
    assert get_task(gql, ref)["status"] == "SUCCESS"
