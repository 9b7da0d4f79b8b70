"""cc event subscriptions through the unmodified bkapi-component-open client: subscribe_event
(`timeout` and `time_out` both read), search_subscription with statistics, update_event_subscribe,
unsubcribe_event, testing_connection — and a pushed event signed with the subscribing app's secret."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cmdb_events.receiver import Receiver
from tests.compat.cc_component_client import CoreClient, component_client
from tests.compat.cc_host_support import ok, refused
from tests.support.server import APP_SECRET, GraphQLClient, Server, free_port
from tests.support.topology import create_business, create_set


@pytest.fixture(scope="module")
def cc(server: Server) -> CoreClient:
    return component_client(server.url, "admin")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    try:
        yield started
    finally:
        started.stop()


def _subscription(**overrides: Any) -> dict[str, Any]:
    body = {
        "bk_supplier_account": "0",
        "subscription_name": "mysubscribe",
        "system_name": "SystemName",
        "callback_url": "http://127.0.0.1:8080/callback",
        "confirm_mode": "httpstatus",
        "confirm_pattern": "200",
        "subscription_form": "hostcreate",
        "timeout": 10,
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def _find(cc: CoreClient, biz: int, subscription_id: int) -> dict[str, Any]:
    found = ok(cc.cc.search_subscription(data={"bk_biz_id": biz, "page": {"start": 0, "limit": 200}}))
    for item in found["info"]:
        if item["subscription_id"] == subscription_id:
            return dict(item)
    raise AssertionError(f"subscription {subscription_id} not found in {found}")


def test_subscribe_search_update_unsubscribe(
    cc: CoreClient, gql: GraphQLClient, unique: str, receiver: Receiver
) -> None:
    business = create_business(gql, f"sub-{unique}")
    biz = business.bk_biz_id
    created = ok(
        cc.cc.subscribe_event(
            data=_subscription(
                bk_biz_id=biz,
                subscription_name=f"sets-{unique}",
                callback_url=receiver.url,
                subscription_form="setupdate, setcreate",
                timeout=None,
                time_out=7,  # bk-cmdb's own key; the doc's `timeout` is read too (below)
            )
        )
    )
    sub_id = created["subscription_id"]
    assert isinstance(sub_id, int)
    item = _find(cc, biz, sub_id)
    assert item["subscription_form"] == "setcreate,setupdate"  # spaces dropped, sorted
    assert item["time_out"] == item["timeout"] == 7
    assert item["confirm_mode"] == "httpstatus"
    assert item["operator"] == "admin"
    assert item["statistics"] == {"total": 0, "failure": 0, "delivered": 0, "pending": 0, "given_up": 0}

    create_set(gql, business, "pushed")
    (body,) = receiver.wait_for(1)
    assert body["obj_type"] == "set"
    assert body["subscription_id"] == sub_id
    (push,) = receiver.received
    # Signed with the subscribing app's own secret.
    timestamp = push.headers["x-opsgraph-timestamp"]
    digest = hmac.new(APP_SECRET.encode(), timestamp.encode() + b"." + push.raw, hashlib.sha256).hexdigest()
    assert push.headers["x-opsgraph-signature"] == f"sha256={digest}"

    update = _subscription(
        bk_biz_id=biz,
        subscription_id=sub_id,
        subscription_name=f"renamed-{unique}",
        callback_url=receiver.url,
        confirm_mode="regular",
        confirm_pattern="result",
        subscription_form="setdelete",
        timeout=3,
    )
    assert ok(cc.cc.update_event_subscribe(data=update)) == "success"
    item = _find(cc, biz, sub_id)
    assert (item["subscription_name"], item["confirm_mode"], item["timeout"]) == (f"renamed-{unique}", "regular", 3)
    assert item["subscription_form"] == "setdelete"
    found = ok(cc.cc.search_subscription(data={"bk_biz_id": biz, "condition": {"subscription_name": "renamed"}}))
    assert [i["subscription_id"] for i in found["info"]] == [sub_id]

    assert ok(cc.cc.unsubcribe_event(data={"bk_supplier_account": "0", "subscription_id": sub_id})) == "success"
    assert ok(cc.cc.search_subscription(data={"bk_biz_id": biz}))["count"] == 0
    refused(cc.cc.unsubcribe_event(data={"subscription_id": sub_id}), 1199019)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"subscription_name": None}, 1199010),
        ({"callback_url": None}, 1199010),
        ({"subscription_form": None}, 1199010),
        ({"subscription_form": " , "}, 1199010),
        ({"confirm_mode": "sometimes"}, 1199006),
        ({"confirm_mode": "regular", "confirm_pattern": "(unclosed"}, 1199006),
        ({"confirm_pattern": "ok"}, 1199006),
        ({"callback_url": "ftp://127.0.0.1/x"}, 1199006),
        ({"subscription_form": "host-create"}, 1199006),
        ({"timeout": 100_000}, 1199006),
        ({"bk_biz_id": 2_000_000_000}, 1199019),
    ],
)
def test_subscribe_refusals(cc: CoreClient, overrides: dict[str, Any], code: int) -> None:
    refused(cc.cc.subscribe_event(data=_subscription(**overrides)), code)


def test_global_subscriptions_are_a_superusers(server: Server, cc: CoreClient, gql: GraphQLClient, unique: str) -> None:
    name = f"sub-nobody-{unique}"
    server.cli("admin", "create-user", name, "--password", "a-long-password-1")
    stranger = component_client(server.url, name)
    refused(stranger.cc.subscribe_event(data=_subscription()), 9900403)
    business = create_business(gql, f"sub-private-{unique}")
    refused(stranger.cc.subscribe_event(data=_subscription(bk_biz_id=business.bk_biz_id)), 9900403)
    refused(stranger.cc.search_subscription(data={"bk_biz_id": business.bk_biz_id}), 9900403)
    mine = ok(cc.cc.subscribe_event(data=_subscription(bk_biz_id=business.bk_biz_id)))["subscription_id"]
    # Someone else's subscription is answered like a missing one.
    refused(stranger.cc.unsubcribe_event(data={"subscription_id": mine}), 1199019)
    refused(stranger.cc.update_event_subscribe(data=_subscription(subscription_id=mine)), 1199019)
    assert _find(cc, business.bk_biz_id, mine)["subscription_name"] == "mysubscribe"
    ok(cc.cc.unsubcribe_event(data={"subscription_id": mine}))


def test_testing_connection(cc: CoreClient, receiver: Receiver) -> None:
    assert ok(cc.cc_extra.testing_connection(data={"callback_url": receiver.url})) == "success"
    # The doc's example has no scheme: read as http://.
    assert (
        ok(cc.cc_extra.testing_connection(data={"callback_url": f"127.0.0.1:{receiver.port}/callback", "data": {}}))
        == "success"
    )
    closed = free_port()
    refused(cc.cc_extra.testing_connection(data={"callback_url": f"http://127.0.0.1:{closed}/x"}), 1103005)
    refused(cc.cc_extra.testing_connection(data={}), 1199010)
    assert receiver.received == [], "testing_connection only connects, it sends no event"
