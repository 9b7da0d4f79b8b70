"""Pipeline engine benchmark: a 200-node chain of no-op nodes and a parallel gateway fanning out to
50 branches, each beside a plain asyncio loop doing the same persistence, in the same run.

Run from the repository root:
    python -m bench.pipeline_bench [--nodes 200] [--branches 50] [--repeat 10] [--database-url URL]

Prints figures; asserts nothing about time. bench/README.md says what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.measure import Stats, environment_lines, load_line

SECRET = "bench-secret-key-that-is-long-enough-for-hs256-0123456789"


def chain_tree(nodes: int) -> dict[str, Any]:
    """start → `nodes` sleep_timer(0) activities → end."""
    from tests.pipelines.trees import TreeBuilder

    t = TreeBuilder()
    t.chain(t.start, *[t.sleep("0", name=f"n{i}") for i in range(nodes)], t.end)
    return t.tree()


def fan_tree(branches: int) -> dict[str, Any]:
    """start → parallel gateway → `branches` sleep_timer(0) activities → converge → end."""
    from tests.pipelines.trees import TreeBuilder

    t = TreeBuilder()
    fork, join = t.gateway("ParallelGateway", name="fork"), t.gateway("ConvergeGateway", name="join")
    t.chain(t.start, fork)
    for i in range(branches):
        branch = t.sleep("0", name=f"b{i}")
        t.flow(fork, branch)
        t.flow(branch, join)
    t.flow(join, t.end)
    return t.tree()


class Bench:
    """Everything in this process: the database, the engine, a superuser and one business."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    async def open(self) -> None:
        from opsgraph.core.auth.principal import Principal
        from opsgraph.core.db import apply_migrations, open_database
        from opsgraph.core.events import event_bus
        from opsgraph.core.settings import get_settings
        from opsgraph.executors.pipeline.engine import PipelineEngine, install_pipeline_engine
        from opsgraph.models.topology import Business

        await apply_migrations(self.database_url)
        await open_database(self.database_url)
        self.bus = event_bus
        self.engine = PipelineEngine(get_settings(), event_bus)
        install_pipeline_engine(self.engine)
        self.principal = Principal(user_id=0, username="bench", is_superuser=True)
        self.business = await Business.create(name=f"bench-{time.time_ns()}")

    async def template(self, name: str, tree: dict[str, Any]) -> int:
        from opsgraph.resolvers.pipelines.templates import create_template

        return (await create_template(self.principal, self.business.id, name=name, pipeline_tree=tree)).id

    async def new_run(self, template_id: int) -> int:
        from opsgraph.resolvers.pipelines.runs import RunRequest, create_run

        request = RunRequest(business_id=self.business.id, template_id=template_id, name="bench")
        return (await create_run(self.principal, request)).id

    async def engine_run(self, template_id: int) -> float:
        """Milliseconds from start_task to the run's SUCCESS event (creation not timed)."""
        from opsgraph.resolvers.pipelines.runs import start_run

        task_id = await self.new_run(template_id)
        async with self.bus.subscribe(task_id) as events:
            started = time.perf_counter()
            await start_run(self.principal, task_id)
            while True:
                event = await asyncio.wait_for(events.get(), 120)
                if event["kind"] == "TASK_STATUS" and event["payload"]["status"] in ("SUCCESS", "FAILED"):
                    assert event["payload"]["status"] == "SUCCESS", event
                    return (time.perf_counter() - started) * 1000

    async def baseline_run(self, template_id: int, walk: Callable[[Any, dict[str, Any]], Awaitable[None]]) -> float:
        """The same rows and events written by a plain loop through the same recorder."""
        from opsgraph.executors.pipeline.recorder import PipelineRecorder
        from opsgraph.models.pipelines import PipelineRun
        from opsgraph.models.tasks import Task, TaskStep

        task_id = await self.new_run(template_id)
        task, run = await Task.get(id=task_id), await PipelineRun.get(task_id=task_id)
        steps = {s.config["node_id"]: s for s in await TaskStep.filter(task_id=task_id)}
        recorder = PipelineRecorder(task, run, self.bus)
        recorder.start()
        started = time.perf_counter()
        await recorder.commit([], root_state="RUNNING")
        await walk(recorder, {"tree": run.tree, "steps": steps})
        await recorder.commit([], root_state="FINISHED")
        elapsed = (time.perf_counter() - started) * 1000
        await recorder.stop()
        return elapsed


async def _step(recorder: Any, step: Any, then: list[Any]) -> None:
    """One node: RUNNING committed, then FINISHED with its successors READY in one commit."""
    await recorder.commit([recorder.touch(step, "RUNNING")])
    await recorder.commit([recorder.touch(step, "FINISHED"), *(recorder.touch(s, "READY") for s in then)])


async def chain_walk(recorder: Any, facts: dict[str, Any]) -> None:
    tree, steps = facts["tree"], facts["steps"]
    flows = tree["flows"]
    node = tree["start_event"]["id"]
    await recorder.commit([recorder.touch(steps[node], "READY")])
    while node != tree["end_event"]["id"]:
        outgoing = (tree["activities"].get(node) or tree["start_event"])["outgoing"]
        following = flows[outgoing if isinstance(outgoing, str) else outgoing[0]]["target"]
        await _step(recorder, steps[node], [steps[following]])
        node = following
    await _step(recorder, steps[node], [])


async def fan_walk(recorder: Any, facts: dict[str, Any]) -> None:
    tree, steps = facts["tree"], facts["steps"]
    fork = next(g for g in tree["gateways"].values() if g["type"] == "ParallelGateway")
    join = next(g for g in tree["gateways"].values() if g["type"] == "ConvergeGateway")
    branches = [steps[tree["flows"][f]["target"]] for f in fork["outgoing"]]
    start, end = steps[tree["start_event"]["id"]], steps[tree["end_event"]["id"]]
    await recorder.commit([recorder.touch(start, "READY")])
    await _step(recorder, start, [steps[fork["id"]]])
    await _step(recorder, steps[fork["id"]], branches)
    arrived = 0

    async def branch(step: Any) -> None:
        nonlocal arrived
        await recorder.commit([recorder.touch(step, "RUNNING")])
        arrived += 1
        joined = [recorder.touch(steps[join["id"]], "READY")] if arrived == len(branches) else []
        await recorder.commit([recorder.touch(step, "FINISHED"), *joined])

    await asyncio.gather(*(branch(step) for step in branches))
    await _step(recorder, steps[join["id"]], [end])
    await _step(recorder, end, [])


def _stats(samples: list[float]) -> Stats:
    return Stats.of(samples)


async def run(args: argparse.Namespace) -> None:
    bench = Bench(args.database_url)
    await bench.open()
    chain = await bench.template("chain", chain_tree(args.nodes))
    fan = await bench.template("fan", fan_tree(args.branches))
    cases = {
        f"chain of {args.nodes} no-op nodes": (chain, chain_walk, args.nodes + 2),
        f"parallel gateway, {args.branches} branches": (fan, fan_walk, args.branches + 4),
    }
    print("environment:")
    for line in environment_lines():
        print(f"  {line}")
    print(f"  database: {args.database_url.split('?')[0]}")
    print()
    print(f"{'case':40} {'engine ms (median / p95)':>26} {'plain loop ms':>22} {'ratio':>6} {'extra ms/node':>14}")
    for name, (template, walk, node_count) in cases.items():
        ours: list[float] = []
        plain: list[float] = []
        for round_number in range(args.warmup + args.repeat):
            # Interleaved, alternating who goes first: both see the same drift in machine load.
            pair = [bench.engine_run(template), bench.baseline_run(template, walk)]
            if round_number % 2:
                baseline_ms, engine_ms = await pair[1], await pair[0]
            else:
                engine_ms, baseline_ms = await pair[0], await pair[1]
            if round_number >= args.warmup:
                ours.append(engine_ms)
                plain.append(baseline_ms)
        engine_stats, plain_stats = _stats(ours), _stats(plain)
        ratio = engine_stats.median_ms / plain_stats.median_ms
        extra = (engine_stats.median_ms - plain_stats.median_ms) / node_count
        print(f"{name:40} {engine_stats.cell():>26} {plain_stats.cell():>22} {ratio:6.2f} {extra:14.3f}")
    print()
    print("bk-sops runs this on bamboo-engine with Celery workers and a broker; OpsGraph runs it in-process.")
    print(load_line())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--branches", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="opsgraph-pipeline-bench-"))
    args.database_url = args.database_url or f"sqlite://{workdir}/bench.sqlite3"
    os.environ.setdefault("OPSGRAPH_SECRET_KEY", SECRET)
    os.environ.setdefault("OPSGRAPH_DATA_DIR", str(workdir))
    os.environ["OPSGRAPH_DATABASE_URL"] = args.database_url
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
