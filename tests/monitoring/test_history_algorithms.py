"""bk-monitor's threshold-family algorithms beyond the catalogue's 1000-1002, on a real migrated
database fed with points of known values (they need days of history, which no live agent has):
1003 advanced year-on-year, 1004 advanced ring ratio, 1005 year-on-year amplitude, 1006 year-on-year
range and 1007 ring ratio amplitude. Each fires for the host whose last period jumped and stays quiet
for the steady one; bad configs are refused through GraphQL naming the field, and change nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.monitoring.support import IMPORT_STRATEGIES, MonitorLab
from tests.monitoring.test_store_jobs import (  # noqa: F401 (fixtures)
    _conf,
    _open,
    _points,
    _series,
    _strategy,
    database,
    raw_retention_hours,
)

DAY = 86400


async def _history(series: list[int], periods: list[int], jump: float) -> None:
    """Host 0: `jump` in the newest period, 1.0 before; host 1: 1.0 throughout. Both: 1.0 at the same
    periods one and two days back (and the period before each)."""
    await _points(series[:1], [(ts, jump if ts == periods[0] else 1.0) for ts in periods])
    await _points(series[1:], [(ts, 1.0) for ts in periods])
    back = [ts - d * DAY for d in (1, 2) for ts in [*periods, periods[-1] - 60]]
    await _points(series, [(ts, 1.0) for ts in back])


CASES: list[tuple[str, dict[str, Any], float, bool]] = [
    # (name, algorithm, the jump, whether host 0 fires)
    ("advanced ring ratio up", {"algorithm_id": 1004, "config": {"ceil": 100, "ceil_interval": 3}}, 3.0, True),
    (
        "advanced ring ratio, last value",
        {"algorithm_id": 1004, "config": {"ceil": 100, "ceil_interval": 3, "fetch_type": "last"}},
        3.0,
        True,
    ),
    ("advanced ring ratio down", {"algorithm_id": 1004, "config": {"floor": 50, "floor_interval": 3}}, 0.2, True),
    (
        "advanced ring ratio, small rise",
        {"algorithm_id": 1004, "config": {"ceil": 100, "ceil_interval": 3}},
        1.5,
        False,
    ),
    ("advanced year round", {"algorithm_id": 1003, "config": {"ceil": 100, "ceil_interval": 2}}, 3.0, True),
    (
        "advanced year round, a missing day",
        {"algorithm_id": 1003, "config": {"ceil": 100, "ceil_interval": 5, "floor": None}},
        3.0,
        True,
    ),
    (
        "year round amplitude",
        {"algorithm_id": 1005, "config": {"ratio": 1, "shock": 1, "days": 1, "method": "gte"}},
        3.0,
        True,
    ),
    (
        "year round amplitude, below the shock",
        {"algorithm_id": 1005, "config": {"ratio": 1, "shock": 5, "days": 2, "method": "gte"}},
        3.0,
        False,
    ),
    (
        "year round range",
        {"algorithm_id": 1006, "config": {"ratio": 2, "shock": 0, "days": 2, "method": "gte"}},
        3.0,
        True,
    ),
    (
        "year round range, lte",
        {"algorithm_id": 1006, "config": {"ratio": 0.5, "shock": 0, "days": 1, "method": "lte"}},
        0.2,
        True,
    ),
    (
        "ring ratio amplitude",
        {"algorithm_id": 1007, "config": {"ratio": 1, "shock": 0, "threshold": 0.5}},
        3.0,
        True,
    ),
    (
        "ring ratio amplitude, under the threshold",
        {"algorithm_id": 1007, "config": {"ratio": 1, "shock": 0, "threshold": 2}},
        3.0,
        False,
    ),
]


@pytest.mark.parametrize(("name", "algorithm", "jump", "fires"), CASES, ids=[c[0] for c in CASES])
async def test_history_algorithms(
    database: str,  # noqa: F811
    raw_retention_hours: Callable[[int], None],  # noqa: F811
    name: str,
    algorithm: dict[str, Any],
    jump: float,
    fires: bool,
) -> None:
    from opsgraph.resolvers.monitoring.detection import detect_all

    raw_retention_hours(192)
    biz, series = await _series("system_load", "load1")
    now = int(time.time())
    end = now - now % 60
    periods = [end - (i + 1) * 60 for i in range(6)]  # newest first
    await _history(series, periods, jump)
    strategy = await _strategy(biz, _conf(biz, name, algorithm))
    await detect_all(now)
    opened = await _open(strategy)
    assert [a["dimensions"]["ip"] for a in opened] == ([f"10.99.{biz % 250}.1"] if fires else []), opened
    if fires:
        assert opened[0]["value"] == jump
        assert opened[0]["content"]  # the algorithm's description, as bk-monitor writes it


BAD = [
    ({"algorithm_id": 1003, "config": {"ceil": 100}}, "ceil_interval"),
    ({"algorithm_id": 1004, "config": {"ceil": 100, "ceil_interval": 0}}, "ceil_interval"),
    ({"algorithm_id": 1004, "config": {"ceil": 10, "ceil_interval": 2, "fetch_type": "median"}}, "fetch_type"),
    ({"algorithm_id": 1005, "config": {"ratio": 1, "shock": 1, "method": "gte"}}, "days"),
    ({"algorithm_id": 1005, "config": {"ratio": 1, "shock": 1, "days": 99, "method": "gte"}}, "days"),
    ({"algorithm_id": 1006, "config": {"ratio": 1, "shock": 1, "days": 1, "method": "neq"}}, "method"),
    ({"algorithm_id": 1007, "config": {"ratio": "x", "shock": 1, "threshold": 1}}, "ratio"),
    ({"algorithm_id": 1008, "config": {}}, "algorithm_id 1008"),
]


def test_bad_algorithm_configs_are_refused(monitor_lab: MonitorLab) -> None:
    lab = monitor_lab
    conf_list = []
    for index, (algorithm, _) in enumerate(BAD):
        info = {"monitor_result_table_id": f"{lab.biz}_system_load", "monitor_field": "load1", "count_freq": 60}
        level = {"detect_algorithm": [algorithm], "notify_way": []}
        conf_list.append(
            {
                "title": f"bad-algorithm-{index}",
                "stat_source_info": json.dumps(info),
                "alarm_strategy": [{"display_name": f"bad-{index}", "alarm_level_config": {"1": level}}],
            }
        )
    result = lab.gql.ok(IMPORT_STRATEGIES, {"input": {"businessId": lab.business.id, "confList": conf_list}})
    payload = result["importAlarmStrategies"]["result"]
    assert payload["success"] == []
    assert len(payload["fail"]) == len(BAD)
    for failure, (_, words) in zip(payload["fail"], BAD, strict=True):
        assert words in failure["message"], failure
