"""A nested hosts list reads only the columns its selection needs; every field still answers exactly
what it answers when the whole host is selected — each field alone, under `nodes`, under
`edges { node }`, through a named fragment and an inline one — and a list asking for
`properties` (every column) answers it whole. Fields are taken from the schema itself, so a field
added to Host later is checked too.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.custom_attributes import declare_attributes
from tests.support.server import GraphQLClient
from tests.support.topology import Business, add_hosts, create_business, create_module, create_set, place_hosts

BUSINESS_NAME = f"host-columns-{uuid.uuid4().hex[:8]}"
HOST_FIELDS = """{ __type(name: "Host") { fields { name args { name } type { kind name ofType { kind name } } } } }"""
PROPERTIES = dict(
    outerIp="192.0.2.7",
    hostName="columns-host",
    osType="1",
    osName="linux centos",
    osVersion="7.9",
    cpu=8,
    mem=16384,
    disk=500,
    sn="SN-42",
    operator="alice",
    bakOperator="bob",
    comment="two columns of comment",
    sshPort=2222,
    attributes={"env": "prod", "rack": 7},
)


def scalar_fields(gql: GraphQLClient) -> list[str]:
    """Host's fields that take no arguments and answer a leaf value (scalars and enums)."""
    fields = gql.ok(HOST_FIELDS)["__type"]["fields"]
    leaf = {"SCALAR", "ENUM"}

    def is_leaf(kind: dict[str, Any]) -> bool:
        named = kind["ofType"] if kind["kind"] in {"NON_NULL", "LIST"} else kind
        return named is not None and named["kind"] in leaf

    return sorted(f["name"] for f in fields if not f["args"] and is_leaf(f["type"]))


def hosts_under_module(gql: GraphQLClient, business: Business, selection: str, fragments: str = "") -> list[Any]:
    query = f"""query($bk: Int!) {{ business(bkBizId: $bk) {{ sets(first: 10, name: "cols") {{ nodes {{
      modules(first: 10) {{ nodes {{ hosts(first: 10) {{ {selection} }} }} }} }} }} }} }} {fragments}"""
    data = gql.ok(query, {"bk": business.bk_biz_id})
    modules = data["business"]["sets"]["nodes"][0]["modules"]["nodes"]
    return [host for module in modules for host in (module["hosts"].get("nodes") or module["hosts"].get("edges"))]


def hosts_under_business(gql: GraphQLClient, business: Business, selection: str) -> list[Any]:
    query = f"""query($bk: Int!) {{ business(bkBizId: $bk) {{ hosts(first: 10) {{ nodes {{ {selection} }} }} }} }}"""
    return list(gql.ok(query, {"bk": business.bk_biz_id})["business"]["hosts"]["nodes"])


@pytest.fixture(scope="module")
def placed(gql: GraphQLClient, ip_allocator: Any) -> Business:
    declare_attributes(gql, "host", env="singlechar", rack="int")
    business = create_business(gql, BUSINESS_NAME)
    create_set(gql, business, "cols")
    module = create_module(gql, business, "cols", "m")
    host_ids = add_hosts(gql, [next(ip_allocator), next(ip_allocator)], business, **PROPERTIES)
    place_hosts(gql, business, host_ids, [module])
    return business


def test_each_field_alone_answers_what_the_whole_host_answers(gql: GraphQLClient, placed: Business) -> None:
    fields = scalar_fields(gql)
    assert {"innerIp", "createdAt", "attributes", "properties", "sshPort"} <= set(fields)
    whole = hosts_under_module(gql, placed, f"nodes {{ {' '.join(fields)} }}")
    assert len(whole) == 2
    assert whole == hosts_under_business(gql, placed, " ".join(fields))
    assert whole[0]["attributes"] == PROPERTIES["attributes"]
    assert whole[0]["sshPort"] == 2222
    assert whole[0]["createdAt"]
    for name in fields:
        alone = hosts_under_module(gql, placed, f"nodes {{ {name} }}")
        assert alone == [{name: host[name]} for host in whole], name
        assert hosts_under_business(gql, placed, name) == alone, name


def test_edges_fragments_and_relationships_read_what_they_need(gql: GraphQLClient, placed: Business) -> None:
    whole = hosts_under_module(
        gql, placed, "nodes { bkHostId hostName updatedAt business { name } cloudArea { name } }"
    )
    by_edges = hosts_under_module(gql, placed, "edges { node { bkHostId hostName updatedAt } }")
    assert [edge["node"] for edge in by_edges] == [
        {k: host[k] for k in ("bkHostId", "hostName", "updatedAt")} for host in whole
    ]
    fragment = "fragment H on Host { hostName ... on Host { updatedAt } business { name } }"
    spread = hosts_under_module(gql, placed, "nodes { bkHostId ...H cloudArea { name } }", fragment)
    assert spread == whole
    assert [host["business"]["name"] for host in whole] == [BUSINESS_NAME] * 2
    assert all(host["cloudArea"]["name"] for host in whole)
