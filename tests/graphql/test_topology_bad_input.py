"""Malformed ids and bad values: always a UserError, never an internal error, nothing changed.

Every refused mutation is checked twice: one `UserError` of the expected code, and a re-query
showing that nothing changed.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.graphql.topology_ops import (
    ADD_HOSTS,
    ASSIGN,
    CREATE_BUSINESS,
    CREATE_MODULE,
    CREATE_SET,
    DELETE_BUSINESS,
    DELETE_HOSTS,
    DELETE_MODULE,
    DELETE_SETS,
    EMPTY_TO_IDLE,
    SET_BUSINESS_ENABLED,
    TRANSFER,
    UPDATE_BUSINESS,
    UPDATE_HOSTS,
    UPDATE_MODULE,
    UPDATE_SET,
    business_count,
    business_state,
    host_state,
    hosts_with_ips,
)
from tests.support.server import GraphQLClient
from tests.support.topology import (
    Business,
    add_hosts,
    create_business,
    create_module,
    create_set,
    global_id,
    host_placements,
    mutate_ok,
    mutate_refused,
    resource_pool,
    run_mutation,
)

# --- malformed ids and bad values ----------------------------------------------------------------


def opaque(raw: str) -> str:
    """An id in the server's encoding whose content is `raw` (possibly not "Type:number")."""
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _id_probes(biz: Business, host: str, bad: Callable[[str], str]) -> list[tuple[str, dict[str, Any]]]:
    """One mutation per kind of id argument; `bad(type_name)` is the bad id given where a type_name id is due."""
    return [
        (DELETE_HOSTS, {"hostIds": [host, bad("Host")]}),
        (UPDATE_HOSTS, {"hostIds": [bad("Host")], "properties": {"hostName": "x"}}),
        (TRANSFER, {"businessId": biz.id, "hostIds": [host], "moduleIds": [bad("Module")], "append": False}),
        (TRANSFER, {"businessId": biz.id, "hostIds": [bad("Host")], "moduleIds": [biz.modules["m1"]], "append": False}),
        (UPDATE_SET, {"businessId": biz.id, "setId": bad("Set"), "description": "x"}),
        (DELETE_SETS, {"businessId": biz.id, "setIds": [bad("Set")]}),
        (UPDATE_MODULE, {"businessId": biz.id, "moduleId": bad("Module"), "operator": "x"}),
        (CREATE_SET, {"businessId": bad("Business"), "name": "never"}),
        (DELETE_BUSINESS, {"businessId": bad("Business")}),
        (ASSIGN, {"businessId": biz.id, "hostIds": [bad("Host")]}),
        (EMPTY_TO_IDLE, {"businessId": biz.id, "setId": bad("Set")}),
        (ADD_HOSTS, {"hosts": [{"innerIp": "192.0.2.1", "cloudAreaId": bad("CloudArea")}]}),
    ]


@pytest.mark.parametrize(
    "kind", ["garbage", "not base64", "no number", "not a number", "wrong type", "unknown", "deleted"]
)
def test_bad_ids_are_user_errors(
    gql: GraphQLClient, biz: Business, unique: str, ip_allocator: Iterator[str], kind: str
) -> None:
    """Unknown or malformed global ids answer INVALID / NOT_FOUND, never an internal error, and change nothing."""
    (host,) = add_hosts(gql, [next(ip_allocator)], biz)
    doomed = {
        "Host": add_hosts(gql, [next(ip_allocator)])[0],
        "Set": create_set(gql, biz, "doomed"),
        "Module": create_module(gql, biz, "s1", "doomed"),
        "Business": create_business(gql, f"doomed-{unique}").id,
    }
    mutate_ok(gql, DELETE_HOSTS, {"input": {"hostIds": [doomed["Host"]]}})
    mutate_ok(gql, DELETE_MODULE, {"input": {"businessId": biz.id, "moduleId": doomed["Module"]}})
    mutate_ok(gql, DELETE_SETS, {"input": {"businessId": biz.id, "setIds": [doomed["Set"]]}})
    mutate_ok(gql, DELETE_BUSINESS, {"input": {"businessId": doomed["Business"]}})
    # A real id of another type, e.g. a Set id where a Host id is expected.
    other_type = {"Host": biz.idle_set, "Set": biz.idle_module, "Module": host, "Business": biz.idle_set}
    other_type["CloudArea"] = biz.id
    makers: dict[str, Callable[[str], str]] = {
        "garbage": lambda _: "garbage",
        "not base64": lambda _: "!!!$$$",
        "no number": lambda t: opaque(f"{t}:"),
        "not a number": lambda t: opaque(f"{t}:abc"),
        "wrong type": lambda t: other_type[t],
        "unknown": lambda t: global_id(t, 987_654_321),
        "deleted": lambda t: doomed.get(t, global_id(t, 987_654_321)),
    }
    bad = makers[kind]
    before = business_state(gql, biz.id), host_placements(gql, [host])
    for document, variables in _id_probes(biz, host, bad):
        mutate_refused(gql, document, {"input": variables}, {"INVALID", "NOT_FOUND"})
    assert (business_state(gql, biz.id), host_placements(gql, [host])) == before

    response = gql.execute("query($id: ID!) { node(id: $id) { id } }", {"id": bad("Host")})
    if kind == "wrong type":  # node() takes an id of any type
        assert response.ok() == {"node": {"id": bad("Host")}}
    else:
        assert response.data == {"node": None}
        assert [e["extensions"]["code"] for e in response.errors] in ([], ["INVALID"])


@pytest.mark.parametrize("number", [2**31, 10**20], ids=["beyond-int32", "beyond-int64"])
def test_out_of_range_ids_are_user_errors(
    gql: GraphQLClient, biz: Business, ip_allocator: Iterator[str], number: int
) -> None:
    """A well-formed id whose number no row can have is NOT_FOUND (or INVALID), not an internal error."""
    (host,) = add_hosts(gql, [next(ip_allocator)], biz)
    before = business_state(gql, biz.id), host_placements(gql, [host])
    for type_name, (document, variables) in zip(
        ["Host", "Module", "Set", "Business"],
        [
            (DELETE_HOSTS, {"hostIds": [host, global_id("Host", number)]}),
            (UPDATE_MODULE, {"businessId": biz.id, "moduleId": global_id("Module", number), "operator": "x"}),
            (UPDATE_SET, {"businessId": biz.id, "setId": global_id("Set", number), "description": "x"}),
            (DELETE_BUSINESS, {"businessId": global_id("Business", number)}),
        ],
        strict=True,
    ):
        response = gql.execute(document, {"input": variables})
        assert not response.errors, f"{type_name}:{number} → {response.errors}"
        (payload,) = response.data.values()
        assert [e["code"] for e in payload["errors"]] in (["NOT_FOUND"], ["INVALID"]), payload
    assert (business_state(gql, biz.id), host_placements(gql, [host])) == before

    response = gql.execute("query($id: ID!) { node(id: $id) { id } }", {"id": global_id("Host", number)})
    assert [e["extensions"]["code"] for e in response.errors] in ([], ["INVALID"]), response.errors
    assert response.data == {"node": None}


def test_over_long_values_are_invalid(gql: GraphQLClient, unique: str, ip_allocator: Iterator[str]) -> None:
    """Values longer than their column answer INVALID on both backends and change nothing."""
    count = business_count(gql)
    response = gql.execute(CREATE_BUSINESS, {"input": {"name": f"long-{unique}-" + "x" * 300}})
    assert not response.errors, response.errors
    assert [e["code"] for e in response.data["createBusiness"]["errors"]] == ["INVALID"]
    assert business_count(gql) == count

    (host,) = add_hosts(gql, [next(ip_allocator)], osType="1")
    before = host_state(gql, host)
    response = gql.execute(UPDATE_HOSTS, {"input": {"hostIds": [host], "properties": {"osType": "x" * 50}}})
    assert not response.errors, response.errors
    assert [e["code"] for e in response.data["updateHosts"]["errors"]] == ["INVALID"]
    assert host_state(gql, host) == before


def test_each_payload_in_a_batched_request_shows_its_own_update(gql: GraphQLClient, biz: Business) -> None:
    """Mutations run in order; each payload reflects the state right after that mutation."""
    set_id, module_id = biz.sets["s1"], biz.modules["m1"]
    document = """
    mutation($b: ID!, $s: ID!, $m: ID!) {
      s1: updateSet(input: {businessId: $b, setId: $s, description: "one"}) { set { description } errors { code } }
      s2: updateSet(input: {businessId: $b, setId: $s, description: "two"}) { set { description } errors { code } }
      m1: updateModule(input: {businessId: $b, moduleId: $m, operator: "one"}) { module { operator } errors { code } }
      m2: updateModule(input: {businessId: $b, moduleId: $m, operator: "two"}) { module { operator } errors { code } }
    }"""
    data = gql.ok(document, {"b": biz.id, "s": set_id, "m": module_id})
    assert [data["s1"]["set"]["description"], data["s2"]["set"]["description"]] == ["one", "two"]
    assert [data["m1"]["module"]["operator"], data["m2"]["module"]["operator"]] == ["one", "two"]


def test_archived_business_cannot_receive_hosts(gql: GraphQLClient, unique: str, ip_allocator: Iterator[str]) -> None:
    """An archived business holds no hosts (archiving is refused while it has some), so none may arrive."""
    pool = resource_pool(gql)
    business = create_business(gql, f"archived-{unique}")
    mutate_ok(gql, SET_BUSINESS_ENABLED, {"input": {"businessId": business.id, "enabled": False}})
    pooled_ip, fresh_ip = next(ip_allocator), next(ip_allocator)
    (pooled,) = add_hosts(gql, [pooled_ip])

    assigned = run_mutation(gql, ASSIGN, {"input": {"businessId": business.id, "hostIds": [pooled]}})
    assert assigned["errors"], "hosts were assigned to an archived business"
    imported = run_mutation(gql, ADD_HOSTS, {"input": {"hosts": [{"innerIp": fresh_ip}], "businessId": business.id}})
    assert imported["errors"], "hosts were imported into an archived business"

    assert host_placements(gql, [pooled]) == {pooled: (pool.bk_biz_id, [pool.idle_module])}
    assert hosts_with_ips(gql, [fresh_ip]) == 0


def test_explicit_null_for_optional_properties_is_not_an_internal_error(
    gql: GraphQLClient, biz: Business, unique: str, ip_allocator: Iterator[str]
) -> None:
    """Optional input fields are nullable in the SDL: null must be taken as "not given" (or refused with
    INVALID, changing nothing), never answered with an internal error."""
    (host,) = add_hosts(gql, [next(ip_allocator)], biz)
    fresh_ip = next(ip_allocator)
    cases: list[tuple[str, dict[str, Any]]] = [
        (CREATE_BUSINESS, {"name": f"nulls-{unique}", "maintainer": None}),
        (UPDATE_BUSINESS, {"businessId": biz.id, "maintainer": None}),
        (CREATE_SET, {"businessId": biz.id, "name": "nulls", "setEnv": None}),
        (CREATE_MODULE, {"businessId": biz.id, "setId": biz.sets["s1"], "name": "nulls", "operator": None}),
        (ADD_HOSTS, {"hosts": [{"innerIp": fresh_ip, "outerIp": None}]}),
        (UPDATE_HOSTS, {"hostIds": [host], "properties": {"hostName": None}}),
    ]
    failures: list[tuple[dict[str, Any], list[str]]] = []
    for document, variables in cases:
        before = (
            business_count(gql),
            business_state(gql, biz.id),
            host_state(gql, host),
            hosts_with_ips(gql, [fresh_ip]),
        )
        response = gql.execute(document, {"input": variables})
        if response.errors:
            failures.append((variables, [e["extensions"]["code"] for e in response.errors]))
            continue
        (payload,) = response.data.values()
        codes = [e["code"] for e in payload["errors"]]
        assert codes in ([], ["INVALID"]), (variables, payload)
        if codes:
            after = (
                business_count(gql),
                business_state(gql, biz.id),
                host_state(gql, host),
                hosts_with_ips(gql, [fresh_ip]),
            )
            assert after == before, variables
    assert failures == []
