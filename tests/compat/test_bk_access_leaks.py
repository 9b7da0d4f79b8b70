"""The BlueKing paths leak nothing a caller may not see (issue 7 §2), through bkapi-client-core.

- A login-exempt app (created with --skip-user-auth) names users by bk_username. It must not learn
  whether a name exists: a name no user has gets, call for call, the answers of an existing user
  without roles (the username in a message aside).
- A user with a role on its own business only must not learn which business owns an IP or host id:
  the refusal for another business's host is the refusal for a host that does not exist.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.compat.bk_client import LegacyClient, make_client
from tests.compat.cc_host_support import bk_id, hosts_state, locks, ok, refused
from tests.support.server import APP_CODE, APP_SECRET, GraphQLClient, Server
from tests.support.topology import Business, add_hosts, create_business, create_module, create_set

UNKNOWN_HOST_ID = 2_000_000_001
UNKNOWN_IP = "192.0.2.78"  # TEST-NET-1: never imported by any test
NOT_FOUND, DENIED = 1199019, 9900403


@dataclass
class Estate:
    home: Business  # where `insider` is an operator
    home_module: int
    foreign: Business  # where nobody but the superuser has a role
    foreign_name: str
    foreign_ip: str
    foreign_host: int
    foreign_set: int
    insider: LegacyClient


@pytest.fixture(scope="module")
def estate(server: Server, gql: GraphQLClient, ip_allocator: Iterator[str]) -> Estate:
    tag = uuid.uuid4().hex[:8]
    home = create_business(gql, f"bkleak-home-{tag}")
    create_set(gql, home, "web")
    home_module = create_module(gql, home, "web", "nginx")
    foreign_name = f"bkleak-foreign-{tag}"
    foreign = create_business(gql, foreign_name)
    foreign_set = create_set(gql, foreign, "db")
    foreign_ip = next(ip_allocator)
    (foreign_host,) = add_hosts(gql, [foreign_ip], foreign)
    insider = f"bkleakop{tag}"
    server.cli("admin", "create-user", insider, "--password", "bk-leak-password-1")
    server.cli("admin", "grant-role", insider, "--biz", str(home.bk_biz_id), "--role", "operator")
    return Estate(
        home=home,
        home_module=bk_id(home_module),
        foreign=foreign,
        foreign_name=foreign_name,
        foreign_ip=foreign_ip,
        foreign_host=bk_id(foreign_host),
        foreign_set=bk_id(foreign_set),
        insider=make_client(server.url, app_code=APP_CODE, app_secret=APP_SECRET, username=insider),
    )


def comparable(response: dict[str, Any], *typed: object) -> dict[str, Any]:
    """The envelope without its per-request id, with what the caller typed (names, ids, IPs) blanked."""
    text = {k: v for k, v in response.items() if k != "request_id"}
    for key in ("message", "bk_error_msg"):
        if isinstance(text.get(key), str):
            for value in typed:
                text[key] = re.sub(rf"(?<![\w.]){re.escape(str(value))}(?![\w.])", "<typed>", text[key])
    return text


def assert_names_no_business(estate: Estate, response: dict[str, Any]) -> None:
    message = str(response.get("message") or response.get("bk_error_msg") or "")
    without_ips = re.sub(r"\d+\.\d+\.\d+\.\d+", "<ip>", message)
    assert not re.search(rf"(?<!\d){estate.foreign.bk_biz_id}(?!\d)", without_ips), response
    assert estate.foreign_name not in message, response


# -- a login-exempt app probing usernames --------------------------------------------------------------

# call → what to send, given the estate (every one is refused or empty for a user without roles)
PROBES: dict[str, Callable[[LegacyClient, Estate], dict[str, Any]]] = {
    "cc.search_business": lambda c, e: c.cc.search_business({"condition": {"bk_biz_id": e.foreign.bk_biz_id}}),
    "cc.search_set": lambda c, e: c.cc.search_set({"bk_biz_id": e.foreign.bk_biz_id, "page": {"limit": 10}}),
    "cc.update_business": lambda c, e: c.cc.update_business(
        {"bk_biz_id": e.foreign.bk_biz_id, "data": {"bk_biz_name": "stolen"}}
    ),
    "cc.delete_set": lambda c, e: c.cc.delete_set({"bk_biz_id": e.foreign.bk_biz_id, "bk_set_id": e.foreign_set}),
    "cc.search_host in the business": lambda c, e: c.cc.search_host({"bk_biz_id": e.foreign.bk_biz_id}),
    "cc.search_host everywhere": lambda c, e: c.cc.search_host({}),
    "cc.add_host_lock": lambda c, e: c.cc.add_host_lock({"ip_list": [e.foreign_ip]}),
    "cc.search_host_lock": lambda c, e: c.cc.search_host_lock({"ip_list": [e.foreign_ip]}),
    "cc.get_operation_log": lambda c, e: c.cc.get_operation_log({"condition": {}}),
    "job.get_cron_list": lambda c, e: c.job.get_cron_list(params={"bk_biz_id": e.foreign.bk_biz_id}),
}


@dataclass
class Names:
    existing: str  # a user without any role
    unknown: str  # a name no user has
    real: LegacyClient
    ghost: LegacyClient


@pytest.fixture(scope="module")
def names(server: Server) -> Names:
    existing, unknown = f"bkleakreal{uuid.uuid4().hex[:8]}", f"bkleakghost{uuid.uuid4().hex[:8]}"
    server.cli("admin", "create-user", existing, "--password", "bk-leak-password-2")
    return Names(
        existing,
        unknown,
        make_client(server.url, app_code=APP_CODE, app_secret=APP_SECRET, username=existing),
        make_client(server.url, app_code=APP_CODE, app_secret=APP_SECRET, username=unknown),
    )


@pytest.mark.parametrize("probe", list(PROBES))
def test_an_unknown_bk_username_is_answered_like_a_user_without_roles(
    gql: GraphQLClient, estate: Estate, names: Names, probe: str
) -> None:
    call = PROBES[probe]
    assert comparable(call(names.ghost, estate), names.unknown) == comparable(call(names.real, estate), names.existing)
    # Neither changed anything.
    assert gql.ok("query($bk: Int!) { business(bkBizId: $bk) { name } }", {"bk": estate.foreign.bk_biz_id}) == {
        "business": {"name": estate.foreign_name}
    }
    assert locks(gql, [estate.foreign_ip]) == {estate.foreign_ip: False}


def test_an_app_that_may_not_skip_user_auth_is_still_refused(server: Server, estate: Estate) -> None:
    """The control: naming users stays a privilege of login-exempt apps."""
    code, secret = f"strictleak{uuid.uuid4().hex[:8]}", "strict-leak-secret"
    server.cli("admin", "create-app", code, "--secret", secret)
    strict = make_client(server.url, app_code=code, app_secret=secret, username=f"ghost{uuid.uuid4().hex[:6]}")
    refused(strict.cc.search_business({}), 1306000)


# -- a user with a role on its own business only --------------------------------------------------------


def test_host_locks_do_not_tell_who_owns_an_ip(gql: GraphQLClient, estate: Estate) -> None:
    foreign = estate.insider.cc.add_host_lock({"ip_list": [estate.foreign_ip]})
    missing = estate.insider.cc.add_host_lock({"ip_list": [UNKNOWN_IP]})
    refused(foreign, NOT_FOUND, style="bk_error_code")
    assert comparable(foreign, estate.foreign_ip) == comparable(missing, UNKNOWN_IP)
    assert_names_no_business(estate, foreign)
    assert locks(gql, [estate.foreign_ip]) == {estate.foreign_ip: False}
    # search answers "not locked" for both, as bk-cmdb does for IPs the caller cannot see.
    searched = ok(
        estate.insider.cc.search_host_lock({"ip_list": [estate.foreign_ip, UNKNOWN_IP]}), style="bk_error_code"
    )
    assert searched == {estate.foreign_ip: False, UNKNOWN_IP: False}


def test_transfers_do_not_tell_who_owns_a_host(gql: GraphQLClient, estate: Estate) -> None:
    def transfer(host: int) -> dict[str, Any]:
        body = {"bk_biz_id": estate.home.bk_biz_id, "bk_host_id": [host], "bk_module_id": [estate.home_module]}
        response: dict[str, Any] = estate.insider.cc.transfer_host_module({**body, "is_increment": False})
        return response

    before = hosts_state(gql, [estate.foreign_ip])
    foreign, missing = transfer(estate.foreign_host), transfer(UNKNOWN_HOST_ID)
    refused(foreign, NOT_FOUND)
    assert comparable(foreign, estate.foreign_host) == comparable(missing, UNKNOWN_HOST_ID)
    assert_names_no_business(estate, foreign)
    assert hosts_state(gql, [estate.foreign_ip]) == before


def test_the_superuser_keeps_the_precise_codes(bk: LegacyClient, estate: Estate) -> None:
    """bk-cmdb's "belongs to another business" codes stay for a caller who may see both businesses."""
    body = {"bk_biz_id": estate.home.bk_biz_id, "bk_host_id": [estate.foreign_host]}
    refused(bk.cc.transfer_host_module({**body, "bk_module_id": [estate.home_module], "is_increment": False}), 1113002)
    refused(bk.cc.delete_set({"bk_biz_id": estate.home.bk_biz_id, "bk_set_id": estate.foreign_set}), 1110060)


def test_a_business_without_a_role_is_refused_alike_whether_it_exists_or_not(
    gql: GraphQLClient, estate: Estate
) -> None:
    def rename(biz: int) -> dict[str, Any]:
        response: dict[str, Any] = estate.insider.cc.update_business({"bk_biz_id": biz, "data": {"bk_biz_name": "x"}})
        return response

    foreign, missing = rename(estate.foreign.bk_biz_id), rename(2_000_000_000)
    refused(foreign, DENIED)
    assert comparable(foreign, estate.foreign.bk_biz_id) == comparable(missing, 2_000_000_000)
    assert estate.foreign_name not in str(foreign)
    name = gql.ok("query($bk: Int!) { business(bkBizId: $bk) { name } }", {"bk": estate.foreign.bk_biz_id})
    assert name == {"business": {"name": estate.foreign_name}}
