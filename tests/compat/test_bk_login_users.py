"""bk_login and bk_paas answered from the user directory and the apps: get_user and is_login through the
unmodified `bkapi-component-open` client, the calls it does not declare through `bkapi-client-core`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from tests.compat.cc_host_support import ok, refused
from tests.compat.open_client import extra_client, open_client
from tests.support.server import APP_CODE, Server

PARAM_NOT_VALID, USER_NOT_EXISTS, PARAMETER_ERROR = 1302100, 1302103, 1306406


@dataclass
class Directory:
    dora: str  # a full profile, bk_role 4 (auditor)
    eli: str  # defaults only


@pytest.fixture(scope="module")
def directory(server: Server) -> Directory:
    tag = uuid.uuid4().hex[:6]
    dora, eli = f"dora{tag}", f"eli{tag}"
    for name in (dora, eli):
        server.cli("admin", "create-user", name, "--password", "directory-password-1")
    server.cli(
        "admin",
        "set-user-profile",
        dora,
        "--display-name",
        "Dora Li",
        "--email",
        f"{dora}@example.com",
        "--phone",
        "13600000004",
        "--wx-userid",
        f"wx{tag}",
        "--language",
        "zh-cn",
        "--time-zone",
        "Asia/Shanghai",
        "--role",
        "4",
    )
    return Directory(dora, eli)


def test_get_user_names_the_caller(server: Server, admin_token: str, directory: Directory) -> None:
    dora = ok(open_client(server.url, username=directory.dora).bk_login.get_user())
    assert dora == {
        "bk_username": directory.dora,
        "chname": "Dora Li",
        "qq": "",
        "phone": "13600000004",
        "email": f"{directory.dora}@example.com",
        "bk_role": 4,
        "wx_userid": f"wx{directory.dora.removeprefix('dora')}",
        "language": "zh-cn",
        "time_zone": "Asia/Shanghai",
    }
    by_token = ok(open_client(server.url, username=None, bk_token=admin_token).bk_login.get_user())
    assert (by_token["bk_username"], by_token["bk_role"]) == ("admin", 1)
    eli = ok(open_client(server.url, username=directory.eli).bk_login.get_user())
    assert (eli["chname"], eli["email"], eli["language"], eli["time_zone"], eli["bk_role"]) == ("", "", "en", "UTC", 0)
    ghost = open_client(server.url, username=f"ghost{uuid.uuid4().hex[:6]}").bk_login.get_user()
    assert "does not exist" in refused(ghost, USER_NOT_EXISTS)


def test_is_login_needs_a_token(server: Server, admin_token: str, directory: Directory) -> None:
    assert ok(open_client(server.url, username=None, bk_token=admin_token).bk_login.is_login()) == {
        "bk_username": "admin"
    }
    refused(open_client(server.url, username=directory.dora).bk_login.is_login(), PARAM_NOT_VALID)


def test_get_all_users_filters_by_role_only_for_a_digit(server: Server, directory: Directory) -> None:
    client = extra_client(server.url)
    everyone = ok(client.bk_login.get_all_users())
    assert isinstance(everyone, list)
    names = [user["bk_username"] for user in everyone]
    assert {"admin", directory.dora, directory.eli} <= set(names)
    assert set(everyone[0]) == {
        "bk_username",
        "chname",
        "qq",
        "phone",
        "email",
        "bk_role",
        "wx_userid",
        "language",
        "time_zone",
    }
    auditors = ok(client.bk_login.get_all_users(params={"bk_role": 4}))
    assert directory.dora in {u["bk_username"] for u in auditors}
    assert {u["bk_role"] for u in auditors} == {4}
    superusers = ok(client.bk_login.get_all_users(params={"bk_role": "1"}))
    assert "admin" in {u["bk_username"] for u in superusers}
    assert {u["bk_role"] for u in superusers} == {1}
    # Upstream ignores a filter that is not a digit 0–4 (and answers everyone).
    assert [u["bk_username"] for u in ok(client.bk_login.get_all_users(params={"bk_role": "auditors"}))] == names


def test_get_batch_users_is_keyed_by_name_and_leaves_unknown_names_out(server: Server, directory: Directory) -> None:
    client = extra_client(server.url)
    ghost = f"ghost{uuid.uuid4().hex[:6]}"
    listed = ok(client.bk_login.get_batch_users({"bk_username_list": [directory.dora, ghost, directory.eli]}))
    assert set(listed) == {directory.dora, directory.eli}
    assert listed[directory.dora]["chname"] == "Dora Li"
    as_text = ok(client.bk_login.get_batch_users({"bk_username_list": f"{directory.dora};{ghost},{directory.eli}"}))
    assert as_text == listed
    roles = ok(client.bk_login.get_batch_users_platform_role({"bk_username_list": [directory.dora, "admin", ghost]}))
    assert roles == {directory.dora: {"bk_paas": [4]}, "admin": {"bk_paas": [1]}}
    refused(client.bk_login.get_batch_users({"bk_username_list": []}), PARAM_NOT_VALID)
    refused(client.bk_login.get_batch_users({}), PARAM_NOT_VALID)
    refused(client.bk_login.get_batch_users({"bk_username_list": {"a": 1}}), PARAM_NOT_VALID)


def test_get_app_info_describes_the_apps(server: Server) -> None:
    tag = uuid.uuid4().hex[:6]
    other = f"other-app-{tag}"
    server.cli("admin", "create-app", other, "--secret", "other-app-secret")
    server.cli(
        "admin",
        "set-app-info",
        other,
        "--name",
        "Other App",
        "--introduction",
        "does other things",
        "--creator",
        "admin",
        "--developers",
        "alice,bob;carol",
    )
    client = extra_client(server.url)
    default = ok(client.bk_paas.get_app_info(params={"target_app_code": f"{APP_CODE};{other};missing-{tag}"}))
    assert default == [
        {"bk_app_code": other, "bk_app_name": "Other App"},  # newest first
        {"bk_app_code": APP_CODE, "bk_app_name": APP_CODE},  # no name given: its code
    ]
    fields = "bk_app_code;bk_app_name;introduction;creator;developer"
    described = ok(client.bk_paas.get_app_info(params={"target_app_code": other, "fields": fields}))
    assert described == [
        {
            "bk_app_code": other,
            "bk_app_name": "Other App",
            "introduction": "does other things",
            "creator": "admin",
            "developer": "alice;bob;carol",
        }
    ]
    every = [app["bk_app_code"] for app in ok(client.bk_paas.get_app_info())]
    assert every.index(other) < every.index(APP_CODE)
    assert "secret" not in str(ok(client.bk_paas.get_app_info(params={"fields": fields})))
    refused(client.bk_paas.get_app_info(params={"fields": "bk_app_secret"}), PARAMETER_ERROR)
