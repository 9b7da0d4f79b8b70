"""A strategy's target scope (`condition`): OR of AND lists of {field, method, value} over a
series' dimensions, where the topology fields (bk_set_id / cc_topo_set, bk_module_id /
cc_topo_module) are the sets and modules of the series' host."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from opsgraph.models.topology import HostModule, Module
from opsgraph.resolvers.monitoring.metric_query import SeriesRow, series_dims

SET_FIELDS = {"bk_set_id", "cc_topo_set"}
MODULE_FIELDS = {"bk_module_id", "cc_topo_module", "cc_app_module"}
HOST_FIELDS = {"bk_target_ip": "ip", "bk_target_cloud_id": "bk_cloud_id"}


def uses_topology(condition: list[list[dict[str, Any]]]) -> bool:
    return any(item["field"] in SET_FIELDS | MODULE_FIELDS for group in condition for item in group)


async def host_topology(business_id: int) -> dict[int, tuple[set[str], set[str]]]:
    """host id → (set ids, module ids) as text, for one business (two queries)."""
    modules = {m["id"]: m["set_id"] for m in await Module.filter(business_id=business_id).values("id", "set_id")}
    placement: dict[int, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for row in await HostModule.filter(module_id__in=list(modules)).values("host_id", "module_id"):
        sets, mods = placement[row["host_id"]]
        mods.add(str(row["module_id"]))
        sets.add(str(modules[row["module_id"]]))
    return placement


def _matches(method: str, actual: set[str], wanted: list[str]) -> bool:
    if method == "eq":
        return bool(actual & set(wanted))
    if method == "neq":
        return not actual & set(wanted)
    if method == "include":
        return any(w in a for a in actual for w in wanted)
    if method == "exclude":
        return not any(w in a for a in actual for w in wanted)
    if method == "reg":
        return any(re.search(w, a) for a in actual for w in wanted)
    try:
        numbers = [float(a) for a in actual]
        limit = float(wanted[0])
    except (ValueError, IndexError):
        return False
    compare: dict[str, Callable[[float], bool]] = {
        "gt": lambda x: x > limit,
        "gte": lambda x: x >= limit,
        "lt": lambda x: x < limit,
        "lte": lambda x: x <= limit,
    }
    return any(compare[method](x) for x in numbers)


def condition_predicate(
    condition: list[list[dict[str, Any]]], topology: dict[int, tuple[set[str], set[str]]] | None = None
) -> Callable[[SeriesRow], bool] | None:
    """None when the condition selects everything."""
    groups = [group for group in condition if group]
    if not groups:
        return None

    def keep(row: SeriesRow) -> bool:
        dims = series_dims(row)
        sets, modules = (topology or {}).get(row.get("host_id") or 0, (set(), set()))
        for group in groups:
            ok = True
            for item in group:
                name = HOST_FIELDS.get(item["field"], item["field"])
                if name in SET_FIELDS:
                    actual = sets
                elif name in MODULE_FIELDS:
                    actual = modules
                else:
                    actual = {dims[name]} if name in dims else set()
                if not _matches(item["method"], actual, item["value"]):
                    ok = False
                    break
            if ok:
                return True
        return False

    return keep
