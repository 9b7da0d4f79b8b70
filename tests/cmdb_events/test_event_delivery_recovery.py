"""Delivery that survives failures: a subscriber that is down gets what it missed once it is back
(retries with backoff, in order), a subscriber whose answer does not confirm is retried until it
does, and events not yet delivered when the server stops are delivered after it starts again.

These run on a server of their own with short retry delays (first retry 100 ms, at most 1 s)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cmdb_events.receiver import Receiver
from tests.cmdb_events.support import UNSUBSCRIBE, statistics, subscribe
from tests.executors.support import dedicated_server
from tests.support.server import GraphQLClient, Server, free_port
from tests.support.topology import create_business, create_set, mutate_ok

FAST_RETRIES = {
    "OPSGRAPH_EVENT_POLL_MS": "100",
    "OPSGRAPH_EVENT_RETRY_FIRST_MS": "100",
    "OPSGRAPH_EVENT_RETRY_MAX_SECONDS": "1",
}


@pytest.fixture(scope="module")
def events_server(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, GraphQLClient]]:
    with dedicated_server(server, tmp_path_factory.mktemp("events"), FAST_RETRIES) as (instance, gql):
        yield instance, gql


def _wait_stats(gql: GraphQLClient, biz: int, sub_id: int, done: Any, what: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        stats = statistics(gql, biz, sub_id)
        if done(stats):
            return stats
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {timeout} s: {stats}")
        time.sleep(0.1)


def _set_names(bodies: list[dict[str, Any]]) -> list[str]:
    return [body["data"][0]["cur_data"]["bk_set_name"] for body in bodies]


def test_a_subscriber_that_was_down_gets_what_it_missed(
    events_server: tuple[Server, GraphQLClient], unique: str
) -> None:
    _, gql = events_server
    business = create_business(gql, f"down-{unique}")
    receiver = Receiver(port=free_port())  # nothing listens there yet
    sub, _ = subscribe(gql, receiver.url, ["setcreate"], bkBizId=business.bk_biz_id, timeout=2)
    try:
        for name in ("one", "two", "three"):
            create_set(gql, business, name)
        stats = _wait_stats(
            gql, business.bk_biz_id, sub["subscriptionId"], lambda s: s["failure"] >= 2, "failed attempts"
        )
        assert stats["delivered"] == 0
        assert stats["pending"] == 3
        assert stats["lastError"]
        receiver.start()
        bodies = receiver.wait_for(3)
        assert _set_names(bodies) == ["one", "two", "three"]
        # The figures are read in two statements (the subscription's counters, then the pending
        # count): on PostgreSQL a read between them can see "0 pending" before "3 delivered".
        stats = _wait_stats(
            gql,
            business.bk_biz_id,
            sub["subscriptionId"],
            lambda s: s["pending"] == 0 and s["delivered"] == 3,
            "all three delivered, none pending",
        )
        assert stats["total"] == stats["failure"] + 3
    finally:
        receiver.stop()
        mutate_ok(gql, UNSUBSCRIBE, {"id": sub["id"]})


def test_regular_mode_retries_until_the_body_confirms(events_server: tuple[Server, GraphQLClient], unique: str) -> None:
    _, gql = events_server
    business = create_business(gql, f"regular-{unique}")
    receiver = Receiver(reply=b'{"result": false}').start()
    sub, _ = subscribe(
        gql,
        receiver.url,
        ["setcreate"],
        bkBizId=business.bk_biz_id,
        confirmMode="regular",
        confirmPattern='"result":\\s*true',
    )
    try:
        create_set(gql, business, "first")
        _wait_stats(gql, business.bk_biz_id, sub["subscriptionId"], lambda s: s["failure"] >= 2, "refused pushes")
        receiver.reply = b'{"result": true}'
        create_set(gql, business, "second")
        _wait_stats(gql, business.bk_biz_id, sub["subscriptionId"], lambda s: s["delivered"] == 2, "confirmed")
        # Each push was received (status 200), only the last of "first"'s was confirmed by its body.
        names = _set_names(receiver.bodies())
        assert names[-2:] == ["first", "second"]
        assert set(names[:-2]) == {"first"}
    finally:
        receiver.stop()
        mutate_ok(gql, UNSUBSCRIBE, {"id": sub["id"]})


def test_undelivered_events_survive_a_restart(events_server: tuple[Server, GraphQLClient], unique: str) -> None:
    instance, gql = events_server
    business = create_business(gql, f"restart-{unique}")
    receiver = Receiver(port=free_port())
    sub, _ = subscribe(gql, receiver.url, ["setcreate", "setupdate"], bkBizId=business.bk_biz_id, timeout=2)
    for name in ("alpha", "beta", "gamma"):
        create_set(gql, business, name)
    _wait_stats(gql, business.bk_biz_id, sub["subscriptionId"], lambda s: s["failure"] >= 1, "a failed attempt")

    instance.stop()
    instance.port = free_port()
    receiver.start()
    instance.start()
    gql = GraphQLClient(instance.url, gql.token)
    try:
        bodies = receiver.wait_for(3)
        assert _set_names(bodies) == ["alpha", "beta", "gamma"]
        ids = [body["event_id"] for body in receiver.bodies()]
        assert len(ids) == len(set(ids)) == 3, "each event once"
        stats = _wait_stats(gql, business.bk_biz_id, sub["subscriptionId"], lambda s: s["pending"] == 0, "delivered")
        assert stats["delivered"] == 3
    finally:
        receiver.stop()
        mutate_ok(gql, UNSUBSCRIBE, {"id": sub["id"]})
