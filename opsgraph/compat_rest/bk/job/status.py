"""bk-job's legacy status codes as mappings of OpsGraph's canonical statuses.

Job/step status (callback_protocol, get_job_instance_status/log, get_step_instance_status):
1 not executed, 2 running, 3 success, 4 failed, 5 skipped, 6 error ignored, 7 waiting for user,
8 manually ended, 9 abnormal, 10 force-terminating, 11 force-terminate succeeded, 12 … failed.

Host status (`ip_status`, `step_ip_status`): 1 agent abnormal, 5 waiting, 7 running, 9 success,
11 failed, 12 dispatch failed, 13 timeout, 101 script failed, 102 script timeout, 103 script
terminated, 104 non-zero exit, 202 file transfer failed, 203 source missing, 311 account missing,
321 file over the limit, 399 execution error, 403 terminate succeeded.
"""

from __future__ import annotations

from opsgraph.executors.callback_bodies import BK_JOB_STATUS, bk_job_status

# The job/step codes are also those of the callback body, sent by processes without this layer.
JOB_STATUS = BK_JOB_STATUS

_HOST_RUNNING = {"PENDING": 5, "RUNNING": 7, "SUCCESS": 9, "CANCELLED": 403, "SKIPPED": 9}
_HOST_FAILURE = {
    # An SSH target that cannot be reached is what bk-job calls an abnormal agent.
    "UNREACHABLE": 1,
    # bk-job has no "authentication failed"; 311 (account unusable on the host) is the closest.
    "AUTH_FAILED": 311,
    "NO_ACCOUNT": 311,
    "HOST_KEY_MISMATCH": 12,
    "NON_ZERO_EXIT": 104,
    "FILE_MISSING": 203,
    "FILE_TRANSFER_FAILED": 202,
    # A source bringing more files (REGEX: matches, a directory's entries) or bytes than allowed.
    "FILE_LIMIT_EXCEEDED": 321,
    "CANCELLED": 403,
    "INTERRUPTED": 399,
    "PROTOCOL_ERROR": 399,
}


job_status = bk_job_status


def host_status(status: str, failure: str | None, step_kind: str = "script") -> int:
    if status in _HOST_RUNNING:
        return _HOST_RUNNING[status]
    if failure == "TIMEOUT":
        return 102 if step_kind == "script" else 13
    if failure and failure in _HOST_FAILURE:
        return _HOST_FAILURE[failure]
    return 11 if status == "FAILED" else 399


def step_type(kind: str) -> int:
    """bk-job step/block type: 1 script, 2 file (3 manual confirmation in v3)."""
    return {"script": 1, "file": 2, "approval": 3}.get(kind, 1)


# get_job_instance_status documents a smaller host code set for `step_ip_status` than the
# `ip_status` of get_job_instance_log: 1, 5, 7, 9, 11, 12, 403, 404. Every other failure is 11.
_STEP_IP_STATUS = frozenset({1, 5, 7, 9, 12, 403, 404})

# The doc's own wording for each ip_status (get_job_instance_log), for get_step_instance_status's
# `result_type_text`.
IP_STATUS_TEXT = {
    1: "Agent abnormal",
    3: "Succeeded last time",
    5: "Waiting",
    7: "Running",
    9: "Success",
    11: "Task failed",
    12: "Task dispatch failed",
    13: "Task timed out",
    15: "Task log error",
    101: "Script execution failed",
    102: "Script timed out",
    103: "Script terminated",
    104: "Script exit code non-zero",
    202: "File transfer failed",
    203: "Source file does not exist",
    310: "Agent abnormal",
    311: "Account does not exist",
    320: "File fetch failed",
    321: "File exceeds limit",
    329: "File transfer error",
    399: "Task execution error",
    403: "Force-terminated",
}

FINISHED = frozenset({"SUCCESS", "FAILED", "CANCELLED", "ABNORMAL", "SKIPPED"})


def step_ip_status(ip_status: int) -> int:
    """An `ip_status` (host_status) in get_job_instance_status's smaller `step_ip_status` set."""
    return ip_status if ip_status in _STEP_IP_STATUS else 11


def host_error_code(ip_status: int, failure: str | None) -> int:
    """bk-job's per-host `error_code`: 0 when the script itself decided the outcome (success or its
    own exit code), otherwise why OpsGraph could not run it, as the host's status code."""
    if failure in (None, "", "NON_ZERO_EXIT"):
        return 0
    return ip_status
