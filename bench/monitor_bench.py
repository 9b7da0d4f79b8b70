"""Monitoring benchmark: metric ingestion, query_data over a week, strategy detection.

    python -m bench.monitor_bench [--agents 1000] [--hosts 100] [--days 7] [--detect-hosts 1000]
                                  [--strategies 10] [--database-url postgres://…]

Runs in-process on a fresh database (a temporary SQLite file by default) migrated like a server's,
and prints figures beside a baseline measured in the same run on the same database:

1. ingestion — 1,000 simulated agents each deliver one heartbeat report (the seven host tables:
   CPU, memory, 2 disks, 2 interfaces, load, env; 30 points) concurrently, through the path a
   heartbeat takes once its signature is verified (`parse_report` → `store_report` → the batched
   writer). Figure: points stored per second. Baseline: a plain batched INSERT loop (executemany,
   1,000 rows per statement, one transaction) of the same number of rows into the same table.
   HTTP and signature checks are not part of either figure.
2. query_data — `--hosts` hosts × `--days` days of one-minute `system_cpu_summary.usage`
   (100 × 10,080 = 1,008,000 points), then the v2 query `select avg(usage) … where time >= "7d"
   group by ip, minute60` through `run_query` (parse, allow-list, parameterised ORM query, shaping).
   Baseline: the same aggregation as one hand-written SQL statement on the same table.
3. detection — `--detect-hosts` hosts with the last 15 minutes of one-minute data for `--strategies`
   strategies (static thresholds; about a third of the hosts fire), one full `detect_all()` pass,
   first (alarms raised) and second (steady). Baseline: the strategies' aggregate queries alone.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tortoise import connections

_ADDRESSES = itertools.count(1)  # host addresses stay unique across the three set-ups


def _now() -> int:
    return int(time.time())


async def _setup(url: str, hosts: int) -> tuple[int, list[dict[str, Any]]]:
    from opsgraph.models.topology import Business, CloudArea, Host

    await CloudArea.get_or_create(id=0, defaults={"name": "Default Area"})
    business = await Business.create(name=f"bench-{random.randrange(10**9)}")
    first = next(_ADDRESSES)
    rows = [
        Host(inner_ip=f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}", cloud_area_id=0, business_id=business.id)
        for n in range(first, first + hosts)
    ]
    for _ in range(hosts - 1):
        next(_ADDRESSES)
    await Host.bulk_create(rows, batch_size=1000)
    found = await Host.filter(business_id=business.id).order_by("id").values("id", "inner_ip", "cloud_area_id")
    return business.id, found


def _report(rng: random.Random) -> dict[str, Any]:
    return {
        "metrics": {
            "cpu": {"usage": rng.uniform(0, 100), "idle": 50.0, "iowait": 1.0, "user": 30.0, "system": 10.0},
            "mem": {"total": 8e9, "used": 4e9, "free": 4e9, "pct_used": rng.uniform(10, 90)},
            "load": {"load1": 0.5, "load5": 0.4, "load15": 0.3},
            "env": {"uptime": 1000.0, "procs": 150},
            "disk": [
                {"device_name": d, "mount_point": m, "total": 1e11, "used": 5e10, "free": 5e10, "in_use": 50.0}
                for d, m in (("/dev/vda1", "/"), ("/dev/vdb1", "/data"))
            ],
            "net": [
                {
                    "device_name": n,
                    "speed_recv": 1e5,
                    "speed_sent": 2e5,
                    "speed_packets_recv": 10.0,
                    "speed_packets_sent": 20.0,
                }
                for n in ("eth0", "eth1")
            ],
        }
    }


def _sqlite_path(url: str) -> str | None:
    return url[len("sqlite://") :].split("?", 1)[0] if url.startswith("sqlite://") else None


async def _raw_execute(url: str, sql: str, rows: list[tuple[Any, ...]] | None = None) -> list[Any]:
    """Baselines: the standard sqlite3 module on the same file (or asyncpg on PostgreSQL)."""
    path = _sqlite_path(url)
    if path is not None:
        with sqlite3.connect(path) as db:
            if rows is not None:
                for start in range(0, len(rows), 1000):
                    db.executemany(sql, rows[start : start + 1000])
                return []
            return db.execute(sql).fetchall()
    connection = connections.get("default")
    if rows is not None:  # asyncpg numbers its placeholders
        numbered = sql
        for number in range(1, sql.count("?") + 1):
            numbered = numbered.replace("?", f"${number}", 1)
        for start in range(0, len(rows), 1000):
            await connection.execute_many(numbered, [list(r) for r in rows[start : start + 1000]])
        return []
    return list(await connection.execute_query_dict(sql))


async def bench_ingestion(url: str, agents: int) -> None:
    from opsgraph.executors.monitoring.metric_writer import metric_writer
    from opsgraph.resolvers.monitoring.agent_report import parse_report
    from opsgraph.resolvers.monitoring.ingest_agent import store_report

    _, hosts = await _setup(url, agents)
    rng = random.Random(1)
    reports = [(h["id"], json.loads(json.dumps(_report(rng)))) for h in hosts]
    points = sum(len(parse_report(r).samples) for _, r in reports[:1]) * len(reports)
    # Warm the series cache the way a running server has it after the first minute.
    await asyncio.gather(*(store_report(h, parse_report(r)) for h, r in reports))
    started = time.perf_counter()
    await asyncio.gather(*(store_report(h, parse_report(r)) for h, r in reports))
    ours = time.perf_counter() - started
    rows = [(1, _now(), float(i)) for i in range(points)]
    started = time.perf_counter()
    await _raw_execute(url, 'INSERT INTO "metric_point" ("series_id", "ts", "value") VALUES (?, ?, ?)', rows)
    baseline = time.perf_counter() - started
    print(f"ingestion: {agents} agents, {points} points per round")
    print(f"  OpsGraph store path  {points / ours:12,.0f} points/s  ({ours * 1000:8.1f} ms)")
    print(f"  batched INSERT loop  {points / baseline:12,.0f} points/s  ({baseline * 1000:8.1f} ms)")
    print(f"  ratio (OpsGraph / baseline throughput) {baseline / ours:.2f}")
    await metric_writer().close()


async def _fill(url: str, series: list[int], start: int, minutes: int, rng: random.Random) -> None:
    rows = [(s, start + m * 60, rng.uniform(0, 100)) for s in series for m in range(minutes)]
    await _raw_execute(url, 'INSERT INTO "metric_point" ("series_id", "ts", "value") VALUES (?, ?, ?)', rows)


async def _series(business_id: int, hosts: list[dict[str, Any]], table: str, metric: str) -> list[int]:
    from opsgraph.executors.monitoring.metric_writer import MetricWriter, make_point

    points = [
        make_point(business_id, h["id"], table, metric, {"ip": h["inner_ip"], "bk_cloud_id": "0"}, 0, 0.0)
        for h in hosts
    ]
    ids = await MetricWriter().series_ids(points)
    return [ids[p.series_key] for p in points]


async def bench_query(url: str, hosts_count: int, days: int, repeat: int) -> None:
    from opsgraph.core.auth.principal import Principal
    from opsgraph.resolvers.monitoring.query_data import run_query

    business_id, hosts = await _setup(url, hosts_count)
    series = await _series(business_id, hosts, "system_cpu_summary", "usage")
    minutes = days * 1440
    end = _now() - _now() % 60
    started = time.perf_counter()
    await _fill(url, series, end - minutes * 60, minutes, random.Random(2))
    print(
        f"query_data: {hosts_count} hosts x {days} days of one-minute data = {hosts_count * minutes:,} points "
        f"(loaded in {time.perf_counter() - started:.1f} s)"
    )
    admin = Principal(user_id=0, username="bench", is_superuser=True)
    sql = f'select avg(usage) as u from {business_id}_system_cpu_summary where time >= "{days}d" group by ip, minute60'
    ids = ",".join(str(s) for s in series)
    raw = (
        f'SELECT "series_id", "ts" / 3600, AVG("value") FROM "metric_point" WHERE "series_id" IN ({ids}) '
        f'AND "ts" >= {end - minutes * 60} GROUP BY 1, 2'
    )
    ours, theirs = [], []
    rows = 0
    for _ in range(repeat):
        started = time.perf_counter()
        rows = len((await run_query(admin, sql))["list"])
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        await _raw_execute(url, raw)
        theirs.append(time.perf_counter() - started)
    print(f"  OpsGraph run_query   median {statistics.median(ours) * 1000:8.1f} ms  ({rows} rows)")
    print(f"  hand-written SQL     median {statistics.median(theirs) * 1000:8.1f} ms")
    print(f"  ratio {statistics.median(ours) / statistics.median(theirs):.2f}")


async def bench_detection(url: str, hosts_count: int, strategies: int) -> None:
    from opsgraph.core.auth.principal import Principal
    from opsgraph.models.topology import Business
    from opsgraph.resolvers.monitoring.detection import detect_all
    from opsgraph.resolvers.monitoring.strategies import save_source
    from opsgraph.resolvers.monitoring.strategy_shape import source_spec

    business_id, hosts = await _setup(url, hosts_count)
    admin = Principal(user_id=0, username="bench", is_superuser=True)
    tables = [
        ("system_cpu_summary", "usage"),
        ("system_mem", "pct_used"),
        ("system_load", "load1"),
        ("system_env", "procs"),
        ("system_disk", "in_use"),
    ]
    end = _now() - _now() % 60
    rng = random.Random(3)
    by_strategy: list[list[int]] = []
    for index in range(strategies):
        table, metric = tables[index % len(tables)]
        series = await _series(business_id, hosts, table, metric)
        by_strategy.append(series)
        await _fill(url, series, end - 15 * 60, 16, rng)
        info = {
            "monitor_result_table_id": f"{business_id}_{table}",
            "monitor_field": metric,
            "aggregator": "avg",
            "count_freq": 60,
            "dimensions": ["ip"],
        }
        level = {"detect_algorithm": [{"algorithm_id": 1000, "config": {"threshold": 66 + index, "method": "gte"}}]}
        conf = {
            "title": f"s{index}",
            "stat_source_info": json.dumps(info),
            "alarm_strategy": [
                {
                    "display_name": f"s{index}",
                    "alarm_level_config": {"2": level},
                    "rules": {"count": 1, "check_window": 5, "alarm_window": 60},
                }
            ],
        }
        await save_source(admin, business_id, source_spec(conf, business_id))
    await Business.filter(id=business_id).update(name=f"bench-detect-{business_id}")
    for label in ("first pass (raises)", "second pass (steady)"):
        started = time.perf_counter()
        stats = await detect_all(end + 30)
        elapsed = time.perf_counter() - started
        print(
            f"  detect_all {label}: {elapsed * 1000:8.1f} ms  strategies={stats.strategies} "
            f"groups={stats.groups} raised={stats.raised}"
        )
    started = time.perf_counter()
    for series in by_strategy:
        ids = ",".join(str(s) for s in series)
        await _raw_execute(
            url,
            f'SELECT "series_id", "ts" / 60, COUNT(*), SUM("value"), MIN("value"), MAX("value") FROM "metric_point" '
            f'WHERE "series_id" IN ({ids}) AND "ts" >= {end - 5 * 60} AND "ts" < {end} GROUP BY 1, 2',
        )
    baseline = time.perf_counter() - started
    print(f"  the {strategies} aggregate queries alone: {baseline * 1000:8.1f} ms")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--detect-hosts", type=int, default=1000)
    parser.add_argument("--strategies", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    from opsgraph.core.db import apply_migrations, close_database, open_database

    directory = tempfile.mkdtemp(prefix="opsgraph-monitor-bench-")
    url = args.database_url or f"sqlite://{Path(directory) / 'bench.sqlite3'}"
    os.environ.setdefault("OPSGRAPH_METRICS_RAW_RETENTION_HOURS", str(args.days * 24 + 48))
    print(f"database: {url.split('?')[0]}  cpus: {os.cpu_count()}  load: {os.getloadavg()}")
    await apply_migrations(url)
    await open_database(url)
    try:
        await bench_ingestion(url, args.agents)
        await bench_query(url, args.hosts, args.days, args.repeat)
        print(f"detection: {args.detect_hosts} hosts x {args.strategies} strategies")
        await bench_detection(url, args.detect_hosts, args.strategies)
    finally:
        await close_database()
    print(f"load at the end: {os.getloadavg()}")


if __name__ == "__main__":
    asyncio.run(main())
