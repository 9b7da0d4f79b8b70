"""bk `cc` model endpoints: create_object → `{id}`, update_object and delete_object → `"success"`,
search_objects → a list of model records.

Models are addressed by their numeric record `id`. update_object's doc requires
`bk_classification_id` on every call; an unchanged value is not a change, so preset models (which
only take a new `position`) accept the doc's full-record updates.

Example (bkapi-component-open):
    client.cc.create_object(data={"bk_classification_id": "dc", "bk_obj_id": "rack", "bk_obj_name": "Rack",
                                  "bk_obj_icon": "icon-cc-rack", "bk_supplier_account": "0"})
    # data: {"id": 1038}
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk import Params
from opsgraph.compat_rest.bk.cc.model_codes import add_model_route
from opsgraph.compat_rest.bk.cc.model_params import flag, id_param, text
from opsgraph.compat_rest.bk.cc.written import constant, created_id
from opsgraph.core.auth.principal import Principal


def _create(params: Params, principal: Principal) -> dict[str, Any]:
    return {
        "input": {
            "bkObjId": params.get_str("bk_obj_id"),
            "name": params.get_str("bk_obj_name"),
            "classificationId": params.get_str("bk_classification_id"),
            # bk-cmdb requires an icon (1199010) although the doc marks it optional.
            "icon": params.get_str("bk_obj_icon", "", required=False),
            "description": text(params, "description"),
        }
    }


def _update(params: Params, principal: Principal) -> dict[str, Any]:
    changes: dict[str, Any] = {"bkId": id_param(params, "id", nested="condition")}
    data = params.sub("data") if params.has("data") else params
    for bk_name, field in (
        ("bk_obj_name", "name"),
        ("bk_classification_id", "classificationId"),
        ("bk_obj_icon", "icon"),
        ("position", "position"),
        ("description", "description"),
    ):
        if data.has(bk_name):
            changes[field] = data.get_str(bk_name)
    if data.has("bk_ispaused"):
        changes["isPaused"] = flag(data, "bk_ispaused")
    return {"input": changes}


def _filter(params: Params, principal: Principal) -> dict[str, Any]:
    # Every documented parameter is an optional equality filter; the doc's examples send "" for any.
    condition = params.sub("condition") if params.has("condition") else params
    spec: dict[str, Any] = {}
    for bk_name, field in (
        ("bk_classification_id", "classificationId"),
        ("bk_obj_id", "bkObjId"),
        ("bk_obj_name", "name"),
        ("creator", "creator"),
        ("modifier", "modifier"),
    ):
        value = condition.get_str(bk_name, "", required=False)
        if value:
            spec[field] = value
    for bk_name, field in (("ispre", "isPreset"), ("bk_ispaused", "isPaused")):
        if condition.has(bk_name):
            spec[field] = flag(condition, bk_name)
    if condition.has("id"):
        spec["bkId"] = condition.get_int("id")
    return {"filter": spec}


def model_row(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["bkId"],
        "bk_obj_id": item["bkObjId"],
        "bk_obj_name": item["name"],
        "bk_classification_id": item["classification"]["classificationId"],
        "bk_obj_icon": item["icon"],
        "ispre": item["isPreset"],
        "bk_ispaused": item["isPaused"],
        "position": item["position"],
        "description": item["description"],
        "creator": item["creator"],
        "modifier": item["modifier"],
        "create_time": item["createdAt"],
        "last_time": item["updatedAt"],
        "bk_supplier_account": "0",
    }


add_model_route(
    __name__,
    name="create_object",
    operation="create_object.graphql",
    to_variables=_create,
    to_data=created_id("createObjectModel", "model", "bkId", "id"),
    summary="Create a model (with its Default group and bk_inst_name) → {id}",
)
add_model_route(
    __name__,
    name="update_object",
    operation="update_object.graphql",
    to_variables=_update,
    to_data=constant("updateObjectModel", "success"),
    summary='Change a model (preset ones: position only) → "success"',
)
add_model_route(
    __name__,
    name="delete_object",
    operation="delete_object.graphql",
    to_variables=lambda params, principal: {"input": {"bkId": id_param(params, "id")}},
    to_data=constant("deleteObjectModel", "success"),
    summary='Delete a model without instances or associations → "success"',
)
add_model_route(
    __name__,
    name="search_objects",
    operation="search_objects.graphql",
    to_variables=_filter,
    to_data=lambda data, params: [model_row(item) for item in data["objectModels"]],
    summary="Models matching equality filters",
)
