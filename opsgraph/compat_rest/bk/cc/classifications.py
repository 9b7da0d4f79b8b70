"""bk `cc` classification endpoints: create → `{id}`, update and delete → `"success"`, search → a list.

Classifications are addressed by their numeric record `id` (create answers it), which update and
delete take at the top level (the tables) or under `delete` (the examples).

Example (bkapi-component-open):
    client.cc.create_classification(data={"bk_classification_id": "dc", "bk_classification_name": "DC"})
    # data: {"id": 18}
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk import Params
from opsgraph.compat_rest.bk.cc.model_codes import add_model_route
from opsgraph.compat_rest.bk.cc.model_params import id_param, text
from opsgraph.compat_rest.bk.cc.written import constant, created_id
from opsgraph.core.auth.principal import Principal


def _create(params: Params, principal: Principal) -> dict[str, Any]:
    return {
        "input": {
            "classificationId": params.get_str("bk_classification_id"),
            "name": params.get_str("bk_classification_name"),
            "icon": text(params, "bk_classification_icon"),
        }
    }


def _update(params: Params, principal: Principal) -> dict[str, Any]:
    # Newer callers nest the changes under `data`; v3.2 sends them beside `id`.
    changes = params.sub("data") if params.has("data") else params
    return {
        "input": {
            "bkId": id_param(params, "id", nested="condition"),
            "name": text(changes, "bk_classification_name"),
            "icon": text(changes, "bk_classification_icon"),
        }
    }


def classification_row(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["bkId"],
        "bk_classification_id": item["classificationId"],
        "bk_classification_name": item["name"],
        "bk_classification_type": "inner" if item["isPreset"] else "",
        "bk_classification_icon": item["icon"],
        "bk_supplier_account": "0",
    }


def _rows(data: dict[str, Any], params: Params) -> list[dict[str, Any]]:
    return [classification_row(item) for item in data["classifications"]]


add_model_route(
    __name__,
    name="create_classification",
    operation="create_classification.graphql",
    to_variables=_create,
    to_data=created_id("createClassification", "classification", "bkId", "id"),
    summary="Create a model classification → {id}",
)
add_model_route(
    __name__,
    name="update_classification",
    operation="update_classification.graphql",
    to_variables=_update,
    to_data=constant("updateClassification", "success"),
    summary='Rename or re-icon a classification (by record id) → "success"',
)
add_model_route(
    __name__,
    name="delete_classification",
    operation="delete_classification.graphql",
    to_variables=lambda params, principal: {"input": {"bkId": id_param(params, "id")}},
    to_data=constant("deleteClassification", "success"),
    summary='Delete an empty user classification → "success"',
)
add_model_route(
    __name__,
    name="search_classifications",
    operation="search_classifications.graphql",
    to_data=_rows,
    summary="Every classification ('inner' = preset)",
)
