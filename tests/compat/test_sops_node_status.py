"""bk `sops/get_task_status` with a node id as `task_id` (documented "任务或节点ID") through the
unmodified `bkapi-component-open` client: a started node answers its own status entry — a
subprocess with its started children nested, a node inside a subprocess too — a node not reached
yet is CREATED (as bk-sops answers a subprocess that has not run), and a node id of another
business, of none, or asked by someone without a role gets the same refusal as a missing task, so
nothing tells whether it exists."""

from __future__ import annotations

import time
from typing import Any

from bkapi_component.open.client import Client

from tests.compat.sops_support import FORBIDDEN, NOT_EXIST, PARAM_INVALID, ok, refused, sops_client, wait_status
from tests.compat.test_sops_tasks import template_number
from tests.pipelines.trees import TreeBuilder
from tests.support.server import GraphQLClient, Server
from tests.support.topology import create_business

CREATED = {
    "start_time": None,
    "state": "CREATED",
    "retry": 0,
    "skip": 0,
    "finish_time": None,
    "elapsed_time": 0,
    "children": {},
}


def _status(client: Client, biz: int, task_id: int | str) -> dict[str, Any]:
    status: dict[str, Any] = ok(client.sops.get_task_status(params={"bk_biz_id": biz, "task_id": task_id}))
    return status


def _wait_inner_pause(client: Client, biz: int, task: int, sub: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        status = _status(client, biz, task)
        inner = status["children"].get(sub, {}).get("children", {})
        if any(entry["name"] == "inner pause" and entry["state"] == "RUNNING" for entry in inner.values()):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.1)


def test_a_node_id_as_task_id_answers_the_nodes_status(server: Server, gql: GraphQLClient, unique: str) -> None:
    client = sops_client(server.url)
    business = create_business(gql, f"sops-node-{unique}")
    biz = business.bk_biz_id
    child = TreeBuilder()
    child.chain(child.start, child.pause(name="inner pause"), child.end)
    child_number = template_number(gql, business, child.tree(), f"node-child-{unique}")
    t = TreeBuilder()
    t.chain(t.start, t.sleep("0", name="sleep"), t.subprocess(child_number, name="sub"), t.end)
    template = template_number(gql, business, t.tree(), f"node-parent-{unique}")
    created = ok(client.sops.create_task(data={"bk_biz_id": biz, "template_id": template, "name": f"nodes {unique}"}))
    task, tree = created["task_id"], created["pipeline_tree"]
    run_sleep = next(k for k, v in tree["activities"].items() if v["name"] == "sleep")
    run_sub = next(k for k, v in tree["activities"].items() if v["name"] == "sub")
    end = tree["end_event"]["id"]
    assert _status(client, biz, run_sleep) == CREATED  # the task has not started: neither has its node

    ok(client.sops.start_task(data={"bk_biz_id": biz, "task_id": task}))
    whole = _wait_inner_pause(client, biz, task, run_sub)
    inner_pause = next(k for k, v in whole["children"][run_sub]["children"].items() if v["name"] == "inner pause")

    sleep_status = _status(client, biz, run_sleep)
    assert sleep_status == whole["children"][run_sleep]
    assert (sleep_status["id"], sleep_status["state"], sleep_status["children"]) == (run_sleep, "FINISHED", {})
    sub_status = _status(client, biz, run_sub)
    assert (sub_status["id"], sub_status["name"], sub_status["state"]) == (run_sub, "sub", "RUNNING")
    assert inner_pause in sub_status["children"], "the subprocess's started nodes, nested"
    assert sub_status["children"][inner_pause]["state"] == "RUNNING"
    assert _status(client, biz, inner_pause)["id"] == inner_pause  # a node inside a subprocess
    assert _status(client, biz, end) == CREATED  # not reached yet
    # The task's own number still answers the whole tree.
    assert _status(client, biz, task)["children"].keys() == whole["children"].keys()

    # Refusals: the same as for a missing task, whether or not the node exists elsewhere.
    other = create_business(gql, f"sops-node-other-{unique}")
    refused(client.sops.get_task_status(params={"bk_biz_id": other.bk_biz_id, "task_id": run_sleep}), NOT_EXIST)
    refused(client.sops.get_task_status(params={"bk_biz_id": biz, "task_id": "n" + "0" * 31}), NOT_EXIST)
    refused(client.sops.get_task_status(params={"bk_biz_id": biz, "task_id": "node!"}), PARAM_INVALID)
    name = f"nodestranger{unique}"
    server.cli("admin", "create-user", name, "--password", "nobody-password-1")
    stranger = sops_client(server.url, name)
    refused(stranger.sops.get_task_status(params={"bk_biz_id": biz, "task_id": run_sleep}), FORBIDDEN)
    refused(stranger.sops.get_task_status(params={"bk_biz_id": biz, "task_id": "n" + "0" * 31}), FORBIDDEN)

    # The callback ends the inner pause: the subprocess node, and the end it leads to, read FINISHED.
    callback = client.sops.node_callback(
        data={"bk_biz_id": biz, "task_id": task, "node_id": inner_pause, "callback_data": {"ok": True}}
    )
    assert callback["result"] is True, callback
    assert wait_status(client, biz, task)["state"] == "FINISHED"
    assert _status(client, biz, run_sub)["state"] == "FINISHED"
    assert _status(client, biz, end)["state"] == "FINISHED"
