"""Every change to businesses, sets, modules, hosts and host placement is pushed, in order, in
bk-cmdb's body, signed, to a real HTTP subscriber on loopback; a business subscription only gets
its business's events."""

from __future__ import annotations

from typing import Any

from tests.cmdb_events.receiver import Receiver, event_name
from tests.cmdb_events.support import ALL_TYPES, SUBSCRIPTIONS, UNSUBSCRIBE, signature_ok, statistics, subscribe
from tests.compat.cc_host_support import bk_id
from tests.support.server import GraphQLClient
from tests.support.topology import (
    add_hosts,
    create_business,
    create_module,
    create_set,
    mutate_ok,
    place_hosts,
)

ERRORS = "errors { code field message }"
UPDATE_HOSTS = f"""mutation($h: [ID!]!) {{
  updateHosts(input: {{hostIds: $h, properties: {{hostName: "renamed"}}}}) {{ hosts {{ id }} {ERRORS} }} }}"""
UPDATE_SET = f"""mutation($b: ID!, $s: ID!) {{
  updateSet(input: {{businessId: $b, setId: $s, description: "front"}}) {{ set {{ id }} {ERRORS} }} }}"""
UPDATE_MODULE = f"""mutation($b: ID!, $m: ID!) {{
  updateModule(input: {{businessId: $b, moduleId: $m, operator: "ops"}}) {{ module {{ id }} {ERRORS} }} }}"""
TO_IDLE = f"""mutation($b: ID!, $h: [ID!]!) {{
  transferHostsToBuiltinModule(input: {{businessId: $b, hostIds: $h, module: IDLE}}) {{ hosts {{ id }} {ERRORS} }} }}"""
TO_POOL = f"""mutation($b: ID!, $h: [ID!]!) {{
  returnHostsToResourcePool(input: {{businessId: $b, hostIds: $h}}) {{ hosts {{ id }} {ERRORS} }} }}"""
DELETE_HOSTS = f"""mutation($h: [ID!]!) {{ deleteHosts(input: {{hostIds: $h}}) {{ deletedIds {ERRORS} }} }}"""
DELETE_MODULE = f"""mutation($b: ID!, $m: ID!) {{
  deleteModule(input: {{businessId: $b, moduleId: $m}}) {{ deletedId {ERRORS} }} }}"""
DELETE_SETS = f"""mutation($b: ID!, $s: [ID!]!) {{
  deleteSets(input: {{businessId: $b, setIds: $s}}) {{ deletedIds {ERRORS} }} }}"""
UPDATE_BUSINESS = f"""mutation($b: ID!) {{
  updateBusiness(input: {{businessId: $b, maintainer: "bob"}}) {{ business {{ id }} {ERRORS} }} }}"""
DELETE_BUSINESS = f"""mutation($b: ID!) {{ deleteBusiness(input: {{businessId: $b}}) {{ deletedId {ERRORS} }} }}"""


def test_every_event_type_arrives_in_order_signed(
    gql: GraphQLClient, receiver: Receiver, unique: str, ip_allocator: Any
) -> None:
    subscription, secret = subscribe(gql, receiver.url, ALL_TYPES)
    assert secret, "a subscription made without a secret gets a generated one, once"
    try:
        business = create_business(gql, f"ev-{unique}")
        set_id = create_set(gql, business, "web")
        module_id = create_module(gql, business, "web", "nginx")
        ip = next(ip_allocator)
        (host_id,) = add_hosts(gql, [ip], business)
        place_hosts(gql, business, [host_id], [module_id])
        mutate_ok(gql, UPDATE_HOSTS, {"h": [host_id]})
        mutate_ok(gql, UPDATE_SET, {"b": business.id, "s": set_id})
        mutate_ok(gql, UPDATE_MODULE, {"b": business.id, "m": module_id})
        mutate_ok(gql, TO_IDLE, {"b": business.id, "h": [host_id]})
        mutate_ok(gql, TO_POOL, {"b": business.id, "h": [host_id]})
        mutate_ok(gql, DELETE_HOSTS, {"h": [host_id]})
        mutate_ok(gql, DELETE_MODULE, {"b": business.id, "m": module_id})
        mutate_ok(gql, DELETE_SETS, {"b": business.id, "s": [set_id]})
        mutate_ok(gql, UPDATE_BUSINESS, {"b": business.id})
        mutate_ok(gql, DELETE_BUSINESS, {"b": business.id})

        expected = [
            "bizcreate", "setcreate", "modulecreate",
            "hostcreate", "moduletransfer",  # imported into the business's idle module
            "moduletransfer", "moduletransfer",  # idle → nginx: leave, then join
            "hostupdate", "setupdate", "moduleupdate",
            "moduletransfer", "moduletransfer",  # nginx → idle
            "moduletransfer", "moduletransfer",  # business idle → resource pool idle
            "moduletransfer", "hostdelete",  # deleted from the pool: leaves its module, then goes
            "moduledelete", "setdelete", "bizupdate", "bizdelete",
        ]  # fmt: skip
        bodies = receiver.wait_for(len(expected))
        assert [event_name(body) for body in bodies] == expected
        stats = statistics(gql, 0, subscription["subscriptionId"])
        assert (stats["delivered"], stats["failure"], stats["pending"]) == (len(expected), 0, 0)
    finally:
        mutate_ok(gql, UNSUBSCRIBE, {"id": subscription["id"]})

    ids = [body["event_id"] for body in bodies]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    by_name = {event_name(body): body for body in bodies}
    update = by_name["hostupdate"]
    assert update["event_type"] == "instdata"
    assert update["action"] == "update"
    assert update["obj_type"] == "host"
    assert update["subscription_id"] == subscription["subscriptionId"]
    assert update["bk_supplier_account"] == "0"
    assert update["cursor"] == str(update["event_id"])
    assert update["distribution_id"] > 0
    assert update["action_time"]
    (change,) = update["data"]
    assert change["pre_data"]["bk_host_name"] == ""
    assert change["cur_data"]["bk_host_name"] == "renamed"
    assert change["cur_data"]["bk_host_innerip"] == ip
    assert "bk_host_name" in update["update_fields"]
    assert by_name["bizdelete"]["data"][0]["cur_data"] is None
    assert by_name["bizdelete"]["data"][0]["pre_data"]["bk_biz_name"] == f"ev-{unique}"
    joined = [body for body in bodies if body["obj_type"] == "moduletransfer" and body["action"] == "create"][1]
    assert joined["event_type"] == "relation"
    assert joined["data"][0]["cur_data"] == {
        "bk_host_id": joined["data"][0]["cur_data"]["bk_host_id"],
        "bk_module_id": bk_id(module_id),
        "bk_set_id": bk_id(set_id),
        "bk_biz_id": business.bk_biz_id,
        "bk_supplier_account": "0",
    }
    for item in receiver.received:
        assert signature_ok(secret, item.headers, item.raw)
        assert item.headers["x-opsgraph-event-id"] == str(item.body["event_id"])


def test_a_business_subscription_gets_only_its_business(gql: GraphQLClient, receiver: Receiver, unique: str) -> None:
    mine = create_business(gql, f"ev-mine-{unique}")
    other = create_business(gql, f"ev-other-{unique}")
    subscription, _ = subscribe(gql, receiver.url, ["setcreate", "setupdate"], bkBizId=mine.bk_biz_id, timeout=5)
    assert subscription["bkBizId"] == mine.bk_biz_id
    try:
        create_set(gql, other, "theirs")
        create_set(gql, mine, "ours")
        create_module(gql, mine, "ours", "not subscribed")
        create_set(gql, mine, "ours too")
        bodies = receiver.wait_for(2)
        assert [body["data"][0]["cur_data"]["bk_set_name"] for body in bodies] == ["ours", "ours too"]
        stats = statistics(gql, mine.bk_biz_id, subscription["subscriptionId"])
        assert stats["delivered"] == 2
        assert stats["pending"] == 0
        assert stats["total"] == 2
        assert stats["failure"] == 0
    finally:
        mutate_ok(gql, UNSUBSCRIBE, {"id": subscription["id"]})


def test_subscription_list_sql_count_does_not_grow(gql: GraphQLClient, unique: str) -> None:
    counts = []
    for size in (1, 6):
        business = create_business(gql, f"ev-count-{size}-{unique}")
        made = [
            subscribe(gql, f"http://127.0.0.1:9/{n}", ["setcreate"], bkBizId=business.bk_biz_id)[0] for n in range(size)
        ]
        response = gql.execute(SUBSCRIPTIONS, {"b": business.bk_biz_id})
        assert response.ok()["eventSubscriptions"]["count"] == size
        counts.append(response.sql_count)
        for subscription in made:
            mutate_ok(gql, UNSUBSCRIBE, {"id": subscription["id"]})
    assert counts[0] == counts[1], counts
