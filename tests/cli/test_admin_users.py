"""`opsgraph admin` for users: listing and showing them without secrets, disabling and enabling them,
revoking every token of one, and giving passwords without putting them on the command line.

The effects are checked where they matter: the running server refuses revoked tokens and disabled
users, and the operation log names the CLI ("cli") for every change.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.cli.support import assert_clean_failure, audit, login, on_terminal, refusal, run
from tests.support.server import APP_CODE, APP_SECRET, GraphQLClient, Server
from tests.support.topology import create_business

PASSWORD = "cli-users-password-1"


def make_user(server: Server, name: str, *extra: str) -> None:
    created = run(server, "admin", "create-user", name, "--password-stdin", *extra, stdin=f"{PASSWORD}\n")
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith(f"created user {name}")


def test_list_and_show_users_without_secrets(server: Server, gql: GraphQLClient, unique: str) -> None:
    name = f"lister-{unique}"
    make_user(server, name, "--superuser")
    business = create_business(gql, f"cli-users-{unique}")
    server.cli("admin", "grant-role", name, "--biz", str(business.bk_biz_id), "--role", "operator")

    table = run(server, "admin", "list-users")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split() == ["USERNAME", "SUPERUSER", "ACTIVE", "CREATED", "TOKENS", "REVOKED"]
    row = next(line for line in table.stdout.splitlines() if line.startswith(f"{name} "))
    assert row.split()[1:3] == ["yes", "yes"]

    listed = json.loads(run(server, "admin", "list-users", "--json").stdout)
    mine = next(user for user in listed if user["username"] == name)
    assert mine["is_superuser"] is True
    assert mine["is_active"] is True
    assert mine["tokens_revoked_at"] is None
    assert "admin" in {user["username"] for user in listed}

    shown = json.loads(run(server, "admin", "show-user", name, "--json").stdout)
    assert shown["roles"] == [
        {"role": "operator", "business_id": business.bk_biz_id, "business_name": f"cli-users-{unique}"}
    ]
    text = run(server, "admin", "show-user", name).stdout
    assert f"operator of {business.bk_biz_id}" in text
    everything = table.stdout + json.dumps(listed) + json.dumps(shown) + text
    assert PASSWORD not in everything
    assert "scrypt" not in everything  # the hash scheme prefix: no password hash is printed
    assert all("password" not in key for user in listed for key in user)

    assert_clean_failure(run(server, "admin", "show-user", f"ghost-{unique}"), "does not exist")


def test_revoked_tokens_are_refused_and_new_ones_work(server: Server, gql: GraphQLClient, unique: str) -> None:
    name = f"revoked-{unique}"
    make_user(server, name)
    issued = server.cli("admin", "issue-token", name).stdout
    logged_in = login(server, name, PASSWORD)["token"]
    assert refusal(server, issued) is None
    assert refusal(server, logged_in) is None

    revoked = run(server, "admin", "revoke-tokens", name)
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.startswith(f"revoked every token of {name} issued before ")
    for token in (issued, logged_in):
        assert "revoked" in (refusal(server, token) or "")

    # Tokens issued afterwards, by the CLI or by logging in, work.
    assert refusal(server, server.cli("admin", "issue-token", name).stdout) is None
    assert refusal(server, login(server, name, PASSWORD)["token"]) is None
    assert json.loads(run(server, "admin", "show-user", name, "--json").stdout)["tokens_revoked_at"]

    entries = audit(gql, operator="cli", opTarget="user", opType="revoke_tokens")
    assert any(name in entry["opDesc"] for entry in entries), entries
    assert_clean_failure(run(server, "admin", "revoke-tokens", f"ghost-{unique}"), "does not exist")


def test_a_disabled_user_cannot_log_in_until_enabled(server: Server, gql: GraphQLClient, unique: str) -> None:
    name = f"disabled-{unique}"
    make_user(server, name, "--superuser")
    token = login(server, name, PASSWORD)["token"]
    assert legacy_business_count(server, name) > 0  # a superuser sees every business

    disabled = run(server, "admin", "disable-user", name)
    assert disabled.returncode == 0, disabled.stderr
    assert disabled.stdout.startswith(f"disabled user {name}")
    refused = login(server, name, PASSWORD)
    assert refused["token"] is None
    assert refused["errors"], refused
    assert refusal(server, token) is not None
    assert_clean_failure(run(server, "admin", "issue-token", name), "does not exist or is disabled")
    # Named by bk_username on a legacy path, the disabled user acts with no rights at all.
    assert legacy_business_count(server, name) == 0
    assert run(server, "admin", "disable-user", name).stdout == f"user {name} is already disabled"

    enabled = run(server, "admin", "enable-user", name)
    assert enabled.stdout == f"enabled user {name}: it may log in again"
    assert refusal(server, login(server, name, PASSWORD)["token"]) is None
    # Disabling revoked the old token: enabling the user does not bring it back.
    assert "revoked" in (refusal(server, token) or "")

    changes = [(e["opType"], e["instId"]) for e in audit(gql, operator="cli", opTarget="user") if name in e["opDesc"]]
    assert [kind for kind, _ in changes] == ["enable", "disable", "create"]


def legacy_business_count(server: Server, username: str) -> int:
    """How many businesses BlueKing's search_business shows `username` (refused: none)."""
    body = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": username}
    answer = httpx.post(f"{server.url}/api/c/compapi/v2/cc/search_business/", json=body, timeout=30).json()
    return int(answer["data"]["count"]) if answer["result"] else 0


# ── passwords off the command line ──────────────────────────────────────────────────────────────


def test_password_from_a_file_and_from_stdin(server: Server, unique: str, tmp_path: Path) -> None:
    secret_file = tmp_path / "password"
    secret_file.write_text("from-a-file-password\nsecond line is ignored\n")
    from_file = run(server, "admin", "create-user", f"filed-{unique}", "--password-file", str(secret_file))
    assert from_file.returncode == 0, from_file.stderr
    assert login(server, f"filed-{unique}", "from-a-file-password")["token"]

    piped = run(server, "admin", "create-user", f"piped-{unique}", "--password-stdin", stdin="from-stdin-password\r\n")
    assert piped.returncode == 0, piped.stderr
    assert login(server, f"piped-{unique}", "from-stdin-password")["token"]

    assert_clean_failure(run(server, "admin", "create-user", f"e-{unique}", "--password-stdin"), "is empty")
    missing = run(server, "admin", "create-user", f"m-{unique}", "--password-file", str(tmp_path / "nope"))
    assert_clean_failure(missing, "cannot read the password file")
    # Not on a terminal and no password option: a clean refusal, not a hang on a prompt.
    assert_clean_failure(run(server, "admin", "create-user", f"n-{unique}"), "--password-stdin")
    both = run(server, "admin", "create-user", f"b-{unique}", "--password", "x" * 10, "--password-stdin")
    assert both.returncode == 2
    assert "not allowed with" in both.stderr
    assert_clean_failure(run(server, "admin", "issue-token", f"e-{unique}"), "does not exist")


def test_password_prompt_on_a_terminal(server: Server, unique: str) -> None:
    name = f"prompted-{unique}"
    status, shown = on_terminal(server, "admin", "create-user", name, answers=["typed-password-1", "typed-password-1"])
    assert status == 0, shown
    assert "Password:" in shown
    assert "Password (again):" in shown
    assert "typed-password-1" not in shown  # never echoed
    assert f"created user {name}" in shown
    assert login(server, name, "typed-password-1")["token"]

    status, shown = on_terminal(server, "admin", "create-user", f"{name}-x", answers=["first-entry-1", "second-entry"])
    assert status == 1, shown
    assert "do not match" in shown
    assert_clean_failure(run(server, "admin", "issue-token", f"{name}-x"), "does not exist")
