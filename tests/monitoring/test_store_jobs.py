"""The server's background monitoring jobs on a real database (SQLite file, migrated like a
server's): roll-ups and retention, and detection algorithms that need history — ring ratio,
year-on-year and no-data — fed with points of known values."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from tortoise import Tortoise

from opsgraph.core.auth.principal import Principal

ADMIN = Principal(user_id=0, username="test", is_superuser=True)
HOUR = 3600


@pytest.fixture(scope="module")
async def database(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """One migrated SQLite file for the module; each test works in a business of its own."""
    from opsgraph.core.db import apply_migrations, close_database, open_database

    url = f"sqlite://{tmp_path_factory.mktemp('monitor-store') / 'store.sqlite3'}"
    await apply_migrations(url)
    await open_database(url)
    try:
        yield url
    finally:
        await close_database()
        await Tortoise.close_connections()


@pytest.fixture
def raw_retention_hours(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], None]]:
    """Set OPSGRAPH_METRICS_RAW_RETENTION_HOURS for one test (the settings are cached)."""
    from opsgraph.resolvers.monitoring.config import monitoring_settings

    def set_hours(hours: int) -> None:
        monkeypatch.setenv("OPSGRAPH_METRICS_RAW_RETENTION_HOURS", str(hours))
        monitoring_settings.cache_clear()

    yield set_hours
    monitoring_settings.cache_clear()


async def _series(table: str, metric: str, hosts: int = 2) -> tuple[int, list[int]]:
    from opsgraph.executors.monitoring.metric_writer import MetricWriter, make_point
    from opsgraph.models.topology import Business, CloudArea, Host

    await CloudArea.get_or_create(id=0, defaults={"name": "Default Area"})
    business = await Business.create(name=f"jobs-{time.monotonic_ns()}")
    points = []
    for n in range(hosts):
        host = await Host.create(
            inner_ip=f"10.99.{business.id % 250}.{n + 1}", cloud_area_id=0, business_id=business.id
        )
        points.append(make_point(business.id, host.id, table, metric, {"ip": host.inner_ip, "bk_cloud_id": "0"}, 0, 0))
    ids = await MetricWriter().series_ids(points)
    return business.id, [ids[p.series_key] for p in points]


async def _points(series: list[int], values: list[tuple[int, float]]) -> None:
    from opsgraph.models.monitoring_metrics import MetricPoint

    await MetricPoint.bulk_create([MetricPoint(series_id=s, ts=ts, value=v) for s in series for ts, v in values])


async def test_rollups_keep_old_data_queryable_after_retention(
    database: str, raw_retention_hours: Callable[[int], None]
) -> None:
    from opsgraph.executors.monitoring.maintenance import apply_retention, roll_up
    from opsgraph.models.monitoring_metrics import MetricPoint, MetricRollup
    from opsgraph.resolvers.monitoring.query_data import run_query

    raw_retention_hours(2)
    biz, series = await _series("system_cpu_summary", "usage")
    now = int(time.time())
    hour = now - now % HOUR
    old = [(hour - 5 * HOUR + m * 60, float(m % 10)) for m in range(120)]  # two full hours, five hours ago
    recent = [(now - 60, 50.0)]
    await _points(series, old + recent)
    assert await roll_up(now) >= 2
    assert await roll_up(now) == 0  # idempotent: nothing left to roll up
    rollups = await MetricRollup.filter(series_id=series[0]).order_by("ts").values()
    first = rollups[0]
    assert (first["count"], first["total"], first["minimum"], first["maximum"]) == (60, 270.0, 0.0, 9.0)
    deleted, _ = await apply_retention(now)
    assert deleted >= len(old) * len(series)  # the module's other tests may have old points too
    assert await MetricPoint.filter(series_id__in=series).count() == len(series)  # only the recent point
    sql = f'select avg(usage) as u, max(usage) as m from {biz}_system_cpu_summary where time >= "6h" group by ip'
    rows = (await run_query(ADMIN, sql, now=now))["list"]
    assert len(rows) == 2
    for row in rows:
        assert row["m"] == 50.0
        assert row["u"] == pytest.approx((270.0 * 2 + 50.0) / 121)


def _conf(biz: int, title: str, algorithm: dict[str, Any], nodata: int = 0) -> dict[str, Any]:
    info = {
        "monitor_result_table_id": f"{biz}_system_load",
        "monitor_field": "load1",
        "aggregator": "avg",
        "count_freq": 60,
        "dimensions": ["ip"],
    }
    return {
        "title": title,
        "stat_source_info": json.dumps(info),
        "alarm_strategy": [
            {
                "display_name": title,
                "alarm_level_config": {"1": {"detect_algorithm": [algorithm]}},
                "rules": {"count": 1, "check_window": 2, "alarm_window": 60},
                "nodata_alarm": nodata,
            }
        ],
    }


async def _strategy(biz: int, conf: dict[str, Any]) -> int:
    from opsgraph.resolvers.monitoring.strategies import save_source
    from opsgraph.resolvers.monitoring.strategy_shape import source_spec

    source = await save_source(ADMIN, biz, source_spec(conf, biz))
    strategies = await source.strategies.all()
    return strategies[0].id


async def _open(strategy_id: int) -> list[dict[str, Any]]:
    from opsgraph.models.monitoring_alarms import Alarm

    return list(await Alarm.filter(strategy_id=strategy_id, status="ABNORMAL").values())


async def test_ring_ratio_year_on_year_and_no_data(database: str, raw_retention_hours: Callable[[int], None]) -> None:
    from opsgraph.resolvers.monitoring.detection import detect_all

    raw_retention_hours(192)  # the default 8 days keep last week's points for year-on-year

    biz, series = await _series("system_load", "load1")
    now = int(time.time())
    end = now - now % 60
    periods = [end - (i + 1) * 60 for i in range(6)]  # newest first
    # Host 0 jumps from 1.0 to 3.0 in the last period (+200 %); host 1 stays at 1.0; a week ago: 1.0.
    await _points(series[:1], [(ts, 3.0 if ts == periods[0] else 1.0) for ts in periods])
    await _points(series[1:], [(ts, 1.0) for ts in periods])
    await _points(series, [(ts - 7 * 86400, 1.0) for ts in periods])
    ring = await _strategy(biz, _conf(biz, "ring", {"algorithm_id": 1002, "config": {"ceil": 100}}))
    yoy = await _strategy(biz, _conf(biz, "yoy", {"algorithm_id": 1001, "config": {"ceil": 150}}))
    calm = await _strategy(biz, _conf(biz, "calm", {"algorithm_id": 1002, "config": {"floor": 50}}))
    await detect_all(now)
    ring_alarms, yoy_alarms = await _open(ring), await _open(yoy)
    assert [a["dimensions"]["ip"] for a in ring_alarms] == [f"10.99.{biz % 250}.1"]
    assert ring_alarms[0]["level"] == 1
    assert ring_alarms[0]["value"] == 3.0
    assert [a["dimensions"]["ip"] for a in yoy_alarms] == [ring_alarms[0]["dimensions"]["ip"]]
    assert await _open(calm) == []
    # No data: host 1 goes silent for the last 3 periods while host 0 keeps reporting.
    nodata = await _strategy(
        biz, _conf(biz, "nodata", {"algorithm_id": 1000, "config": {"threshold": 1000, "method": "gte"}}, nodata=3)
    )
    later = end + 3 * 60
    await _points(series[:1], [(end + i * 60, 1.0) for i in range(3)])
    await detect_all(later + 30)
    silent = await _open(nodata)
    assert [a["dimensions"]["ip"] for a in silent] == [f"10.99.{biz % 250}.2"]
    assert "无数据" in silent[0]["title"]
    # Data returns (both hosts keep reporting): the no-data alarm recovers, none is raised.
    await _points(series, [(later + i * 60, 1.0) for i in range(3)])
    await detect_all(later + 3 * 60 + 30)
    assert await _open(nodata) == []


async def test_target_scope_by_module_and_dimension(database: str) -> None:
    from opsgraph.models.topology import Host, HostModule, Module, Set
    from opsgraph.resolvers.monitoring.detection import detect_all

    biz, series = await _series("system_load", "load1", hosts=3)
    hosts = await Host.filter(business_id=biz).order_by("id").values("id", "inner_ip")
    web = await Set.create(business_id=biz, name="web", parent_id=biz)
    nginx = await Module.create(business_id=biz, set_id=web.id, name="nginx")
    await HostModule.create(host_id=hosts[0]["id"], module_id=nginx.id, business_id=biz)
    await HostModule.create(host_id=hosts[1]["id"], module_id=nginx.id, business_id=biz)
    now = int(time.time())
    end = now - now % 60
    await _points(series, [(end - 60, 5.0), (end - 120, 5.0)])
    always = {"algorithm_id": 1000, "config": {"threshold": 1, "method": "gte"}}
    by_module = _conf(biz, "module", always)
    by_module["alarm_strategy"][0]["condition"] = [[{"field": "bk_module_id", "method": "eq", "value": [nginx.id]}]]
    by_set_not_ip = _conf(biz, "set-but-not-one-ip", always)
    by_set_not_ip["alarm_strategy"][0]["condition"] = [
        [
            {"field": "bk_set_id", "method": "eq", "value": [web.id]},
            {"field": "ip", "method": "neq", "value": [hosts[0]["inner_ip"]]},
        ]
    ]
    module_strategy = await _strategy(biz, by_module)
    set_strategy = await _strategy(biz, by_set_not_ip)
    await detect_all(now)
    in_module = sorted(a["ip"] for a in await _open(module_strategy))
    assert in_module == sorted([hosts[0]["inner_ip"], hosts[1]["inner_ip"]])
    assert [a["ip"] for a in await _open(set_strategy)] == [hosts[1]["inner_ip"]]
