"""bk `job` callbacks: a task started through the bk paths POSTs bk-job's callback_protocol body
({job_instance_id, status, step_instances}) to `bk_callback_url`, received here by a real HTTP server."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.compat.bk_client import LegacyClient
from tests.compat.job_support import b64, job_estate, ok, wait_finished
from tests.executors.conftest import SshdPoolFactory
from tests.support.server import APP_CODE, APP_SECRET, GraphQLClient, Server
from tests.support.sshd import SshUser


@dataclass
class Receiver:
    url: str
    bodies: queue.Queue[tuple[str, dict[str, Any]]]

    def next(self, timeout: float = 30) -> tuple[str, dict[str, Any]]:
        """(path, JSON body) of the next callback."""
        return self.bodies.get(timeout=timeout)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    bodies: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            bodies.put((self.path, json.loads(self.rfile.read(length))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # keep the test output clean
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_address[1]}", bodies)
    finally:
        server.shutdown()
        server.server_close()


def test_callback_url_gets_the_callback_protocol_body(
    bk: LegacyClient,
    gql: GraphQLClient,
    server: Server,
    sshd_pool: SshdPoolFactory,
    ssh_user: SshUser,
    receiver: Receiver,
    unique: str,
) -> None:
    estate = job_estate(gql, f"job-callback-{unique}", sshd_pool(3), ssh_user)
    body = {
        "bk_biz_id": estate.biz,
        "script_content": b64("echo called back"),
        "account": estate.alias,
        "ip_list": estate.ip_list(*estate.ips[:2]),
        "bk_callback_url": f"{receiver.url}/done/{unique}",
    }
    job = ok(bk.job.fast_execute_script(data=body))["job_instance_id"]

    path, callback = receiver.next()
    assert path == f"/done/{unique}"
    status = wait_finished(bk, estate.biz, job)
    step_id = status["blocks"][0]["step_instances"][0]["step_instance_id"]
    assert callback["job_instance_id"] == job
    assert callback["status"] == 3
    assert callback["step_instances"] == [{"step_instance_id": step_id, "status": 3}]

    # The legacy SDK's way: credentials in the JSON body (no X-Bkapi-Authorization header).
    legacy = {**body, "bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "admin"}
    legacy["script_content"] = b64("exit 7")
    legacy["bk_callback_url"] = f"{receiver.url}/legacy/{unique}"
    response = httpx.post(f"{server.url}/api/c/compapi/v2/job/fast_execute_script/", json=legacy, timeout=30).json()
    failed_job = ok(response)["job_instance_id"]
    path, callback = receiver.next()
    assert (path, callback["job_instance_id"], callback["status"]) == (f"/legacy/{unique}", failed_job, 4)
    assert [step["status"] for step in callback["step_instances"]] == [4]
