"""bk-job's Quartz cron expressions ⇄ the 5-field form OpsGraph schedules with (no server needed)."""

from __future__ import annotations

import pytest

from opsgraph.compat_rest.bk.job.quartz import to_cron, to_quartz
from opsgraph.core.errors import ValidationFailed


@pytest.mark.parametrize(
    ("quartz", "cron"),
    [
        ("0 0/5 * * * ?", "0-59/5 * * * *"),  # the doc's own example: every 5 minutes
        ("0 30 2 ? * 2-6", "30 2 * * 1-5"),  # Quartz weekdays count from 1 = Sunday
        ("0 15 10 ? * 7", "15 10 * * 6"),
        ("0 0 12 ? * MON,WED,FRI", "0 12 * * MON,WED,FRI"),
        ("0 0 12 ? * 1/2 *", "0 12 * * 0-6/2"),
        ("0 0 0/2 1/3 * ?", "0 0-23/2 1-31/3 * *"),
        ("0 1,2,3 * * * ?", "1,2,3 * * * *"),
    ],
)
def test_quartz_expressions_convert_both_ways(quartz: str, cron: str) -> None:
    assert to_cron(quartz) == cron
    assert to_quartz(cron) == quartz.removesuffix(" *")


def test_linux_expressions_are_taken_as_they_are() -> None:
    assert to_cron("*/5  * * * 1-5") == "*/5 * * * 1-5"
    assert to_quartz("*/5 * * * 1-5") == "0 */5 * ? * 2-6"


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("0/30 * * * * ?", "seconds"),  # every 30 s has no 5-field form
        ("0 0 12 L * ?", "Quartz-only"),
        ("0 0 12 15W * ?", "Quartz-only"),
        ("0 0 12 ? * 6#3", "Quartz-only"),
        ("0 0 0 1 1 ? 2030", "year"),
        ("* * *", "fields"),
        ("0 0 12 ? * 8", "day-of-week"),
    ],
)
def test_what_cannot_be_scheduled_is_refused(expression: str, reason: str) -> None:
    with pytest.raises(ValidationFailed, match=reason):
        to_cron(expression)
