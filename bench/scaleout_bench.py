"""Beyond one machine: the distributed deployment measured against itself with fewer processes.

    python -m bench.scaleout_bench [--clients 200] [--seconds 60] [--hosts 2000] [--jobs 1]
                                   [--shard-hosts 100] [--subscribers 1000] [--only load,hosts,lag]

(a) load: `--clients` concurrent clients for `--seconds` s mixing GraphQL queries (70 %), BlueKing
    REST calls (25 %) and mutations (5 %), against 1 server + 1 worker (the baseline) and then
    2 servers + 2 workers (clients spread over the servers): req/s, p50/p99, errors, the ratio.
(b) hosts: `--hosts` loopback hosts in `--jobs` job(s) started together (one by default), run by
    1 worker (baseline) and by 2 workers: hosts/s and the ratio. A job's host step is split into
    shards of `--shard-hosts` hosts (OPSGRAPH_SHARD_HOSTS) that any worker runs, so one job spreads;
    each worker runs up to the default 100 hosts of a job at once (OPSGRAPH_RUNNER_TASK_CONCURRENCY).
(c) lag: `--subscribers` `taskEvents` subscribers over 2 servers, following a task run by a
    worker: the delay from each event's commit (`at`) to its arrival, p50/p99.
Everything runs on this machine (PostgreSQL on 127.0.0.1:5432, a Redis server of its own, sshd on
loopback); figures are ratios within one run, not absolute truths about other machines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

from tests.executors.support import SshEstate, TaskRef, ssh_estate, wait_for_task
from tests.scaleout.cluster import Cluster, start_cluster, stop_cluster, unavailable_reason
from tests.scaleout.support import admin
from tests.support.server import APP_CODE, APP_SECRET
from tests.support.sshd import SshdPool, ensure_openssh, ensure_test_user, loopback_hosts

QUERY = "{ businesses(first: 10) { totalCount nodes { id name } } }"
MUTATION = "mutation($n: String!) { createBusiness(input: {name: $n}) { business { id } errors { code } } }"
RUN = "mutation($i: RunScriptInput!) { runScript(input: $i) { task { id jobInstanceId } errors { message } } }"
EVENTS = "subscription($t: ID!) { taskEvents(taskId: $t, afterSeq: 0) { seq kind at } }"


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _load(urls: list[str], token: str, clients: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    bk_auth = json.dumps({"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "admin"})
    deadline = time.monotonic() + seconds

    async def client(index: int) -> None:
        nonlocal errors
        rng = random.Random(index)
        async with httpx.AsyncClient(base_url=urls[index % len(urls)], timeout=60) as http:
            while time.monotonic() < deadline:
                pick = rng.random()
                started = time.perf_counter()
                try:
                    if pick < 0.70:
                        r = await http.post(
                            "/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {token}"}
                        )
                        ok = r.status_code == 200 and not r.json().get("errors")
                    elif pick < 0.95:
                        r = await http.post(
                            "/api/c/compapi/v2/cc/search_business/", json={}, headers={"X-Bkapi-Authorization": bk_auth}
                        )
                        ok = r.status_code == 200 and r.json().get("result") is True
                    else:
                        name = f"bench-{index}-{rng.getrandbits(40):x}"
                        r = await http.post(
                            "/graphql",
                            json={"query": MUTATION, "variables": {"n": name}},
                            headers={"Authorization": f"Bearer {token}"},
                        )
                        ok = r.status_code == 200 and not r.json().get("errors")
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - started)
                errors += 0 if ok else 1

    started = time.monotonic()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.monotonic() - started
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "errors": errors,
    }


def _run_jobs(cluster: Cluster, estate: SshEstate, jobs: int) -> float:
    """Hosts per second for `jobs` jobs over the estate's hosts, started together."""
    gql = admin(cluster.servers[0])
    per_job = max(1, len(estate.host_ids) // jobs)
    started = time.monotonic()
    refs = []
    for j in range(jobs):
        host_ids = estate.host_ids[j * per_job : (j + 1) * per_job]
        payload = gql.ok(RUN, {"i": {"businessId": estate.business.id, "hostIds": host_ids, "content": "echo hi"}})
        task = payload["runScript"]["task"]
        refs.append(TaskRef(task["id"], task["jobInstanceId"]))
    for ref in refs:
        wait_for_task(gql, ref, timeout=3600)
    return per_job * jobs / (time.monotonic() - started)


async def _lag(cluster: Cluster, pool: SshdPool, user: Any, subscribers: int) -> dict[str, float]:
    """The task's hosts wait for a release file (the hosts are loopback addresses of this machine, so
    the bench creates it locally) until every subscriber has attached: attaching 1,000 subscribers can
    take longer than a short script runs, and events replayed on subscribe are not delivery lag."""
    gql = admin(cluster.servers[0])
    estate = ssh_estate(gql, f"bench-lag-{time.time_ns()}", pool, user, count=min(20, len(pool.addresses)))
    release = Path(tempfile.gettempdir()) / f"opsgraph-bench-lag-{time.time_ns()}"
    script = f"while [ ! -e {release} ]; do sleep 0.2; done; for i in $(seq 1 20); do echo $i; sleep 0.25; done"
    payload = gql.ok(RUN, {"i": {"businessId": estate.business.id, "hostIds": estate.host_ids, "content": script}})
    task_id = payload["runScript"]["task"]["id"]
    lags: list[float] = []
    attached = 0
    everyone_attached = asyncio.Event()

    async def follow(index: int) -> None:
        nonlocal attached
        server = cluster.servers[index % 2]
        async with connect(f"ws://127.0.0.1:{server.port}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {gql.token}"}}))
            await ws.recv()
            await ws.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": EVENTS, "variables": {"t": task_id}}})
            )
            first = True
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif message["type"] == "next":
                    if first:  # the task's first events replayed: this subscriber is attached
                        first = False
                        attached += 1
                        if attached == subscribers:
                            everyone_attached.set()
                        continue
                    at = message["payload"]["data"]["taskEvents"]["at"]
                    if released_at is not None and at:
                        committed = datetime.fromisoformat(at).timestamp()
                        if committed >= released_at:  # live events only
                            lags.append(time.time() - committed)
                elif message["type"] in {"complete", "error"}:
                    return

    released_at: float | None = None

    async def release_hosts() -> None:
        nonlocal released_at
        await asyncio.wait_for(everyone_attached.wait(), timeout=600)
        released_at = time.time()
        release.touch()

    try:
        await asyncio.gather(release_hosts(), *(follow(i) for i in range(subscribers)))
    finally:
        release.unlink(missing_ok=True)
    return {"live": len(lags), "p50_ms": percentile(lags, 0.5) * 1000, "p99_ms": percentile(lags, 0.99) * 1000}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scaleout_bench")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--shard-hosts", type=int, default=100)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--only", default="load,hosts,lag")
    args = parser.parse_args(argv)
    reason = unavailable_reason()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    parts = set(args.only.split(","))
    ensure_openssh()
    user = ensure_test_user()
    workdir = Path(tempfile.mkdtemp(prefix="opsgraph-scaleout-bench-"))
    pool = SshdPool(workdir / "sshd", loopback_hosts(args.hosts), user).start()
    (workdir / "cluster").mkdir()
    production = {  # the shipped defaults, not the test cluster's small shards and quick leases
        "OPSGRAPH_SHARD_HOSTS": str(args.shard_hosts),
        "OPSGRAPH_RUNNER_TASK_CONCURRENCY": "100",
        "OPSGRAPH_WORKER_LEASE_SECONDS": "30",
    }
    cluster = start_cluster(workdir / "cluster", servers=1, workers=1, env=production)
    try:
        token = admin(cluster.servers[0]).token or ""
        if "load" in parts:
            one = asyncio.run(_load([s.url for s in cluster.servers], token, args.clients, args.seconds))
        if "hosts" in parts:  # one estate for both runs (claiming 2,000 hosts again is slow)
            estate = ssh_estate(admin(cluster.servers[0]), f"bench-hosts-{time.time_ns()}", pool, user)
            one_worker = _run_jobs(cluster, estate, args.jobs)
        cluster.add_server()
        cluster.add_worker()
        if "load" in parts:
            two = asyncio.run(_load([s.url for s in cluster.servers], token, args.clients, args.seconds))
            print(f"(a) {args.clients} clients × {args.seconds:g} s, 70% GraphQL / 25% REST / 5% mutations")
            for label, figures in (("1 server + 1 worker", one), ("2 servers + 2 workers", two)):
                print(
                    f"    {label:<22} {figures['rps']:8.1f} req/s  p50 {figures['p50_ms']:7.1f} ms  "
                    f"p99 {figures['p99_ms']:7.1f} ms  errors {figures['errors']}"
                )
            print(f"    scaling ratio: {two['rps'] / one['rps']:.2f}×")
        if "hosts" in parts:
            two_workers = _run_jobs(cluster, estate, args.jobs)
            print(
                f"(b) {args.hosts} hosts in {args.jobs} job(s), shards of {args.shard_hosts}: "
                f"1 worker {one_worker:.1f} hosts/s, "
                f"2 workers {two_workers:.1f} hosts/s, ratio {two_workers / one_worker:.2f}×"
            )
        if "lag" in parts:
            lag = asyncio.run(_lag(cluster, pool, user, args.subscribers))
            print(
                f"(c) {args.subscribers} taskEvents subscribers over 2 servers: {lag['live']} live events, "
                f"lag p50 {lag['p50_ms']:.1f} ms, p99 {lag['p99_ms']:.1f} ms"
            )
    finally:
        stop_cluster(cluster)
        pool.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
