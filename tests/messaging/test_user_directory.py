"""The user directory through GraphQL and the CLI: users set their own contact fields, superusers any
field; bad values are refused with the field named and change nothing; bk_role 1 follows the
superuser flag."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.executors.support import login
from tests.messaging.support import PROFILE
from tests.support.server import GraphQLClient, Server

USER = """
query($u: String!) {
  user(username: $u) { username displayName email phone wxUserid language timeZone bkRole bkRoleName }
}"""
USERS = """
query($f: DirectoryUserFilter, $after: String) {
  users(first: 1, after: $after, filter: $f) { totalCount pageInfo { hasNextPage endCursor } nodes { username bkRole } }
}"""


def _profile(client: GraphQLClient, **input: Any) -> dict[str, Any]:
    payload: dict[str, Any] = client.ok(PROFILE, {"input": input})["updateUserProfile"]
    return payload


@pytest.fixture(scope="module")
def member(server: Server) -> tuple[str, GraphQLClient]:
    """One user for the module (a CLI call is a process): the tests compare its profile before and after."""
    name = f"dirmember{uuid.uuid4().hex[:8]}"
    server.cli("admin", "create-user", name, "--password", "directory-password-2")
    return name, login(server.url, name, "directory-password-2")


def test_users_set_their_own_contact_fields(gql: GraphQLClient, member: tuple[str, GraphQLClient]) -> None:
    name, client = member
    payload = _profile(
        client,
        username=name,
        displayName="Mia",
        email="mia@example.com",
        phone="+8613512345678",
        language="zh-CN",
        timeZone="Europe/Paris",
        wxUserid="mia-wx",
    )
    assert payload["errors"] == []
    assert payload["user"] == {
        "username": name,
        "displayName": "Mia",
        "email": "mia@example.com",
        "phone": "+8613512345678",
        "wxUserid": "mia-wx",
        "language": "zh-cn",
        "timeZone": "Europe/Paris",
        "bkRole": 0,
    }
    logged = client.ok(
        '{ operationLog(filter: {opTarget: "user", opType: "update"}, limit: 5) { items { operator curData } } }'
    )
    assert {
        "operator": name,
        "curData": {
            "display_name": "Mia",
            "email": "mia@example.com",
            "phone": "+8613512345678",
            "language": "zh-cn",
            "time_zone": "Europe/Paris",
            "wx_userid": "mia-wx",
        },
    } in logged["operationLog"]["items"]
    # Only a superuser changes a platform role or someone else's profile.
    for attempt in ({"username": name, "platformRole": 2}, {"username": "admin", "email": "evil@example.com"}):
        response = client.execute(PROFILE, {"input": attempt})
        assert response.errors[0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert gql.ok(USER, {"u": "admin"})["user"]["email"] != "evil@example.com"
    assert _profile(gql, username=name, platformRole=2)["user"]["bkRole"] == 2
    assert gql.ok(USER, {"u": name})["user"]["bkRoleName"] == "developer"


BAD: dict[str, tuple[dict[str, Any], str]] = {
    "email": ({"email": "not-an-address"}, "email"),
    "phone": ({"phone": "12ab"}, "phone"),
    "language": ({"language": "fr"}, "language"),
    "time zone": ({"timeZone": "Mars/Olympus"}, "time_zone"),
    "time zone path": ({"timeZone": "../../etc/passwd"}, "time_zone"),
    "display name with a line break": ({"displayName": "a\nb"}, "display_name"),
    "display name too long": ({"displayName": "x" * 129}, "display_name"),
    "wx id with a space": ({"wxUserid": "a b"}, "wx_userid"),
    "role out of range": ({"platformRole": 9}, "platform_role"),
    "role 1 without the superuser flag": ({"platformRole": 1}, "platform_role"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_profile_values_change_nothing(gql: GraphQLClient, member: tuple[str, GraphQLClient], case: str) -> None:
    name, _ = member
    before = gql.ok(USER, {"u": name})
    change, field = BAD[case]
    payload = _profile(gql, username=name, **change)
    assert [e["field"] for e in payload["errors"]] == [field], payload["errors"]
    assert gql.ok(USER, {"u": name}) == before


def test_unknown_users_read_as_null_and_refuse_updates(gql: GraphQLClient, unique: str) -> None:
    assert gql.ok(USER, {"u": f"nobody{unique}"})["user"] is None
    errors = _profile(gql, username=f"nobody{unique}", email="a@example.com")["errors"]
    assert [e["code"] for e in errors] == ["NOT_FOUND"]


def test_the_directory_pages_and_filters(gql: GraphQLClient, member: tuple[str, GraphQLClient]) -> None:
    name, _ = member
    first = gql.ok(USERS, {"f": {"usernames": ["admin", name]}})["users"]
    assert first["totalCount"] == 2
    assert first["pageInfo"]["hasNextPage"] is True
    second = gql.ok(USERS, {"f": {"usernames": ["admin", name]}, "after": first["pageInfo"]["endCursor"]})["users"]
    assert [n["username"] for n in first["nodes"] + second["nodes"]] == ["admin", name]
    assert second["pageInfo"]["hasNextPage"] is False
    superusers = gql.ok(USERS, {"f": {"usernames": ["admin", name], "bkRole": 1}})["users"]
    assert [n["username"] for n in superusers["nodes"]] == ["admin"]


def test_the_cli_sets_profiles_and_refuses_bad_values(server: Server, gql: GraphQLClient, unique: str) -> None:
    name = f"dircli{unique}"
    server.cli("admin", "create-user", name, "--password", "directory-password-3")
    shown = server.cli("admin", "set-user-profile", name, "--email", f"{name}@example.com", "--role", "3").stdout
    assert f"{name}@example.com" in shown
    assert gql.ok(USER, {"u": name})["user"]["bkRole"] == 3
    bad = server.cli("admin", "set-user-profile", name, "--time-zone", "Nowhere/Land", check=False)
    assert bad.returncode == 1
    assert "time zone" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert gql.ok(USER, {"u": name})["user"]["timeZone"] == "UTC"
