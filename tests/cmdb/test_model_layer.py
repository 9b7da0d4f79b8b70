"""Classifications, models and attributes through GraphQL: the presets every estate starts with,
create_object's side effects, and the refusals upstream has (preset things immutable, no delete
while instances or associations exist, id and name rules)."""

from __future__ import annotations

import pytest

from tests.cmdb.support import (
    CREATE_ASSOCIATION,
    CREATE_ATTRIBUTE,
    CREATE_CLASSIFICATION,
    CREATE_MODEL,
    DELETE_ATTRIBUTE,
    DELETE_MODEL,
    ERRORS,
    UPDATE_ATTRIBUTE,
    UPDATE_MODEL,
    create_instances,
    new_classification,
    new_model,
    ok,
    refused,
    user_client,
)
from tests.support.server import GraphQLClient, Server

PRESETS = """{
  classifications { classificationId isPreset models { bkObjId isPreset } }
  associationKinds { bkAsstId isPreset srcDes destDes direction }
  objectAssociations { bkObjAsstId isPreset mapping }
}"""
DELETE_CLASSIFICATION = f"mutation($id: Int!) {{ deleteClassification(input: {{bkId: $id}}) {{ ok {ERRORS} }} }}"
MODEL = "query($obj: String!) { objectModel(bkObjId: $obj) { bkId name isPaused attributes { propertyId } } }"


def test_every_estate_starts_with_the_preset_model_layer(gql: GraphQLClient) -> None:
    data = gql.ok(PRESETS)
    models = {c["classificationId"]: {m["bkObjId"] for m in c["models"]} for c in data["classifications"]}
    assert models["bk_host_manage"] >= {"host", "process", "plat"}
    assert models["bk_biz_topo"] >= {"set", "module"}
    assert models["bk_organization"] >= {"biz"}
    assert models["bk_network"] >= {"bk_switch", "bk_router", "bk_load_balance", "bk_firewall"}
    assert models["bk_middleware"] >= {"bk_weblogic", "bk_apache", "bk_tomcat"}
    preset = {c["classificationId"] for c in data["classifications"] if c["isPreset"]}
    assert preset >= {"bk_host_manage", "bk_biz_topo", "bk_organization", "bk_network", "bk_middleware"}
    kinds = {k["bkAsstId"]: k for k in data["associationKinds"]}
    assert {"belong", "group", "run", "connect", "default", "bk_mainline"} <= {
        k for k, v in kinds.items() if v["isPreset"]
    }
    assert (kinds["connect"]["srcDes"], kinds["connect"]["destDes"]) == ("上联", "下联")
    mainline = {a["bkObjAsstId"] for a in data["objectAssociations"] if a["isPreset"]}
    assert {"set_bk_mainline_biz", "module_bk_mainline_set", "host_bk_mainline_module", "plat_default_host"} <= mainline


def test_create_object_adds_the_default_group_the_name_attribute_and_its_unique_rule(
    gql: GraphQLClient, unique: str
) -> None:
    classification = new_classification(gql, unique)
    model = new_model(gql, f"m{unique}", classification)
    assert model["groups"] == [{"groupId": "default", "name": "Default", "index": -1, "isDefault": True}]
    [name] = model["attributes"]
    assert (name["propertyId"], name["type"], name["isRequired"], name["isUnique"]) == (
        "bk_inst_name",
        "singlechar",
        True,
        True,
    )
    assert model["uniqueRules"] == [
        {"bkId": model["uniqueRules"][0]["bkId"], "keys": ["bk_inst_name"], "isPreset": False}
    ]


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"bkObjId": "1abc"}, "INVALID_ID", "bk_obj_id"),
        ({"bkObjId": "a" * 129}, "TOO_LONG", "bk_obj_id"),
        ({"bkObjId": "has-dash"}, "INVALID_ID", "bk_obj_id"),
        ({"icon": ""}, "REQUIRED", "bk_obj_icon"),
        ({"classificationId": "no_such_classification"}, "CLASSIFICATION_MISSING", "bk_classification_id"),
        ({"name": "n" * 129}, "TOO_LONG", "bk_obj_name"),
        ({"bkObjId": "host"}, "DUPLICATE", "bk_obj_id"),
    ],
)
def test_create_object_refusals(
    gql: GraphQLClient, unique: str, changes: dict[str, str], code: str, field: str
) -> None:
    classification = new_classification(gql, unique)
    model = {"bkObjId": f"m{unique}", "name": f"M {unique}", "classificationId": classification, "icon": "i"}
    error = refused(gql, CREATE_MODEL, {"input": {**model, **changes}}, "createObjectModel")
    assert (error["code"], error["field"]) == (code, field)
    if changes.get("bkObjId") != "host":
        assert gql.ok(MODEL, {"obj": model["bkObjId"]})["objectModel"] is None  # nothing was created


def test_preset_models_only_move_and_are_never_deleted(gql: GraphQLClient) -> None:
    host = gql.ok(MODEL, {"obj": "host"})["objectModel"]
    error = refused(gql, UPDATE_MODEL, {"input": {"bkId": host["bkId"], "name": "Machines"}}, "updateObjectModel")
    assert error["code"] == "BUILTIN_OBJECT"
    moved = ok(gql, UPDATE_MODEL, {"input": {"bkId": host["bkId"], "position": '{"x":1}'}}, "updateObjectModel")
    assert moved["model"]["position"] == '{"x":1}'
    assert refused(gql, DELETE_MODEL, {"id": host["bkId"]}, "deleteObjectModel")["code"] == "PRESET_MODEL"
    assert gql.ok(MODEL, {"obj": "host"})["objectModel"]["name"] == "主机"


def test_a_model_with_instances_or_associations_is_not_deleted(gql: GraphQLClient, unique: str) -> None:
    classification = new_classification(gql, unique)
    model = new_model(gql, f"m{unique}", classification)
    other = new_model(gql, f"o{unique}", classification)
    [instance] = create_instances(gql, f"m{unique}", {"bk_inst_name": "one"})
    assert refused(gql, DELETE_MODEL, {"id": model["bkId"]}, "deleteObjectModel")["code"] == "MODEL_HAS_INSTANCES"
    association = {"bkObjId": f"o{unique}", "bkAsstId": "connect", "bkAsstObjId": "host"}
    ok(gql, CREATE_ASSOCIATION, {"input": association}, "createObjectAssociation")
    assert refused(gql, DELETE_MODEL, {"id": other["bkId"]}, "deleteObjectModel")["code"] == "MODEL_HAS_ASSOCIATIONS"
    gql.ok(
        "mutation($ids: [ID!]!, $o: String!) { deleteInstances(input: {objectId: $o, ids: $ids}) { deletedIds } }",
        {"ids": [instance["id"]], "o": f"m{unique}"},
    )
    assert ok(gql, DELETE_MODEL, {"id": model["bkId"]}, "deleteObjectModel")["ok"] is True
    assert gql.ok(MODEL, {"obj": f"m{unique}"})["objectModel"] is None


def test_classifications_refuse_duplicates_preset_changes_and_deleting_while_holding_models(
    gql: GraphQLClient, unique: str
) -> None:
    classification = new_classification(gql, unique)
    again = {"classificationId": classification, "name": "another name"}
    assert refused(gql, CREATE_CLASSIFICATION, {"input": again}, "createClassification")["code"] == "DUPLICATE"
    rows = {
        c["classificationId"]: c["bkId"]
        for c in gql.ok("{ classifications { bkId classificationId } }")["classifications"]
    }
    assert (
        refused(gql, DELETE_CLASSIFICATION, {"id": rows["bk_network"]}, "deleteClassification")["code"]
        == "BUILTIN_OBJECT"
    )
    new_model(gql, f"m{unique}", classification)
    error = refused(gql, DELETE_CLASSIFICATION, {"id": rows[classification]}, "deleteClassification")
    assert error["code"] == "CLASSIFICATION_HAS_MODELS"


def test_attribute_refusals(gql: GraphQLClient, unique: str) -> None:
    classification = new_classification(gql, unique)
    obj = f"m{unique}"
    new_model(gql, obj, classification, {"propertyId": "size", "type": "int"})

    def refuse(**attribute: object) -> tuple[str, str]:
        base = {"bkObjId": obj, "propertyId": f"p{unique}", "name": f"p{unique}", "type": "singlechar"}
        error = refused(gql, CREATE_ATTRIBUTE, {"input": {**base, **attribute}}, "createObjectAttribute")
        return error["code"], error["field"]

    assert refuse(propertyId="bk_mine") == ("INVALID_ID", "bk_property_id")  # bk_ is the presets' namespace
    assert refuse(propertyId="_bkmine") == ("INVALID_ID", "bk_property_id")
    assert refuse(propertyId="size", name="other") == ("DUPLICATE", "bk_property_id")
    assert refuse(name="size") == ("ATTRIBUTE_NAME_DUPLICATE", "bk_property_name")
    assert refuse(type="table") == ("INVALID", "bk_property_type")  # undocumented by the seed: not served
    assert refuse(type="innertable") == ("INVALID", "bk_property_type")
    assert refuse(type="int", isMultiple=True) == ("NOT_MULTIPLE", "ismultiple")
    assert refuse(type="int", option={"min": 5, "max": 1}) == ("INVALID", "option")
    assert refuse(type="singlechar", option="(unclosed") == ("INVALID", "option")
    assert refuse(
        type="enum", option=[{"id": "a", "name": "A", "is_default": True}, {"id": "b", "name": "B", "is_default": True}]
    ) == ("INVALID", "option")
    assert refuse(type="enum", option=[{"id": "a", "name": "A", "type": "number"}]) == ("INVALID", "option[0].type")
    assert refuse(type="list", option=["x"] * 2) == ("INVALID", "option")
    assert refuse(type="int", option={"min": 1, "max": 9}, default=10) == ("INVALID", "default")
    assert refuse(type="singleasst", targetObjectId="host") == ("INVALID", "bk_asst_obj_id")
    host = refused(
        gql,
        CREATE_ATTRIBUTE,
        {
            "input": {
                "bkObjId": "host",
                "propertyId": f"r{unique}",
                "name": f"r{unique}",
                "type": "singlechar",
                "isRequired": True,
            }
        },
        "createObjectAttribute",
    )
    assert host["code"] == "BUILTIN_OBJECT"  # no new required attribute on a preset model (bk-cmdb#2988)


def test_attribute_type_never_changes_and_preset_attributes_stay(gql: GraphQLClient, unique: str) -> None:
    classification = new_classification(gql, unique)
    new_model(gql, f"m{unique}", classification, {"propertyId": "size", "type": "int"})
    listed = gql.ok("query($o: String) { objectAttributes(bkObjId: $o) { bkId propertyId } }", {"o": f"m{unique}"})
    attributes = {a["propertyId"]: a["bkId"] for a in listed["objectAttributes"]}
    size_id = attributes["size"]
    error = refused(gql, UPDATE_ATTRIBUTE, {"input": {"bkId": size_id, "type": "float"}}, "updateObjectAttribute")
    assert error["field"] == "bk_property_type"
    renamed = ok(
        gql, UPDATE_ATTRIBUTE, {"input": {"bkId": size_id, "type": "int", "name": "Size"}}, "updateObjectAttribute"
    )
    assert renamed["attribute"]["name"] == "Size"
    name_id = attributes["bk_inst_name"]
    assert refused(gql, DELETE_ATTRIBUTE, {"id": name_id}, "deleteObjectAttribute")["code"] == "BUILTIN_OBJECT"
    error = refused(gql, UPDATE_ATTRIBUTE, {"input": {"bkId": name_id, "isRequired": False}}, "updateObjectAttribute")
    assert error["code"] == "BUILTIN_OBJECT"


def test_deleting_an_attribute_drops_its_values_and_isonly_rules_block_it(gql: GraphQLClient, unique: str) -> None:
    classification = new_classification(gql, unique)
    obj = f"m{unique}"
    new_model(
        gql,
        obj,
        classification,
        {"propertyId": "size", "type": "int"},
        {"propertyId": "serial", "type": "singlechar", "isUnique": True},
    )
    [instance] = create_instances(gql, obj, {"bk_inst_name": "one", "size": 3, "serial": "S1"})
    listed = gql.ok("query($o: String) { objectAttributes(bkObjId: $o) { bkId propertyId isUnique } }", {"o": obj})
    ids = {a["propertyId"]: a for a in listed["objectAttributes"]}
    assert ids["serial"]["isUnique"] is True
    error = refused(gql, DELETE_ATTRIBUTE, {"id": ids["serial"]["bkId"]}, "deleteObjectAttribute")
    assert error["code"] == "ATTRIBUTE_IN_UNIQUE_RULE"
    ok(gql, DELETE_ATTRIBUTE, {"id": ids["size"]["bkId"]}, "deleteObjectAttribute")
    ok(
        gql,
        CREATE_ATTRIBUTE,
        {"input": {"bkObjId": obj, "propertyId": "size", "name": "size2", "type": "singlechar"}},
        "createObjectAttribute",
    )
    stored = gql.ok("query($id: ID!) { node(id: $id) { ... on Instance { bkProperties } } }", {"id": instance["id"]})
    assert stored["node"]["bkProperties"]["size"] is None  # the old int value did not resurface as text
    assert stored["node"]["bkProperties"]["serial"] == "S1"


def test_only_superusers_change_the_model_layer(server: Server, gql: GraphQLClient, unique: str) -> None:
    user = user_client(server, f"modeler{unique}")
    response = user.execute(CREATE_CLASSIFICATION, {"input": {"classificationId": f"u{unique}", "name": f"U{unique}"}})
    assert response.errors
    assert response.errors[0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert user.ok("{ classifications { classificationId } }")["classifications"]  # reading is for everyone
    assert all(
        c["classificationId"] != f"u{unique}"
        for c in gql.ok("{ classifications { classificationId } }")["classifications"]
    )
