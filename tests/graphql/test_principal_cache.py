"""A verified login token costs no SQL on later requests, and every change that shapes what it may do
reaches the running server before its next request: a role granted over GraphQL (this process), a
role granted, revoked, a user disabled or its tokens revoked by the CLI (another process, through
the data directory's change journal), and a logout.
"""

from __future__ import annotations

from typing import Any

from tests.cli.support import login, refusal, run
from tests.support.server import GraphQLClient, Server
from tests.support.topology import create_business

PASSWORD = "cache-password-123"
ROLES = "{ me { username roles { bkBizId role } } }"
GRANT_ROLE = """
mutation($u: String!, $b: ID!, $role: String!) { grantRole(input: {username: $u, businessId: $b, role: $role}) {
  ok errors { code message } } }"""
LOGOUT = "mutation { logout { ok errors { code message } } }"


def make_user(server: Server, name: str) -> GraphQLClient:
    server.cli("admin", "create-user", name, "--password", PASSWORD)
    return GraphQLClient(server.url, server.cli("admin", "issue-token", name).stdout)


def roles(client: GraphQLClient) -> list[tuple[int, str]]:
    me: dict[str, Any] = client.ok(ROLES)["me"]
    return sorted((role["bkBizId"], role["role"]) for role in me["roles"])


def test_a_verified_token_costs_no_sql_afterwards(server: Server, unique: str) -> None:
    client = make_user(server, f"cached-{unique}")
    first = client.execute("{ __typename }")
    again = client.execute("{ __typename }")
    assert first.ok() == again.ok() == {"__typename": "Query"}
    assert first.sql_count is not None
    assert first.sql_count > 0  # revocation, user, roles
    assert again.sql_count == 0


def test_role_changes_apply_to_the_next_request(server: Server, gql: GraphQLClient, unique: str) -> None:
    name = f"roles-{unique}"
    client = make_user(server, name)
    business = create_business(gql, f"cache-roles-{unique}")
    assert roles(client) == []

    # Granted over GraphQL: this server process changes it and forgets the cached principal.
    granted = gql.ok(GRANT_ROLE, {"u": name, "b": business.id, "role": "viewer"})["grantRole"]
    assert granted == {"ok": True, "errors": []}
    assert roles(client) == [(business.bk_biz_id, "viewer")]

    # Changed by the CLI, another process: the running server learns it before the next request.
    granted_by_cli = run(server, "admin", "grant-role", name, "--biz", str(business.bk_biz_id), "--role", "operator")
    assert granted_by_cli.returncode == 0
    assert roles(client) == [(business.bk_biz_id, "operator")]
    assert run(server, "admin", "revoke-role", name, "--biz", str(business.bk_biz_id)).returncode == 0
    assert roles(client) == []


def test_disabling_revoking_and_logging_out_refuse_the_cached_token(server: Server, unique: str) -> None:
    disabled, revoked, leaving = (f"{kind}-{unique}" for kind in ("disabled", "revoked", "leaving"))
    for name in (disabled, revoked, leaving):
        server.cli("admin", "create-user", name, "--password", PASSWORD)
    tokens = {name: login(server, name, PASSWORD)["token"] for name in (disabled, revoked, leaving)}
    for token in tokens.values():
        assert refusal(server, token) is None  # verified once: now cached
        assert refusal(server, token) is None

    assert run(server, "admin", "disable-user", disabled).returncode == 0
    assert refusal(server, tokens[disabled]) is not None
    assert run(server, "admin", "revoke-tokens", revoked).returncode == 0
    assert "revoked" in (refusal(server, tokens[revoked]) or "")
    logged_out = GraphQLClient(server.url, tokens[leaving]).execute(LOGOUT)
    assert logged_out.ok()["logout"] == {"ok": True, "errors": []}
    assert "logged out" in (refusal(server, tokens[leaving]) or "")
