"""A run through every gateway kind and a subprocess, a loop, and variables, checked through GraphQL."""

from __future__ import annotations

from tests.pipelines.support import create_template, nodes, run_template, summary, wait_ended
from tests.pipelines.trees import TreeBuilder
from tests.support.server import GraphQLClient
from tests.support.topology import create_business


def test_every_gateway_kind_and_a_subprocess(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"pipe-gw-{unique}")
    # The child template: its own constant (overridden by the parent) and one output.
    child = TreeBuilder()
    child.constant("greeting", "from child")
    child.constant("doubled", "${int(times)*2}")
    child.constant("times", "1")
    child.outputs = ["${doubled}"]
    inner = child.sleep("0", name="inner")
    child.chain(child.start, inner, child.end)
    child_id = create_template(gql, business, child.tree(), f"child-{unique}")
    child_number = int(
        gql.ok("query($i: ID!) { pipelineTemplate(id: $i) { bkTemplateId } }", {"i": child_id})["pipelineTemplate"][
            "bkTemplateId"
        ]
    )

    t = TreeBuilder()
    t.constant("n", "12")
    t.constant("wait", "${int(n) - 12}")  # lazily rendered: "0"
    t.constant("sub_out", "", source_type="component_outputs", source_info={}, custom_type="")
    t.outputs = ["${n}", "${sub_out}"]
    first = t.sleep("${wait}", name="first")
    choose = t.gateway("ExclusiveGateway", name="choose")
    never = t.sleep("0", name="never")
    fork = t.gateway("ParallelGateway", name="fork")
    join = t.gateway("ConvergeGateway", name="join")
    left, right = t.sleep("0", name="left"), t.sleep("0", name="right")
    inner_choice = t.gateway("ExclusiveGateway", name="inner choice")
    yes, no = t.sleep("0", name="yes"), t.sleep("0", name="no")
    cpg = t.gateway("ConditionalParallelGateway", name="some")
    cpg_join = t.gateway("ConvergeGateway", name="some join")
    taken_a, skipped_b, taken_c = t.sleep("0", name="a"), t.sleep("0", name="b"), t.sleep("0", name="c")
    sub = t.subprocess(child_number, {"${times}": "${n}"}, name="sub")
    t.constants["${sub_out}"]["source_info"] = {sub: ["${doubled}"]}
    t.chain(t.start, first, choose)
    t.flow(choose, fork, condition="${n} > 10")
    t.flow(choose, never, condition="${n} <= 10")
    t.flow(never, t.end)
    t.flow(fork, left)
    t.flow(fork, inner_choice)
    t.flow(inner_choice, yes, condition='"${_system.bk_biz_id}" == "' + str(business.bk_biz_id) + '"')
    t.flow(inner_choice, no, default=True)
    t.flow(left, join)
    t.flow(yes, join)
    t.flow(no, join)
    t.flow(fork, right)
    t.flow(right, join)
    t.flow(join, cpg)
    t.flow(cpg, taken_a, condition="${n} == 12")
    t.flow(cpg, skipped_b, condition="${n} == 13")
    t.flow(cpg, taken_c, condition="1 == 1")
    t.flow(taken_a, cpg_join)
    t.flow(skipped_b, cpg_join)
    t.flow(taken_c, cpg_join)
    t.chain(cpg_join, sub, t.end)

    run = run_template(gql, business, t.tree(), f"gateways-{unique}")
    final = wait_ended(gql, run)
    assert final["task"]["status"] == "SUCCESS", summary(final)
    assert (final["state"], final["displayState"], final["isFinished"]) == ("FINISHED", "FINISHED", True)
    by_name = {node["name"]: node for node in final["nodes"] if node["name"]}
    for name in ("first", "choose", "fork", "join", "left", "right", "inner choice", "yes", "some", "a", "c", "sub"):
        assert by_name[name]["state"] == "FINISHED", (name, summary(final))
    for name in ("never", "no", "b"):  # branches not taken never start
        assert by_name[name]["state"] == "CREATED", (name, summary(final))
    assert by_name["first"]["inputs"] == {"bk_timing": 0}  # `${wait}` alone keeps the expression's type
    # The subprocess ran its own nodes (nested under it) with the value passed down.
    inner_node = by_name["inner"]
    assert inner_node["parentId"] == run.node(sub)
    assert inner_node["state"] == "FINISHED"
    assert by_name["sub"]["outputs"]["${doubled}"] == 24
    assert final["outputs"] == [
        {"key": "${n}", "name": "n", "value": "12"},
        {"key": "${sub_out}", "name": "sub_out", "value": 24},
    ]
    # Template node ids are not run node ids.
    assert run.node(first) != first
    assert run.node(first) in nodes(final)


def test_a_loop_counts_its_rounds(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"pipe-loop-{unique}")
    t = TreeBuilder()
    body = t.sleep("0", name="body")
    again = t.gateway("ExclusiveGateway", name="again?")
    t.output_constant("rounds", body, "_loop", default="0")
    t.chain(t.start, body, again)
    t.flow(again, body, condition="${rounds} < 3")
    t.flow(again, t.end, default=True)
    run = run_template(gql, business, t.tree(), f"loop-{unique}")
    final = wait_ended(gql, run)
    assert final["task"]["status"] == "SUCCESS", summary(final)
    state = nodes(final)
    assert state[run.node(body)]["loop"] == 3
    assert state[run.node(again)]["loop"] == 3
    assert len(state[run.node(body)]["histories"]) == 2  # the earlier rounds


def test_a_loop_past_the_rerun_limit_fails_the_node(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"pipe-cap-{unique}")
    t = TreeBuilder()
    body = t.sleep("0", name="body")
    forever = t.gateway("ExclusiveGateway", name="forever")
    t.chain(t.start, body, forever)
    t.flow(forever, body, condition="1 == 1")
    t.flow(forever, t.end, condition="1 == 2")
    run = run_template(gql, business, t.tree(), f"cap-{unique}")
    final = wait_ended(gql, run, timeout=60)
    assert final["task"]["status"] == "FAILED", summary(final)
    node = nodes(final)[run.node(body)]
    assert (node["state"], node["loop"], node["exData"]) == ("FAILED", 101, "node execution exceed rerun limit")
    assert final["displayState"] == "FAILED"
    assert final["state"] == "RUNNING"
