"""bk `job` ad-hoc runs: fast_execute_script and fast_push_file → {job_instance_name, job_instance_id}.

Both start a Task at once (runScript / pushFile) whose callback, when `bk_callback_url` is given,
has bk-job's callback_protocol body (`bk_job`, see callback.py).

Example (bkapi-client-core):
    client.job.fast_execute_script(data={"bk_biz_id": 2, "script_content": "ZWNobyAkMQ==",
        "script_param": "aGVsbG8=", "account": "root", "ip_list": [{"bk_cloud_id": 0, "ip": "10.0.0.1"}]})
    # data: {"job_instance_name": "API Quick execution script1521100521303", "job_instance_id": 10000}
"""

from __future__ import annotations

import time
from typing import Any

from opsgraph.compat_rest.bk.job.callback import PROTOCOL
from opsgraph.compat_rest.bk.job.common import (
    base64_text,
    bk_id,
    business_id,
    dynamic_groups,
    job_route,
    not_supported,
    script_timeout,
    targets,
)
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.ids import encode_global_id
from opsgraph.core.settings import Settings

SCRIPT_TYPES = range(1, 6)  # 1 shell, 2 bat, 3 perl, 4 python, 5 powershell
_MAX_NAME = 512  # bk-job's task_name limit, and our Task.name column


async def start(
    mutation: str, document: str, variables: dict[str, Any], principal: Principal, settings: Settings
) -> dict[str, Any]:
    """Run a task-starting mutation; the documented answer for every execution endpoint."""
    payload = (await run_operation(load_operation(__name__, document), variables, principal, settings))[mutation]
    raise_user_errors(payload)
    task = payload["task"]
    return {"job_instance_name": task["name"], "job_instance_id": task["jobInstanceId"]}


def task_name(params: Params, default_prefix: str) -> str:
    """`task_name`, else bk-job's own "<prefix><milliseconds since the epoch>"."""
    name = (params.get_str("task_name", required=False) or "").strip()
    if len(name) > _MAX_NAME:
        raise ValidationFailed(f"task_name must be at most {_MAX_NAME} characters", field="task_name")
    return name or f"{default_prefix}{int(time.time() * 1000)}"


def script_type(params: Params, name: str = "script_type") -> int:
    value = params.get_int(name, 1, required=False)
    if value not in SCRIPT_TYPES:
        raise ValidationFailed(
            f"{params.field(name)} must be 1 shell, 2 bat, 3 perl, 4 python or 5 powershell, got {value}",
            field=params.field(name),
        )
    return value


def callback(params: Params) -> dict[str, Any]:
    url = params.get_str("bk_callback_url", required=False) or None
    return {"callbackUrl": url, "callbackProtocol": PROTOCOL}


@job_route("fast_execute_script", summary="Run a script (stored or base64 content) on hosts → the job instance")
async def fast_execute_script(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    biz = business_id(params)
    script_id = bk_id(params, "script_id", "SCRIPT_NOT_FOUND", required=False)
    # As documented, script_id wins over script_content; a stored script has its own language.
    content = None if script_id is not None else base64_text(params, "script_content")
    if script_id is None and not content:
        raise ValidationFailed("script_id or script_content is required", field="script_content", code="MISSING_FIELD")
    sensitive = params.get_int("is_param_sensitive", 0, required=False)
    if sensitive not in (0, 1):
        raise ValidationFailed("is_param_sensitive must be 0 or 1", field="is_param_sensitive")
    # Nothing more to do for sensitive parameters: OpsGraph never shows a run's parameters (a Task
    # step exposes no config, and the audit log records only the kind, name and host count).
    variables = {
        "input": {
            "businessId": encode_global_id("Business", biz),
            "hosts": targets(params),
            "dynamicGroupIds": dynamic_groups(params),
            "scriptId": None if script_id is None else encode_global_id("Script", script_id),
            "content": content,
            "language": None if content is None else script_type(params),
            "params": base64_text(params, "script_param") or "",
            "timeout": script_timeout(params),
            # The doc lists `account` as optional; absent, the business's default account runs it
            # (bk-job itself would refuse the request without one).
            "accountAlias": params.get_str("account", required=False) or None,
            "name": task_name(params, "API Quick execution script"),
            **callback(params),
        }
    }
    return await start("runScript", "run_script.graphql", variables, principal, settings)


@job_route("fast_push_file", summary="Copy files from hosts of the business to target hosts → the job instance")
async def fast_push_file(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    biz = business_id(params)
    # `[FILESRCIP]` in the target path puts each source host's files in a directory named by its IP.
    target_path = params.get_str("file_target_path")
    account = params.get_str("account")  # required by the doc, unlike fast_execute_script's
    variables = {
        "input": {
            "businessId": encode_global_id("Business", biz),
            "files": file_sources(params),
            "targetPath": target_path,
            "hosts": targets(params),
            "dynamicGroupIds": dynamic_groups(params),
            "accountAlias": account,
            "name": task_name(params, "API Quick Distribution File"),
            **callback(params),
        }
    }
    return await start("pushFile", "push_file.graphql", variables, principal, settings)


def file_sources(params: Params) -> list[dict[str, Any]]:
    """`file_source[]` → one FileSourceInput per (source host, path), read with the source's own
    `account`. Paths may be files, directories ("/dir/") or "/dir/REGEX:<expression>" patterns;
    pushFile checks them (a refusal names `files`)."""
    sources: list[dict[str, Any]] = []
    items = params.get_list("file_source")
    if not items:
        raise ValidationFailed("file_source must name at least one source", field="file_source")
    for index, item in enumerate(items):
        where = f"{params.field('file_source')}[{index}]"
        if not isinstance(item, dict):
            raise ValidationFailed(f"{where} must be an object {{files, account, ip_list}}", field=where)
        source = Params(item, prefix=f"{where}.")
        source_account = source.get_str("account")  # documented as required: who reads the sources
        if dynamic_groups(source):
            raise not_supported(
                f"{where}: source hosts from custom_query_id (dynamic groups) are not supported yet; "
                "name them in ip_list",
                source.field("custom_query_id"),
            )
        hosts = targets(source)
        if not hosts:
            raise ValidationFailed(
                f"{where} names no source host (ip_list)", field=f"{where}.ip_list", code="NO_TARGETS"
            )
        for path_index, path in enumerate(source.get_list("files")):
            checked = _source_path(path, f"{where}.files[{path_index}]")
            sources.extend({"sourceHost": host, "path": checked, "accountAlias": source_account} for host in hosts)
    return sources


def _source_path(path: Any, field: str) -> str:
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValidationFailed(f"{field} must be an absolute file path", field=field)
    return path
