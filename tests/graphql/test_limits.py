"""Request limits: depth, aliases, tokens, cost, page sizes, cursors, and what bad documents get back.

Every refusal is a GraphQL error with a machine code, no data, and never a stack trace.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.server import GraphQLClient
from tests.support.topology import ADD_HOSTS, create_business

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 4000
MAX_PAGE = 500
MAX_HOSTS_PER_IMPORT = 2000
MAX_FUZZY_SEARCH_IPS = 100
MAX_SEARCH_IPS = 2000
LIMIT_CODES = {"GRAPHQL_VALIDATION", "LIMIT_EXCEEDED"}


@dataclass
class RawResponse:
    status: int
    text: str
    body: dict[str, Any]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.body.get("errors") or [])


def post(gql: GraphQLClient, query: str, variables: dict[str, Any] | None = None) -> RawResponse:
    """POST as a front-end does, keeping the raw body to look for leaked internals."""
    response = gql.http.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {gql.token}"},
    )
    return RawResponse(response.status_code, response.text, response.json())


def refused(response: RawResponse) -> dict[str, Any]:
    """The response is a clean refusal: errors, no data, no internals, never a 5xx. Returns the first error."""
    assert response.status < 500, response.text
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    assert response.errors, response.text
    assert response.body.get("data") is None, response.text
    return response.errors[0]


# ── depth ────────────────────────────────────────────────────────────────────────────────────────

_CYCLE = ["sets(first: 1)", "nodes", "modules(first: 1)", "nodes", "hosts(first: 1)", "nodes", "business"]


def nested(levels: int) -> str:
    """businesses → nodes → sets → nodes → modules → nodes → hosts → nodes → business → sets → … (`levels` deep)."""
    fields = ["businesses(first: 1)", "nodes"] + [_CYCLE[i % len(_CYCLE)] for i in range(levels - 2)]
    inner = "__typename"
    for field_text in reversed(fields):
        inner = f"{field_text} {{ {inner} }}"
    return "{ " + inner + " }"


def test_query_at_the_depth_limit_runs(gql: GraphQLClient) -> None:
    response = post(gql, nested(MAX_DEPTH))
    assert response.errors == [], response.text
    assert "businesses" in response.body["data"]


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 40])
def test_query_deeper_than_the_limit_is_refused(gql: GraphQLClient, levels: int) -> None:
    error = refused(post(gql, nested(levels)))
    assert "depth" in error["message"]
    assert error["extensions"]["code"] in LIMIT_CODES


def test_depth_limit_counts_fragments(gql: GraphQLClient) -> None:
    query = "query { ...Deep } fragment Deep on Query " + nested(MAX_DEPTH + 1)
    error = refused(post(gql, query))
    assert "depth" in error["message"]


# ── aliases ──────────────────────────────────────────────────────────────────────────────────────


def aliased(count: int) -> str:
    return "{ " + " ".join(f"a{i}: me {{ username }}" for i in range(count)) + " }"


def test_aliases_up_to_the_limit_run(gql: GraphQLClient) -> None:
    response = post(gql, aliased(MAX_ALIASES))
    assert response.errors == [], response.text
    assert len(response.body["data"]) == MAX_ALIASES


def test_too_many_aliases_are_refused(gql: GraphQLClient) -> None:
    error = refused(post(gql, aliased(MAX_ALIASES + 1)))
    assert "aliases" in error["message"]
    assert error["extensions"]["code"] in LIMIT_CODES


# ── tokens ───────────────────────────────────────────────────────────────────────────────────────


def many_tokens(count: int) -> str:
    """A valid document of exactly `count` tokens: a host filter with a long list of IPs."""
    frame = "{ hosts ( first : 1 , filter : { innerIps : [ ] } ) { totalCount } }"
    # Commas are insignificant; every other punctuator, name and value is one token.
    frame_tokens = 19
    ips = " ".join(f'"192.0.2.{i % 250}"' for i in range(count - frame_tokens))
    return frame.replace("[ ]", f"[ {ips} ]")


def test_document_under_the_token_limit_runs(gql: GraphQLClient) -> None:
    response = post(gql, many_tokens(MAX_TOKENS))
    assert response.errors == [], response.text[:500]
    assert response.body["data"]["hosts"]["totalCount"] == 0


def test_document_over_the_token_limit_is_refused(gql: GraphQLClient) -> None:
    error = refused(post(gql, many_tokens(MAX_TOKENS + 1)))
    assert "tokens" in error["message"]
    assert (error.get("extensions") or {}).get("code") in LIMIT_CODES, error


# The cost limit has its own server and estate: test_query_cost.py.


# ── page sizes and cursors ───────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(f"{{ businesses(first: {MAX_PAGE + 1}) {{ nodes {{ name }} }} }}", id="root"),
        pytest.param(f"{{ hosts(first: {MAX_PAGE + 1}) {{ nodes {{ innerIp }} }} }}", id="hosts"),
        pytest.param(
            f"{{ businesses(first: 1) {{ nodes {{ sets(first: {MAX_PAGE + 1}) {{ nodes {{ name }} }} }} }} }}",
            id="nested",
        ),
    ],
)
def test_first_over_the_maximum_is_refused(gql: GraphQLClient, query: str) -> None:
    error = refused(post(gql, query))
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert error["extensions"].get("field") == "first"


def test_first_at_the_maximum_runs(gql: GraphQLClient) -> None:
    response = post(gql, f"{{ businesses(first: {MAX_PAGE}) {{ nodes {{ name }} }} }}")
    assert response.errors == [], response.text
    assert 1 <= len(response.body["data"]["businesses"]["nodes"]) <= MAX_PAGE


@pytest.mark.parametrize("first", [0, -1])
def test_first_below_one_is_refused(gql: GraphQLClient, first: int) -> None:
    error = refused(post(gql, f"{{ businesses(first: {first}) {{ nodes {{ name }} }} }}"))
    assert error["extensions"]["code"] == "INVALID"
    assert error["extensions"].get("field") == "first"


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("not a cursor!", id="garbage"),
        pytest.param(base64.urlsafe_b64encode(b"offset:10").decode(), id="foreign-base64"),
        pytest.param(base64.urlsafe_b64encode(b"k:ten").decode(), id="non-numeric"),
        pytest.param("", id="empty"),
    ],
)
def test_malformed_after_cursor_is_refused(gql: GraphQLClient, cursor: str) -> None:
    query = "query($after: String) { businesses(first: 2, after: $after) { nodes { name } } }"
    error = refused(post(gql, query, {"after": cursor}))
    assert error["extensions"]["code"] == "INVALID"
    assert error["extensions"].get("field") == "after"


def test_a_returned_cursor_pages_on(gql: GraphQLClient, unique: str) -> None:
    """The control for the cursor cases above: a cursor the server issued is accepted."""
    first_id = create_business(gql, f"cursor-{unique}-a").bk_biz_id
    second_id = create_business(gql, f"cursor-{unique}-b").bk_biz_id
    query = """query($after: String, $name: String!) {
      businesses(first: 1, after: $after, filter: {nameContains: $name}) {
        pageInfo { hasNextPage endCursor } nodes { bkBizId }
      }
    }"""
    first = post(gql, query, {"name": f"cursor-{unique}-"})
    assert first.errors == [], first.text
    page = first.body["data"]["businesses"]
    assert page["nodes"] == [{"bkBizId": first_id}]
    assert page["pageInfo"]["hasNextPage"] is True
    second = post(gql, query, {"name": f"cursor-{unique}-", "after": page["pageInfo"]["endCursor"]})
    assert second.errors == [], second.text
    assert second.body["data"]["businesses"]["nodes"] == [{"bkBizId": second_id}]
    assert second.body["data"]["businesses"]["pageInfo"]["hasNextPage"] is False


# ── bad documents ────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("{ me { ", id="unterminated"),
        pytest.param("{ me { username } } }", id="extra-brace"),
        pytest.param("query { me(: 1) { username } }", id="bad-argument"),
    ],
)
def test_syntax_error_is_a_validation_error(gql: GraphQLClient, query: str) -> None:
    response = post(gql, query)
    assert response.status in (200, 400), response.status
    error = refused(response)
    assert "Syntax Error" in error["message"]
    assert (error.get("extensions") or {}).get("code") == "GRAPHQL_VALIDATION", error


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("{ me { nope } }", id="unknown-field"),
        pytest.param("{ nope }", id="unknown-root-field"),
        pytest.param("{ businesses { nodes { name } } }", id="missing-required-argument"),
        pytest.param('{ businesses(first: "ten") { nodes { name } } }', id="wrong-argument-type"),
    ],
)
def test_invalid_document_is_a_validation_error(gql: GraphQLClient, query: str) -> None:
    error = refused(post(gql, query))
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION"


def test_wrong_variable_type_is_a_validation_error(gql: GraphQLClient) -> None:
    error = refused(post(gql, "query($n: Int!) { businesses(first: $n) { nodes { name } } }", {"n": "many"}))
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION"


# ── host import size ─────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def import_target(gql: GraphQLClient, unique: str) -> str:
    return create_business(gql, f"limits-import-{unique}").id


def _ips(ip_allocator: Iterator[str], count: int) -> list[dict[str, str]]:
    return [{"innerIp": next(ip_allocator)} for _ in range(count)]


def test_host_import_accepts_the_documented_batch_size(
    gql: GraphQLClient, ip_allocator: Iterator[str], import_target: str
) -> None:
    """`addHostsToResourcePool` takes up to 2,000 hosts per call (MAX_HOSTS_PER_CALL)."""
    hosts = _ips(ip_allocator, MAX_HOSTS_PER_IMPORT)
    response = post(gql, ADD_HOSTS, {"hosts": hosts, "b": import_target})
    assert "Traceback" not in response.text
    assert response.errors == [], response.text[:500]
    payload = response.body["data"]["addHostsToResourcePool"]
    assert payload["errors"] == []
    assert [h["innerIp"] for h in payload["hosts"]] == [h["innerIp"] for h in hosts]


def test_host_import_over_the_batch_size_is_refused(
    gql: GraphQLClient, ip_allocator: Iterator[str], import_target: str
) -> None:
    hosts = _ips(ip_allocator, MAX_HOSTS_PER_IMPORT + 1)
    response = post(gql, ADD_HOSTS, {"hosts": hosts, "b": import_target})
    assert response.errors == [], response.text[:500]
    payload = response.body["data"]["addHostsToResourcePool"]
    assert payload["hosts"] == []
    assert payload["errors"][0]["code"] == "INVALID"
    count = post(
        gql, "query($b: ID!) { hosts(first: 1, filter: {businessId: $b}) { totalCount } }", {"b": import_target}
    )
    assert count.body["data"]["hosts"]["totalCount"] == 0


SEARCH_BY_IP = """
query($ips: [String!]!, $exact: Boolean!) {
  searchHosts(input: {ip: {ips: $ips, exact: $exact}, page: {limit: 1}}) { count }
}"""


@pytest.mark.parametrize(
    ("exact", "limit"), [(True, MAX_SEARCH_IPS), (False, MAX_FUZZY_SEARCH_IPS)], ids=["exact", "contains"]
)
def test_search_hosts_accepts_the_documented_ip_count(gql: GraphQLClient, exact: bool, limit: int) -> None:
    """`searchHosts` takes up to 2,000 IPs matched exactly, or 100 matched as substrings."""
    ips = [f"198.51.{i // 250}.{i % 250 + 1}" for i in range(limit)]
    response = post(gql, SEARCH_BY_IP, {"ips": ips, "exact": exact})
    assert response.errors == [], response.text[:500]
    assert response.body["data"]["searchHosts"]["count"] == 0


def test_fuzzy_search_over_its_ip_count_is_refused(gql: GraphQLClient) -> None:
    ips = [f"198.51.{i // 250}.{i % 250 + 1}" for i in range(MAX_FUZZY_SEARCH_IPS + 1)]
    error = refused(post(gql, SEARCH_BY_IP, {"ips": ips, "exact": False}))
    assert error["extensions"]["code"] == "INVALID"


def test_search_hosts_over_the_ip_count_is_refused(gql: GraphQLClient) -> None:
    ips = [f"198.51.{i // 250}.{i % 250 + 1}" for i in range(MAX_SEARCH_IPS + 1)]
    error = refused(post(gql, SEARCH_BY_IP, {"ips": ips, "exact": True}))
    assert error["extensions"]["code"] == "INVALID"
