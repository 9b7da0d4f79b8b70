"""schemathesis against the OpenAPI document of every REST dialect (BlueKing, OpenC3, Huawei; see
`rest_dialects.py`), with positive and negative generated data:
- without credentials, every operation, on the session's server (one case per mode: the refusal
  comes before the parameters are read, except on the few open routes);
- with valid credentials, every operation, reads and writes, on a throwaway server of its own
  (`conftest.py`: its own data dir, outbound traffic kept on this machine): generated writes
  create, change and delete whatever they can, which the session's shared data must not suffer.
Each answer: no 5xx, no traceback, no hang (15 s), and conforming to the operation's documented
responses (status, content type, headers, body schema): OpenC3 refuses with HTTP 200
`{stat: false, info}`, Huawei with 4xx `{error_code, error_msg}`, BlueKing with 200 `result: false`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from tests.robustness.fuzzing import BOTH_MODES, FuzzReport, fuzz_operations, record_fuzz
from tests.robustness.login import Login
from tests.robustness.rest_dialects import DIALECTS
from tests.support.server import Server

RecordProperty = Callable[[str, object], None]

BUDGET_SECONDS = 300.0  # a guard: each run takes well under it (see the session's summary)
# Operations per dialect the documents must hold at least (a smaller document lost its routes).
AT_LEAST = {"bk": 150, "openc3": 150, "huawei": 3}
# Cases per operation and mode with credentials: one for the big tables (time), more for Huawei's three.
EXAMPLES = {"bk": 1, "openc3": 1, "huawei": 10}


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_every_operation_without_credentials(server: Server, dialect: str, record_property: RecordProperty) -> None:
    spec = DIALECTS[dialect]
    report = FuzzReport()
    fuzz_operations(
        spec.schema(server).get_all_operations(),
        spec.sender(server, None),
        examples=1,
        budget_seconds=BUDGET_SECONDS,
        report=report,
        conformance=True,
        modes=BOTH_MODES,
    )
    record_fuzz(report, f"{dialect} without credentials", record_property)
    assert report.operations >= AT_LEAST[dialect], report.summary(dialect)
    assert report.problems == []


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_every_operation_with_credentials_on_a_throwaway_server(
    throwaway: Server, dialect: str, record_property: RecordProperty
) -> None:
    spec = DIALECTS[dialect]
    login = Login(throwaway)
    report = FuzzReport(succeeded=spec.succeeded)
    fuzz_operations(
        spec.schema(throwaway).get_all_operations(),
        spec.sender(throwaway, lambda: login.token),
        examples=EXAMPLES[dialect],
        budget_seconds=BUDGET_SECONDS,
        report=report,
        conformance=True,
        modes=BOTH_MODES,
        after_operation=login.keep,
    )
    record_fuzz(report, f"{dialect} every operation with credentials (token renewed {login.renewed}×)", record_property)
    assert report.operations >= AT_LEAST[dialect], report.summary(dialect)
    assert report.problems == []
    # The credentials work: some generated requests were served, not all refused.
    assert report.served > 0, report.summary(dialect)


def test_each_document_lists_every_row_of_its_route_table(server: Server) -> None:
    """The documents are generated from the route tables: every row (and method) is an operation."""
    from opsgraph.compat_rest import bk, huawei, openc3

    bk.routes.load_route_modules()
    huawei.routes.load_route_modules()
    openc3.routes.load_route_modules()
    rows = {
        "bk": {(f"/api/c/compapi/v2/{r.system}/{r.name}/", m) for r in bk.BK_ROUTES for m in r.methods},
        "openc3": {(openc3.openapi.openapi_path(r), r.method) for r in openc3.C3_ROUTES},
        "huawei": {(r.path, r.method) for r in huawei.HUAWEI_ROUTES},
    }
    for name, spec in DIALECTS.items():
        document = spec.schema(server).raw_schema
        served = {(path, method.upper()) for path, operations in document["paths"].items() for method in operations}
        # Templates differing only in parameter names are listed under one (OpenAPI allows one).
        assert {(_unnamed(p), m) for p, m in served} == {(_unnamed(p), m) for p, m in rows[name]}, name
        assert len(served) == len(rows[name]), name
        assert document["info"]["title"], name


def _unnamed(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/job/task/1/a%0Ab", 200),  # a row's path part: the route, refusing (no login)
        ("GET", "/api/job/no%0Asuch", 404),
        ("POST", "/v5/p%0Aq/common/task", 401),
        ("GET", "/v9/a%0Ab", 404),
        ("POST", "/api/c/compapi/v2/cc/a%0Ab/", 404),
        ("POST", "/api/c/compapi/a/b/c%0Ad/e", 404),
    ],
)
def test_an_encoded_newline_in_a_path_is_answered_in_the_dialect(
    server: Server, method: str, path: str, status: int
) -> None:
    """Found by the fuzz: Starlette's `path` convertor stops at a newline, so these paths fell
    through to a plain-text 404 instead of the dialect's JSON answer."""
    answer = httpx.request(method, f"{server.url}{path}", timeout=30)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json"), answer.text
    assert answer.json()
