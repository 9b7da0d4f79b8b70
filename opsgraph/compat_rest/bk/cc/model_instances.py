"""bk `cc` instance writes for any model: create_inst → `{bk_inst_id}`, update_inst, delete_inst,
batch_update_inst and batch_delete_inst → `"success"`. Cloud areas are the model `plat` here
(bk_cloud_name / bk_cloud_id), as the doc describes.

As in bk-cmdb, attributes the model does not declare are dropped, not refused; every declared one
is checked for its type. Where the doc's table and example disagree, both are accepted: ids at the
top level or under `delete` (`{"delete": {"inst_ids": [...]}}`), the business as `bk_biz_id` or
`metadata.label.bk_biz_id`, and batch_update_inst's `bk_inst_name` beside or inside `datas`.

Example (bkapi-component-open):
    client.cc.create_inst(data={"bk_obj_id": "rack", "bk_inst_name": "r1", "units": 42})
    # data: {"bk_inst_id": 67}
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES, Params
from opsgraph.compat_rest.bk.cc.model_codes import MODEL_CODES
from opsgraph.compat_rest.bk.cc.model_params import (
    IGNORED,
    business_global_id,
    id_param,
    instance_global_id,
    int_list_param,
    label_business,
)
from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.ids import MAX_PK, encode_global_id
from opsgraph.core.settings import Settings

PLAT = "plat"
# Request keys that address the write rather than carry a value.
_ADDRESSING = IGNORED | {"bk_obj_id", "bk_inst_id", "bk_biz_id", "metadata", "delete", "condition", "data"}


def _properties(params: Params) -> dict[str, Any]:
    if params.has("data"):
        return params.get_dict("data")
    return {key: value for key, value in params.items() if key not in _ADDRESSING}


def _cloud_area_gid(area_id: int, field: str) -> str:
    if not 0 <= area_id <= MAX_PK:
        raise ValidationFailed(f"cloud area {area_id} does not exist", field=field)
    return encode_global_id("CloudArea", area_id)


async def _run(name: str, variables: dict[str, Any], principal: Principal, settings: Settings) -> dict[str, Any]:
    data = await run_operation(load_operation(__name__, name), variables, principal, settings)
    payload: dict[str, Any] = next(iter(data.values()))
    raise_user_errors(payload)
    return payload


@BK_ROUTES.handler("cc", "create_inst", error_codes=MODEL_CODES, summary="Create an instance of a model → {bk_inst_id}")
async def create_inst(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    obj_id = params.get_str("bk_obj_id")
    if obj_id == PLAT:
        name = params.get_str("bk_cloud_name") if params.has("bk_cloud_name") else params.get_str("bk_inst_name")
        payload = await _run("create_inst_plat.graphql", {"input": {"name": name}}, principal, settings)
        return {"bk_inst_id": payload["cloudArea"]["bkCloudId"]}
    variables = {
        "input": {
            "objectId": obj_id,
            "properties": _properties(params),
            "businessId": business_global_id(label_business(params)),
            "ignoreUnknown": True,
        }
    }
    payload = await _run("create_inst.graphql", variables, principal, settings)
    return {"bk_inst_id": payload["instances"][0]["bkInstId"]}


async def _update(
    obj_id: str, updates: list[tuple[int, dict[str, Any]]], principal: Principal, settings: Settings
) -> str:
    variables = {
        "input": {
            "objectId": obj_id,
            "updates": [{"id": instance_global_id(pk), "properties": data} for pk, data in updates],
            "ignoreUnknown": True,
        }
    }
    await _run("update_inst.graphql", variables, principal, settings)
    return "success"


@BK_ROUTES.handler(
    "cc", "update_inst", error_codes=MODEL_CODES, summary='Change some properties of an instance → "success"'
)
async def update_inst(params: Params, principal: Principal, settings: Settings) -> str:
    obj_id = params.get_str("bk_obj_id")
    inst_id = id_param(params, "bk_inst_id", nested="condition")
    if obj_id == PLAT:
        name = params.get_str("bk_cloud_name") if params.has("bk_cloud_name") else params.get_str("bk_inst_name")
        variables = {"input": {"cloudAreaId": _cloud_area_gid(inst_id, "bk_inst_id"), "name": name}}
        await _run("update_inst_plat.graphql", variables, principal, settings)
        return "success"
    return await _update(obj_id, [(inst_id, _properties(params))], principal, settings)


@BK_ROUTES.handler(
    "cc", "batch_update_inst", error_codes=MODEL_CODES, summary='Change several instances, all or none → "success"'
)
async def batch_update_inst(params: Params, principal: Principal, settings: Settings) -> str:
    obj_id = params.get_str("bk_obj_id")
    if obj_id == PLAT:
        raise ValidationFailed("cloud areas are renamed one at a time with update_inst", field="bk_obj_id")
    updates = []
    for index, raw in enumerate(params.get_list("update")):
        item = Params(raw if isinstance(raw, dict) else {}, prefix=f"update[{index}].")
        if not isinstance(raw, dict):
            raise ValidationFailed(f"update[{index}] must be an object", field=f"update[{index}]")
        datas = dict(item.get_dict("datas"))
        # The table lists bk_inst_name beside `datas`: it is one more value to set.
        if item.has("bk_inst_name") and "bk_inst_name" not in datas:
            datas["bk_inst_name"] = item.get_str("bk_inst_name")
        updates.append((item.get_int("inst_id"), datas))
    return await _update(obj_id, updates, principal, settings)


async def _delete(obj_id: str, ids: list[int], principal: Principal, settings: Settings) -> str:
    if obj_id == PLAT:
        areas = [_cloud_area_gid(pk, "inst_ids") for pk in ids]
        await _run("delete_inst_plat.graphql", {"input": {"cloudAreaIds": areas}}, principal, settings)
    else:
        variables = {"input": {"objectId": obj_id, "ids": [instance_global_id(pk) for pk in ids]}}
        await _run("delete_inst.graphql", variables, principal, settings)
    return "success"


@BK_ROUTES.handler(
    "cc", "delete_inst", error_codes=MODEL_CODES, summary='Delete an instance (refused while associated) → "success"'
)
async def delete_inst(params: Params, principal: Principal, settings: Settings) -> str:
    return await _delete(params.get_str("bk_obj_id"), [id_param(params, "bk_inst_id")], principal, settings)


@BK_ROUTES.handler(
    "cc", "batch_delete_inst", error_codes=MODEL_CODES, summary='Delete several instances, all or none → "success"'
)
async def batch_delete_inst(params: Params, principal: Principal, settings: Settings) -> str:
    return await _delete(params.get_str("bk_obj_id"), int_list_param(params, "inst_ids"), principal, settings)
