"""Bad trees and bad input of every kind: a clear UserError (naming the node at fault), nothing
created; other businesses' templates and runs are answered like missing ones."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.executors.support import login
from tests.pipelines.support import CREATE_TASK, CREATE_TEMPLATE, UPDATE_TEMPLATE, create_template, run_template
from tests.pipelines.trees import TreeBuilder
from tests.support.server import GraphQLClient, Server
from tests.support.topology import Business, create_business

COUNT = "query($b: ID!) { pipelineTemplates(first: 1, filter: {businessId: $b}) { totalCount } }"


def _good() -> tuple[dict[str, Any], dict[str, str]]:
    t = TreeBuilder()
    t.constant("n", "1")
    first = t.sleep("0", name="first")
    gateway = t.gateway("ExclusiveGateway", name="decide")
    fork = t.gateway("ParallelGateway", name="fork")
    join = t.gateway("ConvergeGateway", name="join")
    left, right = t.sleep("0", name="left"), t.sleep("0", name="right")
    t.chain(t.start, first, gateway)
    t.flow(gateway, fork, condition="${n} == 1")
    t.flow(gateway, t.end, condition="${n} != 1")
    t.flow(fork, left)
    t.flow(fork, right)
    t.flow(left, join)
    t.flow(right, join)
    t.flow(join, t.end)
    ids = {"start": t.start, "end": t.end, "first": first, "decide": gateway, "fork": fork, "join": join, "left": left}
    return t.tree(), ids


def _node(tree: dict[str, Any], node_id: str) -> dict[str, Any]:
    for section in ("activities", "gateways"):
        if node_id in tree[section]:
            return dict(tree[section][node_id])
    return dict(tree["start_event"] if tree["start_event"]["id"] == node_id else tree["end_event"])


def _break(change: Callable[[dict[str, Any], dict[str, str]], None]) -> Callable[[], tuple[dict[str, Any], str]]:
    def make() -> tuple[dict[str, Any], str]:
        tree, ids = _good()
        change(tree, ids)
        return tree, ""

    return make


def _unknown_plugin(tree: dict[str, Any], ids: dict[str, str]) -> None:
    tree["activities"][ids["first"]]["component"]["code"] = "no_such_plugin"


def _missing_condition(tree: dict[str, Any], ids: dict[str, str]) -> None:
    tree["gateways"][ids["decide"]]["conditions"].popitem()


def _bad_condition(tree: dict[str, Any], ids: dict[str, str]) -> None:
    first = next(iter(tree["gateways"][ids["decide"]]["conditions"]))
    tree["gateways"][ids["decide"]]["conditions"][first]["evaluate"] = "${n} = = 1"


def _branch_skips_converge(tree: dict[str, Any], ids: dict[str, str]) -> None:
    flow = tree["activities"][ids["left"]]["outgoing"]
    tree["flows"][flow]["target"] = ids["end"]
    tree["end_event"]["incoming"].append(flow)
    tree["gateways"][ids["join"]]["incoming"].remove(flow)


def _two_outgoing(tree: dict[str, Any], ids: dict[str, str]) -> None:
    tree["activities"][ids["first"]]["outgoing"] = [tree["activities"][ids["first"]]["outgoing"], "extra"]


def _unreachable(tree: dict[str, Any], ids: dict[str, str]) -> None:
    """A loop of its own (an activity and a gateway) that no flow from the start reaches."""
    orphan = copy.deepcopy(tree["activities"][ids["left"]])
    orphan.update(id="orphan", name="orphan", incoming=["l-back"], outgoing="l-to-x")
    tree["activities"]["orphan"] = orphan
    tree["gateways"]["x-orphan"] = {
        "id": "x-orphan",
        "type": "ExclusiveGateway",
        "name": "",
        "incoming": ["l-to-x"],
        "outgoing": ["l-back", "l-out"],
        "conditions": {"l-back": {"evaluate": "1 == 1"}, "l-out": {"evaluate": "1 == 2"}},
    }
    tree["flows"]["l-to-x"] = {"id": "l-to-x", "source": "orphan", "target": "x-orphan"}
    tree["flows"]["l-back"] = {"id": "l-back", "source": "x-orphan", "target": "orphan"}
    tree["flows"]["l-out"] = {"id": "l-out", "source": "x-orphan", "target": ids["end"]}
    tree["end_event"]["incoming"].append("l-out")


def _timeout_with_retry(tree: dict[str, Any], ids: dict[str, str]) -> None:
    tree["activities"][ids["first"]]["timeout_config"] = {"enable": True, "seconds": 30, "action": "forced_fail"}
    tree["activities"][ids["first"]]["auto_retry"] = {"enable": True, "times": 1, "interval": 0}


def _into_start(tree: dict[str, Any], ids: dict[str, str]) -> None:
    flow = tree["activities"][ids["left"]]["outgoing"]
    tree["flows"][flow]["target"] = ids["start"]
    tree["gateways"][ids["join"]]["incoming"].remove(flow)
    tree["start_event"]["incoming"] = flow


def _bad_constant_key(tree: dict[str, Any], ids: dict[str, str]) -> None:
    tree["constants"]["n"] = tree["constants"].pop("${n}")


def _bad_timing(tree: dict[str, Any], ids: dict[str, str]) -> None:
    tree["activities"][ids["first"]]["component"]["data"]["bk_timing"]["value"] = "tomorrow-ish"


BAD_TREES: dict[str, tuple[Callable[[dict[str, Any], dict[str, str]], None], str, str | None]] = {
    # name: (change, words the message must hold, the node it must name)
    "unknown plugin": (_unknown_plugin, "unknown plugin 'no_such_plugin'", "first"),
    "exclusive gateway without a condition": (_missing_condition, "has no condition", "decide"),
    "unparseable condition": (_bad_condition, "cannot parse", "decide"),
    "parallel branch that skips the converge": (_branch_skips_converge, "does not reach a converge", "fork"),
    "activity with two outgoing flows": (_two_outgoing, "disagrees with the flows leaving it", "first"),
    "a node nothing reaches": (_unreachable, "cannot be reached from the start event", None),
    "timeout with auto-retry": (_timeout_with_retry, "cannot be combined with auto_retry", "first"),
    "a flow into the start event": (_into_start, "cannot have incoming flows", "start"),
    "a constant key without ${}": (_bad_constant_key, "keys are written ${name}", None),
    "a sleep that can never parse": (_bad_timing, "定时时间仅支持", "first"),
}


@pytest.mark.parametrize("case", sorted(BAD_TREES))
def test_a_bad_tree_is_refused_naming_the_node(gql: GraphQLClient, unique: str, case: str) -> None:
    business = create_business(gql, f"pipe-bad-{unique}")
    change, words, node = BAD_TREES[case]
    tree, ids = _good()
    change(tree, ids)
    result = gql.ok(CREATE_TEMPLATE, {"input": {"businessId": business.id, "name": case, "pipelineTree": tree}})
    errors = result["createPipelineTemplate"]["errors"]
    assert result["createPipelineTemplate"]["pipelineTemplate"] is None
    assert len(errors) == 1, errors
    assert (errors[0]["code"], errors[0]["field"]) == ("INVALID_TREE", "pipelineTree"), errors
    assert words in errors[0]["message"], errors[0]["message"]
    if node is not None:
        assert ids[node] in errors[0]["message"], errors[0]["message"]
    assert gql.ok(COUNT, {"b": business.id})["pipelineTemplates"]["totalCount"] == 0


@pytest.mark.parametrize(
    "tree",
    [None, [], "text", {"start_event": {}}, {"start_event": {"id": "s", "type": "EmptyStartEvent"}, "end_event": 3}],
)
def test_a_tree_that_is_not_a_tree(gql: GraphQLClient, unique: str, tree: Any) -> None:
    business = create_business(gql, f"pipe-shape-{unique}")
    result = gql.execute(CREATE_TEMPLATE, {"input": {"businessId": business.id, "name": "x", "pipelineTree": tree}})
    if result.errors:  # null for a required field: refused by GraphQL itself
        assert tree is None
        assert result.status == 200
        return
    errors = result.data["createPipelineTemplate"]["errors"]
    assert errors, result.data
    assert errors[0]["field"] == "pipelineTree", errors


def test_a_bad_update_keeps_the_current_version(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"pipe-badupd-{unique}")
    tree, ids = _good()
    template_id = create_template(gql, business, tree, f"keep-{unique}")
    broken = copy.deepcopy(tree)
    _unknown_plugin(broken, ids)
    result = gql.ok(UPDATE_TEMPLATE, {"input": {"pipelineTemplateId": template_id, "pipelineTree": broken}})
    assert result["updatePipelineTemplate"]["errors"][0]["code"] == "INVALID_TREE"
    current = gql.ok(
        "query($i: ID!) { pipelineTemplate(id: $i) { version pipelineTree versions { version } } }", {"i": template_id}
    )["pipelineTemplate"]
    assert current["version"] == 1
    assert current["pipelineTree"] == tree
    assert len(current["versions"]) == 1


def _run_errors(gql: GraphQLClient, business: Business, **fields: Any) -> list[dict[str, Any]]:
    data = gql.ok(CREATE_TASK, {"input": {"businessId": business.id, "name": "run", **fields}})["createPipelineTask"]
    assert data["task"] is None
    errors: list[dict[str, Any]] = data["errors"]
    return errors


def test_bad_run_requests_change_nothing(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"pipe-badrun-{unique}")
    tree, ids = _good()
    template_id = create_template(gql, business, tree, f"good-{unique}")
    cases: dict[str, tuple[dict[str, Any], str]] = {
        "not optional": (dict(excludeTaskNodesId=[ids["first"]]), "is not optional"),
        "not a node": (dict(excludeTaskNodesId=["nope"]), "does not exist"),
        "constants not an object": (dict(constants=[1, 2]), "constants must be an object"),
        "flow type": (dict(flowType="weird"), "flow_type"),
        "callback url": (dict(callbackUrl="ftp://x"), "callback URL"),
        "version": (dict(version=9), "no version 9"),
        "empty name": (dict(name="  "), "task name is required"),
    }
    for case, (fields, words) in cases.items():
        errors = _run_errors(gql, business, pipelineTemplateId=template_id, **fields)
        assert errors, case
        assert words in errors[0]["message"], (case, errors)
    tasks = gql.ok(
        "query($b: ID!) { tasks(first: 5, filter: {businessId: $b, kind: [PIPELINE]}) { totalCount } }",
        {"b": business.id},
    )
    assert tasks["tasks"]["totalCount"] == 0


def test_other_businesses_are_answered_like_missing_ones(server: Server, gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"pipe-private-{unique}")
    template_id = create_template(gql, business, _good()[0], f"private-{unique}")
    run = run_template(gql, business, _good()[0], f"private-run-{unique}")
    name = f"outsider{unique}"
    server.cli("admin", "create-user", name, "--password", "outsider-password-1")
    outsider = login(server.url, name, "outsider-password-1")
    assert (
        outsider.ok("query($i: ID!) { pipelineTemplate(id: $i) { id } }", {"i": template_id})["pipelineTemplate"]
        is None
    )
    assert (
        outsider.ok("query($n: Int!) { pipelineRun(bkTaskId: $n) { state } }", {"n": run.number})["pipelineRun"] is None
    )
    missing = outsider.ok(
        "query($i: ID!) { pipelineTemplate(id: $i) { id } }", {"i": "UGlwZWxpbmVUZW1wbGF0ZTo5OTk5OTk5"}
    )["pipelineTemplate"]
    assert missing is None
    operated = outsider.ok(
        "mutation($t: ID!) { operatePipelineTask(input: {taskId: $t, action: REVOKE}) { errors { code message } } }",
        {"t": run.id},
    )["operatePipelineTask"]["errors"]
    assert operated[0]["code"] == "TASK_NOT_FOUND", operated
    # A run made from another business's template: the template does not exist for this one.
    theirs = create_business(gql, f"pipe-theirs-{unique}")
    errors = _run_errors(gql, theirs, pipelineTemplateId=template_id)
    assert errors[0]["code"] == "TEMPLATE_NOT_FOUND", errors
