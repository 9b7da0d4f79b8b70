"""OpenC3 benchmark: starting a 1,000-host job by name through the OpenC3 dialect, beside the same
job (the same JobTemplate) started through the BlueKing path (`job/execute_job`) and through GraphQL
(`runJob`), interleaved in the same run. The figure is the start: from sending the request to the
parsed answer (the task, its step and one result row per host written, and the task queued).

Run from the repository root:
    python -m bench.openc3_bench [--hosts 1000] [--repeat 10] [--warmup 2] [--keep]

The hosts are 10.251.x.y addresses nothing needs to reach: each started task is cancelled at once
(untimed) and waited for until it has ended, with both runner bounds at 1, so no round overlaps
the previous one's work. Prints figures; asserts nothing about time. bench/README.md says more.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.client import HttpClient, Reply
from bench.jobs_estate import add_hosts, create_business, mutate
from bench.measure import Stats, environment_lines, http_probe, interleave, load_line
from bench.process import ADMIN_USER, APP_CODE, APP_SECRET, OpsGraphInstance

OPENC3 = "OpenC3 task/job/byname"
BLUEKING = "BlueKing job/execute_job"
GRAPHQL = "GraphQL runJob"
JOB_NAME = "bench-openc3-job"
NETWORK = "10.251"
ENDED = {"SUCCESS", "FAILED", "CANCELLED", "ABNORMAL", "SKIPPED"}
CREATE_ACCOUNT = """
mutation($input: CreateAccountInput!) {
  createAccount(input: $input) { account { id } errors { code field message } }
}"""
BK_BIZ = "query($b: ID!) { node(id: $b) { ... on Business { bkBizId } } }"
TREE_JOB = "query($t: Int!, $n: String!) { treeJob(treeId: $t, name: $n) { bkJobId } }"
TREE_TASK = "query($t: Int!, $u: String!) { treeTask(treeId: $t, uuid: $u) { taskId } }"
RUN_JOB = """
mutation($t: ID!) { runJob(input: {templateId: $t}) { task { id jobInstanceId } errors { code field message } } }"""
CANCEL = "mutation($t: ID!) { cancelTask(input: {taskId: $t}) { task { status } errors { code message } } }"
STATUS = "query($j: Int!) { task(jobInstanceId: $j) { status } }"
SETTLE_S = 120.0


class BenchInstance(OpsGraphInstance):
    """One connection attempt at a time, failing fast: a cancelled start leaves no work behind."""

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update(
            OPSGRAPH_RUNNER_GLOBAL_CONCURRENCY="1",
            OPSGRAPH_RUNNER_TASK_CONCURRENCY="1",
            OPSGRAPH_SSH_CONNECT_TIMEOUT="1",
        )
        return env


def global_id(type_name: str, pk: int) -> str:
    from opsgraph.core.ids import encode_global_id

    return encode_global_id(type_name, pk)


class Starts:
    """The three ways to start the job, each followed (untimed) by a cancel and a wait."""

    def __init__(self, client: HttpClient, token: str, tree: int, template_id: int) -> None:
        self.client, self.tree, self.template_id = client, tree, template_id
        self.cookie = {"Cookie": f"bk_token={token}"}
        credentials = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": ADMIN_USER}
        self.bk_headers = {"X-Bkapi-Authorization": json.dumps(credentials)}
        self.notes: list[str] = []

    def _settle(self, job_instance_id: int) -> None:
        self.client.graphql(CANCEL, {"t": global_id("Task", job_instance_id)})
        deadline = time.monotonic() + SETTLE_S
        while time.monotonic() < deadline:
            if self.client.data(STATUS, {"j": job_instance_id})["task"]["status"] in ENDED:
                return
            time.sleep(0.1)
        self.notes.append(f"task {job_instance_id} did not end within {SETTLE_S:.0f} s of its cancel")

    def openc3(self) -> Reply:
        reply = self.client.post(f"/api/job/task/{self.tree}/job/byname", {"jobname": JOB_NAME}, self.cookie)
        if reply.body.get("stat") is not True:
            raise RuntimeError(f"OpenC3 start refused: {reply.body}")
        task_id = self.client.data(TREE_TASK, {"t": self.tree, "u": reply.body["uuid"]})["treeTask"]["taskId"]
        self._settle(int(task_id))
        return reply

    def blueking(self) -> Reply:
        body = {"bk_biz_id": self.tree, "bk_job_id": self.template_id}
        reply = self.client.post("/api/c/compapi/v2/job/execute_job/", body, self.bk_headers)
        if reply.body.get("result") is not True:
            raise RuntimeError(f"BlueKing start refused: {reply.body}")
        self._settle(int(reply.body["data"]["job_instance_id"]))
        return reply

    def graphql(self) -> Reply:
        reply = self.client.graphql(RUN_JOB, {"t": global_id("JobTemplate", self.template_id)})
        payload = reply.body["data"]["runJob"]
        if payload["errors"]:
            raise RuntimeError(f"runJob refused: {payload['errors']}")
        self._settle(int(payload["task"]["jobInstanceId"]))
        return reply


def build(client: HttpClient, token: str, hosts: int) -> tuple[int, int, list[str]]:
    """The business, its hosts and account, and the OpenC3 job; (tree id, template id, set-up lines)."""
    lines = []
    started = time.perf_counter()
    business = create_business(client, "bench-openc3")
    tree = int(client.data(BK_BIZ, {"b": business})["node"]["bkBizId"])
    addresses = [f"{NETWORK}.{i >> 8}.{i & 255}" for i in range(1, hosts + 1)]
    notes: list[str] = []
    add_hosts(client, business, [{"innerIp": a} for a in addresses], notes)
    account = {
        "businessId": business,
        "alias": "ops",
        "username": "ops",
        "password": "bench-ops-password",
        "isDefault": True,
    }
    mutate(client, CREATE_ACCOUNT, "createAccount", {"input": account})
    lines.append(f"business + {hosts:,} hosts + account: {time.perf_counter() - started:.1f} s")
    step = {
        "plugin_type": "cmd",
        "name": "echo",
        "user": "ops",
        "node_type": "buildin",
        "node_cont": ",".join(addresses),
        "scripts_type": "content",
        "scripts_cont": "echo ok",
        "timeout": 60,
    }
    started = time.perf_counter()
    created = client.post(f"/api/job/jobs/{tree}", {"name": JOB_NAME, "data": [step]}, {"Cookie": f"bk_token={token}"})
    if created.body.get("stat") is not True:
        raise RuntimeError(f"creating the OpenC3 job failed: {created.body}")
    template_id = int(client.data(TREE_JOB, {"t": tree, "n": JOB_NAME})["treeJob"]["bkJobId"])
    lines.append(f"OpenC3 job over {hosts:,} hosts (a JobTemplate): {time.perf_counter() - started:.1f} s")
    return tree, template_id, lines + [f"note: {n}" for n in notes]


def report(stats: dict[str, Stats], hosts: int) -> list[str]:
    lines = [f"start a {hosts:,}-host job by name (ms, median / p95 over the interleaved rounds; SQL per request)"]
    for name, figure in stats.items():
        sql = "" if figure.sql_count is None else f"  SQL {figure.sql_count}"
        lines.append(f"  {name:<26} {figure.cell()}{sql}")
    ours = stats[OPENC3].median_ms
    for other in (GRAPHQL, BLUEKING):
        lines.append(f"  ratio OpenC3 ÷ {other:<24} {ours / stats[other].median_ms:5.2f}×")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the data directory (SQLite file, server log)")
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="opsgraph-openc3-bench-"))
    instance = BenchInstance(data_dir)
    print(f"# OpsGraph OpenC3 benchmark, {datetime.datetime.now(tz=datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print("\n".join(environment_lines()))
    try:
        token = instance.bootstrap()
        client = HttpClient(instance.start(), {"Authorization": f"Bearer {token}"})
        tree, template_id, setup = build(client, token, args.hosts)
        starts = Starts(client, token, tree, template_id)
        probes = {
            OPENC3: http_probe(starts.openc3),
            BLUEKING: http_probe(starts.blueking),
            GRAPHQL: http_probe(starts.graphql),
        }
        stats = interleave(probes, args.repeat, args.warmup)
        print("\n".join(["", "## set-up", *setup, "", "## figures", *report(stats, args.hosts)]))
        if starts.notes:
            print("\n".join(["", "## notes", *starts.notes]))
        print(f"\n{load_line()}")
    finally:
        instance.stop()
        if args.keep:
            print(f"kept {data_dir}", file=sys.stderr)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
