"""Custom attributes of sets and hosts are checked against their model: a user attribute declared on
`set`, and a preset host attribute kept in the JSON column (bk_sla), refuse bad values on create and
update and store good ones coerced, through the topology mutations' own `attributes` input."""

from __future__ import annotations

from typing import Any

from tests.cmdb.support import CREATE_ATTRIBUTE, CREATE_UNIQUE, DELETE_ATTRIBUTE, ok
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


# --- the model governs which custom attributes exist, and their rules -----------------------------

CREATE_BUSINESS_WITH = """
mutation($name: String!, $attributes: JSON) {
  createBusiness(input: {name: $name, attributes: $attributes}) { business { id } errors { code field message } }
}"""
UPDATE_BUSINESS = """
mutation($input: UpdateBusinessInput!) {
  updateBusiness(input: $input) { business { id attributes } errors { code field message } }
}"""
CREATE_MODULE = """
mutation($b: ID!, $s: ID!, $name: String!, $attributes: JSON) {
  createModule(input: {businessId: $b, setId: $s, name: $name, attributes: $attributes}) {
    module { id attributes } errors { code field message }
  }
}"""
UPDATE_MODULE = """
mutation($b: ID!, $m: ID!, $attributes: JSON) {
  updateModule(input: {businessId: $b, moduleId: $m, attributes: $attributes}) {
    module { id attributes } errors { code field message }
  }
}"""
UPDATE_HOSTS = """
mutation($h: [ID!]!, $attributes: JSON) {
  updateHosts(input: {hostIds: $h, properties: {attributes: $attributes}}) {
    hosts { id attributes } errors { code field }
  }
}"""
NODE_ATTRIBUTES = """query($id: ID!) { node(id: $id) {
  ... on Business { attributes } ... on Set { attributes }
  ... on Module { attributes } ... on Host { attributes } } }"""
SETS_NAMED = "query($b: Int!) { business(bkBizId: $b) { sets(first: 20) { nodes { name } } } }"


def _attributes(gql: GraphQLClient, node_id: str) -> dict[str, Any]:
    found: dict[str, Any] = gql.ok(NODE_ATTRIBUTES, {"id": node_id})["node"]["attributes"]
    return found


def _declare(gql: GraphQLClient, obj_id: str, property_id: str, property_type: str, **flags: Any) -> int:
    attribute = {"bkObjId": obj_id, "propertyId": property_id, "name": property_id, "type": property_type, **flags}
    created = ok(gql, CREATE_ATTRIBUTE, {"input": attribute}, "createObjectAttribute")
    bk_id: int = created["attribute"]["bkId"]
    return bk_id


def test_undeclared_attributes_are_refused_on_all_four_models(
    gql: GraphQLClient, unique: str, ip_allocator: Any
) -> None:
    """Create and update of biz, set, module and host: an attribute the model does not declare is
    refused, naming it, and nothing is stored (a declared one beside it is not stored either)."""
    declared = f"known{unique}"
    for obj_id in ("biz", "set", "module", "host"):
        _declare(gql, obj_id, declared, "singlechar")
    stray = f"stray{unique}"
    attributes = {declared: "x", stray: "y"}
    business = create_business(gql, f"mu-{unique}")

    refused = _payload(gql, CREATE_BUSINESS_WITH, {"name": f"mu2-{unique}", "attributes": attributes}, "createBusiness")
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID", f"attributes.{stray}")]
    assert stray in refused["errors"][0]["message"]
    refused = _payload(
        gql, UPDATE_BUSINESS, {"input": {"businessId": business.id, "attributes": attributes}}, "updateBusiness"
    )
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID", f"attributes.{stray}")]
    assert _attributes(gql, business.id) == {}

    refused = _payload(gql, CREATE_SET, {"b": business.id, "name": "web", "attributes": attributes}, "createSet")
    assert [e["field"] for e in refused["errors"]] == [f"attributes.{stray}"]
    names = gql.ok(SETS_NAMED, {"b": business.bk_biz_id})["business"]["sets"]["nodes"]
    assert "web" not in {n["name"] for n in names}
    web = _payload(gql, CREATE_SET, {"b": business.id, "name": "web", "attributes": {declared: "x"}}, "createSet")
    set_id = web["set"]["id"]
    refused = _payload(gql, UPDATE_SET, {"b": business.id, "s": set_id, "attributes": attributes}, "updateSet")
    assert [e["field"] for e in refused["errors"]] == [f"attributes.{stray}"]
    assert _attributes(gql, set_id) == {declared: "x"}

    refused = _payload(
        gql, CREATE_MODULE, {"b": business.id, "s": set_id, "name": "m", "attributes": attributes}, "createModule"
    )
    assert [e["field"] for e in refused["errors"]] == [f"attributes.{stray}"]
    module = _payload(gql, CREATE_MODULE, {"b": business.id, "s": set_id, "name": "m"}, "createModule")["module"]
    refused = _payload(
        gql, UPDATE_MODULE, {"b": business.id, "m": module["id"], "attributes": attributes}, "updateModule"
    )
    assert [e["field"] for e in refused["errors"]] == [f"attributes.{stray}"]
    assert _attributes(gql, module["id"]) == {}

    ip = next(ip_allocator)
    refused = _payload(
        gql,
        ADD_HOSTS,
        {"b": business.id, "hosts": [{"innerIp": ip, "attributes": attributes}]},
        "addHostsToResourcePool",
    )
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID", f"hosts[0].attributes.{stray}")]
    added = _payload(gql, ADD_HOSTS, {"b": business.id, "hosts": [{"innerIp": ip}]}, "addHostsToResourcePool")
    host_id = added["hosts"][0]["id"]
    refused = _payload(gql, UPDATE_HOSTS, {"h": [host_id], "attributes": attributes}, "updateHosts")
    assert [e["field"] for e in refused["errors"]] == [f"attributes.{stray}"]
    assert _attributes(gql, host_id) == {}


def test_editable_and_default_rules_on_mainline_attributes(gql: GraphQLClient, unique: str) -> None:
    """editable (a set value cannot change), default (filled on create), text trimmed; a preset model
    takes no new required attribute (its existing records and every import path would break). The
    attributes are removed afterwards: the model is shared by the session."""
    business = create_business(gql, f"mr-{unique}")
    serial, stage = f"serial{unique}", f"stage{unique}"
    required = {"bkObjId": "set", "propertyId": f"owner{unique}", "name": "o", "type": "objuser", "isRequired": True}
    answer = gql.ok(CREATE_ATTRIBUTE, {"input": required})["createObjectAttribute"]
    assert [(e["code"], e["field"]) for e in answer["errors"]] == [("BUILTIN_OBJECT", "isrequired")]
    stages = [{"id": "a", "name": "A", "is_default": True}, {"id": "b", "name": "B"}]
    created_ids = [
        _declare(gql, "set", serial, "singlechar", editable=False),
        _declare(gql, "set", stage, "enum", option=stages),
    ]
    try:
        created = _payload(
            gql, CREATE_SET, {"b": business.id, "name": "web", "attributes": {serial: " SN-1 "}}, "createSet"
        )
        assert created["errors"] == []
        assert created["set"]["attributes"] == {serial: "SN-1", stage: "a"}  # trimmed; the default filled in
        set_id = created["set"]["id"]

        def update(attributes: dict[str, Any]) -> dict[str, Any]:
            return _payload(gql, UPDATE_SET, {"b": business.id, "s": set_id, "attributes": attributes}, "updateSet")

        changed = update({serial: "SN-2", stage: "b"})
        assert [(e["code"], e["field"]) for e in changed["errors"]] == [("NOT_EDITABLE", f"attributes.{serial}")]
        assert _attributes(gql, set_id) == {serial: "SN-1", stage: "a"}
        same = update({serial: "SN-1", stage: "b"})  # an unchanged value is not an edit
        assert same["errors"] == []
        assert _attributes(gql, set_id) == {serial: "SN-1", stage: "b"}
        unset = _payload(gql, CREATE_SET, {"b": business.id, "name": "db"}, "createSet")["set"]
        assert update_other(gql, business.id, unset["id"], {serial: "SN-9"}) == {serial: "SN-9", stage: "a"}
    finally:
        for bk_id in created_ids:
            ok(gql, DELETE_ATTRIBUTE, {"id": bk_id}, "deleteObjectAttribute")


def update_other(gql: GraphQLClient, business_id: str, set_id: str, attributes: dict[str, Any]) -> dict[str, Any]:
    """A non-editable attribute that was never set may be set once."""
    changed = _payload(gql, UPDATE_SET, {"b": business_id, "s": set_id, "attributes": attributes}, "updateSet")
    assert changed["errors"] == []
    return _attributes(gql, set_id)


def test_list_valued_types_and_unique_rules_on_mainline_models(
    gql: GraphQLClient, unique: str, ip_allocator: Any
) -> None:
    """A declared enummulti takes a list on a host (values are the model's business, not "scalars
    only"); a unique rule cannot be declared on a mainline model (bk 1101085)."""
    labels = f"labels{unique}"
    option = [{"id": "x", "name": "X"}, {"id": "y", "name": "Y"}]
    _declare(gql, "host", labels, "enummulti", option=option, isMultiple=True)
    business = create_business(gql, f"ml-{unique}")
    bad = {"innerIp": next(ip_allocator), "attributes": {labels: ["x", "z"]}}
    refused = _payload(gql, ADD_HOSTS, {"b": business.id, "hosts": [bad]}, "addHostsToResourcePool")
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID", f"hosts[0].attributes.{labels}[1]")]
    good = {"innerIp": next(ip_allocator), "attributes": {labels: ["y", "x"]}}
    added = _payload(gql, ADD_HOSTS, {"b": business.id, "hosts": [good]}, "addHostsToResourcePool")
    assert added["errors"] == []
    assert added["hosts"][0]["attributes"][labels] == ["y", "x"]

    unique_attribute = {
        "bkObjId": "set",
        "propertyId": f"code{unique}",
        "name": "c",
        "type": "singlechar",
        "isUnique": True,
    }
    answer = gql.ok(CREATE_ATTRIBUTE, {"input": unique_attribute})["createObjectAttribute"]
    assert [e["code"] for e in answer["errors"]] == ["MAINLINE_UNIQUE_RULE"]
    declared = gql.ok('query { objectAttributes(bkObjId: "set") { propertyId } }')["objectAttributes"]
    assert f"code{unique}" not in {row["propertyId"] for row in declared}  # refused whole
    rules = gql.ok(CREATE_UNIQUE, {"obj": "set", "keys": ["bk_set_name"]})["createUniqueRule"]
    assert [e["code"] for e in rules["errors"]] == ["MAINLINE_UNIQUE_RULE"]
