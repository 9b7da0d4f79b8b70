"""A sops task's `callback_url` survives its receiver being down across a server crash: the run
ends, the callback owed is kept on the task row (the task-end callback outbox of jobs too),
attempts fail while nobody listens, the server is killed (SIGKILL) and started again, the receiver
comes up, and the callback arrives — signed, retried with the same delivery id when the receiver
first answers 500, and settled once (DELIVERED; nothing sent after that)."""

from __future__ import annotations

import queue
import time
from pathlib import Path
from typing import Any

from tests.compat.sops_support import ok, sops_client, wait_status
from tests.compat.test_sops_tasks import template_number
from tests.executors.support import dedicated_server
from tests.pipelines.trees import TreeBuilder
from tests.support.server import APP_CODE, APP_SECRET, GraphQLClient, Server, free_port
from tests.support.topology import create_business
from tests.tickets.support import receiver

CALLBACK = "query($n: Int!) { pipelineRun(bkTaskId: $n) { task { callbackStatus callbackAttempts callbackError } } }"


def _callback(gql: GraphQLClient, task: int) -> dict[str, Any]:
    state: dict[str, Any] = gql.ok(CALLBACK, {"n": task})["pipelineRun"]["task"]
    return state


def _wait_callback(gql: GraphQLClient, task: int, check: Any, what: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        state = _callback(gql, task)
        if check(state):
            return state
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {state}"
        time.sleep(0.1)


def test_a_task_callback_outlives_its_receiver_and_a_server_crash(server: Server, unique: str, tmp_path: Path) -> None:
    port = free_port()  # nobody listens here until the server has been killed
    env = {"OPSGRAPH_CALLBACK_ATTEMPTS": "30"}  # backoff 1, 2, 4 … 30 s: still retrying when killed
    with dedicated_server(server, tmp_path, env) as (instance, gql):
        instance.cli("admin", "create-app", APP_CODE, "--secret", APP_SECRET, "--skip-user-auth")
        client = sops_client(instance.url)
        business = create_business(gql, f"sops-outbox-{unique}")
        biz = business.bk_biz_id
        t = TreeBuilder()
        t.chain(t.start, t.sleep("0"), t.end)
        template = template_number(gql, business, t.tree(), f"outbox-{unique}")
        url = f"http://127.0.0.1:{port}/sops/callback"
        created = ok(
            client.sops.create_and_start_task(
                data={"bk_biz_id": biz, "template_id": template, "name": "call me back", "callback_url": url}
            )
        )
        task = created["task_id"]
        assert wait_status(client, biz, task)["state"] == "FINISHED"
        failing = _wait_callback(gql, task, lambda s: s["callbackAttempts"] >= 2, "two refused attempts")
        assert failing["callbackStatus"] == "RETRYING", failing
        assert "Connect" in failing["callbackError"], failing

        before_kill = _callback(gql, task)
        assert instance.process is not None
        instance.process.kill()
        instance.process.wait(10)
        with receiver(fail_first=1, port=port) as hook:
            instance.port = free_port()
            instance.start()
            gql = GraphQLClient(instance.url, gql.token)
            first_headers, first = hook.next()  # answered 500: retried with backoff
            second_headers, second = hook.next()
            delivered = _wait_callback(gql, task, lambda s: s["callbackStatus"] == "DELIVERED", "the delivery")
            time.sleep(2.5)  # longer than the next backoff: nothing more may come
            try:
                extra = hook.received.get_nowait()
            except queue.Empty:
                extra = None
    assert extra is None, f"the callback was sent again after it was delivered: {extra}"
    assert first == second == {"task_id": task, "task_status": "FINISHED", "task_success": True}
    dedupe = first_headers["x-opsgraph-delivery-id"]
    assert dedupe.startswith(f"task-{task}-"), dedupe
    assert second_headers["x-opsgraph-delivery-id"] == dedupe  # one ending, one id, however many attempts
    assert second_headers["x-opsgraph-signature"].startswith("sha256=")
    assert int(second_headers["x-opsgraph-timestamp"]) > 0
    # The attempts before the crash count: the outbox row resumed, it did not start over.
    assert delivered["callbackAttempts"] >= before_kill["callbackAttempts"] + 2 >= 4, (before_kill, delivered)
    assert delivered["callbackError"] == ""
