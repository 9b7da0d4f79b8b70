"""Association kinds, model associations and instance links through GraphQL: each mapping rule
(1:1, 1:n, n:n), each on_delete rule, the refusals, links with hosts, and one query walking
host → switch → rack at a constant SQL count."""

from __future__ import annotations

from typing import Any

from tests.cmdb.support import (
    CREATE_ASSOCIATION,
    DELETE_INSTANCES,
    ERRORS,
    LINK,
    create_instances,
    new_classification,
    new_model,
    ok,
    payload,
    refused,
    user_client,
)
from tests.support.server import GraphQLClient, Server
from tests.support.topology import add_hosts, create_business

KIND = f"""mutation($input: AssociationKindInput!) {{
  createAssociationKind(input: $input) {{ kind {{ bkAsstId }} {ERRORS} }}
}}"""
DELETE_KIND = f"mutation($id: String!) {{ deleteAssociationKind(bkAsstId: $id) {{ ok {ERRORS} }} }}"
DELETE_ASSOCIATION = f"mutation($id: String!) {{ deleteObjectAssociation(bkObjAsstId: $id) {{ ok {ERRORS} }} }}"
UNLINK = f"mutation($id: Int!) {{ unlinkInstances(bkId: $id) {{ ok {ERRORS} }} }}"
ALIVE = "query($o: String!) { instances(objectId: $o, first: 50) { nodes { name } } }"


def _models(gql: GraphQLClient, unique: str, *names: str) -> list[str]:
    classification = new_classification(gql, unique)
    ids = []
    for name in names:
        obj = f"{name}{unique}"
        new_model(gql, obj, classification)
        ids.append(obj)
    return ids


def _associate(gql: GraphQLClient, source: str, kind: str, target: str, **extra: str) -> str:
    created = ok(
        gql,
        CREATE_ASSOCIATION,
        {"input": {"bkObjId": source, "bkAsstId": kind, "bkAsstObjId": target, **extra}},
        "createObjectAssociation",
    )
    return str(created["association"]["bkObjAsstId"])


def _link(gql: GraphQLClient, association: str, source: int, target: int) -> dict[str, Any]:
    return payload(gql.ok(LINK, {"asst": association, "src": source, "dst": target}), "linkInstances")


def _ids(gql: GraphQLClient, obj: str, *names: str) -> list[int]:
    created = create_instances(gql, obj, *({"bk_inst_name": n} for n in names))
    return [int(i["bkInstId"]) for i in created]


def test_association_kinds_and_model_association_refusals(gql: GraphQLClient, unique: str) -> None:
    a, b = _models(gql, unique, "a", "b")
    kind = f"k{unique}"
    ok(gql, KIND, {"input": {"bkAsstId": kind, "srcDes": "feeds", "destDes": "fed by"}}, "createAssociationKind")
    bad_direction = {"bkAsstId": f"x{unique}", "direction": "sideways"}
    assert refused(gql, KIND, {"input": bad_direction}, "createAssociationKind")["field"] == "direction"
    association = _associate(gql, a, kind, b, mapping="1:n")
    assert association == f"{a}_{kind}_{b}"
    assert refused(gql, DELETE_KIND, {"id": kind}, "deleteAssociationKind")["code"] == "ASSOCIATION_KIND_IN_USE"
    assert refused(gql, DELETE_KIND, {"id": "belong"}, "deleteAssociationKind")["code"] == "PRESET_ASSOCIATION_KIND"

    def refuse(**fields: str) -> str:
        base = {"bkObjId": a, "bkAsstId": "belong", "bkAsstObjId": b}
        return str(refused(gql, CREATE_ASSOCIATION, {"input": {**base, **fields}}, "createObjectAssociation")["code"])

    assert refuse(bkAsstId="bk_mainline") == "MAINLINE_ASSOCIATION"
    assert refuse(bkAsstId="no_such_kind") == "ASSOCIATION_KIND_NOT_FOUND"
    assert refuse(bkAsstObjId="no_such_model") == "MODEL_NOT_FOUND"
    assert refuse(mapping="2:n") == "INVALID"
    assert refuse(bkAsstId=kind) == "DUPLICATE"
    assert refused(gql, DELETE_ASSOCIATION, {"id": "host_bk_mainline_module"}, "deleteObjectAssociation")["code"] == (
        "PRESET_ASSOCIATION"
    )
    [x], [y] = _ids(gql, a, "x"), _ids(gql, b, "y")
    assert _link(gql, association, x, y)["errors"] == []
    error = refused(gql, DELETE_ASSOCIATION, {"id": association}, "deleteObjectAssociation")
    assert error["code"] == "ASSOCIATION_INSTANTIATED"
    mainline = _link(gql, "host_bk_mainline_module", 1, 1)["errors"][0]
    assert mainline["code"] == "MAINLINE_ASSOCIATION"


def test_each_mapping_rule_is_enforced(gql: GraphQLClient, unique: str) -> None:
    a, b = _models(gql, unique, "a", "b")
    one_one = _associate(gql, a, "belong", b, mapping="1:1")
    one_many = _associate(gql, a, "group", b, mapping="1:n")
    many = _associate(gql, a, "connect", b, mapping="n:n")
    a1, a2 = _ids(gql, a, "a1", "a2")
    b1, b2 = _ids(gql, b, "b1", "b2")

    assert _link(gql, one_one, a1, b1)["errors"] == []
    assert _link(gql, one_one, a1, b2)["errors"][0]["code"] == "MAPPING_ONE_TO_ONE"  # the source has its one
    assert _link(gql, one_one, a2, b1)["errors"][0]["code"] == "MAPPING_ONE_TO_ONE"  # the target has its one
    assert _link(gql, one_one, a2, b2)["errors"] == []

    assert _link(gql, one_many, a1, b1)["errors"] == []
    assert _link(gql, one_many, a1, b2)["errors"] == []  # one source, many targets
    assert _link(gql, one_many, a2, b1)["errors"][0]["code"] == "MAPPING_ONE_TO_MANY"  # b1 has its source

    for source in (a1, a2):
        for target in (b1, b2):
            assert _link(gql, many, source, target)["errors"] == []
    assert _link(gql, many, a1, b1)["errors"][0]["code"] == "DUPLICATE"

    missing = _link(gql, many, 2_000_000_000, b1)["errors"][0]
    assert missing["code"] == "SOURCE_INSTANCE_NOT_FOUND"
    assert _link(gql, many, a1, 2_000_000_000)["errors"][0]["code"] == "TARGET_INSTANCE_NOT_FOUND"


def test_each_on_delete_rule(gql: GraphQLClient, unique: str) -> None:
    rack, switch, cable = _models(gql, unique, "rack", "switch", "cable")
    holds = _associate(gql, switch, "belong", rack, onDelete="delete_src")  # switches go with their rack
    plugs = _associate(gql, switch, "connect", cable, onDelete="delete_dest")  # cables go with their switch
    kept = _associate(gql, cable, "default", rack, onDelete="none")
    [r1], [s1, s2], [c1, c2] = _ids(gql, rack, "r1"), _ids(gql, switch, "s1", "s2"), _ids(gql, cable, "c1", "c2")
    for s in (s1, s2):
        assert _link(gql, holds, s, r1)["errors"] == []
    assert _link(gql, plugs, s1, c1)["errors"] == []
    assert _link(gql, kept, c2, r1)["errors"] == []

    rack_row = gql.ok(ALIVE, {"o": rack})["instances"]["nodes"]
    assert [r["name"] for r in rack_row] == ["r1"]
    rack_id = gql.ok("query($o: String!) { instances(objectId: $o, first: 1) { nodes { id } } }", {"o": rack})
    node_id = rack_id["instances"]["nodes"][0]["id"]
    # c2 -default(none)-> r1 still exists: the cascade stops there and nothing is deleted.
    blocked = refused(gql, DELETE_INSTANCES, {"obj": rack, "ids": [node_id]}, "deleteInstances")
    assert blocked["code"] == "INSTANCE_HAS_ASSOCIATIONS"
    assert len(gql.ok(ALIVE, {"o": switch})["instances"]["nodes"]) == 2

    links = gql.ok("query($a: String) { instanceAssociations(filter: {bkObjAsstId: $a}) { bkId } }", {"a": kept})
    ok(gql, UNLINK, {"id": links["instanceAssociations"][0]["bkId"]}, "unlinkInstances")
    deleted = ok(gql, DELETE_INSTANCES, {"obj": rack, "ids": [node_id]}, "deleteInstances")
    assert deleted["deletedIds"] == [node_id]
    assert gql.ok(ALIVE, {"o": rack})["instances"]["nodes"] == []
    assert gql.ok(ALIVE, {"o": switch})["instances"]["nodes"] == []  # delete_src: both switches followed the rack
    assert [c["name"] for c in gql.ok(ALIVE, {"o": cable})["instances"]["nodes"]] == ["c2"]  # delete_dest took c1


WALK = """query($b: ID!) { hosts(first: 100, filter: {businessId: $b}) { nodes {
  innerIp associations { direction node { bkObjId ... on Instance { name
    associations(direction: OUTGOING) { node { bkObjId ... on Instance { name } } } } } }
} } }"""


def _walk_estate(gql: GraphQLClient, unique: str, hosts: int, ips: list[str]) -> tuple[str, str, str]:
    switch, rack = _models(gql, unique, "switch", "rack")
    host_switch = _associate(gql, "host", "connect", switch, mapping="n:n")
    switch_rack = _associate(gql, switch, "belong", rack, mapping="n:n")
    business = create_business(gql, f"walk-{unique}")
    host_ids = add_hosts(gql, ips[:hosts], business)
    [rack_id] = _ids(gql, rack, "rack-1")
    switch_ids = _ids(gql, switch, *(f"sw-{i}" for i in range(hosts)))
    numbers = gql.ok(
        "query($b: ID!) { hosts(first: 100, filter: {businessId: $b}) { nodes { bkHostId } } }", {"b": business.id}
    )
    for host, switch_id in zip([h["bkHostId"] for h in numbers["hosts"]["nodes"]], switch_ids, strict=True):
        assert _link(gql, host_switch, host, switch_id)["errors"] == []
        assert _link(gql, switch_rack, switch_id, rack_id)["errors"] == []
    assert len(host_ids) == hosts
    return business.id, switch, rack


def test_one_query_walks_host_switch_rack_at_a_constant_sql_count(
    server: Server, gql: GraphQLClient, unique: str, ip_allocator: Any
) -> None:
    ips = [next(ip_allocator) for _ in range(32)]
    small, _, _ = _walk_estate(gql, f"{unique}s", 2, ips[:2])
    big, _, _ = _walk_estate(gql, f"{unique}b", 30, ips[2:])
    counts = []
    for business in (small, big):
        response = gql.execute(WALK, {"b": business})
        hosts = response.ok()["hosts"]["nodes"]
        for host in hosts:
            [edge] = host["associations"]
            assert edge["direction"] == "OUTGOING"
            [rack_edge] = edge["node"]["associations"]
            assert rack_edge["node"]["bkObjId"].startswith("rack")
        counts.append(response.sql_count)
    assert counts[0] == counts[1], counts
    assert counts[1] is not None
    assert counts[1] <= 14


def test_links_show_only_what_the_caller_may_see(
    server: Server, gql: GraphQLClient, unique: str, ip_allocator: Any
) -> None:
    [switch] = _models(gql, unique, "sw")
    association = _associate(gql, "host", "connect", switch)
    mine, theirs = create_business(gql, f"lk-mine-{unique}"), create_business(gql, f"lk-theirs-{unique}")
    add_hosts(gql, [next(ip_allocator)], mine)
    add_hosts(gql, [next(ip_allocator)], theirs)
    hosts = {}
    for business in (mine, theirs):
        rows = gql.ok(
            "query($b: ID!) { hosts(first: 5, filter: {businessId: $b}) { nodes { bkHostId } } }", {"b": business.id}
        )
        hosts[business.id] = rows["hosts"]["nodes"][0]["bkHostId"]
    [sw] = _ids(gql, switch, "core")
    for host in hosts.values():
        assert _link(gql, association, host, sw)["errors"] == []
    viewer = user_client(server, f"lkv{unique}", business=mine.bk_biz_id, role="viewer")
    seen = viewer.ok(
        "query($a: String) { instanceAssociations(filter: {bkObjAsstId: $a}) { bkInstId } }", {"a": association}
    )
    assert [row["bkInstId"] for row in seen["instanceAssociations"]] == [hosts[mine.id]]
    operator = user_client(server, f"lko{unique}", business=mine.bk_biz_id, role="operator")
    foreign = payload(operator.ok(LINK, {"asst": association, "src": hosts[theirs.id], "dst": sw}), "linkInstances")
    assert foreign["errors"][0]["code"] == "SOURCE_INSTANCE_NOT_FOUND"  # not "forbidden": it does not exist for them
