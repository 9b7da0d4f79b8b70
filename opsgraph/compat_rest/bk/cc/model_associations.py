"""bk `cc` association endpoints: add_instance_association → `{id}`, delete_instance_association →
`"success"`, find_instance_association and find_object_association → lists,
search_inst_association_topo → `[{curr, next, prev}]`.

v3.2 wraps the request in `condition` plus `metadata.label.bk_biz_id`; newer callers send the
fields at the top level: both are accepted (the label is not needed: links are authorized by their
ends). find_instance_association's example says `bk_object_id` where its table says `bk_obj_id`:
both are read. delete_instance_association is documented as DELETE; bk clients send POST: both work.
search_inst_association_topo answers a one-element list, as its example does.

Example (bkapi-component-open):
    client.cc.add_instance_association(data={"metadata": {"label": {"bk_biz_id": "3"}},
        "condition": {"bk_obj_asst_id": "bk_switch_connect_host", "bk_inst_id": 12, "bk_asst_inst_id": 13}})
    # data: {"id": 1038}
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk import Params
from opsgraph.compat_rest.bk.cc.model_codes import add_model_route
from opsgraph.compat_rest.bk.cc.written import created_id
from opsgraph.compat_rest.execute import raise_user_errors
from opsgraph.core.auth.principal import Principal

Row = dict[str, Any]


def _condition(params: Params) -> Params:
    return params.sub("condition") if params.has("condition") else params


def _link(params: Params, principal: Principal) -> dict[str, Any]:
    condition = _condition(params)
    return {
        "input": {
            "bkObjAsstId": condition.get_str("bk_obj_asst_id"),
            "bkInstId": condition.get_int("bk_inst_id"),
            "bkAsstInstId": condition.get_int("bk_asst_inst_id"),
        }
    }


def _text_filter(condition: Params, *names: str) -> str | None:
    for name in names:
        value = condition.get_str(name, "", required=False)
        if value:
            return value
    return None


def _instance_filter(params: Params, principal: Principal) -> dict[str, Any]:
    condition = _condition(params)
    spec: dict[str, Any] = {
        "bkObjAsstId": _text_filter(condition, "bk_obj_asst_id"),
        "bkAsstId": _text_filter(condition, "bk_asst_id"),
        "bkObjId": _text_filter(condition, "bk_obj_id", "bk_object_id"),
        "bkAsstObjId": _text_filter(condition, "bk_asst_obj_id"),
        "bkInstId": condition.get_int("bk_inst_id", required=False),
        "bkAsstInstId": condition.get_int("bk_asst_inst_id", required=False),
    }
    return {"filter": spec}


def _object_filter(params: Params, principal: Principal) -> dict[str, Any]:
    condition = _condition(params)
    return {
        "filter": {
            "bkObjAsstId": _text_filter(condition, "bk_obj_asst_id"),
            "bkAsstId": _text_filter(condition, "bk_asst_id"),
            "bkObjId": _text_filter(condition, "bk_obj_id", "bk_object_id"),
            "bkAsstObjId": _text_filter(condition, "bk_asst_obj_id"),
        }
    }


def _instance_rows(data: dict[str, Any], params: Params) -> list[Row]:
    return [
        {
            "id": item["bkId"],
            "bk_obj_asst_id": item["bkObjAsstId"],
            "bk_asst_id": item["bkAsstId"],
            "bk_obj_id": item["bkObjId"],
            "bk_inst_id": item["bkInstId"],
            "bk_asst_obj_id": item["bkAsstObjId"],
            "bk_asst_inst_id": item["bkAsstInstId"],
            "bk_supplier_account": "0",
        }
        for item in data["instanceAssociations"]
    ]


def _object_rows(data: dict[str, Any], params: Params) -> list[Row]:
    return [
        {
            "id": item["bkId"],
            "bk_obj_asst_id": item["bkObjAsstId"],
            "bk_obj_asst_name": item["name"],
            "bk_asst_id": item["kind"]["bkAsstId"],
            "bk_asst_name": item["kind"]["name"] or item["kind"]["bkAsstId"],
            "bk_obj_id": item["source"]["bkObjId"],
            "bk_obj_name": item["source"]["name"],
            "bk_asst_obj_id": item["target"]["bkObjId"],
            "bk_asst_obj_name": item["target"]["name"],
            "mapping": item["mapping"],
            "on_delete": item["onDelete"],
            "ispre": item["isPreset"],
            "bk_supplier_account": "0",
        }
        for item in data["objectAssociations"]
    ]


def _unlinked(data: dict[str, Any], params: Params) -> str:
    raise_user_errors(data["unlinkInstances"])
    return "success"


add_model_route(
    __name__,
    name="add_instance_association",
    operation="add_instance_association.graphql",
    to_variables=_link,
    to_data=created_id("linkInstances", "association", "bkId", "id"),
    summary="Link two instances under a model association (mapping enforced) → {id}",
)
add_model_route(
    __name__,
    name="delete_instance_association",
    methods=frozenset({"DELETE", "POST"}),
    operation="delete_instance_association.graphql",
    to_variables=lambda params, principal: {"id": params.get_int("id")},
    to_data=_unlinked,
    summary='Remove an instance link by id → "success"',
)
add_model_route(
    __name__,
    name="find_instance_association",
    operation="find_instance_association.graphql",
    to_variables=_instance_filter,
    to_data=_instance_rows,
    summary="Instance links matching the condition",
)
add_model_route(
    __name__,
    name="find_object_association",
    operation="find_object_association.graphql",
    to_variables=_object_filter,
    to_data=_object_rows,
    summary="Model associations matching the condition",
)
add_model_route(
    __name__,
    name="search_inst_association_topo",
    operation="search_inst_association_topo.graphql",
    to_variables=lambda params, principal: {"obj": params.get_str("bk_obj_id"), "inst": params.get_int("bk_inst_id")},
    to_data=lambda data, params: [data["instanceAssociationTopology"]],
    summary="The instances linked to one instance, grouped per model → [{curr, next, prev}]",
)
