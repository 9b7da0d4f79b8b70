"""The model-topology graph's saved layout (search_object_topo_graphics / update_object_topo_graphics).

A graph is a scope (`global`/0, `biz`/<id>, `cls`/<classification>); a node is (node_type obj|inst,
bk_obj_id, bk_inst_id). Searching a scope answers every model as an `obj` node (with its saved
position, if any) and each model association as an `asst` of its source, plus saved `inst` nodes.
`update` upserts the given nodes; `override` replaces the scope's saved nodes with them (the doc
leaves both undescribed; these are what the names say).
"""

from __future__ import annotations

import math
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import LimitExceeded, ValidationFailed
from opsgraph.models.cmdb_instances import ObjectAssociation
from opsgraph.models.cmdb_models import ObjectModel, TopoGraphicsNode
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.cmdb.access import can_read_instance, require_model_admin
from opsgraph.resolvers.cmdb.codes import MODEL_NOT_FOUND
from opsgraph.resolvers.cmdb.instance_refs import load_many_refs
from opsgraph.resolvers.topology.common import write_transaction

Row = dict[str, Any]
SCOPE_TYPES = frozenset({"global", "biz", "cls"})
NODE_TYPES = frozenset({"obj", "inst"})
ACTIONS = frozenset({"update", "override"})
MAX_NODES = 2000
EXT_MAX_KEYS = 50


def check_scope(scope_type: Any, scope_id: Any) -> tuple[str, str]:
    if scope_type not in SCOPE_TYPES:
        raise ValidationFailed(f"scope_type must be one of {', '.join(sorted(SCOPE_TYPES))}", field="scope_type")
    if isinstance(scope_id, bool) or not isinstance(scope_id, str | int) or len(str(scope_id)) > 64:
        raise ValidationFailed("scope_id must be a string (0 for the global graph)", field="scope_id")
    return str(scope_type), str(scope_id)


def _position(value: Any, field: str) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, dict) or set(value) - {"x", "y"}:
        raise ValidationFailed(f"{field} must be {{x, y}}", field=field)
    position = {}
    for axis, number in value.items():
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            raise ValidationFailed(f"{field}.{axis} must be a number", field=f"{field}.{axis}")
        position[axis] = number
    return position


def _ext(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > EXT_MAX_KEYS:
        raise ValidationFailed(f"{field} must be an object of at most {EXT_MAX_KEYS} keys", field=field)
    return value


async def update_graphics(principal: Principal, scope_type: Any, scope_id: Any, action: Any, nodes: list[Any]) -> None:
    require_model_admin(principal, "changing the topology graph")
    scope_type, scope_id = check_scope(scope_type, scope_id)
    if action not in ACTIONS:
        raise ValidationFailed("action must be update or override", field="action")
    if len(nodes) > MAX_NODES:
        raise LimitExceeded(f"data takes at most {MAX_NODES} nodes", field="data")
    known = set(await ObjectModel.all().values_list("obj_id", flat=True))
    checked = []
    for index, node in enumerate(nodes):
        where = f"data[{index}]"
        if not isinstance(node, dict):
            raise ValidationFailed(f"{where} must be an object", field=where)
        if node.get("node_type") not in NODE_TYPES:
            raise ValidationFailed(f"{where}.node_type must be obj or inst", field=f"{where}.node_type")
        if node.get("bk_obj_id") not in known:
            raise ValidationFailed(
                f"{where}.bk_obj_id is not a model", field=f"{where}.bk_obj_id", code=MODEL_NOT_FOUND
            )
        inst_id = node.get("bk_inst_id", 0)
        if isinstance(inst_id, bool) or not isinstance(inst_id, int) or not 0 <= inst_id < 2**63:
            raise ValidationFailed(f"{where}.bk_inst_id must be an instance id", field=f"{where}.bk_inst_id")
        icon = node.get("bk_obj_icon") or ""
        if not isinstance(icon, str) or len(icon) > 128:
            raise ValidationFailed(f"{where}.bk_obj_icon must be an icon name", field=f"{where}.bk_obj_icon")
        checked.append(
            {
                "node_type": node["node_type"],
                "obj_id": node["bk_obj_id"],
                "inst_id": inst_id,
                "position": _position(node.get("position"), f"{where}.position"),
                "ext": _ext(node.get("ext"), f"{where}.ext"),
                "icon": icon,
            }
        )
    async with write_transaction():
        if action == "override":
            await TopoGraphicsNode.filter(scope_type=scope_type, scope_id=scope_id).delete()
        for node in checked:
            key = {k: node[k] for k in ("node_type", "obj_id", "inst_id")}
            values = {k: node[k] for k in ("position", "ext", "icon")}
            updated = await TopoGraphicsNode.filter(scope_type=scope_type, scope_id=scope_id, **key).update(**values)
            if not updated:
                await TopoGraphicsNode.create(scope_type=scope_type, scope_id=scope_id, **key, **values)
        await record_operation(
            principal,
            op_type="update",
            op_target="topo_graphics",
            op_desc=f"{action} {len(checked)} nodes of the {scope_type}/{scope_id} graph",
            ext_key=f"{scope_type}/{scope_id}",
        )


async def search_graphics(principal: Principal, scope_type: Any, scope_id: Any) -> list[Row]:
    """Every model as an `obj` node, and the saved `inst` nodes the caller may see."""
    scope_type, scope_id = check_scope(scope_type, scope_id)
    saved = {
        (row["node_type"], row["obj_id"], row["inst_id"]): row
        for row in await TopoGraphicsNode.filter(scope_type=scope_type, scope_id=scope_id).values()
    }
    models = await ObjectModel.all().order_by("id").values("obj_id", "name", "icon")
    associations = (
        await ObjectAssociation.all()
        .order_by("id")
        .values("obj_asst_id", "kind__asst_id", source="source__obj_id", target="target__obj_id")
    )
    assts: dict[str, list[Row]] = {}
    for row in associations:
        assts.setdefault(row["source"], []).append(
            {
                "bk_asst_type": row["kind__asst_id"],
                "node_type": "obj",
                "bk_obj_id": row["target"],
                "bk_inst_id": 0,
                "bk_object_att_id": row["obj_asst_id"],
                "lable": {},  # sic: the doc's spelling of this unused extension field
            }
        )

    def node(node_type: str, obj_id: str, inst_id: int, name: str, icon: str) -> Row:
        stored = saved.get((node_type, obj_id, inst_id), {})
        return {
            "node_type": node_type,
            "bk_obj_id": obj_id,
            "bk_inst_id": inst_id,
            "node_name": name,
            "position": stored.get("position") or {},
            "ext": stored.get("ext") or {},
            "bk_obj_icon": stored.get("icon") or icon,
            "scope_type": scope_type,
            "scope_id": scope_id,
            "bk_biz_id": int(scope_id) if scope_type == "biz" and scope_id.isdigit() else 0,
            "bk_supplier_account": "0",
            "assts": assts.get(obj_id, []) if node_type == "obj" else [],
        }

    nodes = [node("obj", m["obj_id"], 0, m["name"], m["icon"]) for m in models]
    icons = {m["obj_id"]: m["icon"] for m in models}
    placed = [(obj_id, int(inst_id)) for (node_type, obj_id, inst_id) in saved if node_type == "inst"]
    refs = await load_many_refs(placed)
    nodes += [
        node("inst", obj_id, inst_id, refs[(obj_id, inst_id)].name, icons.get(obj_id, ""))
        for obj_id, inst_id in placed
        if (obj_id, inst_id) in refs and can_read_instance(principal, refs[(obj_id, inst_id)].business_id)
    ]
    return nodes
