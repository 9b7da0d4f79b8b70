"""bk `itsm` through the unmodified published client `bkapi-component-open`: catalogs, services, a
ticket created, approved by its approver (the signed approval_result callback retried until the
receiver takes it), read back four ways; ticket operations; and bad input of every kind."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from bkapi_component.open.client import Client

from tests.support.server import APP_CODE, APP_SECRET, GraphQLClient, Server
from tests.support.topology import mutate_ok
from tests.tickets.support import CREATE_CATALOG, CREATE_SERVICE, approval_flow

PARAM, NOT_ALLOWED, OPERATE, FIELD_REQUIRED = 3900005, 3900002, 3900004, 3900030
NO_TICKET, NO_STATE, NO_OBJECT, DENIED = 3900022, 3900017, 3900404, 3900499


def itsm_client(server: Server, username: str) -> Client:
    client = Client(endpoint=server.url, bk_api_ver="v2")
    client.update_bkapi_authorization(bk_app_code=APP_CODE, bk_app_secret=APP_SECRET, bk_username=username)
    return client


def ok(response: dict[str, Any]) -> Any:
    assert response["result"] is True, response
    assert response["code"] == 0, response
    return response["data"]


def refused(response: dict[str, Any], code: int) -> str:
    assert response["result"] is False, response
    assert response["code"] == code, response
    assert response["message"], response
    return str(response["message"])


@dataclass
class Hook:
    url: str
    calls: queue.Queue[tuple[dict[str, str], bytes]]


@pytest.fixture
def hook() -> Iterator[Hook]:
    """A real HTTP receiver that answers HTTP 500 to the first call, then 200 {code: 0}."""
    calls: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()
    seen = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            calls.put(({k.lower(): v for k, v in self.headers.items()}, raw))
            seen["n"] += 1
            self.send_response(500 if seen["n"] == 1 else 200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"code": 0, "message": "ok"}).encode())

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Hook(f"http://127.0.0.1:{server.server_address[1]}/itsm-callback", calls)
    finally:
        server.shutdown()
        server.server_close()


def _service(gql: GraphQLClient, unique: str) -> dict[str, Any]:
    catalog = mutate_ok(gql, CREATE_CATALOG, {"key": f"itsm_{unique}", "name": f"itsm {unique}"})["catalog"]
    flow = approval_flow([])  # approvers are named per ticket (meta.state_processors)
    flow["fields"].append(
        {"key": "ZHONGYAO", "name": "重要性", "type": "SELECT", "choices": [{"key": "HIGH", "name": "高"}]}
    )
    variables = {"c": catalog["id"], "name": f"access {unique}", "w": flow}
    service: dict[str, Any] = mutate_ok(gql, CREATE_SERVICE, variables)["service"]
    return {**service, "catalog": catalog}


def test_ticket_lifecycle_with_the_published_client(
    server: Server, gql: GraphQLClient, hook: Hook, unique: str
) -> None:
    alice, bob, carol = (f"{n}{unique}" for n in ("alice", "bob", "carol"))
    for name in (alice, bob, carol):
        server.cli("admin", "create-user", name, "--password", "itsm-password-1")
    service = _service(gql, unique)
    as_alice, as_bob, as_carol = (itsm_client(server, n) for n in (alice, bob, carol))

    tree = ok(as_alice.itsm.get_service_catalogs(params={"has_service": "true"}))
    mine = [c for c in tree if c["key"] == f"itsm_{unique}"]
    assert mine == [{"id": service["catalog"]["catalogId"], "key": f"itsm_{unique}", "name": f"itsm {unique}",
                     "level": 0, "desc": "", "children": []}]  # fmt: skip
    listed = ok(as_alice.itsm.get_services(params={"catalog_id": service["catalog"]["catalogId"]}))
    assert listed == [{"id": service["serviceId"], "name": f"access {unique}", "desc": "", "service_type": "request"}]
    detail = ok(as_alice.itsm.get_service_detail(params={"service_id": service["serviceId"]}))
    assert (detail["service_id"], detail["workflow_id"]) == (service["serviceId"], service["workflowId"])
    assert [(f["key"], f["validate_type"]) for f in detail["fields"]] == [
        ("title", "REQUIRE"), ("reason", "REQUIRE"), ("ZHONGYAO", "OPTION")
    ]  # fmt: skip

    body = {
        "service_id": service["serviceId"],
        "creator": alice,
        "fields": [{"key": "title", "value": "db access"}, {"key": "reason", "value": "debug"},
                   {"key": "ZHONGYAO", "value": "HIGH"}],
        "meta": {"callback_url": hook.url, "state_processors": {"2": bob}},
    }  # fmt: skip
    created = ok(as_alice.itsm.create_ticket(data=body))
    sn = created["sn"]
    assert sn.startswith("NO")
    assert created["id"] > 0
    assert created["ticket_url"]

    status = ok(as_bob.itsm.get_ticket_status(params={"sn": sn}))
    assert status["current_status"] == "RUNNING"
    (current,) = status["current_steps"]
    assert (current["state_id"], current["processors"], current["status"]) == (2, bob, "RUNNING")
    assert [f["key"] for f in current["fields"]][:2] == ["approve_result", "approve_remark"]
    assert {o["key"] for o in status["operations"]} == {"SUSPEND", "WITHDRAW", "TERMINATE"}

    answer = [{"key": "approve_result", "value": "true"}, {"key": "approve_remark", "value": "ok"}]
    approval = {"sn": sn, "state_id": 2, "action_type": "TRANSITION", "fields": answer}
    refused(as_carol.itsm.operate_node(data={**approval, "operator": carol}), NO_TICKET)  # not involved: unseen
    refused(as_alice.itsm.operate_node(data={**approval, "operator": alice}), NOT_ALLOWED)  # creator, no approver
    refused(as_alice.itsm.operate_node(data={**approval, "operator": bob}), DENIED)  # acting as someone else
    refused(as_bob.itsm.operate_node(data={**approval, "operator": bob, "state_id": 3}), NO_STATE)
    refused(as_bob.itsm.operate_node(data={**approval, "operator": bob, "action_type": "APPROVE"}), OPERATE)
    assert ok(as_bob.itsm.operate_node(data={**approval, "operator": bob})) == []

    # The outbox retries the callback the receiver refused, signed with the creating app's secret,
    # each attempt with the same delivery id for the receiver to drop a duplicate.
    first_headers, first_raw = hook.calls.get(timeout=30)
    headers, raw = hook.calls.get(timeout=30)
    assert first_raw == raw
    assert headers["x-opsgraph-delivery-id"] == first_headers["x-opsgraph-delivery-id"]  # one ending, one id
    assert headers["x-opsgraph-delivery-id"].startswith(f"ticket-{created['id']}-")
    expected = hmac.new(APP_SECRET.encode(), headers["x-opsgraph-timestamp"].encode() + b"." + raw, hashlib.sha256)
    assert headers["x-opsgraph-signature"] == f"sha256={expected.hexdigest()}"
    callback = json.loads(raw)
    assert (callback["sn"], callback["current_status"], callback["approve_result"]) == (sn, "FINISHED", True)
    assert callback["last_approver"] == bob

    info = ok(as_alice.itsm.get_ticket_info(params={"sn": sn}))
    assert (info["current_status"], info["current_steps"], info["creator"]) == ("FINISHED", [], alice)
    assert (info["service_id"], info["bk_biz_id"], info["is_biz_need"]) == (service["serviceId"], -1, False)
    shown = {f["key"]: (f["value"], f["display_value"]) for f in info["fields"]}
    assert shown["ZHONGYAO"] == ("HIGH", "高")
    logs = ok(as_alice.itsm.get_ticket_logs(params={"sn": sn}))
    assert logs["sn"] == sn
    assert [entry["operator"] for entry in logs["logs"]] == [alice, "system", bob, bob]
    assert all(entry["source"] in {"API", "SYS"} and entry["operate_at"] for entry in logs["logs"])
    page = ok(as_alice.itsm.get_tickets(data={"sns": [sn], "page": 1, "page_size": 10}))
    assert (page["count"], page["total_page"], [i["sn"] for i in page["items"]]) == (1, 1, [sn])
    assert ok(as_carol.itsm.get_tickets(data={"sns": [sn]}))["count"] == 0  # not visible to a stranger


def test_ticket_operations_and_fast_approval(server: Server, gql: GraphQLClient, unique: str) -> None:
    alice, bob = f"alice{unique}", f"bob{unique}"
    for name in (alice, bob):
        server.cli("admin", "create-user", name, "--password", "itsm-password-1")
    as_alice, as_bob = itsm_client(server, alice), itsm_client(server, bob)
    fast = {"creator": alice, "fast_approval": True,
            "fields": [{"key": "title", "value": "quick"}, {"key": "APPROVER", "value": bob},
                       {"key": "APPROVAL_CONTENT", "value": "please"}]}  # fmt: skip
    sn = ok(as_alice.itsm.create_ticket(data=fast))["sn"]
    assert ok(as_bob.itsm.get_ticket_status(params={"sn": sn}))["current_steps"][0]["processors"] == bob

    def operate(client: Client, action: str, who: str, message: str | None = None) -> dict[str, Any]:
        data = {"sn": sn, "operator": who, "action_type": action}
        if message is not None:
            data["action_message"] = message
        response: dict[str, Any] = client.itsm.operate_ticket(data=data)
        return response

    refused(operate(as_alice, "SUSPEND", alice), FIELD_REQUIRED)
    assert ok(operate(as_alice, "SUSPEND", alice, "wait")) == []
    status = ok(as_alice.itsm.get_ticket_status(params={"sn": sn}))
    assert status["current_status"] == "SUSPENDED"
    assert status["current_steps"][0]["status"] == "RUNNING"
    refused(operate(as_alice, "CLOSE", alice), OPERATE)
    refused(operate(as_bob, "WITHDRAW", bob), NOT_ALLOWED)
    assert ok(operate(as_alice, "UNSUSPEND", alice)) == []
    assert ok(operate(as_alice, "WITHDRAW", alice, "no longer needed")) == []
    assert ok(as_alice.itsm.get_ticket_info(params={"sn": sn}))["current_status"] == "REVOKED"
    refused(operate(as_alice, "TERMINATE", alice, "x"), NOT_ALLOWED)  # already over


def test_bad_input_changes_nothing(server: Server, gql: GraphQLClient, unique: str) -> None:
    alice = f"alice{unique}"
    server.cli("admin", "create-user", alice, "--password", "itsm-password-1")
    service = _service(gql, unique)
    as_alice = itsm_client(server, alice)
    good = {"service_id": service["serviceId"], "creator": alice,
            "fields": [{"key": "title", "value": "t"}, {"key": "reason", "value": "r"}]}  # fmt: skip
    cases: list[tuple[dict[str, Any], int]] = [
        ({k: v for k, v in good.items() if k != "creator"}, PARAM),
        ({k: v for k, v in good.items() if k != "fields"}, PARAM),
        ({**good, "service_id": 2**40}, NO_OBJECT),
        ({**good, "service_id": "seven"}, PARAM),
        ({**good, "fields": [{"key": "title", "value": "t"}]}, FIELD_REQUIRED),
        ({**good, "fields": "title=t"}, PARAM),
        ({**good, "fields": [*good["fields"], {"key": "ZHONGYAO", "value": "LOW"}]}, PARAM),
        ({**good, "creator": "somebody-else"}, DENIED),
        ({**good, "meta": {"callback_url": "file:///etc/passwd"}}, PARAM),
        ({**good, "meta": {"state_processors": {"99": "bob"}}}, PARAM),
        ({**good, "meta": "x"}, PARAM),
        ({**good, "fields": [*good["fields"], {"key": "bk_biz_id", "value": 999999}]}, NO_OBJECT),
    ]
    for body, code in cases:
        refused(as_alice.itsm.create_ticket(data=body), code)
    assert ok(as_alice.itsm.get_tickets(data={"creator": alice}))["count"] == 0
    refused(as_alice.itsm.get_ticket_info(params={"sn": "NO0000"}), NO_TICKET)
    refused(as_alice.itsm.get_ticket_status(params={}), PARAM)
    refused(as_alice.itsm.get_tickets(data={"page_size": 0}), PARAM)
    refused(as_alice.itsm.get_tickets(data={"create_at__lte": "yesterday"}), PARAM)
    refused(as_alice.itsm.get_service_detail(params={"service_id": 0}), NO_OBJECT)
    refused(as_alice.itsm.operate_ticket(data={"sn": "NO0000", "operator": alice, "action_type": "SUSPEND"}), NO_TICKET)
