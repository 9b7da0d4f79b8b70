"""cc host locks through bkapi-client-core: add_host_lock, delete_host_lock, search_host_lock
(the `bk_error_code` envelope)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.compat.bk_client import LegacyClient
from tests.compat.cc_host_support import locks, ok, refused, take_ips
from tests.support.server import GraphQLClient
from tests.support.topology import add_hosts, create_business

STYLE = "bk_error_code"


@pytest.fixture(scope="module")
def host_ip(gql: GraphQLClient, ip_allocator: Any) -> str:
    """One unlocked host, shared by the tests that must leave it unlocked."""
    (ip,) = take_ips(ip_allocator, 1)
    add_hosts(gql, [ip], create_business(gql, f"lockbad-{uuid.uuid4().hex[:8]}"))
    return ip


def test_lock_search_unlock_as_documented(bk: LegacyClient, gql: GraphQLClient, unique: str, ip_allocator: Any) -> None:
    locked_ip, free_ip, unknown_ip = take_ips(ip_allocator, 3)
    add_hosts(gql, [locked_ip, free_ip], create_business(gql, f"lock-{unique}"))
    response = bk.cc.add_host_lock({"ip_list": [locked_ip], "bk_cloud_id": 0})
    assert ok(response, style=STYLE) is None
    assert response["bk_error_msg"] == "success"
    assert "code" not in response
    # Locking a locked host succeeds too.
    assert ok(bk.cc.add_host_lock({"ip_list": [locked_ip]}), style=STYLE) is None
    response = bk.cc.search_host_lock({"ip_list": [locked_ip, free_ip, unknown_ip], "bk_cloud_id": 0})
    # Every IP asked is answered; one that names no host is simply not locked.
    assert ok(response, style=STYLE) == {locked_ip: True, free_ip: False, unknown_ip: False}
    assert response["bk_error_msg"] == "success"
    assert ok(bk.cc.delete_host_lock({"ip_list": [locked_ip], "bk_cloud_id": 0}), style=STYLE) is None
    assert ok(bk.cc.search_host_lock({"ip_list": [locked_ip]}), style=STYLE) == {locked_ip: False}
    assert locks(gql, [locked_ip, free_ip]) == {locked_ip: False, free_ip: False}


@pytest.mark.parametrize("endpoint", ["add_host_lock", "delete_host_lock", "search_host_lock"])
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, 1199008),
        ({"ip_list": []}, 1199008),
        ({"ip_list": ["not-an-ip"]}, 1199006),
        ({"ip_list": "{ip}", "bk_cloud_id": "zero"}, 1199006),
    ],
)
def test_lock_endpoints_refuse_bad_input(
    bk: LegacyClient, gql: GraphQLClient, host_ip: str, endpoint: str, body: dict[str, Any], code: int
) -> None:
    ip = host_ip
    request = {k: ip if v == "{ip}" else v for k, v in body.items()}
    refused(getattr(bk.cc, endpoint)(request), code, style=STYLE)
    assert locks(gql, [ip]) == {ip: False}


def test_locking_an_unknown_host_locks_nothing(
    bk: LegacyClient, gql: GraphQLClient, unique: str, ip_allocator: Any
) -> None:
    known, unknown = take_ips(ip_allocator, 2)
    add_hosts(gql, [known], create_business(gql, f"lockunknown-{unique}"))
    refused(bk.cc.add_host_lock({"ip_list": [known, unknown]}), 1199019, style=STYLE)
    assert locks(gql, [known]) == {known: False}
