"""cc classifications, models and attributes through the unmodified bkapi-component-open Client: the
documented answers, the doc's own request examples (string booleans, option as JSON text, ids under
`delete`), and bk-cmdb's refusal codes."""

from __future__ import annotations

import pytest
from bkapi_component.open.client import Client

from tests.compat.cc_model_support import new_model, ok, open_client, refused, tag
from tests.support.server import Server


@pytest.fixture(scope="module")
def cc_open(server: Server) -> Client:
    """The superuser through the login-exempt test app, with the published Client."""
    return open_client(server)


def _classification_row(client: Client, classification_id: str) -> dict[str, object] | None:
    rows = ok(client.cc.search_classifications(data={"bk_supplier_account": "0"}))
    return next((row for row in rows if row["bk_classification_id"] == classification_id), None)


def test_classification_lifecycle_as_documented(cc_open: Client) -> None:
    name = f"cs{tag()}"
    body = {
        "bk_classification_id": name,
        "bk_classification_name": f"N {name}",
        "bk_classification_icon": "icon-cc-business",
    }
    created = ok(cc_open.cc.create_classification(data=body))
    assert set(created) == {"id"}
    row = _classification_row(cc_open, name)
    assert row == {**body, "id": created["id"], "bk_classification_type": "", "bk_supplier_account": "0"}
    assert _classification_row(cc_open, "bk_host_manage")["bk_classification_type"] == "inner"  # type: ignore[index]
    renamed = {"id": created["id"], "bk_classification_name": f"R {name}", "bk_classification_icon": "icon-cc-x"}
    assert ok(cc_open.cc.update_classification(data=renamed)) == "success"
    assert _classification_row(cc_open, name)["bk_classification_name"] == f"R {name}"  # type: ignore[index]
    assert (
        ok(cc_open.cc.delete_classification(data={"delete": {"id": created["id"]}})) == "success"
    )  # the example's form
    assert _classification_row(cc_open, name) is None


def test_classification_refusals(cc_open: Client) -> None:
    name = f"cs{tag()}"
    refused(
        cc_open.cc.create_classification(data={"bk_classification_id": "9bad", "bk_classification_name": "x"}), 1199011
    )
    refused(
        cc_open.cc.create_classification(data={"bk_classification_id": "a" * 129, "bk_classification_name": "x"}),
        1199073,
    )
    ok(cc_open.cc.create_classification(data={"bk_classification_id": name, "bk_classification_name": name}))
    refused(
        cc_open.cc.create_classification(data={"bk_classification_id": name, "bk_classification_name": "y"}), 1199014
    )
    host_manage = _classification_row(cc_open, "bk_host_manage")
    refused(cc_open.cc.delete_classification(data={"id": host_manage["id"]}), 1199054)  # type: ignore[index]
    refused(cc_open.cc.delete_classification(data={}), 1199008)


def test_create_object_with_the_doc_example_and_its_side_effects(cc_open: Client) -> None:
    obj = f"o{tag()}"
    ok(cc_open.cc.create_classification(data={"bk_classification_id": f"c{obj}", "bk_classification_name": f"c{obj}"}))
    example = {
        "creator": "admin",
        "bk_classification_id": f"c{obj}",
        "bk_obj_name": obj,
        "bk_supplier_account": "0",
        "bk_obj_icon": "icon-cc-business",
        "bk_obj_id": obj,
    }
    created = ok(cc_open.cc.create_object(data=example))
    [row] = ok(cc_open.cc.search_objects(data={"bk_obj_id": obj, "bk_supplier_account": "0"}))
    assert (row["id"], row["bk_classification_id"], row["ispre"], row["bk_ispaused"]) == (
        created["id"],
        f"c{obj}",
        False,
        False,
    )
    attributes = ok(cc_open.cc.search_object_attribute(data={"bk_obj_id": obj, "bk_supplier_account": "0"}))
    assert [(a["bk_property_id"], a["isrequired"], a["isonly"], a["bk_property_group_name"]) for a in attributes] == [
        ("bk_inst_name", True, True, "Default")
    ]
    refused(cc_open.cc.create_object(data={**example, "bk_obj_name": "other"}), 1199014)  # the id is taken
    refused(cc_open.cc.create_object(data={**example, "bk_obj_id": f"x{obj}", "bk_obj_icon": ""}), 1199010)
    refused(
        cc_open.cc.create_object(data={**example, "bk_obj_id": f"y{obj}", "bk_classification_id": "nowhere"}), 1101024
    )
    update = {
        "id": created["id"],
        "modifier": "admin",
        "bk_classification_id": f"c{obj}",
        "bk_obj_name": f"{obj} v2",
        "bk_supplier_account": "0",
        "bk_obj_icon": "icon-cc-business",
        "position": '{"ff":{"x":-863,"y":1}}',
    }
    assert ok(cc_open.cc.update_object(data=update)) == "success"
    [after] = ok(cc_open.cc.search_objects(data={"bk_obj_id": obj}))
    assert (after["bk_obj_name"], after["position"]) == (f"{obj} v2", '{"ff":{"x":-863,"y":1}}')
    refused(cc_open.cc.update_object(data={**update, "bk_classification_id": "nowhere"}), 1101113)


def test_delete_object_refusals(cc_open: Client) -> None:
    obj = f"o{tag()}"
    model_id = new_model(cc_open, obj)
    ok(cc_open.cc.create_inst(data={"bk_obj_id": obj, "bk_inst_name": "one"}))
    refused(cc_open.cc.delete_object(data={"delete": {"id": model_id}}), 1101037)
    [host] = ok(cc_open.cc.search_objects(data={"bk_obj_id": "host"}))
    refused(cc_open.cc.delete_object(data={"id": host["id"]}), 1101135)
    refused(
        cc_open.cc.update_object(data={"id": host["id"], "bk_classification_id": "bk_host_manage", "bk_obj_name": "x"}),
        1199054,
    )
    # The doc requires bk_classification_id on every update: unchanged, it is no change to a preset model.
    same = {"id": host["id"], "bk_classification_id": "bk_host_manage", "position": '{"bk_host_manage":{"x":1,"y":2}}'}
    assert ok(cc_open.cc.update_object(data=same)) == "success"


def test_attributes_with_the_doc_examples(cc_open: Client) -> None:
    obj = f"o{tag()}"
    new_model(cc_open, obj)
    # create_object_attribute's example: booleans as strings, a {min,max} option on a singlechar.
    example = {
        "creator": "user",
        "description": "test",
        "editable": "true",
        "isonly": "false",
        "isreadonly": "false",
        "isrequired": "false",
        "option": {"min": "1", "max": "2"},
        "unit": "1",
        "placeholder": "test",
        "bk_property_group": "default",
        "bk_obj_id": obj,
        "bk_supplier_account": "0",
        "bk_property_id": "cc_test",
        "bk_property_name": "cc_test",
        "bk_property_type": "singlechar",
        "bk_asst_obj_id": "test",
    }
    assert set(ok(cc_open.cc.create_object_attribute(data=example))) == {"id"}
    number = ok(
        cc_open.cc.create_object_attribute(
            data={
                "bk_obj_id": obj,
                "bk_property_id": "num",
                "bk_property_name": "num",
                "bk_property_type": "int",
                "option": {"min": "1", "max": "2"},
            }
        )
    )
    # update_object_attribute's example: option as JSON text, the whole record repeated, bk_asst_obj_id "0".
    update = {
        "id": number["id"],
        "description": "test",
        "placeholder": "test",
        "unit": "1",
        "isonly": "false",
        "isreadonly": "false",
        "isrequired": "false",
        "bk_property_group": "default",
        "option": '{"min":"1","max":"4"}',
        "bk_property_name": "aaa",
        "bk_property_type": "int",
        "bk_asst_obj_id": "0",
    }
    assert ok(cc_open.cc.update_object_attribute(data=update)) == "success"
    rows = {a["bk_property_id"]: a for a in ok(cc_open.cc.search_object_attribute(data={"bk_obj_id": obj}))}
    assert (rows["num"]["bk_property_name"], rows["num"]["option"]) == ("aaa", {"min": 1, "max": 4})
    assert (rows["cc_test"]["editable"], rows["cc_test"]["isonly"]) == (True, False)
    ok(cc_open.cc.create_inst(data={"bk_obj_id": obj, "bk_inst_name": "i", "num": 4}))
    refused(cc_open.cc.create_inst(data={"bk_obj_id": obj, "bk_inst_name": "j", "num": 5}), 1199006)  # the new max
    refused(cc_open.cc.update_object_attribute(data={**update, "bk_property_type": "float"}), 1199006)
    assert ok(cc_open.cc.delete_object_attribute(data={"delete": {"id": rows["cc_test"]["id"]}})) == "success"
    assert "cc_test" not in {
        a["bk_property_id"] for a in ok(cc_open.cc.search_object_attribute(data={"bk_obj_id": obj}))
    }


def test_attribute_refusal_codes(cc_open: Client) -> None:
    obj = f"o{tag()}"
    new_model(cc_open, obj, {"bk_property_id": "size", "bk_property_type": "int"})
    base = {"bk_obj_id": obj, "bk_property_id": "p1", "bk_property_name": "p1", "bk_property_type": "singlechar"}
    refused(cc_open.cc.create_object_attribute(data={**base, "bk_property_id": "bk_p"}), 1199011)
    refused(cc_open.cc.create_object_attribute(data={**base, "bk_property_name": "size"}), 1101107)
    refused(cc_open.cc.create_object_attribute(data={**base, "bk_property_type": "int", "ismultiple": True}), 1199012)
    refused(cc_open.cc.create_object_attribute(data={**base, "isrequired": "maybe"}), 1199006)
    refused(cc_open.cc.create_object_attribute(data={**base, "bk_obj_id": "nosuchmodel"}), 1199011)
    unique = {**base, "bk_property_id": "serial", "bk_property_name": "serial", "isonly": "true"}
    serial = ok(cc_open.cc.create_object_attribute(data=unique))
    refused(cc_open.cc.delete_object_attribute(data={"id": serial["id"]}), 1101165)
    host_name = next(
        a
        for a in ok(cc_open.cc.search_object_attribute(data={"bk_obj_id": "host"}))
        if a["bk_property_id"] == "bk_host_name"
    )
    refused(cc_open.cc.delete_object_attribute(data={"id": host_name["id"]}), 1199054)


def test_a_user_without_superuser_rights_cannot_change_models(server: Server) -> None:
    name = f"nomodel{tag()}"
    server.cli("admin", "create-user", name, "--password", "user-password-123")
    user = open_client(server, name)
    refused(user.cc.create_classification(data={"bk_classification_id": name, "bk_classification_name": name}), 9900403)
    assert ok(user.cc.search_objects(data={"bk_obj_id": "host"}))  # reading the model layer is for everyone
