"""One timed OpsGraph run: `runScript` over HTTP, then the task followed through `taskEvents`.

The websocket is connected and authenticated (graphql-transport-ws `connection_init`) before the
mutation is sent, so neither costs anything inside the figures. Events are timed without polling,
by the server's own clock: every event carries `at` (when the recorder queued it, BEFORE its
commit; events replayed from the database, e.g. those before the subscription started, carry their
stored time), and by when this client received it (after the commit): the report gives both. The client
also notes when each event reached it, which gives the subscriber's lag. An event without `at`
(an older server) is timed by its arrival. Server and client run on this machine: one wall clock.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

RUN_SCRIPT = """
mutation($input: RunScriptInput!) {
  runScript(input: $input) { task { id jobInstanceId status } errors { code field message } }
}"""
EVENTS = """
subscription($t: ID!, $after: Int) { taskEvents(taskId: $t, afterSeq: $after) { seq kind payload at } }"""
ENDED = frozenset({"SUCCESS", "FAILED", "CANCELLED", "ABNORMAL"})
ECHO = "echo ok"
RUN_TIMEOUT_S = 600.0  # a run that has not ended by then is reported as such, not waited for


@dataclass(frozen=True)
class SeenEvent:
    seq: int
    kind: str
    payload: dict[str, Any]
    at: float | None  # the server's `at`, epoch seconds
    received: float  # when this client got it, epoch seconds

    @property
    def when(self) -> float:
        return self.at if self.at is not None else self.received

    @property
    def status(self) -> str:
        return str(self.payload.get("status", ""))


@dataclass(frozen=True)
class OpsGraphRun:
    hosts: int
    sent: float  # epoch seconds, just before the runScript request left
    answered: float  # the runScript response parsed
    job_instance_id: int
    events: list[SeenEvent]  # as the subscription delivered them
    label: str = "OpsGraph runScript"

    @property
    def end(self) -> SeenEvent | None:
        return next((e for e in reversed(self.events) if e.kind == "TASK_STATUS" and e.status in ENDED), None)

    @property
    def status(self) -> str:
        end = self.end
        return end.status if end is not None else "NOT ENDED"

    @property
    def wall_s(self) -> float:
        end = self.end
        return (end.when if end is not None else time.time()) - self.sent

    @property
    def hosts_per_s(self) -> float:
        return self.hosts / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def ok(self) -> int:
        return sum(1 for e in self.events if e.kind == "HOST_STATUS" and e.status == "SUCCESS")

    @property
    def response_ms(self) -> float:
        return (self.answered - self.sent) * 1000

    def first_event_ms(self) -> float | None:
        return (self.events[0].when - self.sent) * 1000 if self.events else None

    def first_event_received_ms(self) -> float | None:
        """Like first_event_ms, by when the subscriber had it (after its commit and the delivery)."""
        return (self.events[0].received - self.sent) * 1000 if self.events else None

    def tail_received_ms(self) -> float | None:
        """Like tail_ms, by when the subscriber had each event."""
        hosts = [e.received for e in self.events if e.kind == "HOST_STATUS" and e.status in ENDED]
        end = self.end
        return (end.received - max(hosts)) * 1000 if hosts and end is not None else None

    def tail_ms(self) -> float | None:
        """From the last host's final HOST_STATUS to the task's final TASK_STATUS."""
        hosts = [e.when for e in self.events if e.kind == "HOST_STATUS" and e.status in ENDED]
        end = self.end
        return (end.when - max(hosts)) * 1000 if hosts and end is not None else None

    def end_lag_ms(self) -> float | None:
        """How long after the task ended the subscriber had the news."""
        end = self.end
        return (end.received - end.at) * 1000 if end is not None and end.at is not None else None

    def untimed(self) -> int:
        """Events that came without `at` (timed by their arrival instead)."""
        return sum(1 for e in self.events if e.at is None)

    def kinds(self) -> str:
        counts = Counter(e.kind for e in self.events)
        return ", ".join(f"{kind} {count}" for kind, count in sorted(counts.items()))


def ws_client(base_url: str, token: str) -> Client:
    transport = WebsocketsTransport(
        url=base_url.replace("http://", "ws://", 1) + "/graphql",
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],  # graphql-transport-ws, the only one offered
        init_payload={"Authorization": f"Bearer {token}"},
    )
    return Client(transport=transport, fetch_schema_from_transport=False, execute_timeout=RUN_TIMEOUT_S)


def _epoch(at: str | None) -> float | None:
    return datetime.fromisoformat(at).timestamp() if at else None


async def _read(session: Any, task_id: str, after: int, clock: Callable[[], float]) -> list[SeenEvent]:
    """Until the server completes the stream (the task ended)."""
    events: list[SeenEvent] = []
    stream = session.subscribe(GraphQLRequest(EVENTS, variable_values={"t": task_id, "after": after}))
    try:
        async for result in stream:
            event = result["taskEvents"]
            stamp = clock()
            events.append(SeenEvent(event["seq"], event["kind"], event["payload"], _epoch(event["at"]), stamp))
    finally:
        await stream.aclose()
    return events


async def _start(http: httpx.AsyncClient, business_id: str, host_ids: list[str]) -> tuple[float, float, dict[str, Any]]:
    variables = {"input": {"businessId": business_id, "hostIds": host_ids, "content": ECHO, "name": "bench echo"}}
    sent = time.time()
    response = await http.post("/graphql", json={"query": RUN_SCRIPT, "variables": variables})
    body = response.json()
    answered = time.time()
    payload = (body.get("data") or {}).get("runScript") or {}
    if body.get("errors") or payload.get("errors") or not payload.get("task"):
        raise RuntimeError(f"runScript refused: {body.get('errors') or payload.get('errors')}")
    return sent, answered, payload["task"]


async def _run(base_url: str, token: str, business_id: str, host_ids: list[str]) -> OpsGraphRun:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=RUN_TIMEOUT_S) as http:
        await http.post("/graphql", json={"query": "{ __typename }"})  # the keep-alive connection is open
        async with ws_client(base_url, token) as session:
            sent, answered, task = await _start(http, business_id, host_ids)
            events = await asyncio.wait_for(_read(session, task["id"], 0, time.time), RUN_TIMEOUT_S)
    return OpsGraphRun(len(host_ids), sent, answered, task["jobInstanceId"], events)


def opsgraph_echo(base_url: str, token: str, business_id: str, host_ids: list[str]) -> OpsGraphRun:
    return asyncio.run(_run(base_url, token, business_id, host_ids))
