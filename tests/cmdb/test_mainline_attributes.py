"""Custom attributes of sets and hosts are checked against their model: a user attribute declared on
`set`, and a preset host attribute kept in the JSON column (bk_sla), refuse bad values on create and
update and store good ones coerced, through the topology mutations' own `attributes` input."""

from __future__ import annotations

from typing import Any

from tests.cmdb.support import CREATE_ATTRIBUTE, ok
from tests.support.server import GraphQLClient
from tests.support.topology import create_business

CREATE_SET = """
mutation($b: ID!, $name: String!, $attributes: JSON) {
  createSet(input: {businessId: $b, name: $name, attributes: $attributes}) {
    set { id attributes } errors { code field message }
  }
}"""
UPDATE_SET = """
mutation($b: ID!, $s: ID!, $attributes: JSON) {
  updateSet(input: {businessId: $b, setId: $s, attributes: $attributes}) {
    set { id attributes } errors { code field message }
  }
}"""
ADD_HOSTS = """
mutation($b: ID, $hosts: [NewHostInput!]!) {
  addHostsToResourcePool(input: {businessId: $b, hosts: $hosts}) { hosts { id attributes } errors { code field } }
}"""


def _payload(gql: GraphQLClient, document: str, variables: dict[str, Any], name: str) -> dict[str, Any]:
    result: dict[str, Any] = gql.ok(document, variables)[name]
    return result


def test_declared_set_attributes_are_checked_on_create_and_update(gql: GraphQLClient, unique: str) -> None:
    key = f"tier{unique}"
    option = [{"id": "gold", "name": "Gold"}, {"id": "silver", "name": "Silver"}]
    attribute = {"bkObjId": "set", "propertyId": key, "name": key, "type": "enum", "option": option}
    ok(gql, CREATE_ATTRIBUTE, {"input": attribute}, "createObjectAttribute")
    business = create_business(gql, f"ma-{unique}")
    bad = _payload(gql, CREATE_SET, {"b": business.id, "name": "web", "attributes": {key: "bronze"}}, "createSet")
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("INVALID", f"attributes.{key}")]
    good = _payload(gql, CREATE_SET, {"b": business.id, "name": "web", "attributes": {key: "gold"}}, "createSet")
    assert good["errors"] == []
    assert good["set"]["attributes"][key] == "gold"
    variables = {"b": business.id, "s": good["set"]["id"], "attributes": {key: "copper"}}
    refused = _payload(gql, UPDATE_SET, variables, "updateSet")
    assert refused["errors"][0]["field"] == f"attributes.{key}"
    updated = _payload(gql, UPDATE_SET, {**variables, "attributes": {key: "silver"}}, "updateSet")
    assert updated["set"]["attributes"][key] == "silver"


def test_preset_host_attributes_in_the_json_column_are_checked(
    gql: GraphQLClient, unique: str, ip_allocator: Any
) -> None:
    business = create_business(gql, f"mh-{unique}")
    bad = {"innerIp": next(ip_allocator), "attributes": {"bk_sla": "9"}}  # an enum of 1, 2, 3
    refused = _payload(gql, ADD_HOSTS, {"b": business.id, "hosts": [bad]}, "addHostsToResourcePool")
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID", "hosts[0].attributes.bk_sla")]
    term = {"innerIp": next(ip_allocator), "attributes": {"bk_service_term": "3", "bk_sla": "2"}}
    added = _payload(gql, ADD_HOSTS, {"b": business.id, "hosts": [term]}, "addHostsToResourcePool")
    assert added["errors"] == []
    assert added["hosts"][0]["attributes"] == {"bk_service_term": 3, "bk_sla": "2"}  # "3" stored as the int it is
