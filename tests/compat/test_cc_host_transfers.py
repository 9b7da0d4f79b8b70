"""cc host transfers through bkapi-client-core: transfer_host_module and the idle/fault/resource-pool
verbs, with bk-cmdb's refusals (1113004, 1113005, 1113002, 1110056). Every refusal is followed by a
re-read showing that no host moved."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.compat.bk_client import LegacyClient, make_client
from tests.compat.cc_host_support import bk_id, hosts_state, locks, ok, refused, take_ips
from tests.support.server import APP_CODE, APP_SECRET, GraphQLClient, Server
from tests.support.topology import Business, add_hosts, create_business, create_module, create_set, place_hosts

GRANT_ROLE = """
mutation($user: String!, $b: ID!, $role: String!) {
  grantRole(input: {username: $user, businessId: $b, role: $role}) { ok errors { code message } }
}"""


@dataclass
class Site:
    """A business with set `s` of ordinary modules m1, m2 and hosts (h0, h1, …) in m1; the ids are bk ids."""

    business: Business
    ips: list[str]
    hosts: list[int]
    m1: int
    m2: int
    idle: int
    fault: int

    @property
    def biz(self) -> int:
        return self.business.bk_biz_id

    def placement(self, gql: GraphQLClient) -> dict[str, tuple[int, list[int]]]:
        return {ip: (biz, modules) for ip, (biz, modules, _) in hosts_state(gql, self.ips).items()}


def make_site(gql: GraphQLClient, name: str, ips: list[str]) -> Site:
    business = create_business(gql, name)
    create_set(gql, business, "s")
    m1, m2 = create_module(gql, business, "s", "m1"), create_module(gql, business, "s", "m2")
    hosts = add_hosts(gql, ips, business)
    place_hosts(gql, business, hosts, [m1])
    return Site(
        business, ips, [bk_id(h) for h in hosts], bk_id(m1), bk_id(m2), bk_id(business.idle_module),
        bk_id(business.fault_module),
    )  # fmt: skip


@pytest.fixture
def site(gql: GraphQLClient, unique: str, ip_allocator: Any) -> Site:
    return make_site(gql, f"xfer-{unique}", take_ips(ip_allocator, 2))


def test_transfer_host_module_replace_and_append(bk: LegacyClient, gql: GraphQLClient, site: Site) -> None:
    h0, h1 = site.hosts
    ip0, ip1 = site.ips
    body = {"bk_supplier_account": "0", "bk_biz_id": site.biz, "bk_host_id": [h0], "bk_module_id": [site.m2]}
    # is_increment=true appends (the doc contradicts itself; bk-cmdb's code decides)...
    response = bk.cc.transfer_host_module({**body, "is_increment": True})
    assert ok(response) == {}
    assert response["message"] == ""
    assert site.placement(gql)[ip0] == (site.biz, sorted([site.m1, site.m2]))
    # ...false replaces; the strings "true"/"false" are booleans too.
    assert ok(bk.cc.transfer_host_module({**body, "bk_module_id": [site.m1], "is_increment": "false"})) == {}
    assert site.placement(gql)[ip0] == (site.biz, [site.m1])
    assert ok(bk.cc.transfer_host_module({**body, "bk_host_id": [h0, h1], "is_increment": "true"})) == {}
    assert site.placement(gql) == {
        ip0: (site.biz, sorted([site.m1, site.m2])),
        ip1: (site.biz, sorted([site.m1, site.m2])),
    }
    # A single built-in module with replace is allowed (and exclusive).
    assert ok(bk.cc.transfer_host_module({**body, "bk_module_id": [site.idle], "is_increment": False})) == {}
    assert site.placement(gql)[ip0] == (site.biz, [site.idle])
    # Appending an ordinary module to an idle host takes it out of the idle module.
    assert ok(bk.cc.transfer_host_module({**body, "bk_module_id": [site.m2], "is_increment": True})) == {}
    assert site.placement(gql)[ip0] == (site.biz, [site.m2])


def test_transfer_host_module_refusals_move_nothing(
    bk: LegacyClient, gql: GraphQLClient, unique: str, ip_allocator: Any, site: Site
) -> None:
    other = make_site(gql, f"xfer-other-{unique}", take_ips(ip_allocator, 1))
    before, other_before = site.placement(gql), other.placement(gql)
    h0 = site.hosts[0]

    def attempt(code: int, **body: Any) -> None:
        request = {"bk_biz_id": site.biz, "bk_host_id": [h0], "bk_module_id": [site.m2], "is_increment": False}
        refused(bk.cc.transfer_host_module({**request, **body}), code)

    attempt(1113004, bk_module_id=[site.m2, other.m1])  # a module of another business
    attempt(1113005, bk_module_id=[site.idle, site.m2])  # a built-in module among several
    attempt(1113005, bk_module_id=[site.fault], is_increment=True)  # appending to a built-in module
    attempt(1113002, bk_host_id=[h0, other.hosts[0]])  # a host of another business
    attempt(1199019, bk_host_id=[h0, 2_000_000_001])  # an unknown host
    attempt(1199019, bk_module_id=[2_000_000_001])  # an unknown module
    attempt(1199006, bk_host_id="abc")
    attempt(1199006, bk_host_id=[h0], bk_module_id=["m2"])
    attempt(1199006, is_increment="sometimes")
    attempt(1199008, bk_module_id=[])
    refused(bk.cc.transfer_host_module({"bk_host_id": [h0], "bk_module_id": [site.m2]}), 1199008)
    refused(bk.cc.transfer_host_module({}), 1199008)
    assert site.placement(gql) == before
    assert other.placement(gql) == other_before


def test_transfer_to_idle_and_fault_modules(bk: LegacyClient, gql: GraphQLClient, site: Site) -> None:
    h0, h1 = site.hosts
    ip0, ip1 = site.ips
    ok(
        bk.cc.transfer_host_module(
            {"bk_biz_id": site.biz, "bk_host_id": [h0], "bk_module_id": [site.m2], "is_increment": True}
        )
    )
    assert ok(bk.cc.transfer_host_to_idlemodule({"bk_biz_id": site.biz, "bk_host_id": [h0]})) == {}
    assert site.placement(gql)[ip0] == (site.biz, [site.idle])  # exclusive: m1 and m2 are left
    assert ok(bk.cc.transfer_host_to_faultmodule({"bk_biz_id": site.biz, "bk_host_id": [h0, h1]})) == {}
    assert site.placement(gql) == {ip0: (site.biz, [site.fault]), ip1: (site.biz, [site.fault])}


def test_transfer_to_idle_and_fault_refusals_move_nothing(
    bk: LegacyClient, gql: GraphQLClient, unique: str, ip_allocator: Any, site: Site
) -> None:
    other = make_site(gql, f"xfer-if-{unique}", take_ips(ip_allocator, 1))
    before, other_before = site.placement(gql), other.placement(gql)
    for verb in (bk.cc.transfer_host_to_idlemodule, bk.cc.transfer_host_to_faultmodule):
        refused(verb({"bk_biz_id": site.biz, "bk_host_id": [site.hosts[0], other.hosts[0]]}), 1113002)
        refused(verb({"bk_biz_id": site.biz, "bk_host_id": [2_000_000_001]}), 1199019)
        refused(verb({"bk_biz_id": 2_000_000_001, "bk_host_id": site.hosts}), 1199019)
        refused(verb({"bk_biz_id": site.biz, "bk_host_id": "abc"}), 1199006)
        refused(verb({"bk_biz_id": site.biz}), 1199008)
    assert site.placement(gql) == before
    assert other.placement(gql) == other_before


def test_resource_pool_round_trip(bk: LegacyClient, gql: GraphQLClient, site: Site) -> None:
    h0, h1 = site.hosts
    ip0, ip1 = site.ips
    # Hosts in ordinary modules cannot go back to the pool (bk-cmdb 1110056); nothing moves.
    before = site.placement(gql)
    refused(bk.cc.transfer_host_to_resourcemodule({"bk_biz_id": site.biz, "bk_host_id": [h0]}), 1110056)
    assert site.placement(gql) == before
    ok(bk.cc.transfer_host_to_idlemodule({"bk_biz_id": site.biz, "bk_host_id": [h0]}))
    refused(bk.cc.transfer_host_to_resourcemodule({"bk_biz_id": site.biz, "bk_host_id": [h0, h1]}), 1110056)
    assert site.placement(gql)[ip1] == (site.biz, [site.m1])
    # An idle host goes back, and lands in the pool's idle module.
    assert ok(bk.cc.transfer_host_to_resourcemodule({"bk_biz_id": site.biz, "bk_host_id": [h0]})) == {}
    pool_biz, pool_modules = site.placement(gql)[ip0]
    assert pool_biz != site.biz
    assert len(pool_modules) == 1
    # A host not in the pool cannot be assigned from it; nothing moves.
    refused(bk.cc.transfer_resourcehost_to_idlemodule({"bk_biz_id": site.biz, "bk_host_id": [h0, h1]}), 1110056)
    assert site.placement(gql)[ip0] == (pool_biz, pool_modules)
    assert ok(bk.cc.transfer_resourcehost_to_idlemodule({"bk_biz_id": site.biz, "bk_host_id": [h0]})) == {}
    assert site.placement(gql)[ip0] == (site.biz, [site.idle])


def test_transfer_sethost_to_idle_module_answers_sucess(
    bk: LegacyClient, gql: GraphQLClient, unique: str, ip_allocator: Any
) -> None:
    site = make_site(gql, f"xfer-set-{unique}", take_ips(ip_allocator, 3))
    _h0, h1, h2 = site.hosts
    ok(
        bk.cc.transfer_host_module(
            {"bk_biz_id": site.biz, "bk_host_id": [h1], "bk_module_id": [site.m1, site.m2], "is_increment": False}
        )
    )
    ok(
        bk.cc.transfer_host_module(
            {"bk_biz_id": site.biz, "bk_host_id": [h2], "bk_module_id": [site.m2], "is_increment": False}
        )
    )
    set_id = bk_id(site.business.sets["s"])
    # One module: h0 (only in m1) becomes idle, h1 keeps m2, h2 is untouched.
    response = bk.cc.transfer_sethost_to_idle_module(
        {"bk_biz_id": site.biz, "bk_set_id": set_id, "bk_module_id": site.m1}
    )
    assert ok(response) == "sucess"  # sic, as documented
    ip0, ip1, ip2 = site.ips
    assert site.placement(gql) == {ip0: (site.biz, [site.idle]), ip1: (site.biz, [site.m2]), ip2: (site.biz, [site.m2])}
    # Module 0: the whole set.
    assert (
        ok(bk.cc.transfer_sethost_to_idle_module({"bk_biz_id": site.biz, "bk_set_id": set_id, "bk_module_id": 0}))
        == "sucess"
    )
    assert list(site.placement(gql).values()) == [(site.biz, [site.idle])] * 3


def test_transfer_sethost_to_idle_module_refusals(
    bk: LegacyClient, gql: GraphQLClient, unique: str, ip_allocator: Any, site: Site
) -> None:
    other = make_site(gql, f"xfer-set-o-{unique}", take_ips(ip_allocator, 1))
    before = site.placement(gql)
    set_id = bk_id(site.business.sets["s"])
    refused(
        bk.cc.transfer_sethost_to_idle_module({"bk_biz_id": site.biz, "bk_set_id": set_id, "bk_module_id": other.m1}),
        1110062,
    )
    refused(
        bk.cc.transfer_sethost_to_idle_module(
            {"bk_biz_id": site.biz, "bk_set_id": bk_id(other.business.sets["s"]), "bk_module_id": 0}
        ),
        1110060,
    )
    refused(bk.cc.transfer_sethost_to_idle_module({"bk_biz_id": site.biz, "bk_set_id": "s"}), 1199006)
    refused(bk.cc.transfer_sethost_to_idle_module({"bk_biz_id": site.biz}), 1199008)
    assert site.placement(gql) == before


def test_locked_hosts_are_not_moved(bk: LegacyClient, gql: GraphQLClient, site: Site) -> None:
    ip0 = site.ips[0]
    ok(bk.cc.add_host_lock({"ip_list": [ip0], "bk_cloud_id": 0}), style="bk_error_code")
    before = site.placement(gql)
    refused(bk.cc.transfer_host_to_idlemodule({"bk_biz_id": site.biz, "bk_host_id": site.hosts}), 1199006)
    assert site.placement(gql) == before
    ok(bk.cc.delete_host_lock({"ip_list": [ip0]}), style="bk_error_code")
    assert locks(gql, [ip0]) == {ip0: False}
    assert ok(bk.cc.transfer_host_to_idlemodule({"bk_biz_id": site.biz, "bk_host_id": site.hosts})) == {}


def test_a_viewer_may_not_transfer(
    bk: LegacyClient, gql: GraphQLClient, server: Server, unique: str, site: Site
) -> None:
    username = f"viewer{unique}"
    server.cli("admin", "create-user", username, "--password", "viewer-password-1")
    granted = gql.ok(GRANT_ROLE, {"user": username, "b": site.business.id, "role": "viewer"})["grantRole"]
    assert granted["errors"] == []
    viewer = make_client(server.url, app_code=APP_CODE, app_secret=APP_SECRET, username=username)
    before = site.placement(gql)
    body = {"bk_biz_id": site.biz, "bk_host_id": site.hosts[:1], "bk_module_id": [site.m2], "is_increment": False}
    refused(viewer.cc.transfer_host_module(body), 9900403)
    refused(viewer.cc.transfer_host_to_faultmodule({"bk_biz_id": site.biz, "bk_host_id": site.hosts}), 9900403)
    assert site.placement(gql) == before
    # Reading is allowed: search_host within the business sees its hosts.
    assert ok(viewer.cc.search_host({"bk_biz_id": site.biz}))["count"] == 2
