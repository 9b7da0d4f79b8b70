"""Steps that are claimed or distributed before they are processed (bk-itsm distribute_type): a
CLAIM_THEN_PROCESS step is RECEIVING (action_type CLAIM) until one of its candidates claims it; a
DISTRIBUTE_THEN_PROCESS step is DISTRIBUTING (action_type DISTRIBUTE) until an assignor names its
processors — over GraphQL and bk-itsm's get_ticket_status / operate_node with the published
client. Anything else on such a step is refused and changes nothing; bad settings are refused on
save."""

from __future__ import annotations

from typing import Any

from tests.compat.test_itsm_tickets import NOT_ALLOWED, itsm_client, ok, refused
from tests.support.server import GraphQLClient, Server
from tests.support.topology import mutate_ok, mutate_refused, run_mutation
from tests.tickets.support import (
    CREATE_CATALOG,
    CREATE_SERVICE,
    OPERATE_NODE,
    People,
    create_ticket,
    new_service,
    read_ticket,
)


def _flow(candidates: list[str]) -> dict[str, Any]:
    return {
        "fields": [],
        "states": [
            {"id": 1, "type": "START"},
            {
                "id": 2,
                "type": "NORMAL",
                "name": "pick up",
                "processors_type": "PERSON",
                "processors": candidates,
                "distribute_type": "CLAIM_THEN_PROCESS",
            },
            {
                "id": 3,
                "type": "NORMAL",
                "name": "do it",
                "processors_type": "PERSON",
                "distribute_type": "DISTRIBUTE_THEN_PROCESS",
                "assignors_type": "STARTER",
            },
            {"id": 9, "type": "END"},
        ],
        "transitions": [{"from": 1, "to": 2}, {"from": 2, "to": 3}, {"from": 3, "to": 9}],
    }


def _operate(client: GraphQLClient, ticket: dict[str, Any], state_id: int, action: str, **extra: Any) -> dict[str, Any]:
    variables = {"input": {"ticketId": ticket["id"], "stateId": state_id, "action": action, **extra}}
    payload: dict[str, Any] = run_mutation(client, OPERATE_NODE, variables)
    return payload


def _step(ticket: dict[str, Any] | None) -> dict[str, Any]:
    assert ticket is not None
    (step,) = ticket["currentSteps"]
    result: dict[str, Any] = step
    return result


def test_claimed_then_distributed_then_processed(
    server: Server, gql: GraphQLClient, people: People, unique: str
) -> None:
    alice, bob, carol = (f"{n}{unique}" for n in ("cla", "clb", "clc"))
    as_alice, as_bob, as_carol = people.user(alice), people.user(bob), people.user(carol)
    service = new_service(gql, f"claim{unique}", _flow([alice, bob]))
    ticket = create_ticket(as_carol, service)
    step = _step(ticket)
    assert (step["stateId"], step["status"], step["processors"]) == (2, "RECEIVING", [alice, bob])
    assert step["operations"] == ["CLAIM", "TERMINATE"]
    status = ok(itsm_client(server, alice).itsm.get_ticket_status(params={"sn": ticket["sn"]}))
    (current,) = status["current_steps"]
    assert (current["status"], current["action_type"], current["processors"]) == (
        "RECEIVING",
        "CLAIM",
        f"{alice},{bob}",
    )
    assert [o["key"] for o in current["operations"]] == ["CLAIM", "TERMINATE"]

    # Not claimed yet: no processing; only a candidate claims it.
    early = _operate(as_alice, ticket, 2, "TRANSITION", fields=[])
    assert [e["code"] for e in early["errors"]] == ["STEP_RECEIVING"], early
    assert "CLAIM it before TRANSITION" in early["errors"][0]["message"]
    assert _operate(as_carol, ticket, 2, "CLAIM")["errors"][0]["code"] == "NOT_PROCESSOR"
    assert _step(read_ticket(as_alice, ticket))["status"] == "RECEIVING"
    claimed = _operate(as_bob, ticket, 2, "CLAIM")
    assert claimed["errors"] == []
    step = _step(claimed["ticket"])
    assert (step["status"], step["processors"], step["operations"][0]) == ("RUNNING", [bob], "TRANSITION")
    assert _operate(as_alice, ticket, 2, "TRANSITION", fields=[])["errors"][0]["code"] == "NOT_PROCESSOR"

    done = _operate(as_bob, ticket, 2, "TRANSITION", fields=[])
    assert done["errors"] == []
    step = _step(done["ticket"])
    assert (step["stateId"], step["status"], step["processors"]) == (3, "DISTRIBUTING", [carol])  # the starter
    as_carol_bk = itsm_client(server, carol)
    status = ok(as_carol_bk.itsm.get_ticket_status(params={"sn": ticket["sn"]}))
    (current,) = status["current_steps"]
    assert (current["status"], current["action_type"]) == ("DISTRIBUTING", "DISTRIBUTE")
    answer = [{"key": "title", "value": "x"}]
    early_bk = {"sn": ticket["sn"], "state_id": 3, "action_type": "TRANSITION", "fields": answer, "operator": carol}
    assert "DISTRIBUTE it before" in refused(as_carol_bk.itsm.operate_node(data=early_bk), NOT_ALLOWED)
    distribute = {
        "sn": ticket["sn"],
        "state_id": 3,
        "action_type": "DISTRIBUTE",
        "processors_type": "PERSON",
        "processors": alice,
        "operator": carol,
    }
    assert ok(as_carol_bk.itsm.operate_node(data=distribute)) == []
    step = _step(read_ticket(as_alice, ticket))
    assert (step["status"], step["processors"]) == ("RUNNING", [alice])
    finished = _operate(as_alice, ticket, 3, "TRANSITION", fields=[])
    assert finished["errors"] == []
    assert (finished["ticket"]["status"], finished["ticket"]["currentSteps"]) == ("FINISHED", [])


def test_a_receiving_step_can_be_terminated(gql: GraphQLClient, people: People, unique: str) -> None:
    alice = f"clt{unique}"
    as_alice = people.user(alice)
    service = new_service(gql, f"claimt{unique}", _flow([alice]))
    ticket = create_ticket(gql, service)
    ended = _operate(as_alice, ticket, 2, "TERMINATE", comment="not for us")
    assert ended["errors"] == []
    assert ended["ticket"]["status"] == "TERMINATED"
    assert {s["stateId"]: s["status"] for s in ended["ticket"]["steps"]}[2] == "TERMINATED"


def test_bad_distribution_settings_are_refused(gql: GraphQLClient, unique: str) -> None:
    catalog = mutate_ok(gql, CREATE_CATALOG, {"key": f"dist_{unique}", "name": f"dist {unique}"})["catalog"]["id"]

    def refused_flow(change: dict[str, Any], words: str) -> None:
        flow = _flow(["x"])
        flow["states"][2] = {**flow["states"][2], **change}
        error = mutate_refused(
            gql, CREATE_SERVICE, {"c": catalog, "name": f"bad {unique}", "w": flow}, "INVALID_WORKFLOW"
        )
        assert words in error["message"], error
        assert "state 3" in error["message"], error

    refused_flow({"distribute_type": "WHENEVER"}, "distribute_type must be one of")
    refused_flow({"assignors_type": "PERSON", "assignors": []}, "names its assignors")
    refused_flow({"assignors_type": "GENERAL", "assignors": ["boss"]}, "business roles")
    refused_flow({"assignors_type": "OPEN"}, "assignors_type must be")
    refused_flow({"type": "SIGN", "processors": ["x"], "distribute_type": "CLAIM_THEN_PROCESS"}, "every processor")
