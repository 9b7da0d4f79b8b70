"""bk `cc` attribute endpoints: create → `{id}`, update and delete → `"success"`, search → a list.

The doc's examples send booleans as "true"/"false" and `option` as an object on create but as JSON
text on update: both are accepted. `isonly` makes the attribute a single-attribute unique rule.
`bk_property_group` names a group of the model (default: "default"); search answers the group's
name as `bk_property_group_name`. v3.1's association types (singleasst/multiasst) take their
target model in `bk_asst_obj_id`; other types ignore it (the update example sends "0").

Example (bkapi-component-open):
    client.cc.create_object_attribute(data={"bk_obj_id": "rack", "bk_property_id": "units",
        "bk_property_name": "Units", "bk_property_type": "int", "option": {"min": "1", "max": "60"}})
    # data: {"id": 11142}
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk import Params
from opsgraph.compat_rest.bk.cc.model_codes import add_model_route
from opsgraph.compat_rest.bk.cc.model_params import flag, id_param, json_value, text
from opsgraph.compat_rest.bk.cc.written import constant, created_id
from opsgraph.core.auth.principal import Principal

_ASSOCIATION_TYPES = ("singleasst", "multiasst")
_FLAGS = (
    ("isrequired", "isRequired"),
    ("isonly", "isUnique"),
    ("ismultiple", "isMultiple"),
    ("editable", "editable"),
    ("isreadonly", "isReadonly"),
)
_TEXTS = (
    ("bk_property_name", "name"),
    ("bk_property_group", "groupId"),
    ("unit", "unit"),
    ("placeholder", "placeholder"),
    ("description", "description"),
)


def _fields(params: Params) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for bk_name, field in _TEXTS:
        value = text(params, bk_name)
        if value is not None and not (bk_name == "bk_property_group" and not value):
            fields[field] = value
    for bk_name, field in _FLAGS:
        given = flag(params, bk_name)
        if given is not None:
            fields[field] = given
    for bk_name in ("option", "default"):
        if params.has(bk_name):
            fields[bk_name] = json_value(params, bk_name)
    return fields


def _create(params: Params, principal: Principal) -> dict[str, Any]:
    property_type = params.get_str("bk_property_type")
    fields = {
        **_fields(params),
        "bkObjId": params.get_str("bk_obj_id"),
        "propertyId": params.get_str("bk_property_id"),
        "type": property_type,
    }
    if property_type in _ASSOCIATION_TYPES:
        fields["targetObjectId"] = params.get_str("bk_asst_obj_id")
    return {"input": fields}


def _update(params: Params, principal: Principal) -> dict[str, Any]:
    data = params.sub("data") if params.has("data") else params
    fields = _fields(data)
    # The update example repeats the whole record, type included: the same type is no change, a
    # different one is refused (types never change).
    property_type = text(data, "bk_property_type")
    if property_type:
        fields["type"] = property_type
    return {"input": {**fields, "bkId": id_param(params, "id", nested="condition")}}


def attribute_row(item: dict[str, Any]) -> dict[str, Any]:
    option = item["option"]
    target = option.get("bk_asst_obj_id", "") if item["type"] in _ASSOCIATION_TYPES and isinstance(option, dict) else ""
    return {
        "id": item["bkId"],
        "bk_obj_id": item["bkObjId"],
        "bk_property_id": item["propertyId"],
        "bk_property_name": item["name"],
        "bk_property_type": item["type"],
        "bk_property_group": item["groupId"],
        "bk_property_group_name": item["groupName"],
        "bk_property_index": item["index"],
        "unit": item["unit"],
        "placeholder": item["placeholder"],
        "description": item["description"],
        "editable": item["editable"],
        "isrequired": item["isRequired"],
        "isreadonly": item["isReadonly"],
        "ismultiple": item["isMultiple"],
        "isonly": item["isUnique"],
        "ispre": item["isPreset"],
        "isapi": False,
        "option": "" if target else option,
        "default": item["default"],
        "bk_asst_obj_id": target,
        "bk_asst_type": 0,
        "creator": item["creator"],
        "create_time": item["createdAt"],
        "last_time": item["updatedAt"],
        "bk_supplier_account": "0",
    }


add_model_route(
    __name__,
    name="create_object_attribute",
    operation="create_object_attribute.graphql",
    to_variables=_create,
    to_data=created_id("createObjectAttribute", "attribute", "bkId", "id"),
    summary="Add an attribute to a model → {id}",
)
add_model_route(
    __name__,
    name="update_object_attribute",
    operation="update_object_attribute.graphql",
    to_variables=_update,
    to_data=constant("updateObjectAttribute", "success"),
    summary='Change an attribute (by record id; never its id or type) → "success"',
)
add_model_route(
    __name__,
    name="delete_object_attribute",
    operation="delete_object_attribute.graphql",
    to_variables=lambda params, principal: {"input": {"bkId": id_param(params, "id")}},
    to_data=constant("deleteObjectAttribute", "success"),
    summary='Delete a user attribute not in a unique rule (its values go too) → "success"',
)
add_model_route(
    __name__,
    name="search_object_attribute",
    operation="search_object_attribute.graphql",
    to_variables=lambda params, principal: {"obj": params.get_str("bk_obj_id", "", required=False) or None},
    to_data=lambda data, params: [attribute_row(item) for item in data["objectAttributes"]],
    summary="The attributes of a model, in display order",
)
