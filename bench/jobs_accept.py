"""Accepting a big task: `runScript` on `--accept` host ids, timed from send to parsed response (the
mutation validates the targets, writes the task, its step and one result row per host, then queues
it), followed at once by `cancelTask`, since those hosts are not reachable.

The server runs this part with both concurrency bounds at 1, so at most one connection attempt to an
unreachable 10.x address can start before the cancel lands; every other host ends CANCELLED
without any network traffic. How long the cancel takes to settle is printed too (polled).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench.client import HttpClient, Reply
from bench.jobs_estate import JobsEstate
from bench.jobs_run import ECHO, ENDED, RUN_SCRIPT

CANCEL_TASK = """
mutation($t: ID!) { cancelTask(input: {taskId: $t}) { task { id status } errors { code field message } } }"""
TASK_STATUS = "query($j: Int!) { task(jobInstanceId: $j) { status } }"
POLL_INTERVAL_S = 0.25
CANCEL_WAIT_S = 120.0


@dataclass(frozen=True)
class AcceptRun:
    hosts: int
    accepted: Reply  # runScript: elapsed_ms, X-SQL-Count
    status_on_accept: str
    cancelled: Reply  # cancelTask
    cancel_error: str
    settled_s: float | None  # from sending cancelTask to a final status, polled every POLL_INTERVAL_S
    final_status: str


def _wait_final(client: HttpClient, job_instance_id: int, since: float) -> tuple[float | None, str]:
    status = "unknown"
    while time.perf_counter() - since < CANCEL_WAIT_S:
        status = client.data(TASK_STATUS, {"j": job_instance_id})["task"]["status"]
        if status in ENDED:
            return time.perf_counter() - since, status
        time.sleep(POLL_INTERVAL_S)
    return None, status


def accept_and_cancel(client: HttpClient, estate: JobsEstate) -> AcceptRun:
    variables = {"input": {"businessId": estate.business_id, "hostIds": estate.host_ids, "content": ECHO}}
    accepted = client.graphql(RUN_SCRIPT, variables)
    payload = accepted.body["data"]["runScript"]
    if payload["errors"] or payload["task"] is None:
        raise RuntimeError(f"runScript on {len(estate.host_ids):,} hosts refused: {payload['errors']}")
    task = payload["task"]
    since = time.perf_counter()
    cancelled = client.graphql(CANCEL_TASK, {"t": task["id"]})
    errors = cancelled.body["data"]["cancelTask"]["errors"]
    settled, final = _wait_final(client, task["jobInstanceId"], since)
    return AcceptRun(
        hosts=len(estate.host_ids),
        accepted=accepted,
        status_on_accept=task["status"],
        cancelled=cancelled,
        cancel_error="; ".join(f"{e['code']}: {e['message']}" for e in errors),
        settled_s=settled,
        final_status=final,
    )
