"""Service catalogs changed and deleted over GraphQL: renamed, re-keyed, moved with their subtree
(levels follow), refused when the move would loop or nest too deep; deletion refused while services
(even deleted ones kept for their tickets) or child catalogs use it; superusers only; audited; a
refusal changes nothing."""

from __future__ import annotations

from typing import Any

from tests.support.server import GraphQLClient
from tests.support.topology import mutate_ok, mutate_refused
from tests.tickets.support import (
    CREATE_CATALOG,
    CREATE_SERVICE,
    ERRORS,
    People,
    approval_flow,
    create_ticket,
)

UPDATE_CATALOG = f"""
mutation($input: UpdateServiceCatalogInput!) {{
  updateServiceCatalog(input: $input) {{ catalog {{ id key name desc level parentId }} {ERRORS} }}
}}"""
DELETE_CATALOG = f"""
mutation($c: ID!) {{ deleteServiceCatalog(input: {{catalogId: $c}}) {{ deletedId {ERRORS} }} }}"""
DELETE_SERVICE = f"mutation($s: ID!) {{ deleteService(input: {{serviceId: $s}}) {{ deletedId {ERRORS} }} }}"
MOVE_SERVICE = f"""
mutation($s: ID!, $c: ID!) {{
  updateService(input: {{serviceId: $s, catalogId: $c}}) {{ service {{ id }} {ERRORS} }}
}}"""
CATALOG = "query($id: ID!) { node(id: $id) { ... on ServiceCatalog { key name desc level parentId } } }"
AUDIT = """
query { operationLog(filter: {opTarget: "service_catalog"}, limit: 100) { items { opType instId } } }"""


def _catalog(gql: GraphQLClient, key: str, parent: str | None = None) -> dict[str, Any]:
    catalog: dict[str, Any] = mutate_ok(gql, CREATE_CATALOG, {"key": key, "name": key, "parent": parent})["catalog"]
    return catalog


def _read(gql: GraphQLClient, catalog: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = gql.ok(CATALOG, {"id": catalog["id"]})["node"]
    return found


def test_a_catalog_renamed_and_moved_with_its_subtree(gql: GraphQLClient, people: People, unique: str) -> None:
    root = _catalog(gql, f"r_{unique}")
    other = _catalog(gql, f"o_{unique}")
    child = _catalog(gql, f"ch_{unique}", root["id"])
    grandchild = _catalog(gql, f"gc_{unique}", child["id"])

    renamed = mutate_ok(
        gql,
        UPDATE_CATALOG,
        {"input": {"catalogId": child["id"], "name": "  运维服务 ", "desc": "ops", "key": f"ch2_{unique}"}},
    )["catalog"]
    assert (renamed["key"], renamed["name"], renamed["desc"]) == (f"ch2_{unique}", "运维服务", "ops")
    assert renamed["level"] == 1

    moved = mutate_ok(gql, UPDATE_CATALOG, {"input": {"catalogId": child["id"], "parentId": other["id"]}})["catalog"]
    assert (moved["parentId"], moved["level"]) == (other["catalogId"], 1)
    assert _read(gql, grandchild)["level"] == 2
    to_root = mutate_ok(gql, UPDATE_CATALOG, {"input": {"catalogId": child["id"], "parentId": None}})["catalog"]
    assert (to_root["parentId"], to_root["level"]) == (None, 0)
    assert _read(gql, grandchild)["level"] == 1

    # Refusals change nothing.
    before = _read(gql, child)
    mutate_refused(gql, UPDATE_CATALOG, {"input": {"catalogId": child["id"], "parentId": grandchild["id"]}}, "INVALID")
    mutate_refused(gql, UPDATE_CATALOG, {"input": {"catalogId": child["id"], "parentId": child["id"]}}, "INVALID")
    mutate_refused(gql, UPDATE_CATALOG, {"input": {"catalogId": child["id"], "key": "bad key!"}}, "INVALID")
    mutate_refused(gql, UPDATE_CATALOG, {"input": {"catalogId": child["id"], "name": "   "}}, "INVALID")
    mutate_refused(gql, UPDATE_CATALOG, {"input": {"catalogId": child["id"], "key": f"r_{unique}"}}, "DUPLICATE")
    chain = [child]
    for depth in range(4):  # under grandchild (level 1): levels 2 to 5
        chain.append(_catalog(gql, f"d{depth}_{unique}", chain[-1]["id"] if depth else grandchild["id"]))
    assert _read(gql, chain[-1])["level"] == 5  # the deepest level allowed
    move = {"input": {"catalogId": child["id"], "parentId": root["id"]}}
    too_deep = mutate_refused(gql, UPDATE_CATALOG, move, "INVALID")
    assert "levels" in too_deep["message"]
    assert _read(gql, child) == before

    someone = people.user(f"catuser{unique}")
    for document, variables in (
        (UPDATE_CATALOG, {"input": {"catalogId": root["id"], "name": "mine"}}),
        (DELETE_CATALOG, {"c": other["id"]}),
    ):
        denied = someone.execute(document, variables).errors
        assert [e["extensions"]["code"] for e in denied] == ["PERMISSION_DENIED"], denied
    assert _read(gql, other)["key"] == f"o_{unique}"
    missing = {"input": {"catalogId": "U2VydmljZUNhdGFsb2c6OTk5OTk5", "name": "x"}}  # ServiceCatalog:999999
    mutate_refused(gql, UPDATE_CATALOG, missing, "CATALOG_NOT_FOUND")
    assert _read(gql, root)["name"] == f"r_{unique}"


def test_a_catalog_in_use_is_not_deleted(gql: GraphQLClient, people: People, unique: str) -> None:
    parent = _catalog(gql, f"p_{unique}")
    used = _catalog(gql, f"u_{unique}", parent["id"])
    spare = _catalog(gql, f"s_{unique}")
    service = mutate_ok(gql, CREATE_SERVICE, {"c": used["id"], "name": f"svc {unique}", "w": approval_flow(["admin"])})[
        "service"
    ]
    create_ticket(gql, service, reason="keep me")

    children = mutate_refused(gql, DELETE_CATALOG, {"c": parent["id"]}, "CATALOG_IN_USE")
    assert "child catalog" in children["message"]
    in_use = mutate_refused(gql, DELETE_CATALOG, {"c": used["id"]}, "CATALOG_IN_USE")
    assert "1 service(s)" in in_use["message"]
    # A service with tickets is only disabled when deleted: it still files the catalog.
    mutate_ok(gql, DELETE_SERVICE, {"s": service["id"]})
    kept = mutate_refused(gql, DELETE_CATALOG, {"c": used["id"]}, "CATALOG_IN_USE")
    assert "1 deleted service(s)" in kept["message"]
    assert _read(gql, used)["key"] == f"u_{unique}"

    mutate_ok(gql, MOVE_SERVICE, {"s": service["id"], "c": spare["id"]})
    assert mutate_ok(gql, DELETE_CATALOG, {"c": used["id"]})["deletedId"] == used["id"]
    assert gql.ok(CATALOG, {"id": used["id"]})["node"] is None
    mutate_ok(gql, DELETE_CATALOG, {"c": parent["id"]})
    mutate_refused(gql, DELETE_CATALOG, {"c": parent["id"]}, "CATALOG_NOT_FOUND")

    audited = gql.ok(AUDIT)["operationLog"]["items"]
    assert {"opType": "delete", "instId": used["catalogId"]} in audited
    assert {"opType": "delete", "instId": parent["catalogId"]} in audited


def test_the_builtin_approval_catalog_is_kept(gql: GraphQLClient, unique: str) -> None:
    create_ticket(
        gql,
        {"id": None},
        _fastApproval=True,
        APPROVER="admin",
        APPROVAL_CONTENT=f"builtin {unique}",
    )
    catalogs = gql.ok("query { serviceCatalogs(first: 100) { nodes { id key } } }")["serviceCatalogs"]["nodes"]
    builtin = next(c for c in catalogs if c["key"] == "approve_service_catalog")
    mutate_refused(gql, UPDATE_CATALOG, {"input": {"catalogId": builtin["id"], "name": "mine"}}, "BUILTIN_CATALOG")
    mutate_refused(gql, DELETE_CATALOG, {"c": builtin["id"]}, "BUILTIN_CATALOG")
