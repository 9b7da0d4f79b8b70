"""Values a column could never hold, in the search conditions of GraphQL and of the BlueKing path:
a validation error naming the field, in the caller's dialect — not a masked INTERNAL, not a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.server import APP_CODE, APP_SECRET, GraphQLClient, Server

SEARCH_HOSTS = (
    'query($c: [ConditionInput!]!) { searchHosts(input: {clauses: [{object: "host", conditions: $c}]}) { count } }'
)
SEARCH_BUSINESSES = "query($e: JSON) { searchBusinesses(input: {equals: $e}) { count } }"


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"field": "bk_host_innerip", "operator": "$eq", "value": ["10.0.0.1"]}, "use $in for a list"),
        ({"field": "bk_host_name", "operator": "$ne", "value": ["a", "b"]}, "use $in for a list"),
        ({"field": "bk_host_name", "operator": "$eq", "value": "h" * 300}, "longer than"),
        ({"field": "bk_host_name", "operator": "$in", "value": ["h" * 300]}, "longer than"),
    ],
)
def test_search_hosts_refuses_values_no_column_holds(
    gql: GraphQLClient, condition: dict[str, Any], message: str
) -> None:
    response = gql.execute(SEARCH_HOSTS, {"c": [condition]})
    assert response.status == 200
    error = response.errors[0]
    assert error["extensions"]["code"] == "INVALID", error
    assert error["extensions"]["field"] == condition["field"]
    assert message in error["message"]


@pytest.mark.parametrize(
    ("equals", "message"), [({"bk_biz_name": ["a"]}, "use $in for a list"), ({"bk_biz_name": "b" * 300}, "longer than")]
)
def test_search_businesses_refuses_values_no_column_holds(
    gql: GraphQLClient, equals: dict[str, Any], message: str
) -> None:
    error = gql.execute(SEARCH_BUSINESSES, {"e": equals}).errors[0]
    assert error["extensions"]["code"] == "INVALID", error
    assert message in error["message"]


@pytest.mark.parametrize(
    ("api", "body"),
    [
        ("search_business", {"condition": {"bk_biz_name": "A" * 300}}),
        ("search_business", {"condition": {"bk_biz_name": ["A"]}}),
        (
            "search_host",
            {
                "condition": [
                    {
                        "bk_obj_id": "host",
                        "condition": [{"field": "bk_host_innerip", "operator": "$eq", "value": ["1.1.1.1"]}],
                    }
                ]
            },
        ),
    ],
)
def test_bk_search_refuses_them_in_its_envelope(server: Server, api: str, body: dict[str, Any]) -> None:
    credentials = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "admin"}
    response = httpx.post(f"{server.url}/api/c/compapi/v2/cc/{api}/", json={**credentials, **body}, timeout=30)
    assert response.status_code == 200  # bk clients raise on any status >= 400: the body says what went wrong
    envelope = response.json()
    assert envelope["result"] is False
    assert envelope["code"] == 1199006  # CCErrCommParamsInvalid
    assert "system busy" not in envelope["message"]
