"""What the benchmark asks, in both dialects, and the same data re-shaped as plain dicts.

The search: hosts of half the business's sets (`bk_set_name $in …`) whose custom attribute `env`
is not `prod` (`$ne`, which also matches hosts without `env`), first page of 200 by bk_host_id.
"""

from __future__ import annotations

import json
from typing import Any

from bench.estate import Estate
from bench.process import ADMIN_USER, APP_CODE, APP_SECRET

TOPOLOGY_QUERY = """
query Topology($name: String!) {
  businesses(first: 1, filter: {name: $name}) { nodes { name sets(first: 50) { nodes { name
    modules(first: 50) { nodes { name hosts(first: 100) { nodes { bkHostId innerIp osType hostName } } } } } } } }
}"""
SEARCH_QUERY = """
query Search($input: SearchHostsInput!) {
  searchHosts(input: $input) { count items { bkHostId innerIp osType hostName } }
}"""
TRIVIAL_QUERY = "{ __typename }"
BK_SEARCH_HOST = "/api/c/compapi/v2/cc/search_host/"
# The stored operation the route runs (relative to the repository root); read, never imported.
BK_SEARCH_OPERATION = "opsgraph/compat_rest/bk/cc/host_search.graphql"
SEARCH_PAGE = 200
EXCLUDED_ENV = "prod"


def search_set_names(estate: Estate) -> list[str]:
    names = sorted({set_name for set_name, _, _ in estate.module_ids})
    return names[: max(len(names) // 2, 1)]


def graphql_search_input(estate: Estate) -> dict[str, Any]:
    set_condition = {"field": "bk_set_name", "operator": "$in", "value": search_set_names(estate)}
    host_condition = {"field": "env", "operator": "$ne", "value": EXCLUDED_ENV}
    return {
        "businessId": estate.business_id,
        "clauses": [
            {"object": "set", "conditions": [set_condition]},
            {"object": "host", "conditions": [host_condition]},
        ],
        "page": {"start": 0, "limit": SEARCH_PAGE},
    }


def bk_search_body(estate: Estate) -> dict[str, Any]:
    """The same search as a BlueKing `search_host` body (the legacy SDKs' shape)."""
    set_condition = {"field": "bk_set_name", "operator": "$in", "value": search_set_names(estate)}
    host_condition = {"field": "env", "operator": "$ne", "value": EXCLUDED_ENV}
    return {
        "bk_biz_id": estate.bk_biz_id,
        "condition": [
            {"bk_obj_id": "set", "fields": [], "condition": [set_condition]},
            {
                "bk_obj_id": "host",
                "fields": ["bk_host_id", "bk_host_innerip", "bk_os_type", "bk_host_name"],
                "condition": [host_condition],
            },
        ],
        "page": {"start": 0, "limit": SEARCH_PAGE, "sort": "bk_host_id"},
    }


def bk_headers() -> dict[str, str]:
    credentials = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": ADMIN_USER}
    return {"X-Bkapi-Authorization": json.dumps(credentials)}


def topology_tree(data: dict[str, Any]) -> list[dict[str, Any]]:
    """OpsGraph's own answer re-nested as plain child lists, so the baseline serves exactly it."""
    return [
        {
            "name": business["name"],
            "sets": [
                {
                    "name": set_["name"],
                    "modules": [
                        {"name": module["name"], "hosts": module["hosts"]["nodes"]}
                        for module in set_["modules"]["nodes"]
                    ],
                }
                for set_ in business["sets"]["nodes"]
            ],
        }
        for business in data["businesses"]["nodes"]
    ]


def host_count(tree: list[dict[str, Any]]) -> int:
    return sum(len(m["hosts"]) for b in tree for s in b["sets"] for m in s["modules"])


def search_rows(estate: Estate) -> list[dict[str, Any]]:
    """Every host of the search business as a dict, sorted by bk_host_id like the API's default."""
    return [
        {
            "bkHostId": h.bk_host_id,
            "innerIp": h.inner_ip,
            "osType": h.os_type,
            "hostName": h.host_name,
            "attributes": {} if h.env is None else {"env": h.env},
            "setName": h.set_name,
            "moduleName": h.module_name,
        }
        for h in sorted(estate.hosts, key=lambda h: h.bk_host_id)
    ]
