"""Unique rules, single and joint: violations on create, update and within a batch; the recheck of
existing instances when a rule is added; and the rule refusals upstream has."""

from __future__ import annotations

from typing import Any

from tests.cmdb.support import (
    CREATE_INSTANCES,
    CREATE_UNIQUE,
    ERRORS,
    UPDATE_INSTANCES,
    create_instances,
    new_classification,
    new_model,
    ok,
    payload,
    refused,
)
from tests.support.server import GraphQLClient

DELETE_UNIQUE = f"""
mutation($obj: String!, $id: Int!) {{ deleteUniqueRule(input: {{bkObjId: $obj, bkId: $id}}) {{ ok {ERRORS} }} }}"""
RULES = "query($obj: String!) { objectModel(bkObjId: $obj) { uniqueRules { bkId keys isPreset } } }"


def _model(gql: GraphQLClient, unique: str) -> str:
    obj = f"u{unique}"
    new_model(
        gql,
        obj,
        new_classification(gql, unique),
        {"propertyId": "serial", "type": "singlechar", "isUnique": True},
        {"propertyId": "rack", "type": "singlechar"},
        {"propertyId": "slot", "type": "int"},
        {"propertyId": "tags", "type": "enummulti", "option": [{"id": "x", "name": "X"}], "isMultiple": True},
    )
    return obj


def _create(gql: GraphQLClient, obj: str, *items: dict[str, Any]) -> dict[str, Any]:
    return payload(gql.ok(CREATE_INSTANCES, {"obj": obj, "items": list(items)}), "createInstances")


def test_single_rules_refuse_a_repeated_value_but_not_empty_ones(gql: GraphQLClient, unique: str) -> None:
    obj = _model(gql, unique)
    create_instances(gql, obj, {"bk_inst_name": "a", "serial": "S1"})
    clash = _create(gql, obj, {"bk_inst_name": "b", "serial": "S1"})
    assert [(e["code"], e["field"]) for e in clash["errors"]] == [("UNIQUE_VIOLATION", "serial")]
    assert _create(gql, obj, {"bk_inst_name": "b"}, {"bk_inst_name": "c"})["errors"] == []  # empty keys are not checked
    same_name = _create(gql, obj, {"bk_inst_name": "a", "serial": "S9"})
    assert [e["code"] for e in same_name["errors"]] == ["UNIQUE_VIOLATION"]  # bk_inst_name's own rule


def test_a_batch_that_repeats_a_key_creates_nothing(gql: GraphQLClient, unique: str) -> None:
    obj = _model(gql, unique)
    result = _create(gql, obj, {"bk_inst_name": "a", "serial": "S1"}, {"bk_inst_name": "b", "serial": "S1"})
    assert [e["code"] for e in result["errors"]] == ["UNIQUE_VIOLATION"]
    count = gql.ok("query($o: String!) { instances(objectId: $o, first: 5) { totalCount } }", {"o": obj})
    assert count["instances"]["totalCount"] == 0


def test_joint_rules_and_updates(gql: GraphQLClient, unique: str) -> None:
    obj = _model(gql, unique)
    rule = ok(gql, CREATE_UNIQUE, {"obj": obj, "keys": ["rack", "slot"]}, "createUniqueRule")["rule"]
    assert rule["keys"] == ["rack", "slot"]
    first, second = create_instances(
        gql, obj, {"bk_inst_name": "a", "rack": "R1", "slot": 1}, {"bk_inst_name": "b", "rack": "R1", "slot": 2}
    )
    update = {"id": second["id"], "properties": {"slot": 1}}
    refused_update = payload(gql.ok(UPDATE_INSTANCES, {"obj": obj, "updates": [update]}), "updateInstances")
    assert [e["code"] for e in refused_update["errors"]] == ["UNIQUE_VIOLATION"]
    moved = {"id": first["id"], "properties": {"rack": "R2"}}
    assert payload(gql.ok(UPDATE_INSTANCES, {"obj": obj, "updates": [moved]}), "updateInstances")["errors"] == []
    assert payload(gql.ok(UPDATE_INSTANCES, {"obj": obj, "updates": [update]}), "updateInstances")["errors"] == []


def test_a_new_rule_is_checked_against_existing_instances(gql: GraphQLClient, unique: str) -> None:
    obj = _model(gql, unique)
    create_instances(gql, obj, {"bk_inst_name": "a", "rack": "R1"}, {"bk_inst_name": "b", "rack": "R1"})
    error = refused(gql, CREATE_UNIQUE, {"obj": obj, "keys": ["rack"]}, "createUniqueRule")
    assert error["code"] == "UNIQUE_RECHECK_FAILED"
    assert all(r["keys"] != ["rack"] for r in gql.ok(RULES, {"obj": obj})["objectModel"]["uniqueRules"])


def test_rule_refusals(gql: GraphQLClient, unique: str) -> None:
    obj = _model(gql, unique)

    def code(keys: list[str], model: str = obj) -> str:
        return str(refused(gql, CREATE_UNIQUE, {"obj": model, "keys": keys}, "createUniqueRule")["code"])

    assert code(["serial"]) == "UNIQUE_RULE_EXISTS"  # isonly made it already
    assert code(["tags"]) == "UNIQUE_KEY_KIND"  # enummulti is never a key (bk-cmdb#7193)
    assert code(["rack", "tags"]) == "UNIQUE_KEY_KIND"
    assert code(["nope"]) == "ATTRIBUTE_NOT_FOUND"
    assert code(["bk_host_name"], "host") == "MAINLINE_UNIQUE_RULE"
    rules = gql.ok(RULES, {"obj": obj})["objectModel"]["uniqueRules"]
    name_rule = next(r for r in rules if r["keys"] == ["bk_inst_name"])
    serial_rule = next(r for r in rules if r["keys"] == ["serial"])
    ok(gql, DELETE_UNIQUE, {"obj": obj, "id": serial_rule["bkId"]}, "deleteUniqueRule")
    assert (
        refused(gql, DELETE_UNIQUE, {"obj": obj, "id": name_rule["bkId"]}, "deleteUniqueRule")["code"]
        == "LAST_UNIQUE_RULE"
    )
    switch_rules = gql.ok(RULES, {"obj": "bk_switch"})["objectModel"]["uniqueRules"]
    preset = next(r for r in switch_rules if r["isPreset"])
    error = refused(gql, DELETE_UNIQUE, {"obj": "bk_switch", "id": preset["bkId"]}, "deleteUniqueRule")
    assert error["code"] == "PRESET_UNIQUE_RULE"
