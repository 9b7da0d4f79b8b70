"""User groups and privileges through GraphQL: validation that changes nothing, superuser-only
administration, a user's effective privileges, and enforcement beyond hosts (topology writes, host
transfers, event subscriptions) with the default group restricted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.executors.support import login
from tests.support.server import GraphQLClient, Server
from tests.support.topology import add_hosts, create_business, create_set, run_mutation

ERRORS = "errors { code field message }"
CREATE_GROUP = f"""
mutation($name: String!, $members: [String!]!) {{
  createUserGroup(input: {{name: $name, members: $members}}) {{ group {{ groupId name members isDefault }} {ERRORS} }}
}}"""
SET_PRIVILEGES = f"""
mutation($g: String!, $m: JSON!, $s: JSON) {{
  setGroupPrivileges(input: {{groupId: $g, modelConfig: $m, sysConfig: $s}}) {{
    group {{ modelConfig sysConfig }} {ERRORS}
  }}
}}"""
USER_PRIVILEGES = (
    "query($u: String) { userPrivileges(username: $u) { username groupIds unrestricted modelConfig sysConfig } }"
)
GROUPS = "query($name: String) { userGroups(name: $name) { groupId name members modelConfig } }"
UNRESTRICT = f"mutation {{ unrestrictDefaultUserGroup {{ group {{ unrestricted }} {ERRORS} }} }}"
CREATE_SET = (
    f"""mutation($b: ID!) {{ createSet(input: {{businessId: $b, name: "blocked"}}) {{ set {{ id }} {ERRORS} }} }}"""
)
TO_FAULT = f"""mutation($b: ID!, $h: [ID!]!) {{
  transferHostsToBuiltinModule(input: {{businessId: $b, hostIds: $h, module: FAULT}}) {{
    hosts {{ id }} {ERRORS}
  }}
}}"""
SUBSCRIBE = f"""mutation($b: Int!) {{
  subscribeEvents(input: {{
    bkBizId: $b, name: "s", callbackUrl: "http://127.0.0.1:9/x", subscriptionForm: ["setcreate"]
  }}) {{
    subscription {{ id }} {ERRORS} }} }}"""


def test_group_validation_and_administration(server: Server, gql: GraphQLClient, unique: str) -> None:
    created = run_mutation(gql, CREATE_GROUP, {"name": f"g-{unique}", "members": ["alice", "bob", "alice"]})
    group = created["group"]
    assert group["members"] == ["alice", "bob"]
    assert group["isDefault"] is False
    bad_configs: list[tuple[Any, Any]] = [
        ({"bk_host_manage": {"host": ["fly"]}}, None),
        ({"bk_host_manage": ["host"]}, None),
        ({"1bad": {"host": ["search"]}}, None),
        ({}, {"back_config": ["everything"]}),
        ({}, {"front_config": []}),
    ]
    for model_config, sys_config in bad_configs:
        refused = run_mutation(gql, SET_PRIVILEGES, {"g": group["groupId"], "m": model_config, "s": sys_config})
        assert refused["errors"][0]["code"] == "INVALID", (model_config, sys_config)
    (listed,) = gql.ok(GROUPS, {"name": f"g-{unique}"})["userGroups"]
    assert listed["modelConfig"] == {}, "a refused change changes nothing"
    assert run_mutation(gql, CREATE_GROUP, {"name": "bad;name", "members": []})["errors"] == []
    assert run_mutation(gql, CREATE_GROUP, {"name": "x", "members": ["has space"]})["errors"][0]["code"] == "INVALID"

    name = f"plain-{unique}"
    server.cli("admin", "create-user", name, "--password", "a-long-password-1")
    plain = login(server.url, name, "a-long-password-1")
    assert plain.execute(GROUPS, {}).errors[0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert (
        plain.execute(CREATE_GROUP, {"name": "mine", "members": []}).errors[0]["extensions"]["code"]
        == "PERMISSION_DENIED"
    )
    own = plain.ok(USER_PRIVILEGES, {})["userPrivileges"]
    assert own["username"] == name
    assert own["groupIds"] == ["default"]
    assert own["unrestricted"] is True
    assert plain.execute(USER_PRIVILEGES, {"u": "admin"}).errors[0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert gql.ok('query { rolePrivileges(role: "viewer") }')["rolePrivileges"] == []
    assert gql.ok("query { rolePrivileges(role: \"maintainer\") }")["rolePrivileges"] == [
        "hostupdate", "hosttrans", "topoupdate", "customapi", "proconfig",
    ]  # fmt: skip


@pytest.fixture
def restricted(gql: GraphQLClient) -> Iterator[None]:
    """Default group: read-only on the mainline models, no system functions (restored afterwards)."""
    read_only = {"bk_host_manage": {"host": ["search"]}, "bk_biz_topo": {"set": ["search"], "module": ["search"]}}
    assert run_mutation(gql, SET_PRIVILEGES, {"g": "default", "m": read_only, "s": {}})["errors"] == []
    try:
        yield
    finally:
        assert gql.ok(UNRESTRICT)["unrestrictDefaultUserGroup"]["group"]["unrestricted"] is True


def test_restricted_default_group_denies_topology_transfers_and_subscriptions(
    server: Server, gql: GraphQLClient, unique: str, ip_allocator: Any, restricted: None
) -> None:
    business = create_business(gql, f"restricted-{unique}")
    create_set(gql, business, "web")  # a superuser is never restricted
    (host,) = add_hosts(gql, [next(ip_allocator)], business)
    name = f"maint-{unique}"
    server.cli("admin", "create-user", name, "--password", "a-long-password-1")
    server.cli("admin", "grant-role", name, "--biz", str(business.bk_biz_id), "--role", "maintainer")
    maintainer = login(server.url, name, "a-long-password-1")

    for document, variables in (
        (CREATE_SET, {"b": business.id}),
        (SUBSCRIBE, {"b": business.bk_biz_id}),
    ):
        error = maintainer.execute(document, variables).errors[0]
        assert error["extensions"]["code"] == "PERMISSION_DENIED", error
    # Transfers need no model privilege, only the hosttrans role function: still allowed.
    assert run_mutation(maintainer, TO_FAULT, {"b": business.id, "h": [host]})["errors"] == []
    privileges = maintainer.ok(USER_PRIVILEGES, {})["userPrivileges"]
    assert privileges["unrestricted"] is False
    assert privileges["sysConfig"] == {}
