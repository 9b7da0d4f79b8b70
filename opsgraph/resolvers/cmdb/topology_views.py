"""Read-only views over associations: the model topology of a classification (search_object_topo)
and the associations around one instance (search_inst_association_topo).
"""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound
from opsgraph.models.cmdb_instances import ObjectAssociation
from opsgraph.models.cmdb_models import Classification, ObjectModel
from opsgraph.resolvers.cmdb.access import can_read_instance, instance_search_rule
from opsgraph.resolvers.cmdb.codes import CLASSIFICATION_NOT_FOUND
from opsgraph.resolvers.cmdb.instance_associations import links_of, visible_links
from opsgraph.resolvers.cmdb.instance_refs import load_many_refs, load_refs
from opsgraph.resolvers.cmdb.preset_data import MAINLINE_KIND

Row = dict[str, Any]


def _model_end(model: Row, classification_id: str) -> Row:
    return {
        "bk_classification_id": classification_id,
        "bk_obj_id": model["obj_id"],
        "bk_obj_name": model["name"],
        "position": model["position"],
        "bk_supplier_account": "0",
    }


async def object_topology(classification_id: str) -> list[Row]:
    """Edges between models where the source belongs to the classification (mainline links excluded)."""
    classification = await Classification.get_or_none(classification_id=classification_id)
    if classification is None:
        raise NotFound(
            f"classification {classification_id!r} does not exist",
            field="bk_classification_id",
            code=CLASSIFICATION_NOT_FOUND,
        )
    rows = await (
        ObjectAssociation.filter(source__classification_id=classification.id)
        .exclude(kind__asst_id=MAINLINE_KIND)
        .order_by("id")
        .values("obj_asst_id", "name", "source_id", "target_id", "kind__asst_id", "kind__direction", "kind__src_des")
    )
    model_ids = {row["source_id"] for row in rows} | {row["target_id"] for row in rows}
    models = {m["id"]: m for m in await ObjectModel.filter(id__in=model_ids).values()}
    classes = {
        c["id"]: c["classification_id"]
        for c in await Classification.filter(id__in={m["classification_id"] for m in models.values()}).values()
    }
    edges = []
    for row in rows:
        source, target = models[row["source_id"]], models[row["target_id"]]
        edges.append(
            {
                "arrows": "to,from" if row["kind__direction"] == "bidirectional" else "to",
                "from": _model_end(source, classes[source["classification_id"]]),
                "to": _model_end(target, classes[target["classification_id"]]),
                "label": row["obj_asst_id"],
                "label_name": row["name"] or row["kind__src_des"],
                "label_type": row["kind__asst_id"],
            }
        )
    return edges


def _node(obj_id: str, inst_id: int, name: str, models: dict[str, Row], *, group: bool = False) -> Row:
    model = models.get(obj_id, {})
    return {
        "bk_inst_id": 0 if group else inst_id,
        "bk_inst_name": "" if group else name,
        "bk_obj_icon": model.get("icon", ""),
        "bk_obj_id": obj_id,
        "bk_obj_name": model.get("name", ""),
    }


async def instance_topology(principal: Principal, obj_id: str, inst_id: int) -> Row:
    """{curr, next, prev}: next groups the instances this one points to, per model; prev those
    pointing to it. Each group is shaped like bk-cmdb's (an empty instance node with children)."""
    me = (await load_refs(obj_id, [inst_id])).get(inst_id)
    searchable = await instance_search_rule(principal)
    if me is None or not can_read_instance(principal, me.business_id) or not searchable(obj_id):
        raise NotFound(f"{obj_id} instance {inst_id} does not exist", field="bk_inst_id")
    rows = await visible_links(principal, (await links_of([(obj_id, inst_id)]))[(obj_id, inst_id)])
    refs = await load_many_refs(
        {(r["asst_obj_id"], r["asst_inst_id"]) for r in rows} | {(r["obj_id"], r["inst_id"]) for r in rows}
    )
    model_ids = {obj_id} | {key[0] for key in refs}
    models = {m["obj_id"]: m for m in await ObjectModel.filter(obj_id__in=model_ids).values()}
    downstream: dict[str, list[Row]] = {}
    upstream: dict[str, list[Row]] = {}
    for row in rows:
        outgoing = (row["obj_id"], row["inst_id"]) == (obj_id, inst_id)
        other = (row["asst_obj_id"], row["asst_inst_id"]) if outgoing else (row["obj_id"], row["inst_id"])
        ref = refs[other]
        child = {
            **_node(ref.obj_id, ref.inst_id, ref.name, models),
            "bk_obj_icon": "",
            "bk_obj_name": "",
            "id": str(ref.inst_id),
        }
        (downstream if outgoing else upstream).setdefault(ref.obj_id, []).append(child)

    def groups(found: dict[str, list[Row]]) -> list[Row]:
        return [
            {**_node(model, 0, "", models, group=True), "children": children, "count": len(children)}
            for model, children in found.items()
        ]

    current = {**_node(obj_id, inst_id, me.name, models), "children": [], "count": 0}
    return {"curr": current, "next": groups(downstream), "prev": groups(upstream)}
