"""Everything is authenticated; tokens are checked strictly; roles per business decide what a user may do;
every mutation lands in the operation log.

Users are made with the CLI (`admin create-user`, `admin grant-role`, `admin issue-token`) the way an
operator would, and then act over GraphQL with their own tokens.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from jose import jwt

from tests.support.server import ADMIN_PASSWORD, SECRET_KEY, GraphQLClient, GraphQLResponse, Server
from tests.support.topology import (
    Business,
    add_hosts,
    create_business,
    create_module,
    create_set,
)

ME = "{ me { username isSuperuser roles { bkBizId role } } }"
LOGIN = """
mutation($u: String!, $p: String!) {
  login(input: {username: $u, password: $p}) { token expiresAt errors { code message } }
}"""
LOGOUT = "mutation { logout { ok errors { code message } } }"
CREATE_SET = """
mutation($b: ID!, $name: String!) {
  createSet(input: {businessId: $b, name: $name}) { set { id name } errors { code } }
}"""
CREATE_MODULE = """
mutation($b: ID!, $s: ID!, $name: String!) {
  createModule(input: {businessId: $b, setId: $s, name: $name}) { module { id name } errors { code } }
}"""
UPDATE_BUSINESS = """
mutation($b: ID!, $name: String!) {
  updateBusiness(input: {businessId: $b, name: $name}) { business { name } errors { code } }
}"""
CREATE_BUSINESS = """
mutation($name: String!) { createBusiness(input: {name: $name}) { business { id } errors { code } } }
"""
GRANT_ROLE = """
mutation($u: String!, $b: ID!, $role: String!) {
  grantRole(input: {username: $u, businessId: $b, role: $role}) { ok errors { code field message } }
}"""
TRANSFER = """
mutation($b: ID!, $h: [ID!]!, $m: [ID!]!) {
  transferHostsToModules(input: {businessId: $b, hostIds: $h, moduleIds: $m, append: false}) {
    hosts { id modules { id } } errors { code message }
  }
}"""
OPERATION_LOG = """
query($operator: String!) {
  operationLog(filter: {operator: $operator}, limit: 100) {
    count items { id opType opTarget opDesc operator bkBizId instId extKey }
  }
}"""
BUSINESS_VIEW = """
query($id: ID!, $bk: Int!) {
  node(id: $id) { id ... on Business { name } }
  business(bkBizId: $bk) { name sets(first: 50) { nodes { name } } }
}"""
USER_PASSWORD = "user-password-123"


def anonymous(server: Server) -> GraphQLClient:
    """A fresh client with no token and an empty cookie jar."""
    return GraphQLClient(server.url)


def error_code(response: GraphQLResponse) -> str | None:
    assert response.errors, response.body
    code: str | None = (response.errors[0].get("extensions") or {}).get("code")
    return code


def assert_unauthenticated(response: GraphQLResponse) -> None:
    assert response.status < 500
    assert error_code(response) == "UNAUTHENTICATED", response.body
    assert response.data is None, response.body


def assert_denied(response: GraphQLResponse) -> None:
    assert error_code(response) == "PERMISSION_DENIED", response.body
    assert response.data is None, response.body


# ── anonymous callers ───────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("{ businesses(first: 5) { nodes { name } } }", id="query"),
        pytest.param("{ me { username } }", id="me"),
        pytest.param("{ __schema { types { name } } }", id="introspection"),
        pytest.param('{ __type(name: "Host") { fields { name } } }', id="type-introspection"),
        pytest.param("{ __typename }", id="typename"),
        pytest.param(LOGOUT, id="logout"),
        pytest.param('mutation { createBusiness(input: {name: "anon"}) { business { id } } }', id="mutation"),
    ],
)
def test_anonymous_operations_are_refused(server: Server, query: str) -> None:
    assert_unauthenticated(anonymous(server).execute(query))


def test_login_cannot_carry_other_mutations(server: Server, gql: GraphQLClient, unique: str) -> None:
    """`login` is public; a document that adds another mutation beside it (or in a fragment) is not."""
    name = f"smuggled-{unique}"
    documents = [
        f'mutation {{ login(input: {{username: "admin", password: "{ADMIN_PASSWORD}"}}) {{ token }}'
        f' createBusiness(input: {{name: "{name}"}}) {{ business {{ id }} }} }}',
        f'mutation {{ login(input: {{username: "admin", password: "{ADMIN_PASSWORD}"}}) {{ token }} ...M }}'
        f' fragment M on Mutation {{ createBusiness(input: {{name: "{name}"}}) {{ business {{ id }} }} }}',
    ]
    for document in documents:
        assert_unauthenticated(anonymous(server).execute(document))
    found = gql.ok("query($n: String!) { businesses(first: 5, filter: {name: $n}) { nodes { id } } }", {"n": name})
    assert found["businesses"]["nodes"] == []


# ── login, cookie, bearer, logout ──────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("username", "password"),
    [("admin", "wrong-password"), ("admin", ""), ("no-such-user", ADMIN_PASSWORD)],
    ids=["wrong-password", "empty-password", "unknown-user"],
)
def test_login_with_bad_credentials_returns_no_token(server: Server, username: str, password: str) -> None:
    client = anonymous(server)
    response = client.http.post("/graphql", json={"query": LOGIN, "variables": {"u": username, "p": password}})
    payload = response.json()["data"]["login"]
    assert payload["token"] is None
    assert payload["expiresAt"] is None
    assert [e["code"] for e in payload["errors"]] == ["UNAUTHENTICATED"]
    # Same message whether or not the user exists: no account enumeration.
    assert payload["errors"][0]["message"] == "wrong username or password"
    assert "bk_token" not in response.headers.get("set-cookie", "")


def login(server: Server, username: str = "admin", password: str = ADMIN_PASSWORD) -> tuple[str, httpx.Response]:
    response = httpx.post(
        f"{server.url}/graphql", json={"query": LOGIN, "variables": {"u": username, "p": password}}, timeout=30
    )
    payload = response.json()["data"]["login"]
    assert payload["errors"] == [], payload
    assert isinstance(payload["token"], str)
    return payload["token"], response


def test_login_returns_a_token_and_sets_an_httponly_cookie(server: Server) -> None:
    token, response = login(server)
    cookies = [c for c in response.headers.get_list("set-cookie") if c.startswith("bk_token=")]
    assert len(cookies) == 1
    attributes = [part.strip().lower() for part in cookies[0].split(";")]
    assert attributes[0] == f"bk_token={token}".lower()
    assert "httponly" in attributes
    assert GraphQLClient(server.url, token).ok(ME)["me"]["username"] == "admin"


def test_the_cookie_alone_authenticates(server: Server) -> None:
    token, _ = login(server)
    with httpx.Client(base_url=server.url, cookies={"bk_token": token}, timeout=30) as client:
        body = client.post("/graphql", json={"query": ME}).json()
    assert body.get("errors") is None, body
    assert body["data"]["me"]["username"] == "admin"


def test_the_login_response_cookie_is_kept_by_a_client(server: Server) -> None:
    """A browser-like client that logs in keeps the cookie and is authenticated from then on."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        before = client.post("/graphql", json={"query": ME}).json()
        assert before["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        client.post("/graphql", json={"query": LOGIN, "variables": {"u": "admin", "p": ADMIN_PASSWORD}})
        after = client.post("/graphql", json={"query": ME}).json()
    assert after["data"]["me"]["username"] == "admin"


def test_bearer_token_authenticates(server: Server) -> None:
    token, _ = login(server)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        body = client.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"}).json()
    assert body["data"]["me"] == {"username": "admin", "isSuperuser": True, "roles": []}


def test_logout_revokes_that_token_only(server: Server, gql: GraphQLClient) -> None:
    token, _ = login(server)
    other, _ = login(server)
    client = GraphQLClient(server.url, token)
    assert client.ok(ME)["me"]["username"] == "admin"

    assert client.ok(LOGOUT)["logout"] == {"ok": True, "errors": []}

    assert_unauthenticated(client.execute(ME))
    assert_unauthenticated(client.execute(LOGOUT))
    with httpx.Client(base_url=server.url, cookies={"bk_token": token}, timeout=30) as cookie_client:
        body = cookie_client.post("/graphql", json={"query": ME}).json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert GraphQLClient(server.url, other).ok(ME)["me"]["username"] == "admin"
    assert gql.ok(ME)["me"]["username"] == "admin"


# ── forged and stale tokens ─────────────────────────────────────────────────────────────────────


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"sub": "admin", "iss": "opsgraph", "iat": now, "exp": now + 600, "jti": secrets.token_hex(16)}
    claims.update(overrides)
    return claims


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def forged(kind: str) -> str:
    now = int(time.time())
    if kind == "garbage":
        return "this-is-not-a-jwt"
    if kind == "other-key":
        return jwt.encode(_claims(), "another-secret-key-that-is-long-enough-0123456789", algorithm="HS256")
    if kind == "alg-none":
        return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims())}."
    if kind == "alg-none-with-signature":
        valid = jwt.encode(_claims(), SECRET_KEY, algorithm="HS256")
        return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims())}.{valid.rsplit('.', 1)[1]}"
    if kind == "hs512":
        return jwt.encode(_claims(), SECRET_KEY, algorithm="HS512")
    if kind == "expired":
        return jwt.encode(_claims(iat=now - 7200, exp=now - 3600), SECRET_KEY, algorithm="HS256")
    if kind == "no-exp":
        claims = _claims()
        del claims["exp"]
        return jwt.encode(claims, SECRET_KEY, algorithm="HS256")
    if kind == "wrong-issuer":
        return jwt.encode(_claims(iss="someone-else"), SECRET_KEY, algorithm="HS256")
    if kind == "unknown-user":
        return jwt.encode(_claims(sub=f"ghost-{uuid.uuid4().hex[:6]}"), SECRET_KEY, algorithm="HS256")
    if kind == "tampered-payload":
        header, _, signature = jwt.encode(_claims(sub="nobody"), SECRET_KEY, algorithm="HS256").split(".")
        return f"{header}.{_b64(_claims())}.{signature}"
    if kind == "valid":
        return jwt.encode(_claims(), SECRET_KEY, algorithm="HS256")
    raise AssertionError(kind)


BAD_TOKENS = [
    "garbage",
    "other-key",
    "alg-none",
    "alg-none-with-signature",
    "hs512",
    "expired",
    "no-exp",
    "wrong-issuer",
    "unknown-user",
    "tampered-payload",
]


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_bad_tokens_are_refused(server: Server, kind: str) -> None:
    token = forged(kind)
    assert_unauthenticated(GraphQLClient(server.url, token).execute(ME))
    with httpx.Client(base_url=server.url, cookies={"bk_token": token}, timeout=30) as client:
        body = client.post("/graphql", json={"query": ME}).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_token_forged_with_the_server_key_is_accepted(server: Server) -> None:
    """The control for the cases above: the forging itself is right, only the defect makes them fail."""
    assert GraphQLClient(server.url, forged("valid")).ok(ME)["me"]["username"] == "admin"


# ── roles ───────────────────────────────────────────────────────────────────────────────────────


@dataclass
class Actor:
    username: str
    client: GraphQLClient

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> GraphQLResponse:
        return self.client.execute(query, variables)

    def ok(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        return self.client.ok(query, variables)


@dataclass
class RoleEstate:
    home: Business
    other: Business
    home_set: str
    hosts: list[str]
    nobody: Actor
    viewer: Actor
    operator: Actor
    maintainer: Actor
    grantee: Actor


def make_user(server: Server, username: str, role: str | None, business: Business | None) -> Actor:
    created = server.cli("admin", "create-user", username, "--password", USER_PASSWORD)
    assert username in created.stdout
    if role is not None and business is not None:
        granted = server.cli("admin", "grant-role", username, "--biz", str(business.bk_biz_id), "--role", role)
        assert granted.returncode == 0
    token = server.cli("admin", "issue-token", username).stdout
    assert token.count(".") == 2
    return Actor(username, GraphQLClient(server.url, token))


@pytest.fixture(scope="module")
def roles(server: Server, gql: GraphQLClient, ip_allocator: Iterator[str]) -> RoleEstate:
    tag = uuid.uuid4().hex[:8]
    home = create_business(gql, f"auth-home-{tag}")
    other = create_business(gql, f"auth-other-{tag}")
    home_set = create_set(gql, home, "web")
    create_module(gql, home, "web", "nginx")
    create_module(gql, home, "web", "php")
    create_set(gql, other, "db")
    hosts = add_hosts(gql, [next(ip_allocator) for _ in range(4)], home)
    return RoleEstate(
        home=home,
        other=other,
        home_set=home_set,
        hosts=hosts,
        nobody=make_user(server, f"nobody-{tag}", None, None),
        viewer=make_user(server, f"viewer-{tag}", "viewer", home),
        operator=make_user(server, f"operator-{tag}", "operator", home),
        maintainer=make_user(server, f"maintainer-{tag}", "maintainer", home),
        grantee=make_user(server, f"grantee-{tag}", None, None),
    )


def business_names(actor: Actor) -> set[str]:
    return {n["name"] for n in actor.ok("{ businesses(first: 50) { nodes { name } } }")["businesses"]["nodes"]}


def home_name(gql: GraphQLClient, business: Business) -> str:
    data = gql.ok("query($bk: Int!) { business(bkBizId: $bk) { name } }", {"bk": business.bk_biz_id})
    name: str = data["business"]["name"]
    return name


def log_of(gql: GraphQLClient, username: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = gql.ok(OPERATION_LOG, {"operator": username})["operationLog"]["items"]
    return items


def test_cli_grant_role_shows_in_me(roles: RoleEstate) -> None:
    bk = roles.home.bk_biz_id
    viewer = {"username": roles.viewer.username, "isSuperuser": False, "roles": [{"bkBizId": bk, "role": "viewer"}]}
    assert roles.viewer.ok(ME)["me"] == viewer
    assert roles.operator.ok(ME)["me"]["roles"] == [{"bkBizId": bk, "role": "operator"}]
    assert roles.maintainer.ok(ME)["me"]["roles"] == [{"bkBizId": bk, "role": "maintainer"}]
    assert roles.nobody.ok(ME)["me"]["roles"] == []


def test_user_without_a_role_sees_no_business(roles: RoleEstate, gql: GraphQLClient) -> None:
    visible = business_names(roles.nobody)
    assert home_name(gql, roles.home) not in visible
    assert home_name(gql, roles.other) not in visible
    assert visible == set()
    for business in (roles.home, roles.other):
        data = roles.nobody.ok(BUSINESS_VIEW, {"id": business.id, "bk": business.bk_biz_id})
        assert data == {"node": None, "business": None}
    hosts = roles.nobody.ok("{ hosts(first: 50) { totalCount nodes { innerIp } } }")["hosts"]
    assert hosts == {"totalCount": 0, "nodes": []}
    assert roles.nobody.ok("query($id: ID!) { node(id: $id) { id } }", {"id": roles.hosts[0]}) == {"node": None}
    # The superuser does see it, through the same queries.
    assert gql.ok(BUSINESS_VIEW, {"id": roles.home.id, "bk": roles.home.bk_biz_id})["node"]["id"] == roles.home.id


def test_user_without_a_role_cannot_mutate(roles: RoleEstate, gql: GraphQLClient) -> None:
    before = home_name(gql, roles.home)
    assert_denied(roles.nobody.execute(UPDATE_BUSINESS, {"b": roles.home.id, "name": f"{before}-hijacked"}))
    assert_denied(roles.nobody.execute(CREATE_SET, {"b": roles.home.id, "name": "intruder"}))
    assert home_name(gql, roles.home) == before
    sets = gql.ok(BUSINESS_VIEW, {"id": roles.home.id, "bk": roles.home.bk_biz_id})["business"]["sets"]["nodes"]
    assert "intruder" not in {s["name"] for s in sets}
    assert log_of(gql, roles.nobody.username) == []


def test_viewer_reads_but_cannot_mutate(roles: RoleEstate, gql: GraphQLClient, unique: str) -> None:
    assert business_names(roles.viewer) == {home_name(gql, roles.home)}
    data = roles.viewer.ok(BUSINESS_VIEW, {"id": roles.home.id, "bk": roles.home.bk_biz_id})
    assert data["node"]["id"] == roles.home.id
    assert "web" in {s["name"] for s in data["business"]["sets"]["nodes"]}
    hidden = roles.viewer.ok(BUSINESS_VIEW, {"id": roles.other.id, "bk": roles.other.bk_biz_id})
    assert hidden == {"node": None, "business": None}

    name = f"viewer-set-{unique}"
    assert_denied(roles.viewer.execute(CREATE_SET, {"b": roles.home.id, "name": name}))
    modules = [roles.home.modules["nginx"]]
    assert_denied(roles.viewer.execute(TRANSFER, {"b": roles.home.id, "h": roles.hosts[:1], "m": modules}))
    sets = gql.ok(BUSINESS_VIEW, {"id": roles.home.id, "bk": roles.home.bk_biz_id})["business"]["sets"]["nodes"]
    assert name not in {s["name"] for s in sets}


def test_operator_transfers_hosts_but_cannot_create_sets(roles: RoleEstate, gql: GraphQLClient, unique: str) -> None:
    nginx = roles.home.modules["nginx"]
    moved = roles.operator.ok(TRANSFER, {"b": roles.home.id, "h": roles.hosts[:2], "m": [nginx]})
    payload = moved["transferHostsToModules"]
    assert payload["errors"] == []
    assert [h["modules"] for h in payload["hosts"]] == [[{"id": nginx}], [{"id": nginx}]]
    seen = gql.ok("query($id: ID!) { node(id: $id) { ... on Host { modules { id } } } }", {"id": roles.hosts[0]})
    assert seen["node"]["modules"] == [{"id": nginx}]

    name = f"operator-set-{unique}"
    assert_denied(roles.operator.execute(CREATE_SET, {"b": roles.home.id, "name": name}))
    sets = gql.ok(BUSINESS_VIEW, {"id": roles.home.id, "bk": roles.home.bk_biz_id})["business"]["sets"]["nodes"]
    assert name not in {s["name"] for s in sets}


def test_maintainer_creates_sets_in_its_business_only(roles: RoleEstate, gql: GraphQLClient, unique: str) -> None:
    name = f"maint-set-{unique}"
    created = roles.maintainer.ok(CREATE_SET, {"b": roles.home.id, "name": name})["createSet"]
    assert created["errors"] == []
    assert created["set"]["name"] == name
    assert_denied(roles.maintainer.execute(CREATE_SET, {"b": roles.other.id, "name": name}))
    other_sets = gql.ok(BUSINESS_VIEW, {"id": roles.other.id, "bk": roles.other.bk_biz_id})["business"]["sets"]
    assert name not in {s["name"] for s in other_sets["nodes"]}


def test_maintainer_grants_roles_in_its_business_only(roles: RoleEstate) -> None:
    grantee = roles.grantee
    assert_denied(roles.maintainer.execute(GRANT_ROLE, {"u": grantee.username, "b": roles.other.id, "role": "viewer"}))
    assert grantee.ok(BUSINESS_VIEW, {"id": roles.other.id, "bk": roles.other.bk_biz_id})["business"] is None

    granted = roles.maintainer.ok(GRANT_ROLE, {"u": grantee.username, "b": roles.home.id, "role": "viewer"})
    assert granted["grantRole"] == {"ok": True, "errors": []}
    assert grantee.ok(ME)["me"]["roles"] == [{"bkBizId": roles.home.bk_biz_id, "role": "viewer"}]
    assert grantee.ok(BUSINESS_VIEW, {"id": roles.home.id, "bk": roles.home.bk_biz_id})["business"] is not None
    assert grantee.ok(BUSINESS_VIEW, {"id": roles.other.id, "bk": roles.other.bk_biz_id})["business"] is None


@pytest.mark.parametrize(
    ("who", "role"),
    [("viewer", "viewer"), ("operator", "viewer"), ("nobody", "viewer")],
)
def test_only_maintainers_grant_roles(roles: RoleEstate, who: str, role: str) -> None:
    actor: Actor = getattr(roles, who)
    target = roles.nobody if who != "nobody" else roles.viewer
    assert_denied(actor.execute(GRANT_ROLE, {"u": target.username, "b": roles.home.id, "role": role}))


def test_grant_role_with_unknown_role_or_user_is_a_user_error(roles: RoleEstate) -> None:
    bad_role = roles.maintainer.ok(GRANT_ROLE, {"u": roles.grantee.username, "b": roles.home.id, "role": "owner"})
    assert bad_role["grantRole"]["ok"] is False
    assert [(e["code"], e["field"]) for e in bad_role["grantRole"]["errors"]] == [("INVALID", "role")]
    ghost = roles.maintainer.ok(GRANT_ROLE, {"u": "ghost-user-xyz", "b": roles.home.id, "role": "viewer"})
    assert [(e["code"], e["field"]) for e in ghost["grantRole"]["errors"]] == [("NOT_FOUND", "username")]


@pytest.mark.parametrize("who", ["nobody", "viewer", "operator", "maintainer"])
def test_only_a_superuser_creates_businesses(roles: RoleEstate, gql: GraphQLClient, who: str, unique: str) -> None:
    name = f"by-{who}-{unique}"
    actor: Actor = getattr(roles, who)
    assert_denied(actor.execute(CREATE_BUSINESS, {"name": name}))
    query = "query($n: String!) { businesses(first: 5, filter: {name: $n}) { nodes { id } } }"
    assert gql.ok(query, {"n": name})["businesses"]["nodes"] == []
    created = gql.ok(CREATE_BUSINESS, {"name": name})["createBusiness"]
    assert created["errors"] == []
    assert gql.ok(query, {"n": name})["businesses"]["nodes"] == [{"id": created["business"]["id"]}]


# ── CLI grant-role ──────────────────────────────────────────────────────────────────────────────


def test_cli_grant_role_change_applies_to_existing_tokens(roles: RoleEstate, server: Server) -> None:
    """Roles are read per request, not baked into the token: a demotion takes effect at once."""
    user = make_user(server, f"demoted-{uuid.uuid4().hex[:8]}", "maintainer", roles.home)
    assert user.ok(CREATE_SET, {"b": roles.home.id, "name": f"{user.username}-a"})["createSet"]["errors"] == []
    done = server.cli("admin", "grant-role", user.username, "--biz", str(roles.home.bk_biz_id), "--role", "viewer")
    assert "viewer" in done.stdout
    assert user.ok(ME)["me"]["roles"] == [{"bkBizId": roles.home.bk_biz_id, "role": "viewer"}]
    assert_denied(user.execute(CREATE_SET, {"b": roles.home.id, "name": f"{user.username}-b"}))


@pytest.mark.parametrize(
    ("case", "expected"),
    [("unknown-role", "invalid choice"), ("unknown-user", "does not exist"), ("unknown-business", "does not exist")],
)
def test_cli_grant_role_errors_are_clean(roles: RoleEstate, server: Server, case: str, expected: str) -> None:
    user, biz, role = roles.grantee.username, str(roles.home.bk_biz_id), "viewer"
    if case == "unknown-role":
        role = "owner"
    elif case == "unknown-user":
        user = f"ghost-{uuid.uuid4().hex[:8]}"
    else:
        biz = "987654321"
    result = server.cli("admin", "grant-role", user, "--biz", biz, "--role", role, check=False)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""


# ── audit ───────────────────────────────────────────────────────────────────────────────────────


def test_every_mutation_is_audited(roles: RoleEstate, server: Server, gql: GraphQLClient, unique: str) -> None:
    actor = roles.maintainer
    bk = roles.home.bk_biz_id
    before = {e["id"] for e in log_of(gql, actor.username)}

    set_name = f"audit-set-{unique}"
    set_id = actor.ok(CREATE_SET, {"b": roles.home.id, "name": set_name})["createSet"]["set"]["id"]
    actor.ok(CREATE_MODULE, {"b": roles.home.id, "s": set_id, "name": f"audit-module-{unique}"})
    actor.ok(GRANT_ROLE, {"u": roles.grantee.username, "b": roles.home.id, "role": "viewer"})
    php = roles.home.modules["php"]
    moved = actor.ok(TRANSFER, {"b": roles.home.id, "h": roles.hosts[2:4], "m": [php]})
    assert moved["transferHostsToModules"]["errors"] == []
    assert_denied(actor.execute(CREATE_SET, {"b": roles.other.id, "name": set_name}))  # refused: not logged

    entries = [e for e in log_of(gql, actor.username) if e["id"] not in before]
    assert all(e["operator"] == actor.username for e in entries)
    assert sorted((e["opType"], e["opTarget"], e["bkBizId"]) for e in entries) == sorted(
        [
            ("create", "set", bk),
            ("create", "module", bk),
            ("grant", "role", bk),
            ("transfer", "host", bk),
            ("transfer", "host", bk),
        ]
    )
    assert any(set_name in e["opDesc"] for e in entries)
    # The actor reads the same entries (those of its business and its own actions).
    own = actor.ok(OPERATION_LOG, {"operator": actor.username})["operationLog"]
    assert {e["id"] for e in own["items"]} >= {e["id"] for e in entries}

    # Logging out is a mutation too; use a fresh login so the fixture's token stays valid.
    session, _ = login(server, actor.username, USER_PASSWORD)
    assert GraphQLClient(server.url, session).ok(LOGOUT)["logout"]["ok"] is True
    logout = [e for e in log_of(gql, actor.username) if e["opType"] == "logout"]
    assert [(e["opTarget"], e["bkBizId"]) for e in logout] == [("user", None)]
