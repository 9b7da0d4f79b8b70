"""Work objects in the graph: scripts (versioned), OS accounts (secrets encrypted, never returned),
job templates with ordered steps, crons (created paused; croniter schedules), and who may touch them.

Everything goes through GraphQL over HTTP; the one exception is the at-rest check, which reads the
session database directly to prove the stored secret is not the plaintext.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncssh
import pytest
from croniter import croniter

from tests.support.server import GraphQLClient, GraphQLResponse, Server
from tests.support.topology import (
    Business,
    add_hosts,
    create_business,
    mutate_ok,
    mutate_refused,
)

CREATE_SCRIPT = """
mutation($b: ID!, $name: String!, $content: String!, $lang: ScriptLanguage) {
  createScript(input: {businessId: $b, name: $name, content: $content, language: $lang}) {
    script { id bkScriptId name language currentVersion { version content } }
    errors { code field message }
  }
}"""
ADD_VERSION = """
mutation($s: ID!, $content: String!) {
  addScriptVersion(input: {scriptId: $s, content: $content}) {
    script { currentVersion { version content } } version { version content createdBy }
    errors { code field message }
  }
}"""
UPDATE_SCRIPT = """
mutation($s: ID!, $name: String, $lang: ScriptLanguage) {
  updateScript(input: {scriptId: $s, name: $name, language: $lang}) {
    script { name language } errors { code field message }
  }
}"""
DELETE_SCRIPT = """
mutation($s: ID!) { deleteScript(input: {scriptId: $s}) { deletedId errors { code field message } } }"""
SCRIPT = """
query($s: ID!) {
  script(id: $s) {
    name language currentVersion { version content }
    versions(first: 10) { totalCount nodes { version content createdBy createdAt } }
    business { id }
  }
}"""
CREATE_ACCOUNT = """
mutation($b: ID!, $alias: String!, $user: String!, $pw: String, $key: String, $default: Boolean) {
  createAccount(input: {businessId: $b, alias: $alias, username: $user, password: $pw, privateKey: $key,
                        isDefault: $default}) {
    account { id bkAccountId alias username auth isDefault } errors { code field message }
  }
}"""
UPDATE_ACCOUNT = """
mutation($a: ID!, $pw: String, $default: Boolean) {
  updateAccount(input: {accountId: $a, password: $pw, isDefault: $default}) {
    account { id auth isDefault } errors { code field message }
  }
}"""
DELETE_ACCOUNT = """
mutation($a: ID!) { deleteAccount(input: {accountId: $a}) { deletedId errors { code field message } } }"""
ACCOUNTS = """
query($bk: Int!) { business(bkBizId: $bk) { accounts(first: 50) { nodes { alias isDefault auth } } } }"""
CREATE_TEMPLATE = """
mutation($b: ID!, $name: String!, $steps: [JobStepInput!]!, $vars: JSON) {
  createJobTemplate(input: {businessId: $b, name: $name, steps: $steps, variables: $vars}) {
    jobTemplate { id bkJobId name variables steps { position kind name config } }
    errors { code field message }
  }
}"""
UPDATE_TEMPLATE = """
mutation($t: ID!, $steps: [JobStepInput!]) {
  updateJobTemplate(input: {jobTemplateId: $t, steps: $steps}) {
    jobTemplate { steps { position kind name } } errors { code field message }
  }
}"""
DELETE_TEMPLATE = """
mutation($t: ID!) { deleteJobTemplate(input: {jobTemplateId: $t}) { deletedId errors { code field message } } }"""
CREATE_CRON = """
mutation($b: ID!, $t: ID!, $name: String!, $expr: String!) {
  createCron(input: {businessId: $b, jobTemplateId: $t, name: $name, expression: $expr}) {
    cron { id bkCronId enabled nextRunAt expression template { id } } errors { code field message }
  }
}"""
SET_CRON_ENABLED = """
mutation($c: ID!, $on: Boolean!) {
  setCronEnabled(input: {cronId: $c, enabled: $on}) { cron { enabled nextRunAt } errors { code field message } }
}"""
UPDATE_CRON = """
mutation($c: ID!, $expr: String) {
  updateCron(input: {cronId: $c, expression: $expr}) { cron { expression nextRunAt } errors { code field message } }
}"""
DELETE_CRON = """
mutation($c: ID!) { deleteCron(input: {cronId: $c}) { deletedId errors { code field message } } }"""
SHELL = "#!/bin/sh\necho hello\n"


@pytest.fixture(scope="module")
def ssh_key() -> str:
    return asyncssh.generate_private_key("ssh-ed25519").export_private_key().decode()


@pytest.fixture
def biz(gql: GraphQLClient, unique: str) -> Business:
    return create_business(gql, f"jobs-{unique}")


def _script(gql: GraphQLClient, biz: Business, name: str, content: str = SHELL) -> dict[str, Any]:
    variables = {"b": biz.id, "name": name, "content": content, "lang": "SHELL"}
    return mutate_ok(gql, CREATE_SCRIPT, variables)["script"]  # type: ignore[no-any-return]


def _account(gql: GraphQLClient, biz: Business, alias: str, **secret: Any) -> dict[str, Any]:
    variables = {"b": biz.id, "alias": alias, "user": "deploy", **secret}
    return mutate_ok(gql, CREATE_ACCOUNT, variables)["account"]  # type: ignore[no-any-return]


def _approval_template(gql: GraphQLClient, biz: Business, name: str) -> dict[str, Any]:
    steps = [{"kind": "approval", "name": "ok?", "config": {"message": "go"}}]
    return mutate_ok(gql, CREATE_TEMPLATE, {"b": biz.id, "name": name, "steps": steps})["jobTemplate"]  # type: ignore[no-any-return]


def _bk_host_id(gql: GraphQLClient, host_id: str) -> int:
    return int(
        gql.ok("query($h: ID!) { node(id: $h) { ... on Host { bkHostId } } }", {"h": host_id})["node"]["bkHostId"]
    )


def _audit(gql: GraphQLClient, biz: Business, target: str, op_type: str | None = None) -> list[dict[str, Any]]:
    """The business's operation-log entries about one kind of object, newest first."""
    document = """
    query($f: OperationLogFilter) { operationLog(filter: $f, limit: 100) {
      items { opType opTarget opDesc operator preData curData }
    } }"""
    spec = {"bkBizId": biz.bk_biz_id, "opTarget": target, "opType": op_type}
    items: list[dict[str, Any]] = gql.ok(document, {"f": spec})["operationLog"]["items"]
    return items


def stored_secret(server: Server, bk_account_id: int) -> str:
    """The `secret` column as the database holds it."""
    if server.database_url.startswith("sqlite://"):
        path = server.database_url[len("sqlite://") :].split("?", 1)[0]
        with closing(sqlite3.connect(path)) as db:
            (value,) = db.execute("SELECT secret FROM account WHERE id = ?", (bk_account_id,)).fetchone()
        return str(value)

    async def read() -> str:
        import asyncpg

        connection = await asyncpg.connect(server.database_url, timeout=5)
        try:
            return str(await connection.fetchval("SELECT secret FROM account WHERE id = $1", bk_account_id))
        finally:
            await connection.close()

    return asyncio.run(read())


# ── scripts ──────────────────────────────────────────────────────────────────────────────────────


def test_script_versions(gql: GraphQLClient, biz: Business) -> None:
    created = _script(gql, biz, "deploy")
    assert created["language"] == "SHELL"
    assert created["currentVersion"] == {"version": 1, "content": SHELL}
    added = mutate_ok(gql, ADD_VERSION, {"s": created["id"], "content": "echo v2\n"})
    assert added["version"] == {"version": 2, "content": "echo v2\n", "createdBy": "admin"}
    assert added["script"]["currentVersion"] == {"version": 2, "content": "echo v2\n"}

    renamed = mutate_ok(gql, UPDATE_SCRIPT, {"s": created["id"], "name": "deploy2", "lang": "PYTHON"})["script"]
    assert renamed == {"name": "deploy2", "language": "PYTHON"}
    script = gql.ok(SCRIPT, {"s": created["id"]})["script"]
    assert script["currentVersion"] == {"version": 2, "content": "echo v2\n"}
    assert script["versions"]["totalCount"] == 2
    assert [(v["version"], v["content"]) for v in script["versions"]["nodes"]] == [(1, SHELL), (2, "echo v2\n")]
    assert script["business"]["id"] == biz.id

    listed = gql.ok(
        "query($bk: Int!) { business(bkBizId: $bk) { py: scripts(first: 5, language: PYTHON) { nodes { name } }"
        " sh: scripts(first: 5, language: SHELL) { nodes { name } } } }",
        {"bk": biz.bk_biz_id},
    )["business"]
    assert listed == {"py": {"nodes": [{"name": "deploy2"}]}, "sh": {"nodes": []}}

    log = _audit(gql, biz, "script")
    assert [e["opType"] for e in log] == ["update", "update", "create"]  # newest first
    assert "echo" not in json.dumps(log), "the audit keeps a fingerprint, not the content"
    assert log[1]["curData"]["version"] == 2

    assert mutate_ok(gql, DELETE_SCRIPT, {"s": created["id"]})["deletedId"] == created["id"]
    assert gql.ok(SCRIPT, {"s": created["id"]})["script"] is None


def test_script_refusals(gql: GraphQLClient, biz: Business) -> None:
    _script(gql, biz, "taken")
    too_big = "x" * ((1 << 20) + 1)
    variables = {"b": biz.id, "name": "big", "content": too_big, "lang": "SHELL"}
    assert mutate_refused(gql, CREATE_SCRIPT, variables, "INVALID")["field"] == "content"
    empty = {"b": biz.id, "name": "empty", "content": "", "lang": "SHELL"}
    assert mutate_refused(gql, CREATE_SCRIPT, empty, "INVALID")["field"] == "content"
    dup = {"b": biz.id, "name": "taken", "content": SHELL, "lang": "SHELL"}
    mutate_refused(gql, CREATE_SCRIPT, dup, "DUPLICATE")
    names = gql.ok(
        "query($bk: Int!) { business(bkBizId: $bk) { scripts(first: 9) { nodes { name } } } }", {"bk": biz.bk_biz_id}
    )
    assert names["business"]["scripts"]["nodes"] == [{"name": "taken"}]


# ── accounts ─────────────────────────────────────────────────────────────────────────────────────


def _account_selection(gql: GraphQLClient) -> str:
    """Every field the Account type has, found by introspection (so a new field is checked too)."""
    fields = gql.ok('{ __type(name: "Account") { fields { name type { kind ofType { kind } } } } }')
    names = {f["name"]: (f["type"].get("ofType") or f["type"])["kind"] for f in fields["__type"]["fields"]}
    assert not {"secret", "password", "privateKey", "key"} & set(names)
    return " ".join(name if kind in {"SCALAR", "ENUM"} else f"{name} {{ id }}" for name, kind in names.items())


def test_account_secrets_are_encrypted_and_never_returned(
    server: Server, gql: GraphQLClient, biz: Business, ssh_key: str
) -> None:
    password = f"pw-{uuid.uuid4().hex}"
    key_account = _account(gql, biz, "keyed", key=ssh_key)
    pw_account = _account(gql, biz, "passworded", pw=password)
    assert key_account["auth"] == "KEY"
    assert pw_account["auth"] == "PASSWORD"

    selection = _account_selection(gql)
    responses: list[Any] = [key_account, pw_account]
    for account in (key_account, pw_account):
        responses.append(
            gql.ok(
                f"query($a: ID!) {{ account(id: $a) {{ {selection} }} node(id: $a) {{ id }} }}", {"a": account["id"]}
            )
        )
    responses.append(
        gql.ok(
            f"query($bk: Int!) {{ business(bkBizId: $bk) {{ accounts(first: 9) {{ nodes {{ {selection} }} }} }} }}",
            {"bk": biz.bk_biz_id},
        )
    )
    new_password = f"pw2-{uuid.uuid4().hex}"
    updated = mutate_ok(gql, UPDATE_ACCOUNT, {"a": key_account["id"], "pw": new_password})
    assert updated["account"]["auth"] == "PASSWORD"
    responses.append(updated)
    responses.append(_audit(gql, biz, "account"))
    assert len(responses[-1]) == 3
    text = json.dumps(responses)
    key_lines = [line for line in ssh_key.splitlines() if len(line) > 20 and "PRIVATE KEY" not in line]
    for secret in (password, new_password, *key_lines):
        assert secret not in text

    for account, plaintext in ((pw_account, password), (key_account, new_password)):
        at_rest = stored_secret(server, account["bkAccountId"])
        assert plaintext not in at_rest
        assert at_rest.startswith("gAAAA")  # a Fernet token
    if server.database_url.startswith("sqlite://"):
        path = Path(server.database_url[len("sqlite://") :].split("?", 1)[0])
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))  # the file and its WAL
        assert password.encode() not in raw
        assert new_password.encode() not in raw


def test_account_refusals(gql: GraphQLClient, biz: Business, ssh_key: str) -> None:
    def refused(code: str, **values: Any) -> dict[str, Any]:
        variables = {"b": biz.id, "alias": "a", "user": "deploy", **values}
        return mutate_refused(gql, CREATE_ACCOUNT, variables, code)

    assert refused("INVALID", key="-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n")["field"] == "privateKey"
    encrypted = (
        asyncssh.generate_private_key("ssh-ed25519")
        .export_private_key(passphrase="x", rounds=1, ignore_few_rounds=True)
        .decode()
    )
    assert "Passphrase" in refused("INVALID", key=encrypted)["message"]
    refused("INVALID", key=ssh_key, pw="both-given")
    refused("INVALID")
    refused("INVALID", pw="")
    assert refused("INVALID", pw="secret", user="bad user")["field"] == "username"
    _account(gql, biz, "a", pw="first-secret")
    assert refused("DUPLICATE", pw="second-secret")["field"] == "alias"
    nodes = gql.ok(ACCOUNTS, {"bk": biz.bk_biz_id})["business"]["accounts"]["nodes"]
    assert nodes == [{"alias": "a", "isDefault": False, "auth": "PASSWORD"}]


def test_default_account_switching(gql: GraphQLClient, biz: Business) -> None:
    first = _account(gql, biz, "first", pw="secret-1", default=True)
    assert first["isDefault"] is True
    second = _account(gql, biz, "second", pw="secret-2", default=True)
    assert second["isDefault"] is True

    def defaults() -> list[str]:
        nodes = gql.ok(ACCOUNTS, {"bk": biz.bk_biz_id})["business"]["accounts"]["nodes"]
        return [n["alias"] for n in nodes if n["isDefault"]]

    assert defaults() == ["second"]
    mutate_ok(gql, UPDATE_ACCOUNT, {"a": first["id"], "default": True})
    assert defaults() == ["first"]
    mutate_ok(gql, UPDATE_ACCOUNT, {"a": first["id"], "default": False})
    assert defaults() == []
    entry = _audit(gql, biz, "account", "create")[0]
    assert entry["curData"]["previous_default"] == "first"


# ── job templates ────────────────────────────────────────────────────────────────────────────────


def test_template_with_three_ordered_steps(gql: GraphQLClient, biz: Business, ip_allocator: Iterator[str]) -> None:
    (host,) = add_hosts(gql, [next(ip_allocator)], biz)
    bk_host = _bk_host_id(gql, host)
    script = _script(gql, biz, "step-script")
    account = _account(gql, biz, "ops", pw="secret-ops")
    content = base64.b64encode(b"key=value\n").decode()
    steps = [
        {
            "kind": "script",
            "name": "prepare",
            "config": {
                "script_id": script["bkScriptId"],
                "params": "-v",
                "account_alias": "ops",
                "host_ids": [bk_host],
            },
        },
        {
            "kind": "FILE",
            "name": "push",
            "config": {
                "sources": [{"content_b64": content, "name": "app.conf"}, {"host_id": bk_host, "path": "/etc/hosts"}],
                "target_path": "/tmp/app",
                "mode": "0640",
                "owner": "deploy",
            },
        },
        {"kind": "approval", "name": "confirm", "config": {"message": "ship it?", "approvers": ["admin"]}},
    ]
    created = mutate_ok(
        gql, CREATE_TEMPLATE, {"b": biz.id, "name": "release", "steps": steps, "vars": {"version": "1.0"}}
    )
    template = gql.ok(
        "query($t: ID!) { jobTemplate(id: $t) { name variables steps { position kind name config } business { id } } }",
        {"t": created["jobTemplate"]["id"]},
    )["jobTemplate"]
    assert template["variables"] == {"version": "1.0"}
    assert [(s["position"], s["kind"], s["name"]) for s in template["steps"]] == [
        (1, "SCRIPT", "prepare"),
        (2, "FILE", "push"),
        (3, "APPROVAL", "confirm"),
    ]
    script_config, file_config, approval_config = (s["config"] for s in template["steps"])
    # A stored script is pinned to the version it had when the template was saved (its current one here).
    assert isinstance(script_config.pop("script_version_id"), int)
    assert script_config == {
        "script_id": script["bkScriptId"],
        "params": "-v",
        "timeout": 7200,
        "account_alias": "ops",
        "host_ids": [bk_host],
    }
    assert file_config["mode"] == 0o640
    assert file_config["target_path"] == "/tmp/app"
    assert file_config["sources"][1] == {"host_id": bk_host, "path": "/etc/hosts"}
    assert approval_config == {"message": "ship it?", "approvers": ["admin"]}

    # The template now uses the script and the account: neither can be deleted under it.
    mutate_refused(gql, DELETE_SCRIPT, {"s": script["id"]}, "SCRIPT_IN_USE")
    mutate_refused(gql, DELETE_ACCOUNT, {"a": account["id"]}, "ACCOUNT_IN_USE")
    replaced = mutate_ok(gql, UPDATE_TEMPLATE, {"t": created["jobTemplate"]["id"], "steps": steps[2:]})
    assert replaced["jobTemplate"]["steps"] == [{"position": 1, "kind": "APPROVAL", "name": "confirm"}]
    mutate_ok(gql, DELETE_SCRIPT, {"s": script["id"]})
    mutate_ok(gql, DELETE_ACCOUNT, {"a": account["id"]})
    log = _audit(gql, biz, "job_template")
    assert [e["opType"] for e in log] == ["update", "create"]
    assert len(log[0]["preData"]["steps"]) == 3
    assert len(log[0]["curData"]["steps"]) == 1
    mutate_ok(gql, DELETE_TEMPLATE, {"t": created["jobTemplate"]["id"]})


@pytest.mark.parametrize(
    ("step", "field_part"),
    [
        ({"kind": "reboot", "name": "x", "config": {}}, "kind"),
        ({"kind": "script", "name": "x", "config": {"content": "echo", "timeout": 0}}, "timeout"),
        ({"kind": "script", "name": "x", "config": {"content": "echo", "timeout": 86401}}, "timeout"),
        ({"kind": "script", "name": "x", "config": {"content": "echo", "script_id": 1}}, "script_id"),
        ({"kind": "script", "name": "x", "config": {"content": "echo", "tiemout": 5}}, "tiemout"),
        ({"kind": "script", "name": "x", "config": {"content": "echo", "host_ids": [999999999]}}, "host_ids"),
        ({"kind": "script", "name": "x", "config": {"content": "echo", "account_alias": "nobody"}}, "account_alias"),
        ({"kind": "file", "name": "x", "config": {"sources": [], "target_path": "/tmp"}}, "sources"),
        (
            {
                "kind": "file",
                "name": "x",
                "config": {"sources": [{"content_b64": "%%", "name": "a"}], "target_path": "/t"},
            },
            "content_b64",
        ),
        (
            {
                "kind": "file",
                "name": "x",
                "config": {"sources": [{"content_b64": "", "name": "a"}], "target_path": "rel"},
            },
            "target_path",
        ),
        ({"kind": "approval", "name": "", "config": {}}, "name"),
    ],
)
def test_template_step_refusals(gql: GraphQLClient, biz: Business, step: dict[str, Any], field_part: str) -> None:
    variables = {"b": biz.id, "name": "bad", "steps": [{"kind": "approval", "name": "first"}, step]}
    error = mutate_refused(gql, CREATE_TEMPLATE, variables, "INVALID")
    assert field_part in (error["field"] or ""), error
    empty = gql.ok(
        "query($bk: Int!) { business(bkBizId: $bk) { jobTemplates(first: 5) { totalCount } } }", {"bk": biz.bk_biz_id}
    )
    assert empty["business"]["jobTemplates"]["totalCount"] == 0


# ── crons ────────────────────────────────────────────────────────────────────────────────────────


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def test_cron_lifecycle(gql: GraphQLClient, biz: Business) -> None:
    template = _approval_template(gql, biz, "nightly")
    expression = "*/5 * * * *"
    cron = mutate_ok(gql, CREATE_CRON, {"b": biz.id, "t": template["id"], "name": "every5", "expr": expression})["cron"]
    assert (cron["enabled"], cron["nextRunAt"]) == (False, None), "bk-job save_cron: created paused"
    assert cron["template"]["id"] == template["id"]

    before = datetime.now(tz=UTC)
    enabled = mutate_ok(gql, SET_CRON_ENABLED, {"c": cron["id"], "on": True})["cron"]
    after = datetime.now(tz=UTC)
    assert enabled["enabled"] is True
    expected = {croniter(expression, moment).get_next(datetime) for moment in (before, after)}
    assert _at(enabled["nextRunAt"]) in expected
    assert _at(enabled["nextRunAt"]) > before

    moved = mutate_ok(gql, UPDATE_CRON, {"c": cron["id"], "expr": "30  3 * * *"})["cron"]
    assert moved["expression"] == "30 3 * * *"
    assert (_at(moved["nextRunAt"]).hour, _at(moved["nextRunAt"]).minute) == (3, 30)
    for bad in ("61 * * * *", "* * * *", "0 0/5 * * * ?", "@hourly", "0 0 30 2 *"):
        assert mutate_refused(gql, UPDATE_CRON, {"c": cron["id"], "expr": bad}, "INVALID")["field"] == "expression"
        variables = {"b": biz.id, "t": template["id"], "name": "bad", "expr": bad}
        mutate_refused(gql, CREATE_CRON, variables, "INVALID")

    paused = mutate_ok(gql, SET_CRON_ENABLED, {"c": cron["id"], "on": False})["cron"]
    assert paused == {"enabled": False, "nextRunAt": None}
    mutate_refused(gql, DELETE_TEMPLATE, {"t": template["id"]}, "TEMPLATE_HAS_CRONS")
    listed = gql.ok(
        "query($bk: Int!) { business(bkBizId: $bk) { crons(first: 5) { nodes { name expression } } } }",
        {"bk": biz.bk_biz_id},
    )
    assert listed["business"]["crons"]["nodes"] == [{"name": "every5", "expression": "30 3 * * *"}]
    mutate_ok(gql, DELETE_CRON, {"c": cron["id"]})
    mutate_ok(gql, DELETE_TEMPLATE, {"t": template["id"]})
    log = _audit(gql, biz, "cron")
    assert [e["opType"] for e in log] == ["delete", "update", "update", "update", "create"]


# ── roles and query cost ─────────────────────────────────────────────────────────────────────────


@dataclass
class WorkEstate:
    business: Business
    ids: dict[str, str]


def _populate(gql: GraphQLClient, business: Business, tag: str) -> dict[str, str]:
    script = _script(gql, business, f"s-{tag}")
    account = _account(gql, business, f"a-{tag}", pw="secret-x")
    template = _approval_template(gql, business, f"t-{tag}")
    variables = {"b": business.id, "t": template["id"], "name": f"c-{tag}", "expr": "0 * * * *"}
    cron = mutate_ok(gql, CREATE_CRON, variables)["cron"]
    return {"script": script["id"], "account": account["id"], "template": template["id"], "cron": cron["id"]}


@pytest.fixture(scope="module")
def work(gql: GraphQLClient) -> WorkEstate:
    business = create_business(gql, f"jobs-work-{uuid.uuid4().hex[:8]}")
    return WorkEstate(business, _populate(gql, business, "0"))


@pytest.fixture(scope="module")
def viewer(server: Server, gql: GraphQLClient, work: WorkEstate) -> GraphQLClient:
    username = f"viewer-{uuid.uuid4().hex[:8]}"
    server.cli("admin", "create-user", username, "--password", "viewer-password-1")
    granted = gql.ok(GRANT_VIEWER, {"u": username, "b": work.business.id})["grantRole"]
    assert granted == {"ok": True, "errors": []}
    login = gql.execute(LOGIN, {"u": username, "p": "viewer-password-1"}, token="").ok()["login"]
    return GraphQLClient(server.url, login["token"])


GRANT_VIEWER = """
mutation($u: String!, $b: ID!) {
  grantRole(input: {username: $u, businessId: $b, role: "viewer"}) { ok errors { code } }
}"""
LOGIN = """mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { token } }"""
EVERYTHING = """
query($bk: Int!) {
  business(bkBizId: $bk) {
    scripts(first: 20) { nodes { name currentVersion { version } versions(first: 5) { nodes { version } } } }
    accounts(first: 20) { nodes { alias auth isDefault } }
    jobTemplates(first: 20) { nodes { name steps { kind config } } }
    crons(first: 20) { nodes { name enabled template { name } business { name } } }
  }
}"""


def test_viewer_reads_but_cannot_write(viewer: GraphQLClient, work: WorkEstate) -> None:
    seen = viewer.ok(EVERYTHING, {"bk": work.business.bk_biz_id})["business"]
    assert [len(seen[k]["nodes"]) for k in ("scripts", "accounts", "jobTemplates", "crons")] == [1, 1, 1, 1]
    assert viewer.ok("query($a: ID!) { account(id: $a) { alias } }", {"a": work.ids["account"]})["account"]
    ids, b = work.ids, work.business.id
    writes = [
        (CREATE_SCRIPT, {"b": b, "name": "v", "content": SHELL, "lang": "SHELL"}),
        (ADD_VERSION, {"s": ids["script"], "content": "x"}),
        (UPDATE_SCRIPT, {"s": ids["script"], "name": "v"}),
        (DELETE_SCRIPT, {"s": ids["script"]}),
        (CREATE_ACCOUNT, {"b": b, "alias": "v", "user": "v", "pw": "secret"}),
        (UPDATE_ACCOUNT, {"a": ids["account"], "pw": "other"}),
        (DELETE_ACCOUNT, {"a": ids["account"]}),
        (CREATE_TEMPLATE, {"b": b, "name": "v", "steps": [{"kind": "approval", "name": "v"}]}),
        (UPDATE_TEMPLATE, {"t": ids["template"], "steps": [{"kind": "approval", "name": "v"}]}),
        (DELETE_TEMPLATE, {"t": ids["template"]}),
        (CREATE_CRON, {"b": b, "t": ids["template"], "name": "v", "expr": "* * * * *"}),
        (SET_CRON_ENABLED, {"c": ids["cron"], "on": True}),
        (UPDATE_CRON, {"c": ids["cron"], "expr": "* * * * *"}),
        (DELETE_CRON, {"c": ids["cron"]}),
    ]
    for document, variables in writes:
        response: GraphQLResponse = viewer.execute(document, variables)
        assert response.errors, response.body
        assert response.errors[0]["extensions"]["code"] == "PERMISSION_DENIED", response.body
    assert viewer.ok(EVERYTHING, {"bk": work.business.bk_biz_id})["business"] == seen


def test_outsiders_see_nothing(viewer: GraphQLClient, gql: GraphQLClient, unique: str) -> None:
    other = create_business(gql, f"jobs-other-{unique}")
    account = _account(gql, other, "hidden", pw="secret-h")
    assert viewer.ok("query($a: ID!) { account(id: $a) { alias } node(id: $a) { id } }", {"a": account["id"]}) == {
        "account": None,
        "node": None,
    }
    response = viewer.execute(CREATE_ACCOUNT, {"b": other.id, "alias": "x", "user": "x", "pw": "secret"})
    assert response.errors[0]["extensions"]["code"] == "PERMISSION_DENIED"


def test_sql_count_does_not_grow_with_objects(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"jobs-count-{unique}")
    _populate(gql, business, "1")
    small = gql.execute(EVERYTHING, {"bk": business.bk_biz_id})
    for tag in ("2", "3", "4"):
        _populate(gql, business, tag)
    mutate_ok(gql, ADD_VERSION, {"s": _populate(gql, business, "5")["script"], "content": "v2"})
    large = gql.execute(EVERYTHING, {"bk": business.bk_biz_id})
    assert len(large.ok()["business"]["scripts"]["nodes"]) == 5
    assert small.sql_count is not None
    assert small.sql_count == large.sql_count, (small.sql_count, large.sql_count)
