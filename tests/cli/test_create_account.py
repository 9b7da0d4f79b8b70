"""`opsgraph admin create-account`: an operator adds an OS account from the server's shell.

The account is then checked over GraphQL (as any client would see it), including the audit entry
the CLI leaves under the operator name "cli".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncssh
import pytest

from tests.support.server import GraphQLClient, Server
from tests.support.topology import Business, create_business

ACCOUNTS = """
query($bk: Int!) {
  business(bkBizId: $bk) { accounts(first: 10) { nodes { alias username auth isDefault createdBy } } }
  operationLog(filter: {bkBizId: $bk, opTarget: "account"}, limit: 10) { items { operator opType curData } }
}"""


@pytest.fixture
def biz(gql: GraphQLClient, unique: str) -> Business:
    return create_business(gql, f"cli-acct-{unique}")


def _create(server: Server, biz: Business | int, alias: str, *secret: str) -> Any:
    bk = biz if isinstance(biz, int) else biz.bk_biz_id
    return server.cli(
        "admin", "create-account", "--biz", str(bk), "--alias", alias, "--user", "deploy", *secret, check=False
    )


def test_create_with_key_file_and_with_password(
    server: Server, gql: GraphQLClient, biz: Business, tmp_path: Path
) -> None:
    key_file = tmp_path / "id_ed25519"
    key_text = asyncssh.generate_private_key("ssh-ed25519").export_private_key().decode()
    key_file.write_text(key_text)
    keyed = _create(server, biz, "keyed", "--key-file", str(key_file))
    assert keyed.returncode == 0, keyed.stderr
    assert "created account keyed" in keyed.stdout
    password = "cli-password-7d1f"
    default = _create(server, biz, "root", "--password", password, "--default")
    assert default.returncode == 0, default.stderr
    assert "default" in default.stdout

    data = gql.ok(ACCOUNTS, {"bk": biz.bk_biz_id})
    assert data["business"]["accounts"]["nodes"] == [
        {"alias": "keyed", "username": "deploy", "auth": "KEY", "isDefault": False, "createdBy": "cli"},
        {"alias": "root", "username": "deploy", "auth": "PASSWORD", "isDefault": True, "createdBy": "cli"},
    ]
    entries = data["operationLog"]["items"]
    assert [(e["operator"], e["opType"]) for e in entries] == [("cli", "create"), ("cli", "create")]
    everything = f"{keyed.stdout}{keyed.stderr}{default.stdout}{default.stderr}{data}"
    assert password not in everything
    assert all(line not in everything for line in key_text.splitlines() if len(line) > 20)


def test_refusals_exit_nonzero_with_a_clear_message(
    server: Server, gql: GraphQLClient, biz: Business, tmp_path: Path
) -> None:
    missing = _create(server, biz, "a", "--key-file", str(tmp_path / "no-such-key"))
    assert missing.returncode == 1
    assert "cannot read key file" in missing.stderr

    garbage = tmp_path / "garbage"
    garbage.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nnope\n-----END OPENSSH PRIVATE KEY-----\n")
    bad_key = _create(server, biz, "a", "--key-file", str(garbage))
    assert bad_key.returncode == 1
    assert "private key cannot be used" in bad_key.stderr

    both = _create(server, biz, "a", "--key-file", str(garbage), "--password", "pw-both")
    assert both.returncode == 2  # argparse: the two are a mutually exclusive group
    assert "not allowed with" in both.stderr

    no_business = _create(server, 987654321, "a", "--password", "pw-nobiz")
    assert no_business.returncode == 1
    assert "business 987654321 does not exist" in no_business.stderr

    assert gql.ok(ACCOUNTS, {"bk": biz.bk_biz_id})["business"]["accounts"]["nodes"] == []
