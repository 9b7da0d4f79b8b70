"""Huawei Cloud fixtures: an access key from `opsgraph admin create-access-key`, the unmodified
HssClient pointed at the session server, and a business whose set holds two loopback sshd hosts."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass

import pytest

# The real OpenSSH sshd fixtures of the executor tests, for cluster scans.
from tests.executors.conftest import SshdPoolFactory, ssh_user, sshd_pool  # noqa: F401
from tests.executors.support import claim_hosts, create_account
from tests.huawei.sdk import HssClient, hss_client
from tests.support.server import GraphQLClient, Server
from tests.support.sshd import SshUser
from tests.support.topology import Business, create_business, create_module, create_set, place_hosts


@dataclass(frozen=True)
class AccessKeyPair:
    access_key: str
    secret_key: str
    project_id: str


def create_access_key(server: Server, project_id: str, *extra: str) -> AccessKeyPair:
    output = server.cli("admin", "create-access-key", "--project", project_id, *extra).stdout
    parsed = json.loads(output)
    assert set(parsed) == {"access_key", "secret_key", "project_id"}, parsed
    return AccessKeyPair(parsed["access_key"], parsed["secret_key"], parsed["project_id"])


def new_project_id() -> str:
    return secrets.token_hex(16)  # Huawei project ids are 32 hex characters


@dataclass
class HssEstate:
    business: Business
    set_id: str  # global id
    bk_set_id: int
    ips: list[str]
    host_ids: list[str]
    key: AccessKeyPair


@pytest.fixture(scope="session")
def hss_estate(
    server: Server,
    gql: GraphQLClient,
    sshd_pool: SshdPoolFactory,  # noqa: F811
    ssh_user: SshUser,  # noqa: F811
) -> HssEstate:
    """A business with one set (a "cluster") holding two loopback hosts, a default SSH account and
    an access key confined to the business."""
    name = f"hss-{uuid.uuid4().hex[:8]}"
    business = create_business(gql, name)
    set_id = create_set(gql, business, f"{name}-cluster")
    module_id = create_module(gql, business, f"{name}-cluster", f"{name}-nodes")
    pool = sshd_pool(2)
    host_ids = claim_hosts(gql, business, pool.addresses, pool.port)
    place_hosts(gql, business, host_ids, [module_id])
    create_account(gql, business, "scanner", ssh_user.name, private_key=ssh_user.private_key, is_default=True)
    bk_set_id = gql.ok("query($s: ID!) { node(id: $s) { ... on Set { bkSetId } } }", {"s": set_id})["node"]["bkSetId"]
    key = create_access_key(server, new_project_id(), "--biz", str(business.bk_biz_id))
    return HssEstate(business, set_id, bk_set_id, list(pool.addresses), host_ids, key)


@pytest.fixture(scope="session")
def hss(server: Server, hss_estate: HssEstate) -> HssClient:
    key = hss_estate.key
    return hss_client(server.url, key.access_key, key.secret_key, key.project_id)
