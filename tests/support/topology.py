"""Building topology through the public GraphQL API, for tests that need some estate to act on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.support.server import GraphQLClient

CREATE_BUSINESS = """
mutation($name: String!) {
  createBusiness(input: {name: $name, maintainer: "admin"}) {
    business { id bkBizId idlePool { id bkSetId modules(first: 3) { nodes { id bkModuleId builtin } } } }
    errors { code field message }
  }
}"""
CREATE_SET = """
mutation($b: ID!, $name: String!) {
  createSet(input: {businessId: $b, name: $name}) { set { id bkSetId } errors { code message } }
}"""
CREATE_MODULE = """
mutation($b: ID!, $s: ID!, $name: String!) {
  createModule(input: {businessId: $b, setId: $s, name: $name}) { module { id bkModuleId } errors { code message } }
}"""
ADD_HOSTS = """
mutation($hosts: [NewHostInput!]!, $b: ID) {
  addHostsToResourcePool(input: {hosts: $hosts, businessId: $b}) {
    hosts { id bkHostId innerIp } errors { code message }
  }
}"""
TRANSFER = """
mutation($b: ID!, $h: [ID!]!, $m: [ID!]!, $append: Boolean!) {
  transferHostsToModules(input: {businessId: $b, hostIds: $h, moduleIds: $m, append: $append}) {
    hosts { id } errors { code field message }
  }
}"""


def _payload(data: dict[str, Any], name: str) -> dict[str, Any]:
    payload = data[name]
    assert payload["errors"] == [], payload["errors"]
    return payload  # type: ignore[no-any-return]


@dataclass
class Business:
    id: str
    bk_biz_id: int
    idle_module: str
    fault_module: str
    recycle_module: str
    idle_set: str
    sets: dict[str, str] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)


def create_business(gql: GraphQLClient, name: str) -> Business:
    business = _payload(gql.ok(CREATE_BUSINESS, {"name": name}), "createBusiness")["business"]
    builtin = {m["builtin"]: m["id"] for m in business["idlePool"]["modules"]["nodes"]}
    return Business(
        id=business["id"],
        bk_biz_id=business["bkBizId"],
        idle_module=builtin["IDLE"],
        fault_module=builtin["FAULT"],
        recycle_module=builtin["RECYCLE"],
        idle_set=business["idlePool"]["id"],
    )


def create_set(gql: GraphQLClient, business: Business, name: str) -> str:
    set_id: str = _payload(gql.ok(CREATE_SET, {"b": business.id, "name": name}), "createSet")["set"]["id"]
    business.sets[name] = set_id
    return set_id


def create_module(gql: GraphQLClient, business: Business, set_name: str, name: str) -> str:
    variables = {"b": business.id, "s": business.sets[set_name], "name": name}
    module_id: str = _payload(gql.ok(CREATE_MODULE, variables), "createModule")["module"]["id"]
    business.modules[name] = module_id
    return module_id


def add_hosts(gql: GraphQLClient, ips: list[str], business: Business | None = None, **properties: Any) -> list[str]:
    hosts = [{"innerIp": ip, **properties} for ip in ips]
    variables = {"hosts": hosts, "b": business.id if business else None}
    created = _payload(gql.ok(ADD_HOSTS, variables), "addHostsToResourcePool")["hosts"]
    return [h["id"] for h in created]


def place_hosts(gql: GraphQLClient, business: Business, host_ids: list[str], module_ids: list[str]) -> None:
    variables = {"b": business.id, "h": host_ids, "m": module_ids, "append": False}
    _payload(gql.ok(TRANSFER, variables), "transferHostsToModules")
