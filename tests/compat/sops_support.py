"""Helpers for the bk `sops` tests, driven by the unmodified published client
(`from bkapi_component.open.client import Client`: its `sops` group declares these operations)."""

from __future__ import annotations

import time
from typing import Any

from bkapi_component.open.client import Client

from tests.support.server import APP_CODE, APP_SECRET

# bk-sops codes (gcloud/err_code.py).
PARAM_INVALID, FORBIDDEN, NOT_EXIST, INVALID_OPERATION, VALIDATION_ERROR = 3540000, 3540100, 3540400, 3545000, 3546100
ENDED = frozenset({"FINISHED", "FAILED", "REVOKED"})


def sops_client(base_url: str, username: str = "admin") -> Client:
    client = Client(endpoint=base_url, bk_api_ver="v2")
    client.update_bkapi_authorization(bk_app_code=APP_CODE, bk_app_secret=APP_SECRET, bk_username=username)
    return client


def ok(response: dict[str, Any]) -> Any:
    """`data` of a successful sops answer, after checking the envelope (code 0 and a trace_id)."""
    assert response["result"] is True, response
    assert response["code"] == 0, response
    assert response["trace_id"], response
    assert response["trace_id"] == response["request_id"], response
    return response["data"]


def refused(response: dict[str, Any], code: int, words: str = "") -> str:
    assert response["result"] is False, response
    assert response["code"] == code, response
    assert response["data"] is None, response
    assert response["trace_id"], response
    assert words in response["message"], response
    return str(response["message"])


def wait_status(client: Client, biz: int, task_id: int, states: frozenset[str] = ENDED, timeout: float = 30) -> Any:
    """Poll get_task_status as bk clients do, until the root shows one of `states`."""
    deadline = time.monotonic() + timeout
    while True:
        status = ok(client.sops.get_task_status(params={"bk_biz_id": biz, "task_id": task_id}))
        if status["state"] in states:
            return status
        assert time.monotonic() < deadline, f"task {task_id} still {status['state']}: {status}"
        time.sleep(0.1)
