"""cc host records through bkapi-client-core: get_host_base_info, update_host, delete_host,
add_host_to_resource, clone_host_property. Every refused write is followed by a re-read showing
that nothing changed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.compat.bk_client import LegacyClient
from tests.compat.cc_host_support import bk_id, host_ids_by_ip, hosts_state, ok, refused, take_ips
from tests.support.custom_attributes import declare_attributes
from tests.support.server import APP_CODE, APP_SECRET, GraphQLClient, Server
from tests.support.topology import Business, add_hosts, create_business, create_module, create_set, place_hosts


@pytest.fixture(autouse=True)
def _declared_host_attributes(gql: GraphQLClient) -> None:
    declare_attributes(gql, "host", slot="singlechar")


def business_with_hosts(gql: GraphQLClient, name: str, ips: list[str], **properties: Any) -> tuple[Business, list[int]]:
    business = create_business(gql, name)
    return business, [bk_id(h) for h in add_hosts(gql, ips, business, **properties)]


def pool_hosts(bk: LegacyClient, ips: list[str], **properties: Any) -> None:
    host_info = {
        str(i): {"bk_host_innerip": ip, "bk_cloud_id": 0, "import_from": "3", **properties} for i, ip in enumerate(ips)
    }
    assert ok(bk.cc.add_host_to_resource({"host_info": host_info})) == {}


# get_host_base_info ------------------------------------------------------------------------------


def test_get_host_base_info_by_get_query_string_and_post(
    bk: LegacyClient, gql: GraphQLClient, unique: str, ip_allocator: Any
) -> None:
    (ip,) = take_ips(ip_allocator, 1)
    _, (host_id,) = business_with_hosts(
        gql, f"base-{unique}", [ip], hostName=f"h-{unique}", cpu=8, attributes={"slot": "R7"}
    )
    data = ok(bk.cc.get_host_base_info({"bk_host_id": host_id}))  # GET: the id travels in the query string
    assert all(set(item) == {"bk_property_id", "bk_property_name", "bk_property_value"} for item in data)
    triples = {item["bk_property_id"]: (item["bk_property_name"], item["bk_property_value"]) for item in data}
    assert triples["bk_host_innerip"] == ("内网IP", ip)
    assert triples["bk_host_name"] == ("主机名称", f"h-{unique}")
    assert triples["bk_cpu"] == ("CPU逻辑核心数", 8)
    assert triples["bk_host_id"] == ("主机ID", host_id)
    assert triples["slot"] == ("slot", "R7")  # a custom attribute is named by its id
    assert data[-1]["bk_property_id"] == "slot"  # custom attributes come last
    assert ok(bk.cc.get_host_base_info__post({"bk_host_id": str(host_id)})) == data


def test_get_host_base_info_get_with_a_json_body(
    server: Server, gql: GraphQLClient, unique: str, ip_allocator: Any
) -> None:
    """The doc's own form: GET with a JSON body carrying the credentials (the legacy ESB SDK)."""
    (ip,) = take_ips(ip_allocator, 1)
    _, (host_id,) = business_with_hosts(gql, f"baseget-{unique}", [ip])
    body = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "admin", "bk_host_id": host_id}
    response = httpx.request("GET", f"{server.url}/api/c/compapi/v2/cc/get_host_base_info/", json=body)
    assert response.status_code == 200
    triples = {item["bk_property_id"]: item["bk_property_value"] for item in ok(response.json())}
    assert triples["bk_host_innerip"] == ip


@pytest.mark.parametrize(("body", "code"), [({}, 1199008), ({"bk_host_id": "abc"}, 1199006)])
def test_get_host_base_info_refuses_bad_input(bk: LegacyClient, body: dict[str, Any], code: int) -> None:
    refused(bk.cc.get_host_base_info(body), code)


def test_get_host_base_info_of_an_unknown_host(bk: LegacyClient) -> None:
    refused(bk.cc.get_host_base_info({"bk_host_id": 2_000_000_000}), 1199019)
    refused(bk.cc.get_host_base_info__post({"bk_host_id": 99_999_999_999}), 1199019)


# update_host -------------------------------------------------------------------------------------


def test_update_host_sets_properties_on_comma_separated_hosts(
    bk: LegacyClient, gql: GraphQLClient, unique: str, ip_allocator: Any
) -> None:
    ips = take_ips(ip_allocator, 3)
    _, ids = business_with_hosts(gql, f"upd-{unique}", ips)
    body = {
        "bk_supplier_account": "0",
        "bk_host_id": f"{ids[0]},{ids[1]}",
        "data": {"bk_host_name": "test", "bk_cpu": 4, "slot": "Z1", "undeclared_key": "dropped"},
    }
    response = bk.cc.update_host(body)
    assert ok(response) is None  # the doc's "data": none
    assert response["message"] == ""
    state = hosts_state(gql, ips)
    for ip in ips[:2]:
        props = state[ip][2]
        assert (props["bk_host_name"], props["bk_cpu"], props["slot"]) == ("test", 4, "Z1")
        assert "undeclared_key" not in props  # the host model does not declare it: dropped, as bk-cmdb does
    assert state[ips[2]][2]["bk_host_name"] == ""
    # The transfer endpoints' int-array spelling works here too.
    assert ok(bk.cc.update_host({"bk_host_id": [ids[2]], "data": {"bk_os_type": 1}})) is None
    assert hosts_state(gql, [ips[2]])[ips[2]][2]["bk_os_type"] == "1"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"bk_host_id": "{ok}", "data": {"bk_cpu": "many"}}, 1199006),
        ({"bk_host_id": "{ok},2000000001", "data": {"bk_host_name": "x"}}, 1199019),  # one unknown: none updated
        ({"bk_host_id": "abc", "data": {"bk_host_name": "x"}}, 1199006),
        ({"bk_host_id": "{ok}"}, 1199008),
        ({"bk_host_id": "{ok}", "data": {}}, 1199006),
        ({"bk_host_id": "{ok}", "data": "bk_host_name=x"}, 1199006),
        ({"data": {"bk_host_name": "x"}}, 1199008),
        ({"bk_host_id": "{ok}", "data": {"bk_host_innerip": "not-an-ip"}}, 1199006),
        ({"bk_host_id": "{ok}", "data": {"slot": {"nested": 1}}}, 1199006),
    ],
)
def test_update_host_refuses_bad_input_and_changes_nothing(
    bk: LegacyClient, gql: GraphQLClient, unique: str, ip_allocator: Any, body: dict[str, Any], code: int
) -> None:
    (ip,) = take_ips(ip_allocator, 1)
    _, (host_id,) = business_with_hosts(gql, f"updbad-{unique}", [ip], hostName="before")
    before = hosts_state(gql, [ip])
    request = {k: v.replace("{ok}", str(host_id)) if isinstance(v, str) else v for k, v in body.items()}
    refused(bk.cc.update_host(request), code)
    assert hosts_state(gql, [ip]) == before


def test_update_host_refuses_a_duplicate_inner_ip(
    bk: LegacyClient, gql: GraphQLClient, unique: str, ip_allocator: Any
) -> None:
    ips = take_ips(ip_allocator, 2)
    _, ids = business_with_hosts(gql, f"upddup-{unique}", ips)
    before = hosts_state(gql, ips)
    refused(bk.cc.update_host({"bk_host_id": str(ids[1]), "data": {"bk_host_innerip": ips[0]}}), 1199014)
    assert hosts_state(gql, ips) == before


def test_update_host_empty_post_body(bk: LegacyClient) -> None:
    refused(bk.cc.update_host({}), 1199008)  # bkapi-client-core sends no body for {}


# delete_host -------------------------------------------------------------------------------------


def test_delete_host_deletes_resource_pool_hosts(bk: LegacyClient, gql: GraphQLClient, ip_allocator: Any) -> None:
    ips = take_ips(ip_allocator, 2)
    pool_hosts(bk, ips)
    ids = host_ids_by_ip(gql, ips)
    assert ok(bk.cc.delete_host({"bk_supplier_account": "0", "bk_host_id": f"{ids[ips[0]]},{ids[ips[1]]}"})) == {}
    assert hosts_state(gql, ips) == {}


def test_delete_host_refuses_hosts_of_a_business(
    bk: LegacyClient, gql: GraphQLClient, unique: str, ip_allocator: Any
) -> None:
    pool_ip, biz_ip = take_ips(ip_allocator, 2)
    pool_hosts(bk, [pool_ip])
    _, (biz_host,) = business_with_hosts(gql, f"del-{unique}", [biz_ip])
    pool_host = host_ids_by_ip(gql, [pool_ip])[pool_ip]
    before = hosts_state(gql, [pool_ip, biz_ip])
    refused(bk.cc.delete_host({"bk_host_id": f"{pool_host},{biz_host}"}), 1110056)  # all or nothing
    refused(bk.cc.delete_host({"bk_host_id": f"{pool_host},2000000001"}), 1199019)
    refused(bk.cc.delete_host({"bk_host_id": "1,x"}), 1199006)
    refused(bk.cc.delete_host({}), 1199008)
    assert hosts_state(gql, [pool_ip, biz_ip]) == before


def with_ip(value: Any, ip: str) -> Any:
    """`value` with every "{ip}" string replaced by `ip` (parameters are shared by both backends)."""
    if isinstance(value, dict):
        return {k: with_ip(v, ip) for k, v in value.items()}
    return ip if value == "{ip}" else value


# add_host_to_resource ----------------------------------------------------------------------------


def test_add_host_to_resource_doc_example(bk: LegacyClient, gql: GraphQLClient, ip_allocator: Any) -> None:
    ips = take_ips(ip_allocator, 3)
    request = {
        "bk_supplier_account": "123456789",
        "host_info": {
            "0": {"bk_host_innerip": ips[0], "bk_cloud_id": 0, "import_from": "3"},
            # Row keys are numbers written as text; more properties may ride along.
            "10": {
                "bk_host_innerip": ips[2],
                "bk_cloud_id": 0,
                "import_from": 3,
                "bk_host_name": "ten",
                "slot": "K",
                "nope": 1,
            },
            "2": {"bk_host_innerip": ips[1], "bk_cloud_id": 0, "import_from": "3", "bk_os_type": "1"},
        },
    }
    response = bk.cc.add_host_to_resource(request)
    assert ok(response) == {}
    assert response["message"] == ""
    state = hosts_state(gql, ips)
    assert set(state) == set(ips)
    pool = {biz for biz, _, _ in state.values()}
    assert len(pool) == 1  # all in the resource pool, in its idle module
    assert state[ips[2]][2]["bk_host_name"] == "ten"
    assert state[ips[2]][2]["slot"] == "K"
    assert "nope" not in state[ips[2]][2]  # undeclared: dropped
    assert state[ips[2]][2]["import_from"] == "3"
    assert state[ips[1]][2]["bk_os_type"] == "1"
    # Ids follow the row order "0", "2", "10".
    assert state[ips[0]][2]["bk_host_id"] < state[ips[1]][2]["bk_host_id"] < state[ips[2]][2]["bk_host_id"]


def test_add_host_to_resource_into_a_business(
    bk: LegacyClient, gql: GraphQLClient, unique: str, ip_allocator: Any
) -> None:
    (ip,) = take_ips(ip_allocator, 1)
    business = create_business(gql, f"addbiz-{unique}")
    body = {
        "bk_biz_id": business.bk_biz_id,
        "host_info": {"0": {"bk_host_innerip": ip, "bk_cloud_id": 0, "import_from": "3"}},
    }
    assert ok(bk.cc.add_host_to_resource(body)) == {}
    ((biz, modules, _),) = hosts_state(gql, [ip]).values()
    assert biz == business.bk_biz_id
    assert modules == [bk_id(business.idle_module)]


def test_add_host_to_resource_duplicates_import_nothing(
    bk: LegacyClient, gql: GraphQLClient, ip_allocator: Any
) -> None:
    existing, fresh, again = take_ips(ip_allocator, 3)
    pool_hosts(bk, [existing])
    before = hosts_state(gql, [existing, fresh, again])
    twice = {
        "0": {"bk_host_innerip": fresh, "bk_cloud_id": 0, "import_from": "3"},
        "1": {"bk_host_innerip": fresh, "bk_cloud_id": 0, "import_from": "3"},
    }
    refused(bk.cc.add_host_to_resource({"host_info": twice}), 1199014)
    stored = {
        "0": {"bk_host_innerip": again, "bk_cloud_id": 0, "import_from": "3"},
        "1": {"bk_host_innerip": existing, "bk_cloud_id": 0, "import_from": "3"},
    }
    refused(bk.cc.add_host_to_resource({"host_info": stored}), 1199014)
    assert hosts_state(gql, [existing, fresh, again]) == before  # neither `fresh` nor `again` was imported


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, 1199008),
        ({"host_info": {}}, 1199006),
        ({"host_info": "10.0.0.1"}, 1199006),
        ({"host_info": {"0": {"bk_cloud_id": 0, "import_from": "3"}}}, 1199008),
        ({"host_info": {"0": {"bk_host_innerip": "10.0.0.300", "bk_cloud_id": 0}}}, 1199006),
        ({"host_info": {"0": {"bk_host_innerip": "{ip}", "bk_cloud_id": "zero"}}}, 1199006),
        ({"host_info": {"0": {"bk_host_innerip": "{ip}", "bk_cloud_id": 424242}}}, 1199019),
        ({"host_info": {"0": {"bk_host_innerip": "{ip}", "bk_cpu": "lots"}}}, 1199006),
        ({"bk_biz_id": 2_000_000_000, "host_info": {"0": {"bk_host_innerip": "{ip}"}}}, 1199019),
    ],
)
def test_add_host_to_resource_refuses_bad_input(
    bk: LegacyClient, gql: GraphQLClient, ip_allocator: Any, body: dict[str, Any], code: int
) -> None:
    (ip,) = take_ips(ip_allocator, 1)
    refused(bk.cc.add_host_to_resource(with_ip(body, ip)), code)
    assert hosts_state(gql, [ip]) == {}


# clone_host_property -----------------------------------------------------------------------------


def test_clone_host_property_copies_properties_not_identity(
    bk: LegacyClient, gql: GraphQLClient, unique: str, ip_allocator: Any
) -> None:
    source, first, second = ips = take_ips(ip_allocator, 3)
    business, _ = business_with_hosts(
        gql, f"clone-{unique}", [source], hostName="src", osType="1", cpu=16, attributes={"slot": "C3"}
    )
    add_hosts(gql, [first, second], business)
    response = bk.cc.clone_host_property(
        {"bk_biz_id": business.bk_biz_id, "bk_org_ip": source, "bk_dst_ip": f"{first},{second}", "bk_cloud_id": 0}
    )
    assert ok(response) is None
    state = hosts_state(gql, ips)
    for ip in (first, second):
        props = state[ip][2]
        assert (props["bk_host_name"], props["bk_os_type"], props["bk_cpu"], props["slot"]) == ("src", "1", 16, "C3")
        assert props["bk_host_innerip"] == ip
    assert len({state[ip][2]["bk_host_id"] for ip in ips}) == 3


def test_clone_host_property_refusals_change_nothing(
    bk: LegacyClient, gql: GraphQLClient, unique: str, ip_allocator: Any
) -> None:
    source, target, elsewhere, nowhere = take_ips(ip_allocator, 4)
    business, _ = business_with_hosts(gql, f"clonebad-{unique}", [source, target], hostName="keep")
    business_with_hosts(gql, f"clonebad-b-{unique}", [elsewhere])
    before = hosts_state(gql, [source, target, elsewhere])
    biz = business.bk_biz_id
    refused(bk.cc.clone_host_property({"bk_biz_id": biz, "bk_org_ip": nowhere, "bk_dst_ip": target}), 1199019)
    refused(
        bk.cc.clone_host_property({"bk_biz_id": biz, "bk_org_ip": source, "bk_dst_ip": f"{target},{elsewhere}"}),
        1199019,
    )
    refused(
        bk.cc.clone_host_property({"bk_biz_id": biz, "bk_org_ip": f"{source},{target}", "bk_dst_ip": target}), 1199006
    )
    refused(bk.cc.clone_host_property({"bk_biz_id": biz, "bk_org_ip": source}), 1199008)
    refused(bk.cc.clone_host_property({"bk_org_ip": source, "bk_dst_ip": target}), 1199008)
    assert hosts_state(gql, [source, target, elsewhere]) == before


def test_host_writes_keep_module_placement(
    bk: LegacyClient, gql: GraphQLClient, unique: str, ip_allocator: Any
) -> None:
    """update_host touches properties only: memberships are left as they were."""
    (ip,) = take_ips(ip_allocator, 1)
    business = create_business(gql, f"keep-{unique}")
    (host,) = add_hosts(gql, [ip], business)
    create_set(gql, business, "s")
    module = create_module(gql, business, "s", "m")
    place_hosts(gql, business, [host], [module])
    assert ok(bk.cc.update_host({"bk_host_id": str(bk_id(host)), "data": {"bk_comment": "noted"}})) is None
    ((biz, modules, props),) = hosts_state(gql, [ip]).values()
    assert (biz, modules, props["bk_comment"]) == (business.bk_biz_id, [bk_id(module)], "noted")
