"""GraphQL documents and helpers for the dynamic group tests."""

from __future__ import annotations

import json
from typing import Any

from tests.support.server import GraphQLClient

ERRORS = "errors { code field message }"
CREATE_GROUP = f"""
mutation($input: CreateDynamicGroupInput!) {{
  createDynamicGroup(input: $input) {{ group {{ id bkId bkBizId name info createUser business {{ name }} }} {ERRORS} }}
}}"""
UPDATE_GROUP = f"""
mutation($input: UpdateDynamicGroupInput!) {{
  updateDynamicGroup(input: $input) {{ group {{ id bkId name info modifyUser }} {ERRORS} }}
}}"""
DELETE_GROUP = f"""
mutation($input: DeleteDynamicGroupInput!) {{ deleteDynamicGroup(input: $input) {{ deletedId {ERRORS} }} }}"""
GROUP_HOSTS = """
query($b: Int!, $g: String!, $page: OffsetPageInput) {
  dynamicGroupHosts(bkBizId: $b, bkId: $g, page: $page) {
    count items { innerIp hostName business { name } modules { name } sets { name } }
  }
}"""
GROUPS = """
query($b: Int!, $filter: DynamicGroupFilter, $page: OffsetPageInput) {
  dynamicGroups(bkBizId: $b, filter: $filter, page: $page) { count items { id bkId name } }
}"""


def body(*clauses: tuple[str, list[tuple[str, str, Any]]], **extra: Any) -> str:
    """A search_host body: clauses of (bk_obj_id, [(field, operator, value)])."""
    condition = [
        {"bk_obj_id": obj, "fields": [], "condition": [{"field": f, "operator": o, "value": v} for f, o, v in conds]}
        for obj, conds in clauses
    ]
    return json.dumps({"condition": condition, **extra})


def create_group(gql: GraphQLClient, business_id: str, name: str, info: str) -> dict[str, Any]:
    payload = gql.ok(CREATE_GROUP, {"input": {"businessId": business_id, "name": name, "info": info}})
    result = payload["createDynamicGroup"]
    assert result["errors"] == [], result["errors"]
    group: dict[str, Any] = result["group"]
    return group


def group_ips(gql: GraphQLClient, biz: int, bk_id: str, limit: int = 200) -> list[str]:
    found = gql.ok(GROUP_HOSTS, {"b": biz, "g": bk_id, "page": {"start": 0, "limit": limit}})
    return sorted(item["innerIp"] for item in found["dynamicGroupHosts"]["items"])
