"""An ITSM `approval_result` callback (the TicketCallback outbox, not the task row) outlives a
server crash: the ticket is approved through the published client `bkapi-component-open`, the
receiver refuses the first attempts (retried with backoff, every attempt with the same delivery
id), the server is killed (SIGKILL) and started again, and the callback arrives — with the delivery
id of the attempts before the crash, signed — and is settled once (nothing sent after that)."""

from __future__ import annotations

import queue
import time
from pathlib import Path

from tests.compat.test_itsm_tickets import _service, itsm_client, ok
from tests.executors.support import dedicated_server
from tests.support.server import APP_CODE, APP_SECRET, Server, free_port
from tests.tickets.support import receiver


def test_an_approval_result_callback_outlives_a_server_crash(server: Server, unique: str, tmp_path: Path) -> None:
    port = free_port()
    env = {"OPSGRAPH_CALLBACK_ATTEMPTS": "30"}  # backoff 1, 2, 4 … 30 s: still retrying when killed
    with dedicated_server(server, tmp_path, env) as (instance, gql):
        instance.cli("admin", "create-app", APP_CODE, "--secret", APP_SECRET, "--skip-user-auth")
        service = _service(gql, unique)
        itsm = itsm_client(instance, "admin")
        body = {
            "service_id": service["serviceId"],
            "creator": "admin",
            "fields": [{"key": "title", "value": "crash"}, {"key": "reason", "value": "outbox"}],
            "meta": {"callback_url": f"http://127.0.0.1:{port}/itsm/cb", "state_processors": {"2": "admin"}},
        }
        with receiver(fail_first=1000, port=port) as refusing:
            sn = ok(itsm.itsm.create_ticket(data=body))["sn"]
            answer = [{"key": "approve_result", "value": "true"}, {"key": "approve_remark", "value": "ok"}]
            approval = {"sn": sn, "state_id": 2, "action_type": "TRANSITION", "fields": answer, "operator": "admin"}
            assert ok(itsm.itsm.operate_node(data=approval)) == []
            before = [refusing.next(), refusing.next()]  # refused twice, the second after a backoff
        assert instance.process is not None
        instance.process.kill()
        instance.process.wait(10)
        with receiver(fail_first=1, port=port) as hook:
            instance.port = free_port()
            instance.start()
            after = [hook.next(), hook.next()]  # answered 500 once more: retried, then taken
            time.sleep(2.5)  # longer than the next backoff: nothing more may come
            try:
                extra = hook.received.get_nowait()
            except queue.Empty:
                extra = None
    assert extra is None, f"the callback was sent again after it was delivered: {extra}"
    bodies = [received for _, received in before + after]
    assert all(b == bodies[0] for b in bodies), bodies
    assert (bodies[0]["sn"], bodies[0]["current_status"], bodies[0]["approve_result"]) == (sn, "FINISHED", True)
    ids = {headers["x-opsgraph-delivery-id"] for headers, _ in before + after}
    assert len(ids) == 1, ids  # one ending, one id, across attempts and the crash
    assert ids.pop().startswith("ticket-")
    assert all(headers["x-opsgraph-signature"].startswith("sha256=") for headers, _ in after)
