"""Task and node operations through GraphQL: what each does, and its refusal when the precondition
fails (bamboo's messages, code INVALID_OPERATION)."""

from __future__ import annotations

from tests.pipelines.support import (
    create_run,
    create_template,
    nodes,
    operate_node,
    operate_task,
    read,
    run_template,
    start,
    summary,
    wait_ended,
    wait_for,
    wait_node,
)
from tests.pipelines.trees import TreeBuilder
from tests.support.server import GraphQLClient
from tests.support.topology import create_business


def refused(result: dict[str, object], message: str) -> None:
    errors = result["errors"]
    assert isinstance(errors, list), result
    assert errors, result
    assert errors[0]["code"] == "INVALID_OPERATION", errors
    assert message in errors[0]["message"], errors


def test_a_failed_exclusive_gateway_is_repaired_by_skip_exg(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"pipe-exg-{unique}")
    t = TreeBuilder()
    t.constant("size", "5")
    gateway = t.gateway("ExclusiveGateway", name="size?")
    big, small = t.sleep("0", name="big"), t.sleep("0", name="small")
    t.chain(t.start, gateway)
    to_big = t.flow(gateway, big, condition="${size} > 10")
    t.flow(gateway, small, condition="${size} > 100")
    t.flow(big, t.end)
    t.flow(small, t.end)
    run = run_template(gql, business, t.tree(), f"exg-{unique}")
    failed = wait_ended(gql, run)
    node = nodes(failed)[run.node(gateway)]
    assert (failed["task"]["status"], node["state"]) == ("FAILED", "FAILED"), summary(failed)
    assert node["exData"] == "all conditions of branches are not meet"
    assert failed["displayState"] == "FAILED"
    assert failed["task"]["error"]

    refused(operate_node(gql, run, run.node(big), "SKIP_EXG", flowId="x"), "is not exclusive gateway")
    flow_id = next(f for f, v in run.tree["flows"].items() if v["target"] == run.node(big))
    assert run.tree["flows"][flow_id]["source"] == run.node(gateway)
    assert to_big not in run.tree["flows"]
    assert operate_node(gql, run, run.node(gateway), "SKIP_EXG", flowId=flow_id)["errors"] == []
    final = wait_ended(gql, run)
    assert final["task"]["status"] == "SUCCESS", summary(final)
    state = nodes(final)
    assert state[run.node(gateway)]["skip"] is True
    assert (state[run.node(big)]["state"], state[run.node(small)]["state"]) == ("FINISHED", "CREATED")


def test_retry_with_new_inputs_and_skip(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"pipe-retry-{unique}")
    t = TreeBuilder()
    t.constant("timing", "soon")
    t.constant("later", "later")  # a bad timing the template check cannot see (it is a variable)
    broken = t.sleep("${timing}", name="broken")
    also_broken = t.sleep("${later}", name="also broken", skippable=True)
    t.chain(t.start, broken, also_broken, t.end)
    run = run_template(gql, business, t.tree(), f"retry-{unique}")
    first = wait_ended(gql, run)
    node = nodes(first)[run.node(broken)]
    assert (node["state"], node["inputs"]) == ("FAILED", {"bk_timing": "soon"}), summary(first)
    assert "定时时间仅支持" in node["exData"]
    refused(operate_node(gql, run, run.node(also_broken), "RETRY"), "state is not FAILED, actual CREATED")

    assert operate_node(gql, run, run.node(broken), "RETRY", inputs={"bk_timing": "0"})["errors"] == []
    second = wait_ended(gql, run)
    node = nodes(second)[run.node(broken)]
    assert (node["state"], node["retry"], node["inputs"]) == ("FINISHED", 1, {"bk_timing": "0"}), summary(second)
    assert [h["state"] for h in node["histories"]] == ["FAILED"]
    assert nodes(second)[run.node(also_broken)]["state"] == "FAILED"

    assert operate_node(gql, run, run.node(also_broken), "SKIP")["errors"] == []
    final = wait_ended(gql, run)
    assert final["task"]["status"] == "SUCCESS", summary(final)
    skipped = nodes(final)[run.node(also_broken)]
    assert (skipped["state"], skipped["skip"], skipped["status"]) == ("FINISHED", True, "SKIPPED")
    refused(operate_node(gql, run, run.node(also_broken), "SKIP"), "state is not FAILED")


def test_pause_resume_and_revoke(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"pipe-pause-{unique}")
    t = TreeBuilder()
    slow = t.sleep("2", name="slow")
    after = t.sleep("0", name="after")
    waiting = t.pause(name="wait for me")
    t.chain(t.start, slow, after, waiting, t.end)
    template = create_template(gql, business, t.tree(), f"pause-{unique}")
    run = create_run(gql, business, template, f"pause-{unique}")
    refused(operate_task(gql, run, "PAUSE"), "task not started")
    start(gql, run)
    refused(operate_task(gql, run, "START"), "task already started")
    wait_node(gql, run, run.node(slow), "RUNNING")
    refused(operate_task(gql, run, "RESUME"), "state is: RUNNING")
    assert operate_task(gql, run, "PAUSE")["errors"] == []
    # The running node finishes; the next one is reached but does not start while paused.
    paused = wait_node(gql, run, run.node(slow), "FINISHED")
    paused = wait_for(gql, run, lambda s: s["task"]["status"] == "WAITING", what="the pause to settle")
    assert paused["state"] == "SUSPENDED", summary(paused)
    assert nodes(paused)[run.node(after)]["state"] == "READY", summary(paused)
    assert operate_task(gql, run, "RESUME")["errors"] == []
    waiting_state = wait_node(gql, run, run.node(waiting), "RUNNING")
    assert nodes(waiting_state)[run.node(after)]["state"] == "FINISHED"
    assert nodes(waiting_state)[run.node(waiting)]["status"] == "WAITING"  # waits for people
    assert operate_task(gql, run, "REVOKE")["errors"] == []
    final = wait_ended(gql, run)
    assert (final["task"]["status"], final["state"]) == ("CANCELLED", "REVOKED"), summary(final)
    assert nodes(final)[run.node(waiting)]["state"] == "REVOKED"
    refused(operate_task(gql, run, "REVOKE"), "can not revoke")
    refused(operate_task(gql, run, "RESUME"), "state is: REVOKED")


def test_pause_node_callback_and_forced_fail(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"pipe-cb-{unique}")
    t = TreeBuilder()
    first = t.pause(name="first")
    second = t.pause(name="second")
    t.chain(t.start, first, second, t.end)
    run = run_template(gql, business, t.tree(), f"callback-{unique}")
    state = wait_node(gql, run, run.node(first), "RUNNING")
    version = nodes(state)[run.node(first)]["version"]
    refused(operate_node(gql, run, run.node(second), "CALLBACK", callbackData={}), "can not find sleep process")
    refused(operate_node(gql, run, run.node(first), "CALLBACK", callbackData={}, version="0" * 32), "node version")
    assert operate_node(gql, run, run.node(first), "CALLBACK", callbackData={"go": 1}, version=version)["errors"] == []
    state = wait_node(gql, run, run.node(second), "RUNNING")
    assert nodes(state)[run.node(first)]["outputs"]["callback_data"] == {"go": 1}

    assert operate_node(gql, run, run.node(second), "FORCED_FAIL")["errors"] == []
    failed = wait_ended(gql, run)
    node = nodes(failed)[run.node(second)]
    assert (node["state"], node["exData"]) == ("FAILED", "The node has been terminated by admin."), summary(failed)
    refused(operate_node(gql, run, run.node(second), "FORCED_FAIL"), "state is not RUNNING")
    assert operate_node(gql, run, run.node(second), "SKIP")["errors"] == []
    assert wait_ended(gql, run)["task"]["status"] == "SUCCESS"


def test_auto_retry_then_error_ignorable(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"pipe-auto-{unique}")
    t = TreeBuilder()
    t.constant("bad", "nope")
    retried = t.sleep("${bad}", name="retried", auto_retry={"enable": True, "times": 2, "interval": 0})
    ignored = t.sleep("${bad}", name="ignored", error_ignorable=True)
    t.chain(t.start, retried, ignored, t.end)
    run = run_template(gql, business, t.tree(), f"auto-{unique}")
    failed = wait_ended(gql, run)
    node = nodes(failed)[run.node(retried)]
    assert (node["state"], node["retry"], len(node["histories"])) == ("FAILED", 2, 2), summary(failed)
    assert operate_node(gql, run, run.node(retried), "SKIP")["errors"] == []
    final = wait_ended(gql, run)
    assert final["task"]["status"] == "SUCCESS", summary(final)
    ignored_node = nodes(final)[run.node(ignored)]
    assert (ignored_node["state"], ignored_node["errorIgnored"]) == ("FINISHED", True)
    assert ignored_node["outputs"]["_result"] is False
    assert ignored_node["exData"]


def test_a_pause_appointed_before_a_node_starts(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"pipe-appoint-{unique}")
    t = TreeBuilder()
    gate = t.pause(name="gate")
    held = t.sleep("0", name="held")
    t.chain(t.start, gate, held, t.end)
    run = run_template(gql, business, t.tree(), f"appoint-{unique}")
    wait_node(gql, run, run.node(gate), "RUNNING")
    refused(operate_node(gql, run, run.node(gate), "PAUSE"), "is RUNNING")
    assert operate_node(gql, run, run.node(held), "PAUSE")["errors"] == []
    assert operate_node(gql, run, run.node(gate), "CALLBACK", callbackData="go")["errors"] == []
    held_state = wait_for(gql, run, lambda s: s["task"]["status"] == "WAITING", what="the held node")
    assert nodes(held_state)[run.node(held)]["state"] == "SUSPENDED"
    assert held_state["displayState"] == "NODE_SUSPENDED", summary(held_state)
    assert operate_node(gql, run, run.node(held), "RESUME")["errors"] == []
    assert wait_ended(gql, run)["task"]["status"] == "SUCCESS"
    assert read(gql, run)["isFinished"] is True


def test_operations_on_nodes_the_run_lacks_or_cannot_do(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"pipe-nope-{unique}")
    t = TreeBuilder()
    only = t.sleep("0", name="only")
    t.chain(t.start, only, t.end)
    run = run_template(gql, business, t.tree(), f"nope-{unique}")
    wait_ended(gql, run)
    missing = operate_node(gql, run, only, "RETRY")  # a template node id is not a run node id
    assert missing["errors"][0]["code"] == "NODE_NOT_FOUND", missing
    refused(operate_node(gql, run, run.node(only), "RETRY_SUBPROCESS"), "not supported")
    refused(operate_node(gql, run, run.node(only), "PAUSE_SUBPROC"), "type is not SubProcess")
    refused(operate_node(gql, run, run.tree["start_event"]["id"], "SKIP"), "state is not FAILED")


AUDIT = """
query($b: Int!) { operationLog(filter: {bkBizId: $b, opTarget: "pipeline_task"}, limit: 50) {
  items { opType operator } } }"""
CANCEL = "mutation($t: ID!) { cancelTask(input: {taskId: $t}) { task { status } errors { code message } } }"
RETRY_HOSTS = "mutation($t: ID!) { retryFailedHosts(input: {taskId: $t}) { errors { code message } } }"


def test_a_subprocess_paused_and_resumed_and_every_operation_audited(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"pipe-subpause-{unique}")
    child = TreeBuilder()
    gate = child.pause(name="inner gate")
    later = child.sleep("0", name="inner later")
    child.chain(child.start, gate, later, child.end)
    child_id = create_template(gql, business, child.tree(), f"sub-child-{unique}")
    number = gql.ok("query($i: ID!) { pipelineTemplate(id: $i) { bkTemplateId } }", {"i": child_id})[
        "pipelineTemplate"
    ]["bkTemplateId"]
    t = TreeBuilder()
    sub = t.subprocess(number, name="sub")
    t.chain(t.start, sub, t.end)
    run = run_template(gql, business, t.tree(), f"subpause-{unique}")
    state = wait_for(
        gql,
        run,
        lambda s: any(n["name"] == "inner gate" and n["state"] == "RUNNING" for n in s["nodes"]),
        what="the inner gate",
    )
    inner = {n["name"]: n["nodeId"] for n in state["nodes"] if n["parentId"] == run.node(sub)}
    assert operate_node(gql, run, run.node(sub), "PAUSE_SUBPROC")["errors"] == []
    refused(operate_node(gql, run, run.node(sub), "PAUSE_SUBPROC"), "state is: SUSPENDED")
    assert operate_node(gql, run, inner["inner gate"], "CALLBACK", callbackData=1)["errors"] == []
    held = wait_node(gql, run, inner["inner later"], "READY")
    assert nodes(held)[run.node(sub)]["state"] == "SUSPENDED"
    assert held["displayState"] == "NODE_SUSPENDED", summary(held)
    assert operate_node(gql, run, run.node(sub), "RESUME_SUBPROC")["errors"] == []
    assert wait_ended(gql, run)["task"]["status"] == "SUCCESS"

    # cancelTask on a pipeline revokes it; retryFailedHosts is not for pipelines.
    second = run_template(gql, business, child.tree(), f"cancel-{unique}")
    wait_for(gql, second, lambda s: s["task"]["status"] == "RUNNING", what="the second run")
    refused_retry = gql.ok(RETRY_HOSTS, {"t": second.id})["retryFailedHosts"]["errors"]
    assert refused_retry[0]["code"] == "PIPELINE_TASK", refused_retry
    assert gql.ok(CANCEL, {"t": second.id})["cancelTask"]["errors"] == []
    assert wait_ended(gql, second)["state"] == "REVOKED"

    audited = [e["opType"] for e in gql.ok(AUDIT, {"b": business.bk_biz_id})["operationLog"]["items"]]
    for op in ("create", "start", "node_pause_subproc", "node_callback", "node_resume_subproc", "revoke"):
        assert op in audited, (op, audited)
