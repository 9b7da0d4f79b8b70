"""bk `sops` tasks through the unmodified `bkapi-component-open` client: create_task (new node ids),
start_task (answers before the run starts; a second start is refused), get_task_status (only
started nodes; derived FAILED while a parallel branch still runs), node_callback reaching a
pause_node, operate_task and operate_node, get_task_detail, get_task_node_detail, query_task_count,
and refusals with bk-sops' codes."""

from __future__ import annotations

import re
from typing import Any

from bkapi_component.open.client import Client

from tests.compat.sops_support import (
    FORBIDDEN,
    INVALID_OPERATION,
    NOT_EXIST,
    PARAM_INVALID,
    ok,
    refused,
    sops_client,
    wait_status,
)
from tests.pipelines.support import create_template
from tests.pipelines.trees import TreeBuilder
from tests.support.server import GraphQLClient, Server
from tests.support.topology import Business, create_business

TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000$")
TEMPLATE_NUMBER = "query($i: ID!) { pipelineTemplate(id: $i) { bkTemplateId } }"


def template_number(gql: GraphQLClient, business: Business, tree: dict[str, Any], name: str) -> int:
    template = create_template(gql, business, tree, name)
    return int(gql.ok(TEMPLATE_NUMBER, {"i": template})["pipelineTemplate"]["bkTemplateId"])


def wait_node_state(client: Client, biz: int, task: int, node: str, state: str) -> dict[str, Any]:
    def reached(status: dict[str, Any]) -> bool:
        return status["children"].get(node, {}).get("state") == state

    import time

    deadline = time.monotonic() + 30
    while True:
        status = ok(client.sops.get_task_status(params={"bk_biz_id": biz, "task_id": task}))
        if reached(status):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.1)


def test_create_start_follow_and_call_back_a_task(server: Server, gql: GraphQLClient, unique: str) -> None:
    client = sops_client(server.url)
    business = create_business(gql, f"sops-task-{unique}")
    biz = business.bk_biz_id
    t = TreeBuilder()
    t.constant("wait", "9")
    t.constant("answer", "", source_type="component_outputs", source_info={}, custom_type="")
    t.outputs = ["${answer}"]
    sleep = t.sleep("${wait}", name="sleep")
    pause = t.pause(name="pause")
    t.constants["${answer}"]["source_info"] = {pause: ["callback_data"]}
    t.chain(t.start, sleep, pause, t.end)
    template = template_number(gql, business, t.tree(), f"sops-{unique}")

    created = ok(
        client.sops.create_task(
            data={
                "bk_biz_id": biz,
                "template_id": template,
                "name": f"task-{unique}",
                "constants": {"${wait}": "0"},
            }
        )
    )
    task = created["task_id"]
    assert isinstance(task, int)
    assert created["task_url"]
    tree = created["pipeline_tree"]
    node_ids = set(tree["activities"])
    assert node_ids
    assert not node_ids & {sleep, pause}, "a task's node ids are not the template's"
    assert tree["constants"]["${wait}"]["value"] == "0"
    run_pause = next(k for k, v in tree["activities"].items() if v["name"] == "pause")
    run_sleep = next(k for k, v in tree["activities"].items() if v["name"] == "sleep")
    assert ok(client.sops.get_task_status(params={"bk_biz_id": biz, "task_id": task})) == {
        "start_time": None,
        "state": "CREATED",
        "retry": 0,
        "skip": 0,
        "finish_time": None,
        "elapsed_time": 0,
        "children": {},
    }

    started = ok(client.sops.start_task(data={"bk_biz_id": biz, "task_id": task}))
    assert started["task_url"] == created["task_url"]
    refused(client.sops.start_task(data={"bk_biz_id": biz, "task_id": task}), INVALID_OPERATION, "already started")

    status = wait_node_state(client, biz, task, run_pause, "RUNNING")
    assert status["state"] == "RUNNING"
    assert status["id"] != str(task)
    assert status["name"] == f"task-{unique}"
    assert set(status["children"]) == {tree["start_event"]["id"], run_sleep, run_pause}, "only started nodes"
    assert status["children"][run_sleep]["state"] == "FINISHED"
    assert TIME.match(status["start_time"])
    assert status["finish_time"] == ""

    answer = {"approved": True, "by": "pytest"}
    callback = client.sops.node_callback(
        data={
            "bk_biz_id": biz,
            "task_id": task,
            "node_id": run_pause,
            "callback_data": answer,
        }
    )
    assert callback["result"] is True, callback
    assert callback["message"] == "success", callback
    final = wait_status(client, biz, task)
    assert final["state"] == "FINISHED"
    assert TIME.match(final["finish_time"])
    assert tree["end_event"]["id"] in final["children"]

    detail = ok(client.sops.get_task_detail(params={"bk_biz_id": biz, "task_id": task}))
    assert (detail["id"], detail["name"], detail["business_id"]) == (task, f"task-{unique}", biz)
    assert (detail["template_id"], detail["creator"], detail["executor"]) == (template, "admin", "admin")
    assert detail["create_method"] == "api"
    assert detail["constants"]["${wait}"]["value"] == "0"
    assert detail["outputs"] == [{"key": "${answer}", "name": "answer", "value": answer, "preset": False}]
    assert detail["pipeline_tree"]["activities"].keys() == tree["activities"].keys()

    # Without component_code the outputs are as the node produced them; with it (documented as needed
    # for the plugin's execution details) they are named from the plugin's declarations.
    node = ok(client.sops.get_task_node_detail(params={"bk_biz_id": biz, "task_id": task, "node_id": run_pause}))
    assert (node["state"], node["retry"], node["skip"], node["inputs"]) == ("FINISHED", 0, False, {})
    plain = {o["key"]: o for o in node["outputs"]}
    assert plain["callback_data"] == {"key": "callback_data", "value": answer, "preset": False}
    assert plain["_result"] == {"key": "_result", "value": True, "preset": False}
    named = ok(
        client.sops.get_task_node_detail(
            params={"bk_biz_id": biz, "task_id": task, "node_id": run_pause, "component_code": "pause_node"}
        )
    )
    assert named["outputs"][0] == {"key": "callback_data", "name": "回调数据", "value": answer, "preset": True}
    outputs = {o["key"]: o for o in named["outputs"]}
    assert outputs["_result"] == {"key": "_result", "name": "执行结果", "value": True, "preset": True}
    assert {o["key"] for o in named["outputs"]} == set(plain)
    # Another plugin's code formats with that plugin's declarations (as bk-sops does): its declared
    # keys the node never produced show "", the node's own outputs follow as undeclared.
    foreign = ok(
        client.sops.get_task_node_detail(
            params={"bk_biz_id": biz, "task_id": task, "node_id": run_pause, "component_code": "job_execute_task"}
        )
    )
    foreign_outputs = {o["key"]: o for o in foreign["outputs"]}
    assert foreign_outputs["job_inst_id"] == {"key": "job_inst_id", "name": "JOB任务ID", "value": "", "preset": True}
    assert foreign_outputs["callback_data"] == {
        "key": "callback_data",
        "name": "callback_data",
        "value": answer,
        "preset": False,
    }
    refused(
        client.sops.get_task_node_detail(
            params={"bk_biz_id": biz, "task_id": task, "node_id": run_pause, "component_code": "no_such_plugin"}
        ),
        PARAM_INVALID,
        "_format_outputs fail",
    )
    sleep_node = ok(
        client.sops.get_task_node_detail(
            params={
                "bk_biz_id": biz,
                "task_id": task,
                "node_id": run_sleep,
                "component_code": "sleep_timer",
            }
        )
    )
    assert sleep_node["inputs"] == {"bk_timing": "0"}

    again = client.sops.node_callback(data={"bk_biz_id": biz, "task_id": task, "node_id": run_pause})
    refused(again, INVALID_OPERATION, "can not find sleep process")
    refused(
        client.sops.node_callback(data={"bk_biz_id": biz, "task_id": task, "node_id": "nope"}),
        PARAM_INVALID,
        "does not have node",
    )


def test_operate_a_task_and_its_nodes(server: Server, gql: GraphQLClient, unique: str) -> None:
    client = sops_client(server.url)
    business = create_business(gql, f"sops-op-{unique}")
    biz = business.bk_biz_id
    t = TreeBuilder()
    t.constant("bad", "soon")
    fork = t.gateway("ParallelGateway", name="fork")
    join = t.gateway("ConvergeGateway", name="join")
    broken = t.sleep("${bad}", name="broken")
    held = t.pause(name="held")
    t.chain(t.start, fork)
    t.flow(fork, broken)
    t.flow(fork, held)
    t.flow(broken, join)
    t.flow(held, join)
    t.flow(join, t.end)
    template = template_number(gql, business, t.tree(), f"op-{unique}")
    created = ok(client.sops.create_task(data={"bk_biz_id": biz, "template_id": template, "name": "op"}))
    task, tree = created["task_id"], created["pipeline_tree"]
    names = {v["name"]: k for k, v in tree["activities"].items()}
    refused(
        client.sops.operate_task(data={"bk_biz_id": biz, "task_id": task, "action": "pause"}),
        INVALID_OPERATION,
        "task not started",
    )
    refused(
        client.sops.operate_task(data={"bk_biz_id": biz, "task_id": task, "action": "explode"}),
        INVALID_OPERATION,
        "task command is invalid",
    )
    operated = client.sops.operate_task(data={"bk_biz_id": biz, "task_id": task, "action": "start"})
    assert ok(operated) == {}
    assert operated["message"] == "success"

    # A branch failed while the other still waits: bk-sops shows the task FAILED although it runs.
    status = wait_node_state(client, biz, task, names["broken"], "FAILED")
    status = wait_node_state(client, biz, task, names["held"], "RUNNING")
    assert status["state"] == "FAILED", status
    failed_detail = ok(client.sops.get_task_status(params={"bk_biz_id": biz, "task_id": task, "with_ex_data": 1}))
    assert "定时时间仅支持" in failed_detail["ex_data"][names["broken"]]

    retry = client.sops.operate_node(
        data={
            "bk_biz_id": biz,
            "task_id": task,
            "node_id": names["broken"],
            "action": "retry",
            "inputs": {"bk_timing": "0"},
        }
    )
    assert retry["result"] is True, retry
    wait_node_state(client, biz, task, names["broken"], "FINISHED")
    assert ok(client.sops.operate_task(data={"bk_biz_id": biz, "task_id": task, "action": "pause"})) == {}
    paused = wait_status(client, biz, task, frozenset({"SUSPENDED"}))
    assert paused["children"][names["held"]]["state"] == "RUNNING"  # a running node is not stopped by a pause
    assert ok(client.sops.operate_task(data={"bk_biz_id": biz, "task_id": task, "action": "resume"})) == {}
    assert ok(client.sops.operate_task(data={"bk_biz_id": biz, "task_id": task, "action": "revoke"})) == {}
    final = wait_status(client, biz, task)
    assert final["state"] == "REVOKED"
    assert final["children"][names["held"]]["state"] == "REVOKED"
    refused(client.sops.operate_task(data={"bk_biz_id": biz, "task_id": task, "action": "revoke"}), INVALID_OPERATION)


def test_query_task_count(server: Server, gql: GraphQLClient, unique: str) -> None:
    client = sops_client(server.url)
    business = create_business(gql, f"sops-count-{unique}")
    biz = business.bk_biz_id
    t = TreeBuilder()
    only = t.sleep("0")
    t.chain(t.start, only, t.end)
    template = template_number(gql, business, t.tree(), f"count-{unique}")
    first = ok(client.sops.create_task(data={"bk_biz_id": biz, "template_id": template, "name": "a"}))["task_id"]
    ok(
        client.sops.create_task(
            data={"bk_biz_id": biz, "template_id": template, "name": "b", "flow_type": "common_func"}
        )
    )
    ok(client.sops.start_task(data={"bk_biz_id": biz, "task_id": first}))
    wait_status(client, biz, first)

    by_status = ok(client.sops.query_task_count(data={"bk_biz_id": biz, "group_by": "status"}))
    assert by_status["total"] == 2
    assert {g["code"]: g["value"] for g in by_status["groups"]} == {"CREATED": 1, "EXECUTING": 0, "FINISHED": 1}
    by_flow = ok(client.sops.query_task_count(data={"bk_biz_id": biz, "group_by": "flow_type"}))
    assert {g["code"]: (g["name"], g["value"]) for g in by_flow["groups"]} == {
        "common": ("默认任务流程", 1),
        "common_func": ("职能化任务流程", 1),
    }
    started = ok(
        client.sops.query_task_count(
            data={
                "bk_biz_id": biz,
                "group_by": "create_method",
                "conditions": {"is_started": True, "create_timelte": "2999-01-01 00:00:00"},  # the doc's eaten "__"
            }
        )
    )
    assert started == {"total": 1, "groups": [{"code": "api", "name": "API网关", "value": 1}]}
    refused(client.sops.query_task_count(data={"bk_biz_id": biz, "group_by": "colour"}), PARAM_INVALID, "group_by")
    refused(
        client.sops.query_task_count(data={"bk_biz_id": biz, "group_by": "status", "conditions": {"x": 1}}),
        PARAM_INVALID,
        "conditions has no field",
    )


def test_refusals(server: Server, gql: GraphQLClient, unique: str) -> None:
    client = sops_client(server.url)
    business = create_business(gql, f"sops-refuse-{unique}")
    biz = business.bk_biz_id
    refused(client.sops.create_task(data={"template_id": 1, "name": "x"}), PARAM_INVALID, "bk_biz_id is required")
    refused(client.sops.create_task(data={"bk_biz_id": biz, "template_id": 999999, "name": "x"}), NOT_EXIST)
    refused(client.sops.get_task_status(params={"bk_biz_id": biz, "task_id": 99999999}), NOT_EXIST)
    refused(client.sops.get_task_status(params={"bk_biz_id": biz, "task_id": "abc"}), PARAM_INVALID)
    t = TreeBuilder()
    t.chain(t.start, t.sleep("0"), t.end)
    template = template_number(gql, business, t.tree(), f"refuse-{unique}")
    bad_url = client.sops.create_task(
        data={
            "bk_biz_id": biz,
            "template_id": template,
            "name": "x",
            "callback_url": "ftp://nowhere",
        }
    )
    refused(bad_url, PARAM_INVALID, "callback_url format error")
    task = ok(client.sops.create_task(data={"bk_biz_id": biz, "template_id": template, "name": "x"}))["task_id"]
    other = create_business(gql, f"sops-other-{unique}")
    refused(client.sops.get_task_status(params={"bk_biz_id": other.bk_biz_id, "task_id": task}), NOT_EXIST)
    name = f"nobody{unique}"
    server.cli("admin", "create-user", name, "--password", "nobody-password-1")
    stranger = sops_client(server.url, name)
    refused(stranger.sops.get_task_status(params={"bk_biz_id": biz, "task_id": task}), FORBIDDEN)
    refused(stranger.sops.start_task(data={"bk_biz_id": biz, "task_id": task}), FORBIDDEN)
    status = ok(client.sops.get_task_status(params={"bk_biz_id": biz, "task_id": task}))
    assert status["state"] == "CREATED", "nothing was started by the refused calls"


def test_create_and_start_task_and_its_callback(server: Server, gql: GraphQLClient, unique: str) -> None:
    from tests.tickets.support import receiver

    client = sops_client(server.url)
    business = create_business(gql, f"sops-callback-{unique}")
    biz = business.bk_biz_id
    t = TreeBuilder()
    t.chain(t.start, t.sleep("0"), t.end)
    template = template_number(gql, business, t.tree(), f"callback-{unique}")
    with receiver(fail_first=1) as hook:
        created = ok(
            client.sops.create_and_start_task(
                data={
                    "bk_biz_id": biz,
                    "template_id": template,
                    "name": "started at once",
                    "callback_url": hook.url,
                }
            )
        )
        task = created["task_id"]
        assert wait_status(client, biz, task)["state"] == "FINISHED"
        _first_headers, first = hook.next()
        second_headers, second = hook.next()  # the first attempt was answered 500: retried
    assert first == second == {"task_id": task, "task_status": "FINISHED", "task_success": True}
    assert second_headers["x-opsgraph-signature"].startswith("sha256=")
    detail = ok(client.sops.get_task_detail(params={"bk_biz_id": biz, "task_id": task}))
    assert detail["create_method"] == "api"
    assert detail["executor"] == "admin"
