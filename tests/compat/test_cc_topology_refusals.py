"""cc business / set / module / topology endpoints refusing bad input, foreign businesses and bad
credentials: `result: false` with bk-cmdb's code, a message naming the field, and nothing changed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest

from tests.compat.bk_client import LegacyClient, make_client
from tests.compat.cc_topology_support import (
    BIZ_STAFF,
    auth_header,
    business_row,
    gid,
    modules_of,
    new_business,
    new_module,
    new_set,
    ok,
    raw,
    refused,
    sets_of,
)
from tests.support.server import APP_CODE, APP_SECRET, GraphQLClient, Server

MISSING, INVALID, NOT_FOUND, DUPLICATE = 1199008, 1199006, 1199019, 1199014
PAGE_LIMIT, MALFORMED, DENIED, APP_AUTH, METHOD = 1199059, 1199000, 9900403, 1306000, 1306405
HAS_HOSTS, BIZ_HAS_HOSTS, BUILTIN = 1101030, 1101087, 1199054
UNKNOWN_ID = 2_000_000_000

# A complete, valid-looking body per endpoint taking bk_biz_id; tests remove or spoil one field.
BODIES: dict[str, dict[str, Any]] = {
    "update_business": {"bk_biz_id": 1, "data": {"bk_biz_developer": "x"}},
    "delete_business": {"bk_biz_id": 1},
    "update_business_enable_status": {"bk_biz_id": 1, "flag": "enable"},
    "create_set": {"bk_biz_id": 1, "data": {"bk_parent_id": 1, "bk_set_name": "s"}},
    "update_set": {"bk_biz_id": 1, "bk_set_id": 1, "data": {"bk_set_name": "s"}},
    "delete_set": {"bk_biz_id": 1, "bk_set_id": 1},
    "batch_delete_set": {"bk_biz_id": 1, "inst_ids": [1]},
    "search_set": {"bk_biz_id": 1, "fields": [], "condition": {}, "page": {"start": 0, "limit": 10}},
    "create_module": {"bk_biz_id": 1, "bk_set_id": 1, "data": {"bk_parent_id": 1, "bk_module_name": "m"}},
    "update_module": {"bk_biz_id": 1, "bk_set_id": 1, "bk_module_id": 1, "data": {"bk_module_name": "m"}},
    "delete_module": {"bk_biz_id": 1, "bk_set_id": 1, "bk_module_id": 1},
    "search_module": {"bk_biz_id": 1, "bk_set_id": 1, "fields": [], "condition": {}, "page": {"limit": 10}},
    "get_biz_internal_module": {"bk_biz_id": 1},
    "search_biz_inst_topo": {"bk_biz_id": 1},
}
ADD_HOST = """
mutation($b: ID!, $ip: String!) {
  addHostsToResourcePool(input: {hosts: [{innerIp: $ip}], businessId: $b}) { hosts { id } errors { message } }
}"""
PLACE_HOST = """
mutation($b: ID!, $h: ID!, $m: ID!) {
  transferHostsToModules(input: {businessId: $b, hostIds: [$h], moduleIds: [$m], append: false}) {
    errors { message }
  }
}"""


def call(bk: LegacyClient, api: str, body: dict[str, Any]) -> dict[str, Any]:
    operation = getattr(bk.cc, f"{api}__post" if api in {"get_biz_internal_module", "search_biz_inst_topo"} else api)
    response: dict[str, Any] = operation(data=body)
    return response


class Stranger(NamedTuple):
    name: str
    bk: LegacyClient


@pytest.fixture(scope="session")
def stranger(server: Server) -> Stranger:
    """A user with no role anywhere, named through the login-exempt app."""
    name = f"stranger{uuid.uuid4().hex[:8]}"
    server.cli("admin", "create-user", name, "--password", "stranger-password-1")
    return Stranger(name, make_client(server.url, app_code=APP_CODE, app_secret=APP_SECRET, username=name))


@pytest.fixture(scope="session")
def strict_app(server: Server) -> tuple[str, str]:
    """An app that is not allowed to name users with bk_username."""
    code, secret = f"strict{uuid.uuid4().hex[:8]}", "strict-app-secret"
    server.cli("admin", "create-app", code, "--secret", secret)
    return code, secret


@pytest.mark.parametrize("api", sorted(BODIES))
def test_missing_bk_biz_id_is_a_lost_field(bk: LegacyClient, api: str) -> None:
    body = {k: v for k, v in BODIES[api].items() if k != "bk_biz_id"}
    assert "bk_biz_id" in refused(call(bk, api, body), MISSING)


@pytest.mark.parametrize("api", sorted(BODIES))
def test_text_bk_biz_id_is_invalid(bk: LegacyClient, api: str) -> None:
    assert "bk_biz_id" in refused(call(bk, api, {**BODIES[api], "bk_biz_id": "three"}), INVALID)


@pytest.mark.parametrize("api", sorted(BODIES))
def test_unknown_business_is_not_found(bk: LegacyClient, api: str) -> None:
    body = {**BODIES[api], "bk_biz_id": UNKNOWN_ID}
    if "data" in body and "bk_parent_id" in body["data"] and api == "create_set":
        body["data"] = {**body["data"], "bk_parent_id": UNKNOWN_ID}
    refused(call(bk, api, body), NOT_FOUND)


@pytest.mark.parametrize("api", ["update_business", "create_set", "search_module", "search_biz_inst_topo"])
def test_ids_beyond_any_stored_one_are_not_found(bk: LegacyClient, api: str) -> None:
    """bk-cmdb ids are int64, ours int32: a larger id is "not found", never a database error."""
    refused(call(bk, api, {**BODIES[api], "bk_biz_id": 2**40}), NOT_FOUND)


def test_bad_fields_inside_data_and_page_are_named(bk: LegacyClient, unique: str) -> None:
    biz = new_business(bk, f"bad-{unique}")
    set_id = new_set(bk, biz, "web")
    before = sets_of(bk, biz)
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("create_set", {"bk_biz_id": biz, "data": {"bk_parent_id": biz}}, MISSING, "data.bk_set_name"),
        ("create_set", {"bk_biz_id": biz, "data": {"bk_set_name": "x"}}, MISSING, "data.bk_parent_id"),
        ("create_set", {"bk_biz_id": biz}, MISSING, "data"),
        ("create_set", {"bk_biz_id": biz, "data": "web"}, INVALID, "data"),
        (
            "create_set",
            {"bk_biz_id": biz, "data": {"bk_parent_id": biz + 1, "bk_set_name": "x"}},
            INVALID,
            "bk_parent_id",
        ),
        (
            "create_set",
            {"bk_biz_id": biz, "data": {"bk_parent_id": biz, "bk_set_name": "x", "bk_capacity": "lots"}},
            INVALID,
            "data.bk_capacity",
        ),
        (
            "create_set",
            {"bk_biz_id": biz, "data": {"bk_parent_id": biz, "bk_set_name": "x", "default": 1}},
            INVALID,
            "data.default",
        ),
        (
            "create_set",
            {"bk_biz_id": biz, "data": {"bk_parent_id": biz, "bk_set_name": None}},
            MISSING,
            "data.bk_set_name",
        ),
        (
            "update_set",
            {"bk_biz_id": biz, "bk_set_id": set_id, "data": {"bk_set_name": None}},
            INVALID,
            "data.bk_set_name",
        ),
        (
            "update_set",
            {"bk_biz_id": biz, "bk_set_id": set_id, "data": {"bk_set_name": {"a": 1}}},
            INVALID,
            "data.bk_set_name",
        ),
        (
            "update_set",
            {"bk_biz_id": biz, "bk_set_id": set_id, "data": {"bk_parent_id": biz + 1, "bk_set_name": "moved"}},
            INVALID,
            "bk_parent_id",
        ),
        ("update_set", {"bk_biz_id": biz, "data": {}}, MISSING, "bk_set_id"),
        ("batch_delete_set", {"bk_biz_id": biz, "inst_ids": ["one"]}, INVALID, "inst_ids[0]"),
        ("batch_delete_set", {"bk_biz_id": biz, "delete": {"inst_ids": "one"}}, INVALID, "delete.inst_ids"),
        ("batch_delete_set", {"bk_biz_id": biz}, MISSING, "inst_ids"),
        ("search_set", {"bk_biz_id": biz, "page": {"start": 0, "limit": "ten"}}, INVALID, "page.limit"),
        ("search_set", {"bk_biz_id": biz, "page": {"start": 0}}, MISSING, "page.limit"),
        ("search_set", {"bk_biz_id": biz}, MISSING, "page"),
        ("search_set", {"bk_biz_id": biz, "page": {"limit": 10, "sort": "no_such_property"}}, INVALID, "sort"),
        ("search_set", {"bk_biz_id": biz, "fields": "bk_set_name", "page": {"limit": 10}}, INVALID, "fields"),
        ("search_set", {"bk_biz_id": biz, "condition": [1], "page": {"limit": 10}}, INVALID, "condition"),
        ("search_biz_inst_topo", {"bk_biz_id": biz, "level": "deep"}, INVALID, "level"),
        ("search_biz_inst_topo", {"bk_biz_id": biz, "level": -2}, INVALID, "level"),
        ("update_business_enable_status", {"bk_biz_id": biz, "flag": "enabled"}, INVALID, "flag"),
        ("update_business_enable_status", {"bk_biz_id": biz}, MISSING, "flag"),
        ("update_business", {"bk_biz_id": biz, "data": {"bk_biz_name": None}}, INVALID, "data.bk_biz_name"),
        ("update_business", {"bk_biz_id": biz}, MISSING, "data"),
        (
            "create_module",
            {"bk_biz_id": biz, "bk_set_id": set_id, "data": {"bk_parent_id": set_id + 1, "bk_module_name": "m"}},
            INVALID,
            "bk_parent_id",
        ),
        (
            "create_module",
            {"bk_biz_id": biz, "data": {"bk_parent_id": set_id, "bk_module_name": "m"}},
            MISSING,
            "bk_set_id",
        ),
        (
            "search_module",
            {"bk_biz_id": biz, "bk_set_id": set_id, "page": {"limit": 10, "start": -1}},
            INVALID,
            "page.start",
        ),
    ]
    for api, body, code, field in cases:
        message = refused(call(bk, api, body), code)
        assert field in message, (api, body, message)
    assert sets_of(bk, biz) == before
    assert modules_of(bk, biz, set_id) == {}
    row = business_row(bk, biz)
    assert row is not None
    assert row["bk_biz_name"] == f"bad-{unique}"


def test_create_business_needs_every_documented_field(bk: LegacyClient, unique: str) -> None:
    name = f"partial-{unique}"
    for missing in ("bk_biz_maintainer", "time_zone"):
        data = {"bk_biz_name": name, **{k: v for k, v in BIZ_STAFF.items() if k != missing}}
        assert f"data.{missing}" in refused(bk.cc.create_business(data={"data": data}), MISSING)
    assert "data" in refused(bk.cc.create_business(data={"data": None}), MISSING)
    assert ok(bk.cc.search_business(data={"condition": {"bk_biz_name": name}}))["count"] == 0


def test_duplicate_names_are_refused_and_change_nothing(bk: LegacyClient, unique: str) -> None:
    name = f"dup-{unique}"
    biz = new_business(bk, name)
    body = {"data": {"bk_biz_name": name, **BIZ_STAFF}}
    refused(bk.cc.create_business(data=body), DUPLICATE)
    assert ok(bk.cc.search_business(data={"condition": {"bk_biz_name": name}}))["count"] == 1

    web, db = new_set(bk, biz, "web"), new_set(bk, biz, "db")
    refused(bk.cc.create_set(data={"bk_biz_id": biz, "data": {"bk_parent_id": biz, "bk_set_name": "web"}}), DUPLICATE)
    refused(bk.cc.update_set(data={"bk_biz_id": biz, "bk_set_id": db, "data": {"bk_set_name": "web"}}), DUPLICATE)
    sets = sets_of(bk, biz)
    assert (sets["web"]["bk_set_id"], sets["db"]["bk_set_id"], len(sets)) == (web, db, 3)

    nginx, api = new_module(bk, biz, web, "nginx"), new_module(bk, biz, web, "api")
    module_body = {"bk_biz_id": biz, "bk_set_id": web, "data": {"bk_parent_id": web, "bk_module_name": "nginx"}}
    refused(bk.cc.create_module(data=module_body), DUPLICATE)
    rename = {"bk_biz_id": biz, "bk_set_id": web, "bk_module_id": api, "data": {"bk_module_name": "nginx"}}
    refused(bk.cc.update_module(data=rename), DUPLICATE)
    assert {k: v["bk_module_id"] for k, v in modules_of(bk, biz, web).items()} == {"nginx": nginx, "api": api}
    # Same module name in another set is fine.
    new_module(bk, biz, db, "nginx")


def test_unknown_and_foreign_sets_and_modules(bk: LegacyClient, unique: str) -> None:
    biz, other = new_business(bk, f"own-{unique}"), new_business(bk, f"other-{unique}")
    web, foreign = new_set(bk, biz, "web"), new_set(bk, other, "web")
    nginx = new_module(bk, biz, web, "nginx")
    refused(bk.cc.update_set(data={"bk_biz_id": biz, "bk_set_id": UNKNOWN_ID, "data": {}}), NOT_FOUND)
    refused(bk.cc.delete_set(data={"bk_biz_id": biz, "bk_set_id": UNKNOWN_ID}), NOT_FOUND)
    refused(bk.cc.delete_set(data={"bk_biz_id": biz, "bk_set_id": foreign}), 1110060)  # set not in business
    refused(bk.cc.delete_module(data={"bk_biz_id": biz, "bk_set_id": web, "bk_module_id": UNKNOWN_ID}), NOT_FOUND)
    # All or nothing: one unknown id keeps every set.
    refused(bk.cc.batch_delete_set(data={"bk_biz_id": biz, "inst_ids": [web, UNKNOWN_ID]}), NOT_FOUND)
    refused(bk.cc.batch_delete_set(data={"bk_biz_id": biz, "inst_ids": [web, 2**40]}), NOT_FOUND)
    refused(bk.cc.batch_delete_set(data={"bk_biz_id": biz, "inst_ids": []}), INVALID)
    path = {"bk_biz_id": biz, "bk_set_id": foreign, "bk_module_id": nginx}
    refused(bk.cc.update_module(data={**path, "data": {"bk_module_name": "x"}}), 1110062)  # module not in set
    assert set(sets_of(bk, biz)) == {"空闲机池", "web"}
    assert set(modules_of(bk, biz, web)) == {"nginx"}
    assert set(sets_of(bk, other)) == {"空闲机池", "web"}


def test_built_in_objects_cannot_be_changed(bk: LegacyClient, unique: str) -> None:
    biz = new_business(bk, f"builtin-{unique}")
    internal = ok(bk.cc.get_biz_internal_module(data={"bk_biz_id": biz}))
    idle_set, idle_module = internal["bk_set_id"], internal["module"][0]["bk_module_id"]
    refused(bk.cc.delete_set(data={"bk_biz_id": biz, "bk_set_id": idle_set}), BUILTIN)
    refused(bk.cc.update_set(data={"bk_biz_id": biz, "bk_set_id": idle_set, "data": {"bk_set_name": "x"}}), BUILTIN)
    refused(bk.cc.delete_module(data={"bk_biz_id": biz, "bk_set_id": idle_set, "bk_module_id": idle_module}), BUILTIN)
    body = {"bk_biz_id": biz, "bk_set_id": idle_set, "data": {"bk_parent_id": idle_set, "bk_module_name": "x"}}
    refused(bk.cc.create_module(data=body), BUILTIN)
    assert ok(bk.cc.get_biz_internal_module(data={"bk_biz_id": biz})) == internal


def test_objects_holding_hosts_cannot_be_deleted(
    bk: LegacyClient, gql: GraphQLClient, unique: str, ip_allocator: Iterator[str]
) -> None:
    biz = new_business(bk, f"hosts-{unique}")
    web = new_set(bk, biz, "web")
    nginx = new_module(bk, biz, web, "nginx")
    added = gql.ok(ADD_HOST, {"b": gid("Business", biz), "ip": next(ip_allocator)})["addHostsToResourcePool"]
    assert added["errors"] == []
    host = added["hosts"][0]["id"]
    moved = gql.ok(PLACE_HOST, {"b": gid("Business", biz), "h": host, "m": gid("Module", nginx)})
    assert moved["transferHostsToModules"]["errors"] == []
    refused(bk.cc.delete_module(data={"bk_biz_id": biz, "bk_set_id": web, "bk_module_id": nginx}), HAS_HOSTS)
    refused(bk.cc.delete_set(data={"bk_biz_id": biz, "bk_set_id": web}), HAS_HOSTS)
    refused(bk.cc.batch_delete_set(data={"bk_biz_id": biz, "delete": {"inst_ids": [web]}}), HAS_HOSTS)
    refused(bk.cc.delete_business(data={"bk_biz_id": biz}), BIZ_HAS_HOSTS)
    refused(bk.cc.update_business_enable_status(data={"bk_biz_id": biz, "flag": "disabled"}), BIZ_HAS_HOSTS)
    assert set(modules_of(bk, biz, web)) == {"nginx"}
    row = business_row(bk, biz)
    assert row is not None
    assert row["bk_data_status"] == "enable"


def test_oversize_pages_are_refused(bk: LegacyClient, unique: str) -> None:
    biz = new_business(bk, f"pages-{unique}")
    web = new_set(bk, biz, "web")
    refused(bk.cc.search_business(data={"page": {"start": 0, "limit": 201}}), PAGE_LIMIT)
    refused(bk.cc.search_business(data={"page": {"start": 0, "limit": -1}}), PAGE_LIMIT)
    refused(bk.cc.search_set(data={"bk_biz_id": biz, "page": {"start": 0, "limit": 201}}), PAGE_LIMIT)
    refused(bk.cc.search_set(data={"bk_biz_id": biz, "page": {"start": 0, "limit": 0}}), PAGE_LIMIT)
    refused(bk.cc.search_module(data={"bk_biz_id": biz, "bk_set_id": web, "page": {"limit": 501}}), PAGE_LIMIT)
    assert ok(bk.cc.search_set(data={"bk_biz_id": biz, "page": {"start": 0, "limit": 200}}))["count"] == 2


def test_malformed_and_empty_bodies(server: Server, bk: LegacyClient, unique: str) -> None:
    name = f"broken-{unique}"
    truncated = json.dumps({"data": {"bk_biz_name": name, **BIZ_STAFF}})[:-1].encode()
    refused(raw(server.url, "POST", "create_business", body=truncated, headers=auth_header()), MALFORMED)
    refused(raw(server.url, "POST", "create_business", body=b"[1, 2]", headers=auth_header()), MALFORMED)
    # An empty POST body is `{}` (bkapi-client-core sends none for data={}): then `data` is missing.
    assert "data" in refused(raw(server.url, "POST", "create_business", body=b"", headers=auth_header()), MISSING)
    assert "bk_biz_id" in refused(bk.cc.search_set(), MISSING)
    assert ok(bk.cc.search_business(data={"condition": {"bk_biz_name": name}}))["count"] == 0
    # Where nothing is required, an empty body is a full answer.
    assert ok(raw(server.url, "POST", "search_business", body=b"", headers=auth_header()))["count"] >= 1


def test_wrong_method_is_refused(bk: LegacyClient) -> None:
    refused(bk.cc.create_business__get(data={"data": {}}), METHOD)


def test_a_user_without_a_role_is_denied_and_changes_nothing(
    bk: LegacyClient, stranger: Stranger, gql: GraphQLClient, unique: str
) -> None:
    biz = new_business(bk, f"private-{unique}")
    web = new_set(bk, biz, "web")
    nginx = new_module(bk, biz, web, "nginx")
    writes: list[tuple[str, dict[str, Any]]] = [
        ("update_business", {"bk_biz_id": biz, "data": {"bk_biz_name": "stolen"}}),
        ("update_business_enable_status", {"bk_biz_id": biz, "flag": "disabled"}),
        ("delete_business", {"bk_biz_id": biz}),
        ("create_set", {"bk_biz_id": biz, "data": {"bk_parent_id": biz, "bk_set_name": "evil"}}),
        ("update_set", {"bk_biz_id": biz, "bk_set_id": web, "data": {"bk_set_name": "evil"}}),
        ("delete_set", {"bk_biz_id": biz, "bk_set_id": web}),
        ("batch_delete_set", {"bk_biz_id": biz, "inst_ids": [web]}),
        ("create_module", {"bk_biz_id": biz, "bk_set_id": web, "data": {"bk_parent_id": web, "bk_module_name": "e"}}),
        ("update_module", {"bk_biz_id": biz, "bk_set_id": web, "bk_module_id": nginx, "data": {"operator": "e"}}),
        ("delete_module", {"bk_biz_id": biz, "bk_set_id": web, "bk_module_id": nginx}),
    ]
    reads: list[tuple[str, dict[str, Any]]] = [
        ("search_set", {"bk_biz_id": biz, "page": {"limit": 10}}),
        ("search_module", {"bk_biz_id": biz, "bk_set_id": web, "page": {"limit": 10}}),
        ("get_biz_internal_module", {"bk_biz_id": biz}),
        ("search_biz_inst_topo", {"bk_biz_id": biz}),
    ]
    for api, body in [*writes, *reads]:
        refused(call(stranger.bk, api, body), DENIED)
    refused(stranger.bk.cc.create_business(data={"data": {"bk_biz_name": f"mine-{unique}", **BIZ_STAFF}}), DENIED)
    # Searches over all businesses just leave the foreign one out.
    assert ok(stranger.bk.cc.search_business(data={"condition": {"bk_biz_id": biz}}))["count"] == 0
    stranger_log = stranger.bk.cc.get_operation_log(data={"condition": {"bk_biz_id": biz}})
    assert ok(stranger_log, style="bk_error_code")["count"] == 0
    row = business_row(bk, biz)
    assert row is not None
    assert row["bk_biz_name"] == f"private-{unique}"
    assert set(sets_of(bk, biz)) == {"空闲机池", "web"}
    assert modules_of(bk, biz, web)["nginx"]["operator"] == ""

    # A viewer may read but still not write.
    gql.ok(
        'mutation($u: String!, $b: ID!) { grantRole(input: {username: $u, businessId: $b, role: "viewer"}) { ok } }',
        {"u": stranger.name, "b": gid("Business", biz)},
    )
    for api, body in reads:
        ok(call(stranger.bk, api, body))
    refused(call(stranger.bk, *writes[3]), DENIED)


def test_credentials_from_every_place_the_legacy_clients_use(
    server: Server, bk: LegacyClient, admin_token: str, strict_app: tuple[str, str], unique: str
) -> None:
    biz = new_business(bk, f"creds-{unique}")
    expected = ok(bk.cc.get_biz_internal_module(data={"bk_biz_id": biz}))
    legacy_body = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "admin", "bk_biz_id": biz}
    # Legacy SDKs: credentials in the JSON body (POST, even without a Content-Type) ...
    assert ok(raw(server.url, "POST", "get_biz_internal_module", body=json.dumps(legacy_body).encode())) == expected
    # ... or in the query string (GET), with or without the trailing slash.
    for slash in (True, False):
        answer = raw(server.url, "GET", "get_biz_internal_module", params=legacy_body, slash=slash)
        assert ok(answer) == expected
    assert ok(raw(server.url, "POST", "search_biz_inst_topo", body=json.dumps(legacy_body).encode(), slash=False))

    code, secret = strict_app
    wrong_secret = {**legacy_body, "bk_app_secret": "not-the-secret"}
    refused(raw(server.url, "GET", "get_biz_internal_module", params=wrong_secret), APP_AUTH)
    refused(raw(server.url, "POST", "get_biz_internal_module", body=json.dumps(wrong_secret).encode()), APP_AUTH)
    refused(raw(server.url, "GET", "get_biz_internal_module", params={"bk_biz_id": biz}), APP_AUTH)
    # An app that may not skip user authentication cannot name a user, but a login token works.
    strict_named = make_client(server.url, app_code=code, app_secret=secret, username="admin")
    refused(strict_named.cc.get_biz_internal_module(data={"bk_biz_id": biz}), APP_AUTH)
    refused(strict_named.cc.delete_business(data={"bk_biz_id": biz}), APP_AUTH)
    strict_token = make_client(server.url, app_code=code, app_secret=secret, bk_token=admin_token)
    assert ok(strict_token.cc.get_biz_internal_module(data={"bk_biz_id": biz})) == expected
    assert business_row(bk, biz) is not None
