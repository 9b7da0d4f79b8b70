"""Running schemathesis-generated requests against a live server, within a time budget.

Every response is checked for what a client's input must never cause: a 5xx status, a Python
traceback in the body, or no answer within `REQUEST_TIMEOUT` (a hang). For the REST dialects the
answer must also be one their OpenAPI document declares (status, content type, headers, schema):
schemathesis' conformance checks. Problems are collected, not raised at the first one, so one run
lists them all; `FuzzReport.summary()` says how much ran and for how long.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response

REQUEST_TIMEOUT = 15.0
_TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/')
# What the OpenAPI documents promise about every answer.
CONFORMANCE = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
BOTH_MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
# What each fuzz run did and how long it took, printed at the end of the session (conftest.py).
SUMMARIES: list[str] = []


@dataclass
class FuzzReport:
    requests: int = 0
    operations: int = 0
    problems: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    statuses: dict[int, int] = field(default_factory=dict)
    # Which answers did what was asked (a dialect's own success), counted in `served`.
    succeeded: Callable[[Response], bool] | None = None
    served: int = 0

    def check(self, label: str, response: Response) -> None:
        self.requests += 1
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        if self.succeeded is not None and self.succeeded(response):
            self.served += 1
        body = response.text
        if response.status_code >= 500:
            self.problems.append(f"{label}: HTTP {response.status_code}: {body[:300]}")
        if any(marker in body for marker in _TRACE_MARKERS):
            self.problems.append(f"{label}: a traceback in the body: {body[:300]}")

    def summary(self, name: str) -> str:
        statuses = ", ".join(f"{status}×{count}" for status, count in sorted(self.statuses.items()))
        return (
            f"{name}: {self.operations} operations, {self.requests} requests in "
            f"{time.monotonic() - self.started:.1f} s (statuses {statuses}, {self.served} served); "
            f"{len(self.problems)} problems"
        )


def fuzz_operations(
    operations: Iterable[Any],
    send: Callable[[Any], Response],
    *,
    examples: int,
    budget_seconds: float,
    report: FuzzReport,
    conformance: bool = False,
    modes: Sequence[GenerationMode] = (GenerationMode.POSITIVE,),
    after_operation: Callable[[], None] | None = None,
) -> None:
    """Up to `examples` generated cases per operation and mode, until `budget_seconds` have passed.

    `conformance`: also hold each answer to the operation's documented responses.
    `after_operation`: called after each operation's cases (keeping a login alive)."""
    deadline = time.monotonic() + budget_seconds
    for result in operations:
        if time.monotonic() > deadline:
            report.problems.append(f"the budget of {budget_seconds:g} s ran out after {report.operations} operations")
            return
        if not isinstance(result, Ok):
            continue
        operation = result.ok()
        for mode in modes:

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def one(case: Any) -> None:
                try:
                    response = send(case)
                except requests.Timeout:
                    report.problems.append(f"{case.operation.label}: no answer within {REQUEST_TIMEOUT:g} s")
                    return
                report.check(case.operation.label, response)
                if conformance:
                    _conforms(case, response, report)

            one()
        report.operations += 1
        if after_operation is not None:
            after_operation()


def _conforms(case: Any, response: Response, report: FuzzReport) -> None:
    try:
        case.validate_response(response, checks=CONFORMANCE)
    except (Failure, FailureGroup) as exc:
        detail = " ".join(str(exc).split())
        report.problems.append(f"{case.operation.label}: HTTP {response.status_code} not as documented: {detail[:400]}")


def record_fuzz(report: FuzzReport, name: str, record_property: Callable[[str, object], None]) -> None:
    """Print the run's summary and its first problems, keep the summary for the session's end
    and in the JUnit XML (`record_property`)."""
    summary = report.summary(name)
    print(summary)
    SUMMARIES.append(summary)
    record_property("fuzz", summary)
    for problem in report.problems[:40]:
        print("  ", problem)
