"""Mapping rules hold between concurrent requests: many links fired at once under a 1:1 or a 1:n
model association, through GraphQL and through the BlueKing REST path; exactly one wins, every
other one gets the documented refusal, and exactly one link is stored."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.cmdb.support import CREATE_ASSOCIATION, create_instances, new_classification, new_model, ok
from tests.compat.open_client import open_client
from tests.support.server import GraphQLClient, Server

RACERS = 8
LINK = """
mutation($asst: String!, $src: Int!, $dst: Int!) {
  linkInstances(input: {bkObjAsstId: $asst, bkInstId: $src, bkAsstInstId: $dst}) {
    association { bkId } errors { code field message }
  }
}"""
LINKS = """
query($asst: String!) { instanceAssociations(filter: {bkObjAsstId: $asst}) { bkId bkInstId bkAsstInstId } }"""


def _estate(
    gql: GraphQLClient, unique: str, mapping: str, sources: int, targets: int
) -> tuple[str, list[int], list[int]]:
    classification = new_classification(gql, unique)
    source_obj, target_obj = f"rsrc{unique}", f"rdst{unique}"
    new_model(gql, source_obj, classification)
    new_model(gql, target_obj, classification)
    variables = {"input": {"bkObjId": source_obj, "bkAsstId": "belong", "bkAsstObjId": target_obj, "mapping": mapping}}
    association = ok(gql, CREATE_ASSOCIATION, variables, "createObjectAssociation")["association"]["bkObjAsstId"]
    source_ids = [
        int(i["bkInstId"])
        for i in create_instances(gql, source_obj, *({"bk_inst_name": f"s{n}"} for n in range(sources)))
    ]
    target_ids = [
        int(i["bkInstId"])
        for i in create_instances(gql, target_obj, *({"bk_inst_name": f"t{n}"} for n in range(targets)))
    ]
    return str(association), source_ids, target_ids


async def _race(url: str, headers: dict[str, str], requests: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """POST every request at once (one connection each) and answer their JSON bodies in order."""
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=httpx.Limits(max_connections=RACERS)) as client:
        gate = asyncio.Event()

        async def fire(path: str, body: dict[str, Any]) -> Any:
            await gate.wait()
            response = await client.post(path, json=body, headers=headers)
            return response.json()

        tasks = [asyncio.create_task(fire(path, body)) for path, body in requests]
        await asyncio.sleep(0.05)
        gate.set()
        return await asyncio.gather(*tasks)


def _graphql_race(server: Server, gql: GraphQLClient, links: list[dict[str, Any]]) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {gql.token}"}
    requests = [("/graphql", {"query": LINK, "variables": link}) for link in links]
    answers = asyncio.run(_race(server.url, headers, requests))
    return [answer["data"]["linkInstances"] for answer in answers]


def _stored(gql: GraphQLClient, association: str) -> list[tuple[int, int]]:
    rows = gql.ok(LINKS, {"asst": association})["instanceAssociations"]
    return sorted((row["bkInstId"], row["bkAsstInstId"]) for row in rows)


def test_concurrent_one_to_one_links_let_exactly_one_win(server: Server, gql: GraphQLClient, unique: str) -> None:
    """One source linked to eight different targets at once: 1:1 allows the first only."""
    association, (source,), targets = _estate(gql, unique, "1:1", 1, RACERS)
    answers = _graphql_race(server, gql, [{"asst": association, "src": source, "dst": t} for t in targets])
    winners = [a for a in answers if a["errors"] == []]
    losers = [a["errors"] for a in answers if a["errors"] != []]
    assert len(winners) == 1, answers
    assert all([e["code"] for e in errors] == ["MAPPING_ONE_TO_ONE"] for errors in losers), losers
    assert len(_stored(gql, association)) == 1


def test_concurrent_one_to_many_links_give_a_target_one_source(server: Server, gql: GraphQLClient, unique: str) -> None:
    """Eight sources claiming one target at once: 1:n lets the target have one source."""
    association, sources, (target,) = _estate(gql, unique, "1:n", RACERS, 1)
    answers = _graphql_race(server, gql, [{"asst": association, "src": s, "dst": target} for s in sources])
    assert sum(a["errors"] == [] for a in answers) == 1, answers
    refusals = [[e["code"] for e in a["errors"]] for a in answers if a["errors"]]
    assert refusals == [["MAPPING_ONE_TO_MANY"]] * (RACERS - 1)
    (stored,) = _stored(gql, association)
    assert stored[1] == target


def test_concurrent_rest_links_answer_the_documented_code(server: Server, gql: GraphQLClient, unique: str) -> None:
    """The same race through cc/add_instance_association with the published client (one per
    thread, released together: bkapi-component-open): one `result: true`, the rest 1101052."""
    association, (source,), targets = _estate(gql, unique, "1:1", 1, RACERS)
    clients = [open_client(server.url) for _ in range(RACERS)]
    gate = threading.Barrier(RACERS)
    body = {"bk_obj_asst_id": association, "bk_inst_id": source}

    def fire(index: int) -> dict[str, Any]:
        gate.wait()
        answer: dict[str, Any] = clients[index].cc.add_instance_association(
            data={**body, "bk_asst_inst_id": targets[index]}
        )
        return answer

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(fire, range(RACERS)))
    assert sum(a["result"] is True for a in answers) == 1, answers
    assert sorted(a["code"] for a in answers if a["result"] is not True) == [1101052] * (RACERS - 1)
    assert len(_stored(gql, association)) == 1
