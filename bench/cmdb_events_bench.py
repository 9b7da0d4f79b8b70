"""CMDB dynamic groups and event push benchmark.

Run from the repository root:
    python -m bench.cmdb_events_bench [--hosts 10000] [--subscribers 5] [--repeat 20]

Prints figures; asserts nothing about time. bench/README.md says what each figure means:
1. get_custom_query_data over `--hosts` hosts: OpsGraph (GraphQL `dynamicGroupHosts` and REST
   `cc/get_custom_query_data`) beside the same filter as hand-written SQL on the same SQLite file;
2. event fan-out: `--hosts` host updates pushed to `--subscribers` HTTP subscribers, events
   delivered per second, beside a bare httpx client posting the same number of bodies to the same
   receivers (one sequential loop per subscriber, as OpsGraph keeps each subscriber in order).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench import queries
from bench.client import HttpClient
from bench.estate import EstateSpec, build_estate
from bench.measure import Row, Stats, environment_lines, http_probe, interleave, load_line, render_table, sync_probe
from bench.process import OpsGraphInstance, free_port
from bench.raw_sql import RawHostSearch

GROUP_HOSTS = """
query($b: Int!, $g: String!, $page: OffsetPageInput) {
  dynamicGroupHosts(bkBizId: $b, bkId: $g, page: $page) { count items { bkHostId innerIp osType hostName } }
}"""
CREATE_GROUP = """
mutation($input: CreateDynamicGroupInput!) {
  createDynamicGroup(input: $input) { group { bkId } errors { message } }
}"""
SUBSCRIBE = """
mutation($input: SubscribeEventsInput!) { subscribeEvents(input: $input) { subscription { id } errors { message } } }"""
UPDATE_HOSTS = """
mutation($h: [ID!]!, $name: String!) {
  updateHosts(input: {hostIds: $h, properties: {hostName: $name}}) { hosts { id } errors { message } }
}"""
HOST_IDS = """
query($b: ID!, $after: String) { hosts(first: 500, after: $after, filter: {businessId: $b}) {
  nodes { id } pageInfo { hasNextPage endCursor } } }"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=10_000, help="hosts in the business (10×10 modules)")
    parser.add_argument("--subscribers", type=int, default=5, help="HTTP subscribers of hostupdate")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per query figure, after warm-up")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs before each query figure")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory and print its path")
    return parser.parse_args()


class Receivers:
    """`bench.event_receiver` in its own process, one port per subscriber."""

    def __init__(self, count: int, log: Path) -> None:
        self.ports = [free_port() for _ in range(count)]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.event_receiver", "--ports", *map(str, self.ports)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 20
        while True:
            try:
                self.counts()
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def url(self, index: int, path: str = "events") -> str:
        return f"http://127.0.0.1:{self.ports[index]}/{path}"

    def counts(self) -> dict[int, int]:
        found = httpx.get(self.url(0, "count"), timeout=5).json()
        return {int(port): int(count) for port, count in found.items()}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def wait_for(receivers: Receivers, per_port: int, timeout: float) -> float:
    """Seconds until every port counted `per_port` distinct events (polled every 50 ms)."""
    started = time.perf_counter()
    while True:
        if all(count >= per_port for count in receivers.counts().values()):
            return time.perf_counter() - started
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"not delivered within {timeout} s: {receivers.counts()}")
        time.sleep(0.05)


async def bare_pushes(receivers: Receivers, events: int, offset: int) -> float:
    """The floor: one sequential keep-alive POST loop per subscriber, bodies like OpsGraph's."""
    body = {
        "event_type": "instdata",
        "action": "update",
        "obj_type": "host",
        "data": [{"cur_data": {}, "pre_data": {}}],
    }

    async def loop(index: int) -> None:
        async with httpx.AsyncClient() as client:
            for n in range(events):
                payload = json.dumps({**body, "event_id": offset + n}).encode()
                response = await client.post(
                    receivers.url(index), content=payload, headers={"Content-Type": "application/json"}
                )
                response.raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(len(receivers.ports))))
    return time.perf_counter() - started


def host_ids(client: HttpClient, business_id: str) -> list[str]:
    ids: list[str] = []
    after = None
    while True:
        page = client.data(HOST_IDS, {"b": business_id, "after": after})["hosts"]
        ids += [node["id"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        after = page["pageInfo"]["endCursor"]


def run(args: argparse.Namespace, workdir: Path, setup: list[str], notes: list[str]) -> list[Row]:
    instance = OpsGraphInstance(workdir / "opsgraph")
    instance.data_dir.mkdir()
    token = instance.bootstrap()
    url = instance.start()
    client = HttpClient(url, {"Authorization": f"Bearer {token}"})
    receivers = Receivers(args.subscribers, workdir / "receivers.log")
    rows: list[Row] = []
    try:
        started = time.perf_counter()
        estate = build_estate(client, EstateSpec("bench-groups", ip_block=3, hosts=args.hosts))
        setup.append(f"build {args.hosts:,} hosts in 100 modules: {time.perf_counter() - started:.1f} s")
        search = queries.bk_search_body(estate)
        info = json.dumps({"condition": search["condition"]})
        created = client.data(
            CREATE_GROUP, {"input": {"businessId": estate.business_id, "name": "bench", "info": info}}
        )
        group = created["createDynamicGroup"]["group"]["bkId"]
        variables = {"b": estate.bk_biz_id, "g": group, "page": {"start": 0, "limit": queries.SEARCH_PAGE}}
        rest_body = {"bk_biz_id": estate.bk_biz_id, "id": group, "start": 0, "limit": queries.SEARCH_PAGE}
        rest_path = "/api/c/compapi/v2/cc/get_custom_query_data/"
        raw = RawHostSearch(
            instance.database_path, estate.bk_biz_id, queries.search_set_names(estate), "env", queries.EXCLUDED_ENV
        )
        ours = client.data(GROUP_HOSTS, variables)["dynamicGroupHosts"]
        total, page = raw.run(0, queries.SEARCH_PAGE)
        rest = client.post(rest_path, rest_body, queries.bk_headers()).body
        if ours["count"] != total or [i["bkHostId"] for i in ours["items"]] != [r["id"] for r in page]:
            notes.append(f"MISMATCH dynamicGroupHosts {ours['count']} vs raw SQL {total}")
        if not rest.get("result") or rest["data"]["count"] != total:
            notes.append(f"MISMATCH REST get_custom_query_data answered {str(rest)[:200]}")
        groups = interleave(
            {
                "graphql": http_probe(lambda: client.graphql(GROUP_HOSTS, variables)),
                "rest": http_probe(lambda: client.post(rest_path, rest_body, queries.bk_headers())),
                "raw": sync_probe(lambda: raw.run(0, queries.SEARCH_PAGE)),
            },
            args.repeat,
            args.warmup,
        )
        raw.close()
        label = f"dynamic group data: {args.hosts:,} hosts, {total:,} match, page {queries.SEARCH_PAGE}"
        rows.append(Row(label + " (GraphQL)", groups["graphql"], "raw SQL (sqlite3, same file)", groups["raw"]))
        rows.append(Row(label + " (REST)", groups["rest"], "raw SQL (sqlite3, same file)", groups["raw"]))

        for index in range(args.subscribers):
            variables = {
                "input": {
                    "name": f"bench-{index}",
                    "callbackUrl": receivers.url(index),
                    "subscriptionForm": ["hostupdate"],
                }
            }
            client.data(SUBSCRIBE, variables)
        ids = host_ids(client, estate.business_id)
        started = time.perf_counter()
        for chunk in range(0, len(ids), 2000):
            client.data(UPDATE_HOSTS, {"h": ids[chunk : chunk + 2000], "name": "renamed"})
        written = time.perf_counter() - started
        delivered = wait_for(receivers, len(ids), timeout=600) + written
        pushes = len(ids) * args.subscribers
        setup.append(f"{len(ids):,} host updates written (updateHosts × {-(-len(ids) // 2000)}): {written:.1f} s")
        bare = asyncio.run(bare_pushes(receivers, len(ids), offset=10**9))
        ours_rate = Stats.of([pushes / delivered])
        bare_rate = Stats.of([pushes / bare])
        rows.append(
            Row(
                f"events/s: {len(ids):,} host updates → {args.subscribers} subscribers ({pushes:,} pushes)",
                ours_rate,
                "bare httpx POST loops, same receivers",
                bare_rate,
            )
        )
    finally:
        receivers.stop()
        client.close()
        instance.stop()
    return rows


def main() -> None:
    args = parse_args()
    environment = environment_lines()
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="opsgraph-bench-events-"))
    setup: list[str] = []
    notes: list[str] = []
    try:
        rows = run(args, workdir, setup, notes)
    finally:
        if args.keep:
            print(f"data kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"OpsGraph CMDB groups and events benchmark, {datetime.date.today().isoformat()}: repeat={args.repeat}")
    for line in environment:
        print(f"  {line}")
    print("set-up (one run each, informative):")
    for line in setup:
        print(f"  {line}")
    print("\nquery rows: ms per request, median / p95, contenders interleaved; ratio = OpsGraph / baseline.")
    print("events/s row: the 'ms' columns hold events per second (one run each); ratio = OpsGraph / bare loop.\n")
    for line in render_table(rows):
        print(line)
    for note in notes:
        print(f"note: {note}")
    print(f"\ntotal run time: {time.perf_counter() - started:.0f} s; at the end, {load_line()}")


if __name__ == "__main__":
    main()
