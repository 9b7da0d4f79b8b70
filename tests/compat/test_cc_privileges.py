"""cc user groups and privileges through the published clients (bkapi-component-open where it
declares the operation, bkapi-client-core for the rest) — and privileges enforced: a user whose
groups lack `update` on hosts cannot change one, through REST as through GraphQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.compat.cc_component_client import CoreClient, component_client
from tests.compat.cc_host_support import bk_id, ok, refused
from tests.executors.support import login
from tests.support.server import GraphQLClient, Server
from tests.support.topology import add_hosts, create_business

ERRORS = "errors { code field message }"
SET_PRIVILEGES = f"""
mutation($g: String!, $m: JSON!, $s: JSON) {{
  setGroupPrivileges(input: {{groupId: $g, modelConfig: $m, sysConfig: $s}}) {{
    group {{ groupId unrestricted }} {ERRORS}
  }}
}}"""
BIND = 'mutation($p: [String!]!) { bindRolePrivileges(input: {role: "operator", privileges: $p}) { privileges } }'
UNRESTRICT = f"mutation {{ unrestrictDefaultUserGroup {{ group {{ unrestricted }} {ERRORS} }} }}"
UPDATE_HOST = f"""
mutation($h: [ID!]!, $name: String!) {{
  updateHosts(input: {{hostIds: $h, properties: {{hostName: $name}}}}) {{ hosts {{ hostName }} {ERRORS} }}
}}"""
HOST_NAME = "query($h: ID!) { node(id: $h) { ... on Host { hostName } } }"
DEFAULT_OPERATOR = ["hostupdate", "hosttrans", "customapi", "proconfig"]


@pytest.fixture(scope="module")
def cc(server: Server) -> CoreClient:
    return component_client(server.url, "admin")


def _group_id(cc: CoreClient, name: str) -> str:
    groups = ok(cc.cc_extra.search_user_group(data={"bk_supplier_account": "0", "group_name": name}))
    (group,) = groups
    return str(group["group_id"])


def test_user_group_crud(cc: CoreClient, server: Server, unique: str) -> None:
    name = f"admins-{unique}"
    assert (
        ok(cc.cc_extra.create_user_group(data={"bk_supplier_account": "0", "group_name": name, "user_list": "owen;tt"}))
        == ""
    )
    group_id = _group_id(cc, name)
    (found,) = ok(cc.cc_extra.search_user_group(data={"group_name": name}))
    assert found == {"group_id": group_id, "group_name": name, "user_list": "owen;tt", "bk_supplier_account": "0"}
    by_member = ok(cc.cc_extra.search_user_group(data={"user_list": "tt"}))
    assert group_id in [g["group_id"] for g in by_member]
    everything = ok(cc.cc_extra.search_user_group(data={}))
    assert everything[0]["group_id"] == "default"

    assert (
        ok(
            cc.cc_extra.update_user_group(
                data={"group_id": group_id, "group_name": f"ops-{unique}", "user_list": "owen"}
            )
        )
        == ""
    )
    (found,) = ok(cc.cc_extra.search_user_group(data={"group_name": f"ops-{unique}"}))
    assert found["user_list"] == "owen"

    privilege = ok(cc.cc_extra.search_group_privilege(data={"bk_supplier_account": "0", "group_id": group_id}))
    assert privilege["group_id"] == group_id
    assert privilege["model_config"] == {}
    assert privilege["sys_config"] == {"global_busi": [], "back_config": []}
    default = ok(cc.cc_extra.search_group_privilege(data={"group_id": "default"}))
    assert "update" in default["model_config"]["bk_host_manage"]["host"]
    assert default["sys_config"]["back_config"] == ["event", "model", "audit"]

    refused(cc.cc_extra.create_user_group(data={"group_name": f"ops-{unique}", "user_list": "x"}), 1199014)
    refused(cc.cc_extra.create_user_group(data={"user_list": "x"}), 1199008)
    refused(cc.cc_extra.delete_user_group(data={"group_id": "default"}), 1199054)
    refused(cc.cc_extra.search_group_privilege(data={"group_id": "no-such-group"}), 1199019)
    server.cli("admin", "create-user", f"grp-nobody-{unique}", "--password", "a-long-password-1")
    stranger = component_client(server.url, f"grp-nobody-{unique}")
    refused(stranger.cc_extra.create_user_group(data={"group_name": "mine", "user_list": "x"}), 9900403)
    refused(stranger.cc_extra.delete_user_group(data={"group_id": group_id}), 9900403)

    # The example nests the id under "delete"; the table puts it at the top level.
    assert ok(cc.cc_extra.delete_user_group(data={"bk_supplier_account": "0", "delete": {"group_id": group_id}})) == ""
    assert ok(cc.cc_extra.search_user_group(data={"group_name": f"ops-{unique}"})) == []


@pytest.fixture
def restricted(gql: GraphQLClient) -> Iterator[None]:
    """The default group allows only reading hosts; restored afterwards (the session server is shared)."""
    payload = gql.ok(SET_PRIVILEGES, {"g": "default", "m": {"bk_host_manage": {"host": ["search"]}}, "s": {}})
    assert payload["setGroupPrivileges"]["errors"] == []
    try:
        yield
    finally:
        assert gql.ok(UNRESTRICT)["unrestrictDefaultUserGroup"]["group"]["unrestricted"] is True
        assert (
            gql.ok(
                BIND,
                {"p": DEFAULT_OPERATOR},
            )["bindRolePrivileges"]["privileges"]
            == DEFAULT_OPERATOR
        )


def _rename(bk: CoreClient, biz: int, host: str, name: str) -> dict[str, Any]:
    result: dict[str, Any] = bk.cc.update_host(
        data={"bk_biz_id": biz, "bk_host_id": str(bk_id(host)), "data": {"bk_host_name": name}}
    )
    return result


def test_privileges_deny_a_write_until_a_group_grants_it(
    server: Server, gql: GraphQLClient, cc: CoreClient, unique: str, ip_allocator: Any, restricted: None
) -> None:
    business = create_business(gql, f"priv-{unique}")
    (host,) = add_hosts(gql, [next(ip_allocator)], business)
    user = f"priv-op-{unique}"
    server.cli("admin", "create-user", user, "--password", "a-long-password-1")
    server.cli("admin", "grant-role", user, "--biz", str(business.bk_biz_id), "--role", "operator")
    as_user = login(server.url, user, "a-long-password-1")
    bk = component_client(server.url, user)

    denied = as_user.execute(UPDATE_HOST, {"h": [host], "name": "by-graphql"})
    assert denied.errors[0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert "update on model 'host'" in denied.errors[0]["message"]
    refused(_rename(bk, business.bk_biz_id, host, "by-rest"), 9900403)
    assert gql.ok(HOST_NAME, {"h": host})["node"]["hostName"] == ""  # nothing changed
    assert as_user.ok(HOST_NAME, {"h": host})["node"]["hostName"] == ""  # search is still granted

    ok(cc.cc_extra.create_user_group(data={"group_name": f"host-editors-{unique}", "user_list": user}))
    group_id = _group_id(cc, f"host-editors-{unique}")
    granted = gql.ok(SET_PRIVILEGES, {"g": group_id, "m": {"bk_host_manage": {"host": ["search", "update"]}}})
    assert granted["setGroupPrivileges"]["group"]["unrestricted"] is False
    mine = ok(bk.cc_extra.get_user_privilege(data={"bk_supplier_account": "0", "user_name": user}))
    assert mine["model_config"]["bk_host_manage"]["host"] == ["search", "update"]
    assert mine["group_id"] == group_id
    assert set(mine["group_ids"]) == {"default", group_id}
    refused(bk.cc_extra.get_user_privilege(data={"user_name": "admin"}), 9900403)  # only one's own

    assert as_user.ok(UPDATE_HOST, {"h": [host], "name": "by-graphql"})["updateHosts"]["errors"] == []
    ok(_rename(bk, business.bk_biz_id, host, "by-rest"))
    assert gql.ok(HOST_NAME, {"h": host})["node"]["hostName"] == "by-rest"

    # Role privileges narrow a role: without hostupdate the operator role cannot edit hosts any more.
    bound = cc.cc.bind_role_privilege(
        data={"bk_supplier_account": "0", "bk_obj_id": "biz", "bk_property_id": "operator", "data": ["hosttrans"]}
    )
    assert ok(bound) == "success"
    assert ok(
        cc.cc_extra.get_role_privilege(
            data={"bk_supplier_account": "0", "bk_obj_id": "biz", "bk_property_id": "operator"}
        )
    ) == ["hosttrans"]
    refused(_rename(bk, business.bk_biz_id, host, "again"), 9900403)
    ok(cc.cc.bind_role_privilege(data={"bk_obj_id": "biz", "bk_property_id": "operator", "data": DEFAULT_OPERATOR}))
    ok(_rename(bk, business.bk_biz_id, host, "again"))
    refused(cc.cc.bind_role_privilege(data={"bk_obj_id": "host", "bk_property_id": "operator", "data": []}), 1199006)
    refused(
        cc.cc.bind_role_privilege(data={"bk_obj_id": "biz", "bk_property_id": "operator", "data": ["fly"]}), 1199006
    )
    refused(bk.cc.bind_role_privilege(data={"bk_obj_id": "biz", "bk_property_id": "operator", "data": []}), 9900403)
    ok(cc.cc_extra.delete_user_group(data={"group_id": group_id}))
