"""GraphQL host items → the bk-cmdb host row `{host: {…}, biz: […], set: […], module: […]}`.

The stored operation (`host_search.graphql`, shared by search_host and find_host_by_module) selects,
per host, `properties`, `cloudArea {bkCloudId name}` and the `properties` of its business, sets and
modules. This module shapes one item the way the doc's examples show it:

- `host.bk_cloud_id` is not the id but a list of `plat` instance references, exactly as in the
  search_host and find_host_by_module response examples:
  `[{"bk_obj_name": "", "id": "0", "bk_obj_id": "plat", "bk_obj_icon": "", "bk_inst_id": 0,
  "bk_inst_name": "default area"}]` (`id` is the id as text there, `bk_inst_id` the int);
- biz/set/module rows carry `bk_supplier_account` (always "0": one supplier per estate);
- find_host_by_module's rows also carry `TopSetName` (`biz##set`) and `TopModuleName`
  (`biz##set##module`), which its example shows and search_host's does not;
- each object's `fields` list selects its columns (empty = all), applied after the above, so
  `fields: ["bk_cloud_id"]` yields the reference list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opsgraph.compat_rest.bk.cc.properties import select_fields

SUPPLIER_ACCOUNT = "0"
HOST_ROW_OBJECTS = ("host", "biz", "set", "module")

FieldSelection = Mapping[str, list[str]]


def plat_reference(cloud_area: Mapping[str, Any]) -> list[dict[str, Any]]:
    cloud_id = int(cloud_area["bkCloudId"])
    return [
        {
            "bk_obj_name": "",
            "id": str(cloud_id),
            "bk_obj_id": "plat",
            "bk_obj_icon": "",
            "bk_inst_id": cloud_id,
            "bk_inst_name": cloud_area["name"],
        }
    ]


def host_row(item: Mapping[str, Any], fields: FieldSelection, *, top_names: bool = False) -> dict[str, Any]:
    """One bk row from one GraphQL host item (see the module docstring)."""
    host = {**item["properties"], "bk_cloud_id": plat_reference(item["cloudArea"])}
    business = {**item["business"]["properties"], "bk_supplier_account": SUPPLIER_ACCOUNT}
    sets = [{**s["properties"], "bk_supplier_account": SUPPLIER_ACCOUNT} for s in item["sets"]]
    modules = [{**m["properties"], "bk_supplier_account": SUPPLIER_ACCOUNT} for m in item["modules"]]
    if top_names:
        biz_name = business.get("bk_biz_name", "")
        set_names = {s["bk_set_id"]: s.get("bk_set_name", "") for s in sets}
        for set_row in sets:
            set_row["TopSetName"] = f"{biz_name}##{set_row.get('bk_set_name', '')}"
        for module_row in modules:
            set_name = set_names.get(module_row.get("bk_set_id"), "")
            module_row["TopModuleName"] = f"{biz_name}##{set_name}##{module_row.get('bk_module_name', '')}"
    return {
        "host": select_fields(host, fields.get("host")),
        "biz": [select_fields(business, fields.get("biz"))],
        "set": [select_fields(s, fields.get("set")) for s in sets],
        "module": [select_fields(m, fields.get("module")) for m in modules],
    }


def host_rows(
    result: Mapping[str, Any], fields: FieldSelection | None = None, *, top_names: bool = False
) -> dict[str, Any]:
    """A `{count, items}` search result as the bk `{count, info}` page."""
    selection = fields or {}
    return {
        "count": result["count"],
        "info": [host_row(item, selection, top_names=top_names) for item in result["items"]],
    }
