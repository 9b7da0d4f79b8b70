"""Helpers for the ticket tests: services with workflows, people with roles, tickets operated
through GraphQL as each person, and a real HTTP receiver for approval_result callbacks."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.executors.support import login
from tests.support.server import GraphQLClient, Server
from tests.support.topology import Business, mutate_ok, run_mutation

ERRORS = "errors { code field message }"
STEP_FIELDS = "stateId name type status processorsType processors approveResult operator comment values operations"
TICKET_FIELDS = f"""
  id ticketId sn title status creator bkBizId approveResult endReason originKind originTaskId originRef values
  operations decisionAcknowledged
  currentSteps {{ {STEP_FIELDS} }}
  steps {{ {STEP_FIELDS} signatures {{ processor approved comment }} }}
"""
CREATE_CATALOG = f"""
mutation($key: String!, $name: String!, $parent: ID) {{
  createServiceCatalog(input: {{key: $key, name: $name, parentId: $parent}}) {{
    catalog {{ id catalogId level }} {ERRORS}
  }}
}}"""
CREATE_SERVICE = f"""
mutation($c: ID!, $name: String!, $w: JSON!, $revocable: Boolean! = true) {{
  createService(input: {{catalogId: $c, name: $name, workflow: $w, revocable: $revocable}}) {{
    service {{ id serviceId workflowId workflow {{ version states {{ stateId type }} }} }} {ERRORS}
  }}
}}"""
UPDATE_SERVICE = f"""
mutation($s: ID!, $w: JSON) {{
  updateService(input: {{serviceId: $s, workflow: $w}}) {{ service {{ workflowId workflow {{ version }} }} {ERRORS} }}
}}"""
CREATE_TICKET = f"""
mutation($input: CreateTicketInput!) {{
  createTicket(input: $input) {{ ticket {{ {TICKET_FIELDS} }} {ERRORS} }}
}}"""
OPERATE_NODE = f"""
mutation($input: OperateTicketNodeInput!) {{
  operateTicketNode(input: $input) {{ ticket {{ {TICKET_FIELDS} }} {ERRORS} }}
}}"""
APPROVE = f"""
mutation($input: ApproveTicketStepInput!) {{
  approveTicketStep(input: $input) {{ ticket {{ {TICKET_FIELDS} }} {ERRORS} }}
}}"""
OPERATE_TICKET = f"""
mutation($input: OperateTicketInput!) {{
  operateTicket(input: $input) {{ ticket {{ {TICKET_FIELDS} }} {ERRORS} }}
}}"""
TICKET = f"query($id: ID, $sn: String) {{ ticket(id: $id, sn: $sn) {{ {TICKET_FIELDS} }} }}"
TICKET_LOGS = "query($id: ID!) { ticket(id: $id) { logs(first: 100) { nodes { operator action message source } } } }"
GRANT = f"""
mutation($u: String!, $b: ID!, $r: String!) {{
  grantRole(input: {{username: $u, businessId: $b, role: $r}}) {{ ok {ERRORS} }}
}}"""
PASSWORD = "ticket-password-1"


def approval_flow(processors: list[str] | None = None, **approval: Any) -> dict[str, Any]:
    """START → APPROVAL (state 2) → END, the approvers named or given per ticket."""
    state = {"id": 2, "name": "审批", "type": "APPROVAL", "processors_type": "PERSON", "processors": processors or []}
    return {
        "fields": [{"key": "reason", "name": "Reason", "type": "TEXT", "required": True}],
        "states": [{"id": 1, "type": "START"}, {**state, **approval}, {"id": 3, "type": "END"}],
        "transitions": [{"from": 1, "to": 2}, {"from": 2, "to": 3}],
    }


@dataclass
class People:
    """Users with passwords, each with a GraphQL client of their own (made once per session)."""

    server: Server
    admin: GraphQLClient
    clients: dict[str, GraphQLClient] = field(default_factory=dict)

    def user(self, name: str) -> GraphQLClient:
        if name not in self.clients:
            self.server.cli("admin", "create-user", name, "--password", PASSWORD)
            self.clients[name] = login(self.server.url, name, PASSWORD)
        return self.clients[name]

    def grant(self, name: str, business: Business, role: str) -> GraphQLClient:
        client = self.user(name)
        mutate_ok(self.admin, GRANT, {"u": name, "b": business.id, "r": role})
        return client


def new_service(gql: GraphQLClient, tag: str, workflow: dict[str, Any], **extra: Any) -> dict[str, Any]:
    catalog = mutate_ok(gql, CREATE_CATALOG, {"key": f"c_{tag}", "name": f"catalog {tag}"})["catalog"]
    variables = {"c": catalog["id"], "name": f"service {tag}", "w": workflow, **extra}
    service: dict[str, Any] = mutate_ok(gql, CREATE_SERVICE, variables)["service"]
    return service


def create_ticket(client: GraphQLClient, service: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Create a ticket with `fields` (title defaults); keys beginning with `_` are input fields."""
    extra = {key[1:]: value for key, value in fields.items() if key.startswith("_")}
    values = {"title": "a ticket", **{k: v for k, v in fields.items() if not k.startswith("_")}}
    submitted = [{"key": k, "value": v} for k, v in values.items()]
    ticket: dict[str, Any] = mutate_ok(
        client, CREATE_TICKET, {"input": {"serviceId": service["id"], "fields": submitted, **extra}}
    )["ticket"]
    return ticket


def approve(client: GraphQLClient, ticket: dict[str, Any], ok: bool, comment: str = "", **extra: Any) -> dict[str, Any]:
    payload = run_mutation(
        client, APPROVE, {"input": {"ticketId": ticket["id"], "approve": ok, "comment": comment, **extra}}
    )
    return payload


def read_ticket(client: GraphQLClient, ticket: dict[str, Any]) -> dict[str, Any] | None:
    found: dict[str, Any] | None = client.ok(TICKET, {"id": ticket["id"]})["ticket"]
    return found


def logs(client: GraphQLClient, ticket: dict[str, Any]) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = client.ok(TICKET_LOGS, {"id": ticket["id"]})["ticket"]["logs"]["nodes"]
    return nodes


@dataclass
class Receiver:
    """A real HTTP server on loopback (on `port`, or any free one); the first `fail_first` requests
    get HTTP 500."""

    url: str
    received: queue.Queue[tuple[dict[str, str], dict[str, Any]]]

    def next(self, timeout: float = 30) -> tuple[dict[str, str], dict[str, Any]]:
        return self.received.get(timeout=timeout)


@contextmanager
def receiver(fail_first: int = 0, port: int = 0) -> Iterator[Receiver]:
    received: queue.Queue[tuple[dict[str, str], dict[str, Any]]] = queue.Queue()
    failures = {"left": fail_first}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length))
            with lock:
                failing = failures["left"] > 0
                failures["left"] -= 1
            received.put(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(500 if failing else 200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"code": 0 if not failing else 1, "message": "ok"}).encode())

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_address[1]}", received)
    finally:
        server.shutdown()
        server.server_close()
