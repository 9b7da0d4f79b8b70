"""Parallel branches in a ticket's workflow: a PARALLEL state opens every branch at once (several
current steps, each processed on its own, also through bk-itsm's get_ticket_status and
operate_node with the published client), the CONVERGE state waits for the last branch, and a
branch may nest its own fork; a refusal that terminates one branch ends the whole ticket; bad
gateway layouts are refused on save with a message naming the state; withdrawing is still refused
once a branch has been processed."""

from __future__ import annotations

from typing import Any

from tests.compat.test_itsm_tickets import itsm_client, ok
from tests.support.server import GraphQLClient, Server
from tests.support.topology import mutate_ok, mutate_refused, run_mutation
from tests.tickets.support import (
    CREATE_CATALOG,
    CREATE_SERVICE,
    OPERATE_NODE,
    OPERATE_TICKET,
    People,
    approve,
    create_ticket,
    logs,
    new_service,
    read_ticket,
)


def _state(state_id: int, kind: str, name: str = "", **extra: Any) -> dict[str, Any]:
    return {"id": state_id, "type": kind, "name": name or f"{kind.lower()} {state_id}", **extra}


def _flow(first: str, second: str, third: str) -> dict[str, Any]:
    """START → fork(10) → [review by first | fork(20) → [approve by second | approve by third] → join(21)]
    → join(11) → sign-off by first → END."""
    person = {"processors_type": "PERSON"}
    return {
        "fields": [{"key": "reason", "name": "Reason", "type": "TEXT"}],
        "states": [
            _state(1, "START"),
            _state(10, "ROUTER-P", "fork"),
            _state(2, "NORMAL", "review", processors=[first], **person),
            _state(20, "PARALLEL", "inner fork"),
            _state(3, "APPROVAL", "security", processors=[second], terminate_on_reject=True, **person),
            _state(4, "APPROVAL", "finance", processors=[third], **person),
            _state(21, "CONVERGE", "inner join"),
            _state(11, "COVERAGE", "join"),
            _state(5, "NORMAL", "sign-off", processors=[first], **person),
            _state(9, "END"),
        ],
        "transitions": [
            {"from": 1, "to": 10},
            {"from": 10, "to": 2},
            {"from": 10, "to": 20},
            {"from": 20, "to": 3},
            {"from": 20, "to": 4},
            {"from": 3, "to": 21},
            {"from": 4, "to": 21},
            {"from": 21, "to": 11},
            {"from": 2, "to": 11},
            {"from": 11, "to": 5},
            {"from": 5, "to": 9},
        ],
    }


def _current(ticket: dict[str, Any]) -> list[int]:
    return sorted(step["stateId"] for step in ticket["currentSteps"])


def _submit(client: GraphQLClient, ticket: dict[str, Any], state_id: int) -> dict[str, Any]:
    variables = {"input": {"ticketId": ticket["id"], "stateId": state_id, "action": "TRANSITION", "fields": []}}
    payload = mutate_ok(client, OPERATE_NODE, variables)
    result: dict[str, Any] = payload["ticket"]
    return result


def test_branches_run_side_by_side_and_meet(server: Server, gql: GraphQLClient, people: People, unique: str) -> None:
    first, second, third = (f"{n}{unique}" for n in ("pa", "pb", "pc"))
    as_first, as_third = people.user(first), people.user(third)
    people.user(second)
    service = new_service(gql, f"par{unique}", _flow(first, second, third))
    ticket = create_ticket(as_first, service, reason="two ways at once")
    assert ticket["status"] == "RUNNING"
    assert _current(ticket) == [2, 3, 4]  # the review and both approvals of the nested fork
    steps = {s["stateId"]: s for s in ticket["steps"]}
    assert (steps[10]["type"], steps[10]["status"]) == ("PARALLEL", "FINISHED")
    assert (steps[11]["type"], steps[11]["status"]) == ("CONVERGE", "WAIT")

    # bk-itsm's view: three current steps, each with its own processors and operations.
    client = itsm_client(server, second)
    status = ok(client.itsm.get_ticket_status(params={"sn": ticket["sn"]}))
    assert sorted(s["state_id"] for s in status["current_steps"]) == [2, 3, 4]
    security = next(s for s in status["current_steps"] if s["state_id"] == 3)
    assert (security["processors"], security["status"], security["action_type"]) == (second, "RUNNING", "TRANSITION")
    answer = [{"key": "approve_result", "value": "true"}, {"key": "approve_remark", "value": "ok"}]
    node = {"sn": ticket["sn"], "state_id": 3, "action_type": "TRANSITION", "fields": answer, "operator": second}
    assert ok(client.itsm.operate_node(data=node)) == []

    after_security = read_ticket(as_first, ticket)
    assert after_security is not None
    assert _current(after_security) == [2, 4]  # the inner join still waits for finance
    assert {s["stateId"]: s["status"] for s in after_security["steps"]}[21] == "WAIT"
    assert approve(as_third, ticket, True)["errors"] == []
    inner_done = read_ticket(as_first, ticket)
    assert inner_done is not None
    assert _current(inner_done) == [2]  # inner join passed on; the outer join waits for the review
    assert {s["stateId"]: s["status"] for s in inner_done["steps"]}[21] == "FINISHED"
    assert {s["stateId"]: s["status"] for s in inner_done["steps"]}[11] == "WAIT"

    joined = _submit(as_first, ticket, 2)
    assert _current(joined) == [5]
    finished = _submit(as_first, ticket, 5)
    assert (finished["status"], finished["approveResult"], finished["currentSteps"]) == ("FINISHED", True, [])
    messages = [entry["message"] for entry in logs(gql, ticket)]
    assert any("并行网关【fork】" in m for m in messages), messages
    assert any("汇聚网关【join】" in m for m in messages), messages


def test_a_terminating_refusal_ends_every_branch(gql: GraphQLClient, people: People, unique: str) -> None:
    first, second, third = (f"{n}{unique}" for n in ("qa", "qb", "qc"))
    as_first, as_second = people.user(first), people.user(second)
    people.user(third)
    service = new_service(gql, f"pre{unique}", _flow(first, second, third))
    ticket = create_ticket(as_first, service, reason="refuse me")
    withdraw = {"input": {"ticketId": ticket["id"], "action": "WITHDRAW"}}
    assert approve(as_second, ticket, False, "no")["errors"] == []
    ended = read_ticket(as_first, ticket)
    assert ended is not None
    assert (ended["status"], ended["approveResult"], ended["currentSteps"]) == ("TERMINATED", False, [])
    statuses = {s["stateId"]: s["status"] for s in ended["steps"]}
    assert statuses[2] == statuses[4] == statuses[11] == "TERMINATED"
    assert run_mutation(as_first, OPERATE_TICKET, withdraw)["errors"][0]["code"] == "TICKET_ENDED"

    # Withdrawing: the fork itself is no processing, a processed branch is.
    fresh = create_ticket(as_first, service, reason="withdraw me")
    _submit(as_first, fresh, 2)
    again = {"input": {"ticketId": fresh["id"], "action": "WITHDRAW"}}
    assert run_mutation(as_first, OPERATE_TICKET, again)["errors"][0]["code"] == "ALREADY_PROCESSED"
    untouched = create_ticket(as_first, service, reason="withdraw me at once")
    assert (
        mutate_ok(as_first, OPERATE_TICKET, {"input": {"ticketId": untouched["id"], "action": "WITHDRAW"}})["ticket"][
            "status"
        ]
        == "REVOKED"
    )


def test_bad_gateway_layouts_are_refused(gql: GraphQLClient, unique: str) -> None:
    catalog = mutate_ok(gql, CREATE_CATALOG, {"key": f"gw_{unique}", "name": f"gateways {unique}"})["catalog"]["id"]
    base = _flow("x", "y", "z")

    def refused(change: Any, words: str) -> None:
        flow = {
            **base,
            "states": [dict(s) for s in base["states"]],
            "transitions": [dict(t) for t in base["transitions"]],
        }
        change(flow)
        error = mutate_refused(
            gql, CREATE_SERVICE, {"c": catalog, "name": f"bad {unique}", "w": flow}, "INVALID_WORKFLOW"
        )
        assert words in error["message"], error

    # A branch that skips the join and ends the ticket.
    refused(lambda f: f["transitions"].__setitem__(8, {"from": 2, "to": 9}), "state 10 (fork)")
    # A fork with a single branch.
    refused(
        lambda f: f.update(transitions=[t for t in f["transitions"] if (t["from"], t["to"]) != (10, 2)]),
        "two or more branches",
    )
    # Conditions on a fork's ways.
    refused(
        lambda f: f["transitions"][1].update(conditions=[{"key": "reason", "condition": "==", "value": "x"}]),
        "take no condition",
    )
    # A join that closes no fork (after the sign-off, on the way to END).
    refused(
        lambda f: (
            f["states"].append(_state(30, "CONVERGE", "stray join")),
            f["transitions"].__setitem__(10, {"from": 5, "to": 30}),
            f["transitions"].append({"from": 30, "to": 9}),
        ),
        "state 30 (stray join): a CONVERGE state closes exactly one PARALLEL",
    )
    refused(lambda f: f["states"][1].update(type="ROUTER-X"), "ROUTER-P, COVERAGE")
