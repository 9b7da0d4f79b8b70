"""bk `job` read paths for work objects: get_script_list / get_script_detail, get_os_account (never a
secret) and get_own_db_account_list (always empty here)."""

from __future__ import annotations

import json
import re

import asyncssh

from tests.compat.bk_client import LegacyClient
from tests.compat.job_support import ILLEGAL, NO_PERMISSION, TIME_PLAIN, ok, refused
from tests.executors.support import create_account
from tests.support.server import GraphQLClient
from tests.support.topology import create_business, mutate_ok

CREATE_SCRIPT = """
mutation($input: CreateScriptInput!) {
  createScript(input: $input) { script { id bkScriptId } errors { code message } }
}"""
ADD_VERSION = """
mutation($input: AddScriptVersionInput!) {
  addScriptVersion(input: $input) { version { version } errors { message } }
}"""
SCRIPT_NOT_FOUND = 1243001


def test_script_list_and_detail(bk: LegacyClient, roleless_bk: LegacyClient, gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"job-scripts-{unique}")
    biz = business.bk_biz_id
    created = {}
    for name, language in [(f"a-{unique}", "SHELL"), (f"b-{unique}", "PYTHON"), (f"c-{unique}", "SHELL")]:
        script_input = {"businessId": business.id, "name": name, "content": f"# {name} v1", "language": language}
        created[name] = mutate_ok(gql, CREATE_SCRIPT, {"input": script_input})["script"]
    newest = created[f"c-{unique}"]
    mutate_ok(gql, ADD_VERSION, {"input": {"scriptId": newest["id"], "content": "echo v2"}})

    listed = ok(bk.job.get_script_list(params={"bk_biz_id": biz}))
    assert (listed["start"], listed["page_size"], listed["total_record_size"]) == (0, 20, 3)
    assert [s["name"] for s in listed["data"]] == [f"a-{unique}", f"b-{unique}", f"c-{unique}"]
    first = listed["data"][0]
    assert "content" not in first
    assert (first["type"], first["public"], first["bk_biz_id"], first["creator"], first["tag"]) == (
        1,
        False,
        biz,
        "admin",
        "v1",
    )
    assert re.fullmatch(r"admin\.\d{14}", first["version"]), first
    assert TIME_PLAIN.match(first["create_time"])

    def names(**filters: object) -> list[str]:
        data = ok(bk.job.get_script_list(params={"bk_biz_id": biz, **filters}))["data"]
        return [s["name"] for s in data]

    assert names(script_type=4) == [f"b-{unique}"]
    assert names(script_type=1, script_name=f"c-{unique}") == [f"c-{unique}"]
    assert names(start=1, length=1) == [f"b-{unique}"]
    assert names(length=0) == names()  # 0: no paging
    assert names(script_type=6) == []  # SQL: none here
    assert names(is_public="true") == []  # no public scripts here
    with_content = ok(bk.job.get_script_list(params={"bk_biz_id": biz, "return_script_content": "true"}))["data"]
    assert [s["content"] for s in with_content] == [f"# a-{unique} v1", f"# b-{unique} v1", "echo v2"]
    refused(bk.job.get_script_list(params={"bk_biz_id": biz, "script_type": 9}), ILLEGAL)
    refused(roleless_bk.job.get_script_list(params={"bk_biz_id": biz}), NO_PERMISSION)

    detail = ok(bk.job.get_script_detail(params={"bk_biz_id": biz, "id": newest["bkScriptId"]}))
    assert (detail["id"], detail["name"], detail["content"], detail["tag"], detail["type"]) == (
        newest["bkScriptId"],
        f"c-{unique}",
        "echo v2",
        "v2",
        1,
    )
    assert ok(bk.job.get_script_detail(params={"id": newest["bkScriptId"]}))["content"] == "echo v2"
    other = create_business(gql, f"job-scripts-other-{unique}")
    refused(
        bk.job.get_script_detail(params={"bk_biz_id": other.bk_biz_id, "id": newest["bkScriptId"]}), SCRIPT_NOT_FOUND
    )
    refused(bk.job.get_script_detail(params={"bk_biz_id": biz, "id": 2_000_000_000}), SCRIPT_NOT_FOUND)
    refused(roleless_bk.job.get_script_detail(params={"bk_biz_id": biz, "id": newest["bkScriptId"]}), NO_PERMISSION)


def test_os_accounts_never_show_a_secret(
    bk: LegacyClient, roleless_bk: LegacyClient, gql: GraphQLClient, unique: str
) -> None:
    business = create_business(gql, f"job-accounts-{unique}")
    biz = business.bk_biz_id
    password = f"pw-{unique}-not-to-be-seen"
    key = asyncssh.generate_private_key("ssh-ed25519").export_private_key("openssh").decode()
    create_account(gql, business, "deployer", "deploy", password=password)
    create_account(gql, business, "root-key", "root", private_key=key, is_default=True)

    response = bk.job.get_os_account(params={"bk_biz_id": biz})
    accounts = ok(response)
    assert [(a["alias"], a["account"], a["os"], a["bk_biz_id"], a["creator"]) for a in accounts] == [
        ("deployer", "deploy", "Linux", biz, "admin"),
        ("root-key", "root", "Linux", biz, "admin"),
    ]
    assert all(set(a) == {"id", "account", "creator", "os", "alias", "bk_biz_id", "create_time"} for a in accounts)
    assert all(TIME_PLAIN.match(a["create_time"]) for a in accounts)
    text = json.dumps(response)
    assert password not in text
    assert "PRIVATE KEY" not in text
    assert key.splitlines()[1] not in text
    refused(roleless_bk.job.get_os_account(params={"bk_biz_id": biz}), NO_PERMISSION)

    assert ok(bk.job.get_own_db_account_list(params={"bk_biz_id": biz, "start": 0, "length": 10})) == []
    refused(roleless_bk.job.get_own_db_account_list(params={"bk_biz_id": biz}), NO_PERMISSION)
    refused(bk.job.get_own_db_account_list(params={"bk_biz_id": 2_000_000_000}), 1243049)  # no such business
