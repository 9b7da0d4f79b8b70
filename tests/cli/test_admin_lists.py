"""`opsgraph admin` listing and undoing apps, access keys, OS accounts and roles.

Each undo is checked where it matters: a deleted app cannot authenticate on the BlueKing path, a
deleted access key cannot sign Huawei requests, a deleted account is gone from GraphQL, a revoked
role no longer shows in `me`; and the operation log names the CLI for each change.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.cli.support import assert_clean_failure, audit, run
from tests.huawei.sdk import signed_request
from tests.support.server import GraphQLClient, Server
from tests.support.topology import Business, create_business

SEARCH_BUSINESS = "/api/c/compapi/v2/cc/search_business/"
ACCOUNTS = "query($bk: Int!) { business(bkBizId: $bk) { accounts(first: 10) { nodes { alias } } } }"
MY_ROLES = "{ me { roles { bkBizId role } } }"


def search_business(server: Server, code: str, secret: str) -> dict[str, Any]:
    body = {"bk_app_code": code, "bk_app_secret": secret, "bk_username": "admin"}
    answer: dict[str, Any] = httpx.post(f"{server.url}{SEARCH_BUSINESS}", json=body, timeout=30).json()
    return answer


def test_apps_listed_shown_and_deleted(server: Server, gql: GraphQLClient, unique: str, tmp_path: Path) -> None:
    code, secret = f"cli-app-{unique}", f"app-secret-{unique}"
    secret_file = tmp_path / "secret"
    secret_file.write_text(f"{secret}\n")
    created = run(server, "admin", "create-app", code, "--secret-file", str(secret_file), "--skip-user-auth")
    assert created.stdout == f"created app {code} (may skip user auth)", created.stderr
    assert search_business(server, code, secret)["result"] is True

    table = run(server, "admin", "list-apps").stdout
    assert table.splitlines()[0].split() == ["CODE", "SKIP", "USER", "AUTH", "CREATED"]
    assert any(line.split()[:2] == [code, "yes"] for line in table.splitlines())
    shown = json.loads(run(server, "admin", "show-app", code, "--json").stdout)
    assert shown["code"] == code
    assert shown["skip_user_auth"] is True
    assert set(shown) == {"id", "code", "skip_user_auth", "created_at"}  # no hash, no ciphertext
    everything = table + json.dumps(shown) + json.dumps(json.loads(run(server, "admin", "list-apps", "--json").stdout))
    assert secret not in everything
    assert "scrypt" not in everything

    assert run(server, "admin", "delete-app", code).stdout == f"deleted app {code}"
    refused = search_business(server, code, secret)
    assert refused["result"] is False
    assert "app authentication failed" in refused["message"]
    assert code not in run(server, "admin", "list-apps").stdout
    assert_clean_failure(run(server, "admin", "show-app", code), "does not exist")
    assert_clean_failure(run(server, "admin", "delete-app", code), "does not exist")

    kinds = [e["opType"] for e in audit(gql, operator="cli", opTarget="app") if e["opDesc"].endswith(code)]
    assert kinds == ["delete", "create"]


def test_access_keys_listed_and_deleted(server: Server, gql: GraphQLClient, unique: str) -> None:
    project = f"proj{unique}"
    business = create_business(gql, f"cli-keys-{unique}")
    issued = json.loads(
        server.cli("admin", "create-access-key", "--project", project, "--biz", str(business.bk_biz_id)).stdout
    )
    sign = {"ak": issued["access_key"], "sk": issued["secret_key"], "project_id": project}
    path = f"/v5/{project}/common/task"
    accepted = signed_request(server.url, "POST", path, body=b'{"task_type": "nothing"}', **sign)
    assert accepted.status_code == 400, accepted.text  # authenticated, then refused as input

    listed = json.loads(run(server, "admin", "list-access-keys", "--project", project, "--json").stdout)
    assert [(k["access_key"], k["project_id"], k["business_id"], k["user"]) for k in listed] == [
        (issued["access_key"], project, business.bk_biz_id, "admin")
    ]
    table = run(server, "admin", "list-access-keys", "--biz", str(business.bk_biz_id)).stdout
    assert issued["access_key"] in table
    assert issued["secret_key"] not in table + json.dumps(listed)

    deleted = run(server, "admin", "delete-access-key", issued["access_key"])
    assert deleted.stdout == f"deleted access key {issued['access_key']}", deleted.stderr
    refused = signed_request(server.url, "POST", path, body=b'{"task_type": "nothing"}', **sign)
    assert refused.status_code == 401, refused.text
    assert run(server, "admin", "list-access-keys", "--project", project).stdout == "(no access keys)"
    assert_clean_failure(run(server, "admin", "delete-access-key", issued["access_key"]), "does not exist")

    entries = audit(gql, operator="cli", opTarget="access_key", bkBizId=business.bk_biz_id)
    assert [e["opType"] for e in entries] == ["delete", "create"]


def test_accounts_listed_and_deleted(server: Server, gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"cli-accounts-{unique}")
    bk = str(business.bk_biz_id)
    password = f"os-password-{unique}"
    created = run(
        server, "admin", "create-account", "--biz", bk, "--alias", "deploy", "--user", "app",
        "--password-stdin", "--default", stdin=f"{password}\n",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr

    table = run(server, "admin", "list-accounts", "--biz", bk).stdout
    assert table.splitlines()[1].split()[1:6] == ["deploy", "app", "password", "yes", "cli"]
    listed = json.loads(run(server, "admin", "list-accounts", "--biz", bk, "--json").stdout)
    assert [a["alias"] for a in listed] == ["deploy"]
    assert "secret" not in listed[0]
    assert password not in table + json.dumps(listed)

    assert_clean_failure(run(server, "admin", "delete-account", "--biz", bk, "--alias", "nope"), "no account 'nope'")
    deleted = run(server, "admin", "delete-account", "--biz", bk, "--alias", "deploy")
    assert deleted.stdout.startswith(f"deleted account deploy (id {listed[0]['id']})"), deleted.stderr
    assert gql.ok(ACCOUNTS, {"bk": business.bk_biz_id})["business"]["accounts"]["nodes"] == []
    assert run(server, "admin", "list-accounts", "--biz", bk).stdout == f"(business {bk} has no accounts)"
    assert_clean_failure(run(server, "admin", "list-accounts", "--biz", "987654321"), "does not exist")

    entries = audit(gql, operator="cli", opTarget="account", bkBizId=business.bk_biz_id)
    assert [e["opType"] for e in entries] == ["delete", "create"]
    assert password not in json.dumps(entries)


def grant(server: Server, user: str, business: Business, role: str) -> None:
    server.cli("admin", "grant-role", user, "--biz", str(business.bk_biz_id), "--role", role)


def test_roles_listed_and_revoked(server: Server, gql: GraphQLClient, unique: str) -> None:
    user = f"roled-{unique}"
    server.cli("admin", "create-user", user, "--password", "roled-password-1")
    second_name = f"cli-roles-b-{unique}"
    first, second = create_business(gql, f"cli-roles-a-{unique}"), create_business(gql, second_name)
    grant(server, user, first, "viewer")
    grant(server, user, second, "maintainer")
    token = server.cli("admin", "issue-token", user).stdout
    me = GraphQLClient(server.url, token)

    listed = json.loads(run(server, "admin", "list-roles", "--user", user, "--json").stdout)
    assert [(r["business_id"], r["role"]) for r in listed] == [
        (first.bk_biz_id, "viewer"),
        (second.bk_biz_id, "maintainer"),
    ]
    by_business = run(server, "admin", "list-roles", "--biz", str(second.bk_biz_id)).stdout.splitlines()
    assert by_business[0].split() == ["USERNAME", "BIZ", "BUSINESS", "ROLE"]
    assert [line.split() for line in by_business[1:]] == [[user, str(second.bk_biz_id), second_name, "maintainer"]]

    revoked = run(server, "admin", "revoke-role", user, "--biz", str(second.bk_biz_id))
    assert revoked.stdout == f"{user} no longer has a role on business {second.bk_biz_id}", revoked.stderr
    assert me.ok(MY_ROLES)["me"]["roles"] == [{"bkBizId": first.bk_biz_id, "role": "viewer"}]
    assert run(server, "admin", "list-roles", "--biz", str(second.bk_biz_id)).stdout == "(no roles)"
    again = run(server, "admin", "revoke-role", user, "--biz", str(second.bk_biz_id))
    assert_clean_failure(again, "has no role on business")

    entries = audit(gql, operator="cli", opTarget="role", bkBizId=second.bk_biz_id)
    assert [(e["opType"], (e["preData"] or e["curData"])["role"]) for e in entries] == [
        ("revoke", "maintainer"),
        ("grant", "maintainer"),
    ]
