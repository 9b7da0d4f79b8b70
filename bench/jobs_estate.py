"""The jobs benchmark's estate, built through GraphQL mutations as a client would.

- `bench-jobs`: one host per sshd address (`sshPort` = the pool's port), and a default OS account
  that logs in as the test user with its key;
- `bench-jobs-accept`: `--accept` hosts on 10.250.x.y that nothing needs to reach (the task that
  targets them is cancelled at once), with an account of its own so runScript can be accepted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bench.client import GraphQLError, HttpClient
from bench.estate import HOSTS_PER_CALL

USER_ERRORS = "errors { code field message }"
CREATE_BUSINESS = f"""
mutation($name: String!) {{
  createBusiness(input: {{name: $name, maintainer: "admin"}}) {{ business {{ id bkBizId }} {USER_ERRORS} }}
}}"""
ADD_HOSTS = f"""
mutation($hosts: [NewHostInput!]!, $b: ID) {{
  addHostsToResourcePool(input: {{hosts: $hosts, businessId: $b}}) {{ hosts {{ id innerIp }} {USER_ERRORS} }}
}}"""
CREATE_ACCOUNT = f"""
mutation($input: CreateAccountInput!) {{
  createAccount(input: $input) {{ account {{ id alias }} {USER_ERRORS} }}
}}"""
ACCOUNT_ALIAS = "bench-key"
ACCEPT_NETWORK = "10.250"  # second octet distinct from the topology bench's 10.1 / 10.2
SMALLEST_BATCH = 50  # below this a failing import is not a size problem: stop


@dataclass
class JobsEstate:
    name: str
    business_id: str
    host_ids: list[str]
    addresses: list[str]
    timings: list[str] = field(default_factory=list)  # set-up lines: what took how long
    notes: list[str] = field(default_factory=list)


def mutate(client: HttpClient, document: str, mutation: str, variables: dict[str, Any]) -> dict[str, Any]:
    """One mutation's payload; a user error stops the benchmark (the estate would be wrong)."""
    payload: dict[str, Any] = client.data(document, variables)[mutation]
    if payload["errors"]:
        raise RuntimeError(f"{mutation} failed: {payload['errors']}")
    return payload


def create_business(client: HttpClient, name: str) -> str:
    business_id: str = mutate(client, CREATE_BUSINESS, "createBusiness", {"name": name})["business"]["id"]
    return business_id


def add_hosts(client: HttpClient, business_id: str, hosts: list[dict[str, Any]], notes: list[str]) -> list[str]:
    """Host ids in input order, imported straight into the business.

    Batches start at the API's limit; a batch the server fails on (an internal error: the mutation is
    one transaction, so nothing was written) is halved and retried, and the failure is noted, as in
    bench/estate.py: the benchmark still runs, and the report says the product missed its own limit.
    """
    ids: list[str] = []
    batch, start = HOSTS_PER_CALL, 0
    while start < len(hosts):
        chunk = hosts[start : start + batch]
        try:
            created = mutate(client, ADD_HOSTS, "addHostsToResourcePool", {"hosts": chunk, "b": business_id})
        except GraphQLError as exc:
            if len(chunk) <= SMALLEST_BATCH:
                raise
            notes.append(f"addHostsToResourcePool with {len(chunk)} hosts failed ({exc}); retrying in halves")
            batch = len(chunk) // 2
            continue
        ids.extend(host["id"] for host in created["hosts"])
        start += len(chunk)
    return ids


def create_account(client: HttpClient, business_id: str, username: str, private_key: str) -> str:
    account = {
        "businessId": business_id,
        "alias": ACCOUNT_ALIAS,
        "username": username,
        "privateKey": private_key,
        "isDefault": True,  # runScript then needs no account argument, as in a bk-job business
    }
    account_id: str = mutate(client, CREATE_ACCOUNT, "createAccount", {"input": account})["account"]["id"]
    return account_id


def ssh_estate(client: HttpClient, addresses: list[str], port: int, username: str, private_key: str) -> JobsEstate:
    started = time.perf_counter()
    business_id = create_business(client, "bench-jobs")
    hosts = [{"innerIp": a, "hostName": f"bench-jobs-{i:05d}", "sshPort": port} for i, a in enumerate(addresses)]
    notes: list[str] = []
    host_ids = add_hosts(client, business_id, hosts, notes)
    create_account(client, business_id, username, private_key)
    line = f"bench-jobs: business + {len(addresses):,} sshd hosts + account: {time.perf_counter() - started:.1f} s"
    return JobsEstate("bench-jobs", business_id, host_ids, list(addresses), [line], notes)


def accept_address(index: int) -> str:
    return f"{ACCEPT_NETWORK}.{index >> 8}.{index & 255}"


def accept_estate(client: HttpClient, count: int, username: str, private_key: str) -> JobsEstate:
    started = time.perf_counter()
    business_id = create_business(client, "bench-jobs-accept")
    addresses = [accept_address(i) for i in range(count)]
    hosts = [{"innerIp": a, "hostName": f"bench-accept-{i:05d}"} for i, a in enumerate(addresses)]
    notes: list[str] = []
    host_ids = add_hosts(client, business_id, hosts, notes)
    create_account(client, business_id, username, private_key)
    line = f"bench-jobs-accept: {count:,} unreachable hosts + account: {time.perf_counter() - started:.1f} s"
    return JobsEstate("bench-jobs-accept", business_id, host_ids, addresses, [line], notes)
