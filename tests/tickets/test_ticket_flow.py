"""Tickets moving through their workflow over GraphQL: approvals (who may approve is checked), a
sign step feeding a conditional branch, ticket operations, the log, callbacks, and refusals."""

from __future__ import annotations

from typing import Any

from tests.support.server import GraphQLClient
from tests.support.topology import create_business, mutate_ok, mutate_refused, run_mutation
from tests.tickets.support import (
    CREATE_SERVICE,
    CREATE_TICKET,
    OPERATE_NODE,
    OPERATE_TICKET,
    UPDATE_SERVICE,
    People,
    approval_flow,
    approve,
    create_ticket,
    logs,
    new_service,
    read_ticket,
    receiver,
)


def test_approval_decided_by_an_approver_only(gql: GraphQLClient, people: People, unique: str) -> None:
    bob, carol = people.user(f"bob{unique}"), people.user(f"carol{unique}")
    alice, dave = people.user(f"alice{unique}"), people.user(f"dave{unique}")
    service = new_service(gql, unique, approval_flow([f"bob{unique}", f"carol{unique}"]))
    with receiver() as hook:
        ticket = create_ticket(alice, service, reason="need access", _callbackUrl=f"{hook.url}/cb")
        assert ticket["status"] == "RUNNING"
        assert ticket["creator"] == f"alice{unique}"
        assert ticket["sn"].startswith("NO")
        (step,) = ticket["currentSteps"]
        assert (step["stateId"], step["type"], step["processors"]) == (
            2,
            "APPROVAL",
            [f"bob{unique}", f"carol{unique}"],
        )

        assert read_ticket(dave, ticket) is None  # not involved: not visible at all
        assert approve(dave, ticket, True)["errors"][0]["code"] == "TICKET_NOT_FOUND"
        refused = approve(alice, ticket, True)  # the creator sees it but is no approver
        assert refused["errors"][0]["code"] == "NOT_PROCESSOR"
        assert refused["ticket"] is None
        assert approve(bob, ticket, False)["errors"][0]["code"] == "FIELD_REQUIRED"  # a refusal needs a reason
        assert read_ticket(bob, ticket)["status"] == "RUNNING"  # type: ignore[index]

        done = approve(carol, ticket, True, "fine")
        assert done["errors"] == []
        finished = done["ticket"]
        assert (finished["status"], finished["approveResult"], finished["currentSteps"]) == ("FINISHED", True, [])
        assert finished["steps"][1]["signatures"] == [
            {"processor": f"carol{unique}", "approved": True, "comment": "fine"}
        ]
        assert approve(bob, ticket, True)["errors"][0]["code"] in {"TICKET_NOT_RUNNING", "STATE_NOT_FOUND"}

        headers, body = hook.next()
        assert body["sn"] == ticket["sn"]
        assert body["approve_result"] is True
        assert body["current_status"] == "FINISHED"
        assert body["last_approver"] == f"carol{unique}"
        assert headers["x-opsgraph-timestamp"]
    actions = [entry["action"] for entry in logs(alice, ticket)]
    assert actions == ["CREATE", "FLOW", "TRANSITION", "CLOSE"]


def test_refusal_and_terminate_on_reject(gql: GraphQLClient, people: People, unique: str) -> None:
    bob, alice = people.user(f"bob{unique}"), people.user(f"alice{unique}")
    plain = new_service(gql, f"p{unique}", approval_flow([f"bob{unique}"]))
    ticket = create_ticket(alice, plain, reason="r")
    refused = approve(bob, ticket, False, "not today")["ticket"]
    # bk-itsm: the flow goes on to its end; the ticket finishes, not approved.
    assert (refused["status"], refused["approveResult"]) == ("FINISHED", False)
    assert refused["endReason"] == f"refused by bob{unique}: not today"

    strict = new_service(gql, f"s{unique}", approval_flow([f"bob{unique}"], terminate_on_reject=True))
    ticket = create_ticket(alice, strict, reason="r")
    ended = approve(bob, ticket, False, "no")["ticket"]
    assert (ended["status"], ended["approveResult"]) == ("TERMINATED", False)


SIGN_FLOW: dict[str, Any] = {
    "fields": [{"key": "kind", "name": "Kind", "type": "SELECT", "required": True,
                "choices": [{"key": "small", "name": "Small"}, {"key": "big", "name": "Big"}]}],
    "states": [
        {"id": 1, "type": "START"},
        {"id": 2, "name": "plan", "type": "NORMAL", "processors_type": "STARTER",
         "fields": [{"key": "plan", "name": "Plan", "type": "TEXT", "required": True}]},
        {"id": 3, "name": "review", "type": "SIGN", "processors_type": "PERSON", "processors": [],
         "finish_condition": {"type": "or", "expressions": [{"key": "REJECT_COUNT", "condition": ">=", "value": 1}]}},
        {"id": 4, "name": "rework", "type": "NORMAL", "processors_type": "GENERAL", "processors": ["maintainer"]},
        {"id": 5, "type": "END"},
    ],
    "transitions": [
        {"from": 1, "to": 2},
        {"from": 2, "to": 3},
        {"from": 3, "to": 4, "conditions": [{"key": "REJECT_COUNT", "condition": ">", "value": 0}]},
        {"from": 3, "to": 5, "default": True},
        {"from": 4, "to": 5},
    ],
}  # fmt: skip


def _node(client: GraphQLClient, ticket: dict[str, Any], state: int, action: str, **extra: Any) -> dict[str, Any]:
    variables = {"input": {"ticketId": ticket["id"], "stateId": state, "action": action, **extra}}
    return run_mutation(client, OPERATE_NODE, variables)


def test_sign_step_and_conditional_branch(gql: GraphQLClient, people: People, unique: str) -> None:
    names = [f"s1{unique}", f"s2{unique}", f"s3{unique}"]
    signers = [people.user(n) for n in names]
    business = create_business(gql, f"tickets-{unique}")
    owner = people.grant(f"owner{unique}", business, "maintainer")
    service = new_service(gql, unique, SIGN_FLOW)
    processors = [{"stateId": 3, "processors": names}]
    ticket = create_ticket(owner, service, kind="big", _businessId=business.id, _stateProcessors=processors)
    assert ticket["currentSteps"][0]["stateId"] == 2
    assert ticket["currentSteps"][0]["processors"] == [f"owner{unique}"]
    missing = _node(owner, ticket, 2, "TRANSITION", fields=[])
    assert missing["errors"][0]["code"] == "FIELD_REQUIRED"
    planned = _node(owner, ticket, 2, "TRANSITION", fields=[{"key": "plan", "value": "step by step"}])["ticket"]
    assert planned["currentSteps"][0]["stateId"] == 3
    assert planned["currentSteps"][0]["processors"] == names

    signed = approve(signers[0], ticket, True)["ticket"]
    assert signed["currentSteps"][0]["stateId"] == 3  # a sign step waits for the others
    assert approve(signers[0], ticket, True)["errors"][0]["code"] == "ALREADY_SIGNED"
    rejected = approve(signers[1], ticket, False, "too big")["ticket"]  # finish_condition: one refusal ends it
    assert rejected["currentSteps"][0]["stateId"] == 4  # REJECT_COUNT > 0 → rework, by a maintainer
    assert (
        _node(signers[2], ticket, 4, "TRANSITION")["errors"][0]["code"] == "NOT_PROCESSOR"
    )  # a signer, not a maintainer
    claimed = _node(owner, ticket, 4, "CLAIM")["ticket"]
    assert claimed["currentSteps"][0]["processors"] == [f"owner{unique}"]
    done = _node(owner, ticket, 4, "TRANSITION")["ticket"]
    assert (done["status"], done["approveResult"]) == ("FINISHED", True)  # no APPROVAL step ran


def test_ticket_operations(gql: GraphQLClient, people: People, unique: str) -> None:
    bob, alice, eve = people.user(f"bob{unique}"), people.user(f"alice{unique}"), people.user(f"eve{unique}")
    service = new_service(gql, unique, approval_flow([f"bob{unique}", f"eve{unique}"]))
    ticket = create_ticket(alice, service, reason="r")

    def op(client: GraphQLClient, action: str, comment: str | None = None) -> dict[str, Any]:
        return run_mutation(
            client, OPERATE_TICKET, {"input": {"ticketId": ticket["id"], "action": action, "comment": comment}}
        )

    assert op(alice, "SUSPEND")["errors"][0]["code"] == "FIELD_REQUIRED"
    suspended = op(bob, "SUSPEND", "on hold")["ticket"]
    assert (suspended["status"], suspended["operations"]) == ("SUSPENDED", ["UNSUSPEND", "WITHDRAW", "TERMINATE"])
    assert approve(bob, ticket, True)["errors"][0]["code"] == "TICKET_NOT_RUNNING"
    assert op(alice, "SUSPEND", "again")["errors"][0]["code"] == "TICKET_NOT_RUNNING"
    assert op(alice, "UNSUSPEND")["ticket"]["status"] == "RUNNING"
    assert op(bob, "WITHDRAW")["errors"][0]["code"] == "NOT_PROCESSOR"  # only the creator withdraws
    withdrawn = op(alice, "WITHDRAW", "not needed")["ticket"]
    assert (withdrawn["status"], withdrawn["approveResult"]) == ("REVOKED", False)
    assert op(alice, "UNSUSPEND")["errors"][0]["code"] == "TICKET_ENDED"

    second = create_ticket(alice, service, reason="r")
    delivered = _node(bob, second, 2, "DELIVER", processors=[f"eve{unique}"])
    assert delivered["errors"][0]["code"] == "FIELD_REQUIRED"  # a hand-over says why
    delivered = _node(bob, second, 2, "DELIVER", processors=[f"eve{unique}"], comment="holiday")["ticket"]
    assert delivered["currentSteps"][0]["processors"] == [f"eve{unique}"]
    assert approve(bob, second, True)["errors"][0]["code"] == "NOT_PROCESSOR"
    approve(eve, second, False, "no")
    third = create_ticket(alice, service, reason="r")
    terminated = _node(eve, third, 2, "TERMINATE", comment="wrong service")["ticket"]
    assert terminated["status"] == "TERMINATED"
    assert "wrong service" in terminated["endReason"]


def test_bad_workflows_are_refused_naming_the_state(gql: GraphQLClient, people: People, unique: str) -> None:
    catalog = gql.ok(
        'mutation($k: String!) { createServiceCatalog(input: {key: $k, name: "bad"}) { catalog { id } } }',
        {"k": f"bad_{unique}"},
    )["createServiceCatalog"]["catalog"]
    good = approval_flow(["bob"])
    cases: list[tuple[dict[str, Any], str]] = [
        ({**good, "states": [s for s in good["states"] if s["type"] != "END"]}, "END"),
        ({**good, "states": [*good["states"], {"id": 4, "type": "NORMAL", "processors": ["bob"]}], "transitions": [
            {"from": 1, "to": 2}, {"from": 2, "to": 3, "default": True},
            {"from": 2, "to": 4, "conditions": [{"key": "NODE_APPROVE_RESULT", "condition": "==", "value": "false"}]},
            {"from": 4, "to": 2}]}, "loop"),
        ({**good, "transitions": [{"from": 1, "to": 2}, {"from": 2, "to": 3}, {"from": 2, "to": 3}]}, "state 2"),
        ({**good, "states": [good["states"][0], {**good["states"][1], "processors_type": "OPEN"}, good["states"][2]]}, "state 2"),  # noqa: E501 - one case per line
        ({**good, "states": [good["states"][0], {**good["states"][1], "processors_type": "GENERAL", "processors": ["boss"]}, good["states"][2]]}, "state 2"),  # noqa: E501 - one case per line
        ({**good, "fields": [{"key": "x", "type": "SELECT"}]}, "choices"),
        ({**good, "fields": [{"key": "x", "regex": "^(a+)+$"}]}, "regex"),
        ({**good, "states": [*good["states"], {"id": 9, "name": "orphan", "type": "NORMAL", "processors": ["bob"]}], "transitions": [*good["transitions"], {"from": 9, "to": 3}]}, "state 9"),  # noqa: E501 - one case per line
        ("not an object", "workflow"),  # type: ignore[list-item]
    ]  # fmt: skip
    for workflow, named in cases:
        error = mutate_refused(
            gql,
            CREATE_SERVICE,
            {"c": catalog["id"], "name": "bad", "w": workflow},
            {"INVALID_WORKFLOW", "INVALID", "NOT_SUPPORTED"},
        )
        assert named in error["message"], (named, error)
    listed = gql.ok(
        "query($c: ID) { services(first: 50, filter: {catalogId: $c}) { totalCount } }", {"c": catalog["id"]}
    )
    assert listed["services"]["totalCount"] == 0  # nothing was created
    outsider = people.user(f"outsider{unique}")
    response = outsider.execute(CREATE_SERVICE, {"c": catalog["id"], "name": "x", "w": good})
    assert response.errors
    assert response.errors[0]["extensions"]["code"] == "PERMISSION_DENIED"


def test_bad_tickets_change_nothing_and_versions_are_pinned(gql: GraphQLClient, people: People, unique: str) -> None:
    alice = people.user(f"alice{unique}")
    flow = approval_flow([f"bob{unique}"])
    flow["fields"].append({"key": "size", "type": "SELECT", "choices": [{"key": "S", "name": "small"}]})
    service = new_service(gql, unique, flow)
    count = "query($s: ID) { tickets(first: 10, filter: {serviceId: $s}) { totalCount } }"
    bad_inputs: list[tuple[dict[str, Any], str]] = [
        ({"fields": [{"key": "title", "value": "t"}]}, "FIELD_REQUIRED"),
        ({"fields": [{"key": "title", "value": "t"}, {"key": "reason", "value": "r"}, {"key": "size", "value": "XL"}]}, "INVALID"),  # noqa: E501 - one case per line
        ({"fields": [{"key": "title", "value": "x" * 121}, {"key": "reason", "value": "r"}]}, "INVALID"),
        ({"fields": [{"key": "title", "value": "t"}, {"key": "reason", "value": "r"}], "callbackUrl": "ftp://x"}, "INVALID"),  # noqa: E501 - one case per line
        ({"fields": [{"key": "title", "value": "t"}, {"key": "reason", "value": "r"}], "stateProcessors": [{"stateId": 3, "processors": ["x"]}]}, "INVALID"),  # noqa: E501 - one case per line
        ({"fields": [{"key": "title", "value": "t"}, {"key": "reason", "value": "r"}], "businessId": "QnVzaW5lc3M6OTk5OTk5"}, "BUSINESS_NOT_FOUND"),  # noqa: E501 - one case per line
        ({"fields": [{"key": "title", "value": "t"}, {"key": "reason", "value": "r"}], "operator": "someone-else"}, "PERMISSION_DENIED"),  # noqa: E501 - one case per line
    ]  # fmt: skip
    for extra, code in bad_inputs:
        variables = {"input": {"serviceId": service["id"], **extra}}
        response = alice.execute(CREATE_TICKET, variables)
        if code == "PERMISSION_DENIED":
            assert response.errors[0]["extensions"]["code"] == code
        else:
            assert response.data["createTicket"]["errors"][0]["code"] == code, (extra, response.body)
    assert gql.ok(count, {"s": service["id"]})["tickets"]["totalCount"] == 0

    old = create_ticket(alice, service, reason="r")
    newer = mutate_ok(gql, UPDATE_SERVICE, {"s": service["id"], "w": approval_flow([f"carol{unique}"])})["service"]
    assert newer["workflow"]["version"] == 2
    assert newer["workflowId"] != service["workflowId"]
    kept = read_ticket(alice, old)
    assert kept is not None
    assert kept["currentSteps"][0]["processors"] == [f"bob{unique}"]
    assert create_ticket(alice, service, reason="r")["currentSteps"][0]["processors"] == [f"carol{unique}"]


def test_ticket_lists_cost_a_fixed_number_of_queries(gql: GraphQLClient, people: People, unique: str) -> None:
    alice = people.user(f"alice{unique}")
    service = new_service(gql, unique, approval_flow([f"bob{unique}"]))
    query = """query($s: ID, $n: Int!) { tickets(first: $n, filter: {serviceId: $s}) { nodes {
      sn service { name catalog { key } workflow { version } } fields { key value displayValue }
      steps { name fields { key } signatures { processor } operations } logs(first: 5) { nodes { message } } } } }"""

    def sql_count(n: int) -> int:
        response = gql.execute(query, {"s": service["id"], "n": n})
        assert not response.errors, response.errors
        assert len(response.data["tickets"]["nodes"]) == n
        assert response.sql_count is not None
        return response.sql_count

    create_ticket(alice, service, reason="r")
    one = sql_count(1)
    for _ in range(4):
        create_ticket(alice, service, reason="r")
    assert sql_count(5) == one
