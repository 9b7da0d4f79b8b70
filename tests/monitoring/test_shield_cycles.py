"""The calendar arithmetic behind periodic shields and notice windows, at the edges a live test cannot
reach on demand: windows past midnight (which belong to the day they start on), weekly and monthly
day lists, and the business's clock against UTC across a date line. The live behaviour (a daily
shield holding a real notification back) is in test_notifications."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from opsgraph.resolvers.monitoring.shield_cycles import cycle_in_force, in_notice_window, normalise_cycle

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(text: str) -> datetime:
    """A moment given as Shanghai wall time."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(UTC)


@pytest.mark.parametrize(
    ("cycle", "moment", "expected"),
    [
        ({"type": 2, "begin_time": "09:00", "end_time": "18:00"}, "2026-12-07 09:00:00", True),
        ({"type": 2, "begin_time": "09:00", "end_time": "18:00"}, "2026-12-07 18:00:00", False),
        ({"type": 2, "begin_time": "22:00", "end_time": "02:00"}, "2026-12-07 23:30:00", True),
        ({"type": 2, "begin_time": "22:00", "end_time": "02:00"}, "2026-12-08 01:59:59", True),
        ({"type": 2, "begin_time": "22:00", "end_time": "02:00"}, "2026-12-08 12:00:00", False),
        # Weekly, Monday (1) only: Monday evening into Tuesday morning is Monday's window.
        ({"type": 3, "begin_time": "22:00", "end_time": "02:00", "week_list": [1]}, "2026-12-07 23:00:00", True),
        ({"type": 3, "begin_time": "22:00", "end_time": "02:00", "week_list": [1]}, "2026-12-08 01:00:00", True),
        ({"type": 3, "begin_time": "22:00", "end_time": "02:00", "week_list": [1]}, "2026-12-08 23:00:00", False),
        ({"type": 3, "begin_time": "22:00", "end_time": "02:00", "week_list": [1]}, "2026-12-07 01:00:00", False),
        # Monthly on the 1st and the 31st; a whole day when no times are given.
        ({"type": 4, "day_list": [1, 31]}, "2026-12-31 13:00:00", True),
        ({"type": 4, "day_list": [1, 31]}, "2027-01-01 00:00:00", True),
        ({"type": 4, "day_list": [1, 31]}, "2026-12-30 23:59:59", False),
        ({}, "2026-12-30 23:59:59", True),  # one-off: the shield's own begin/end decide
    ],
)
def test_cycles_on_the_business_clock(cycle: dict, moment: str, expected: bool) -> None:
    assert cycle_in_force(normalise_cycle(cycle), _at(moment), SHANGHAI) is expected


def test_the_business_clock_is_not_utc() -> None:
    # 2026-12-07 01:30 in Shanghai is still Sunday 2026-12-06 17:30 UTC.
    moment = _at("2026-12-07 01:30:00")
    monday_nights = normalise_cycle({"type": 3, "begin_time": "01:00", "end_time": "02:00", "week_list": [1]})
    assert cycle_in_force(monday_nights, moment, SHANGHAI)
    assert not cycle_in_force(monday_nights, moment, ZoneInfo("UTC"))
    office = {"notice_start_time": "01:00", "notice_end_time": "02:00"}
    assert in_notice_window(office, moment, SHANGHAI)
    assert not in_notice_window(office, moment, ZoneInfo("UTC"))
    overnight = {"notice_start_time": "22:00", "notice_end_time": "02:00"}
    assert in_notice_window(overnight, moment, SHANGHAI)
