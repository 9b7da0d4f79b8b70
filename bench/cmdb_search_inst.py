"""search_inst over many instances of a custom model, beside raw SQL on the same database.

Run from the repository root (bench/cmdb_bench.py runs this part too):
    python -m bench.cmdb_search_inst [--instances 100000] [--repeat 20] [--warmup 3] [--keep]

Builds a model `bench_server` (enum `env`, int `cores`) and `--instances` instances through GraphQL
`createInstances` (2,000 per call), then times one search with a 3-clause condition —
`env $eq prod`, `cores $gte 48`, `bk_inst_name $regex "srv-1"` — first page of 200:
- REST `POST /api/c/compapi/v2/cc/search_inst/` as a BlueKing client sends it;
- GraphQL `searchInstances` with the same input (ids and names only);
- raw SQL: the same filter as one COUNT and one page SELECT with the standard sqlite3 module on the
  server's own database file: the floor the database sets.
Every contender's answer (count and page ids) is checked against the others before timing.
Figures: median / p95 ms, and each OpsGraph path's median ÷ raw SQL's, from interleaved rounds.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import sqlite3
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.client import HttpClient
from bench.measure import Row, Stats, environment_lines, http_probe, interleave, load_line, render_table, sync_probe
from bench.process import APP_CODE, APP_SECRET, OpsGraphInstance

MODEL = "bench_server"
BATCH = 2000
PAGE = 200
ENVS = ("prod", "dev", "test")
CONDITION = [
    {"field": "env", "operator": "$eq", "value": "prod"},
    {"field": "cores", "operator": "$gte", "value": 48},
    {"field": "bk_inst_name", "operator": "$regex", "value": "srv-1"},
]
SETUP = """
mutation($c: CreateClassificationInput!, $m: CreateObjectModelInput!) {
  createClassification(input: $c) { errors { message } }
  createObjectModel(input: $m) { errors { message } }
}"""
ATTRIBUTE = """
mutation($input: CreateObjectAttributeInput!) { createObjectAttribute(input: $input) { errors { message } } }"""
CREATE = """
mutation($items: [JSON!]!) {
  createInstances(input: {objectId: "bench_server", items: $items}) { errors { message } }
}"""
SEARCH = """
query($input: SearchInstancesInput!) { searchInstances(input: $input) { count items { bkInstId name } } }"""
_RAW_WHERE = """
FROM cmdb_instance i
WHERE i.object_id = ?
  AND json_extract(i.properties, '$.env') = ?
  AND json_extract(i.properties, '$.cores') >= ?
  AND i.name LIKE ?
"""


def instance(n: int) -> dict[str, Any]:
    return {"bk_inst_name": f"srv-{n}", "env": ENVS[n % 3], "cores": n % 64}


def build(client: HttpClient, count: int) -> float:
    started = time.perf_counter()
    classification = {"classificationId": "bench_cls", "name": "bench"}
    model = {"bkObjId": MODEL, "name": "bench server", "classificationId": "bench_cls", "icon": "icon-cc-host"}
    client.data(SETUP, {"c": classification, "m": model})
    env_option = [{"id": e, "name": e} for e in ENVS]
    for attribute in (
        {"propertyId": "env", "name": "env", "type": "enum", "option": env_option},
        {"propertyId": "cores", "name": "cores", "type": "int"},
    ):
        errors = client.data(ATTRIBUTE, {"input": {"bkObjId": MODEL, **attribute}})["createObjectAttribute"]["errors"]
        if errors:
            raise RuntimeError(f"creating attribute {attribute['propertyId']}: {errors}")
    for start in range(0, count, BATCH):
        items = [instance(n) for n in range(start, min(start + BATCH, count))]
        errors = client.data(CREATE, {"items": items})["createInstances"]["errors"]
        if errors:
            raise RuntimeError(f"creating instances {start}…: {errors}")
    return time.perf_counter() - started


class RawSearch:
    """The same search as one COUNT and one page SELECT on the server's SQLite file (read-only)."""

    def __init__(self, database: Path) -> None:
        self.connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        (self.object_id,) = self.connection.execute("SELECT id FROM cmdb_object WHERE obj_id = ?", [MODEL]).fetchone()
        self.parameters = [self.object_id, "prod", 48, "%srv-1%"]

    def run(self) -> tuple[int, list[int]]:
        (total,) = self.connection.execute(f"SELECT COUNT(*) {_RAW_WHERE}", self.parameters).fetchone()
        rows = self.connection.execute(
            f"SELECT i.id, i.name, i.properties {_RAW_WHERE} ORDER BY i.id LIMIT ? OFFSET 0", [*self.parameters, PAGE]
        ).fetchall()
        return int(total), [int(row[0]) for row in rows]

    def close(self) -> None:
        self.connection.close()


def rest_body() -> dict[str, Any]:
    return {"bk_obj_id": MODEL, "condition": {MODEL: CONDITION}, "page": {"start": 0, "limit": PAGE}, "fields": []}


def graphql_input() -> dict[str, Any]:
    return {"input": {"objectId": MODEL, "conditions": CONDITION, "page": {"start": 0, "limit": PAGE}}}


def check_answers(client: HttpClient, rest_headers: dict[str, str], raw: RawSearch) -> list[str]:
    count, ids = raw.run()
    rest = client.post("/api/c/compapi/v2/cc/search_inst/", rest_body(), rest_headers).body
    graphql = client.data(SEARCH, graphql_input())["searchInstances"]
    answers = {
        "REST": (rest["data"]["count"], [row["bk_inst_id"] for row in rest["data"]["info"]])
        if rest["result"]
        else None,
        "GraphQL": (graphql["count"], [item["bkInstId"] for item in graphql["items"]]),
    }
    notes = [f"raw SQL: {count:,} match; page of {len(ids)}"]
    for name, answer in answers.items():
        if answer != (count, ids):
            notes.append(f"MISMATCH {name} answered {answer if answer is None else (answer[0], len(answer[1]))}")
    return notes


def measure(
    client: HttpClient, rest_headers: dict[str, str], raw: RawSearch, repeat: int, warmup: int
) -> dict[str, Stats]:
    probes = {
        "REST cc/search_inst": http_probe(
            lambda: client.post("/api/c/compapi/v2/cc/search_inst/", rest_body(), rest_headers)
        ),
        "GraphQL searchInstances": http_probe(lambda: client.graphql(SEARCH, graphql_input())),
        "raw SQL, sqlite3": sync_probe(raw.run),
    }
    return interleave(probes, repeat, warmup)


def run(args: argparse.Namespace, workdir: Path) -> tuple[list[str], list[Row]]:
    notes: list[str] = []
    instance_ = OpsGraphInstance(workdir / "opsgraph")
    instance_.data_dir.mkdir(parents=True)
    token = instance_.bootstrap()
    rest_headers = {
        "X-Bkapi-Authorization": json.dumps(
            {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "admin"}
        )
    }
    with ExitStack() as stack:
        url = instance_.start()
        stack.callback(instance_.stop)
        client = HttpClient(url, {"Authorization": f"Bearer {token}"})
        stack.callback(client.close)
        seconds = build(client, args.instances)
        notes.append(f"set-up: {args.instances:,} instances in {seconds:.0f} s ({args.instances / seconds:,.0f}/s)")
        raw = RawSearch(instance_.database_path)
        stack.callback(raw.close)
        notes += check_answers(client, rest_headers, raw)
        stats = measure(client, rest_headers, raw, args.repeat, args.warmup)
    label = f"search_inst: {args.instances:,} instances, 3 clauses, page {PAGE}"
    floor = stats["raw SQL, sqlite3"]
    rows = [
        Row(f"{label} ({name})", stats[name], "raw SQL, sqlite3", floor) for name in stats if not name.startswith("raw")
    ]
    return notes, rows


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return parser.parse_args()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--instances", type=int, default=100_000, help="instances of the custom model")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per contender, after warm-up")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")


def report(args: argparse.Namespace, notes: list[str], rows: list[Row], environment: list[str], elapsed: float) -> None:
    print(
        f"OpsGraph CMDB search_inst benchmark, {datetime.date.today().isoformat()}: repeat={args.repeat}, "
        f"warm-up={args.warmup}"
    )
    for line in environment:
        print(f"  {line}")
    print(f"\nms per request, median / p95 over {args.repeat} runs, contenders interleaved round by round;")
    print("SQL = OpsGraph's statements per request (X-SQL-Count); ratio = OpsGraph median / raw SQL median\n")
    for line in render_table(rows):
        print(line)
    print("\nnotes:")
    for note in notes:
        print(f"  {note}")
    print(f"\ntotal run time: {elapsed:.0f} s; at the end, {load_line()}")


def main() -> None:
    args = parse_args()
    environment = environment_lines()
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="opsgraph-cmdb-bench-"))
    try:
        notes, rows = run(args, workdir)
    finally:
        if args.keep:
            print(f"data kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report(args, notes, rows, environment, time.perf_counter() - started)


if __name__ == "__main__":
    main()
