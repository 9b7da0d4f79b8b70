"""Instances of any model by (model id, instance id): hosts, sets, businesses and cloud areas live
in their own tables, every other model's instances in `cmdb_instance`. Associations use this to
check that an end exists, who may see it and what it is called.

Example:
    refs = await load_refs("host", [7, 8])
    refs[7].name, refs[7].business_id      # ("10.0.0.7", 3)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from opsgraph.models.cmdb_instances import Instance
from opsgraph.models.topology import Business, CloudArea, Host, Module, Set


@dataclass(frozen=True)
class InstanceRef:
    obj_id: str
    inst_id: int
    name: str
    business_id: int | None  # None: global (cloud areas, instances outside any business)


async def load_refs(obj_id: str, ids: Iterable[int]) -> dict[int, InstanceRef]:
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return {}
    if obj_id == "biz":
        rows = await Business.filter(id__in=wanted).values_list("id", "name", "id")
    elif obj_id == "set":
        rows = await Set.filter(id__in=wanted).values_list("id", "name", "business_id")
    elif obj_id == "module":
        rows = await Module.filter(id__in=wanted).values_list("id", "name", "business_id")
    elif obj_id == "host":
        rows = await Host.filter(id__in=wanted).values_list("id", "inner_ip", "business_id")
    elif obj_id == "plat":
        rows = [(pk, name, None) for pk, name in await CloudArea.filter(id__in=wanted).values_list("id", "name")]
    else:
        rows = await Instance.filter(object__obj_id=obj_id, id__in=wanted).values_list("id", "name", "business_id")
    return {int(pk): InstanceRef(obj_id, int(pk), str(name), business) for pk, name, business in rows}


async def load_many_refs(keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], InstanceRef]:
    """One query per model among `keys`."""
    by_model: dict[str, set[int]] = defaultdict(set)
    for obj_id, inst_id in keys:
        by_model[obj_id].add(inst_id)
    found: dict[tuple[str, int], InstanceRef] = {}
    for obj_id, ids in by_model.items():
        for inst_id, ref in (await load_refs(obj_id, ids)).items():
            found[(obj_id, inst_id)] = ref
    return found
