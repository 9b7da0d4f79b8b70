"""Running schemathesis-generated requests against a live server, within a time budget.

Every response is checked for what a client's input must never cause: a 5xx status, a Python
traceback in the body, or no answer within `REQUEST_TIMEOUT` (a hang). Problems are collected, not
raised at the first one, so one run lists them all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.core.result import Ok

REQUEST_TIMEOUT = 15.0
_TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/')


@dataclass
class FuzzReport:
    requests: int = 0
    operations: int = 0
    problems: list[str] = field(default_factory=list)

    def check(self, label: str, response: requests.Response) -> None:
        self.requests += 1
        body = response.text
        if response.status_code >= 500:
            self.problems.append(f"{label}: HTTP {response.status_code}: {body[:300]}")
        if any(marker in body for marker in _TRACE_MARKERS):
            self.problems.append(f"{label}: a traceback in the body: {body[:300]}")


def fuzz_operations(
    operations: Iterable[Any],
    send: Callable[[Any], requests.Response],
    *,
    examples: int,
    budget_seconds: float,
    report: FuzzReport,
) -> None:
    """Up to `examples` generated cases per operation, until `budget_seconds` have passed."""
    deadline = time.monotonic() + budget_seconds
    for result in operations:
        if time.monotonic() > deadline:
            return
        if not isinstance(result, Ok):
            continue
        operation = result.ok()

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def one(case: Any) -> None:
            try:
                response = send(case)
            except requests.Timeout:
                report.problems.append(f"{case.operation.label}: no answer within {REQUEST_TIMEOUT:g} s")
                return
            report.check(case.operation.label, response)

        one()
        report.operations += 1
