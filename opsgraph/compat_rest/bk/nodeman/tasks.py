"""bk-nodeman create_task (install / reinstall / uninstall / remove / upgrade agents over SSH) and
get_task_info (the same job, read back as it progresses).

create_task runs the `installAgents` mutation; passwords and keys arrive RSA-encrypted (PKCS#1 v1.5,
base64, with the key of `POST /api/encrypt_rsa/fetch_public_keys/`) and are decrypted only to be
handed to it, never logged or returned. A host given without `auth_type`/secret logs in with the
business's default account. Both answers have bk-nodeman's shape, with `code: "OK"`:

    {"id": 187, "job_type": "INSTALL_PAGENT", "bk_biz_id": "2", "bk_cloud_id": "218",
     "hosts": [{"job_id": "187", "status": "QUEUE", "err_code": "INIT", "step": "任务初始化(安装)",
                "err_code_desc": "初始化", "host": {"id": 43, "conn_ips": "10.0.0.1", "node_type": "PAGENT", …}}],
     "status_count": {"running_count": 1, "failed_count": 0, "success_count": 0},
     "os_count": {"WINDOWS": 0, "AIX": 0, "LINUX": 1}, "host_count": 1, "job_type_desc": "安装PAGENT", …}

Host status: QUEUE (not started), RUNNING, SUCCESS, FAILED; `step` names the host's current phase
(连接主机, 检查操作系统, 推送文件, 写入配置, 启动Agent, 等待Agent心跳, 停止Agent, 删除文件).
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES
from opsgraph.compat_rest.bk.common import bk_time, refuse_missing
from opsgraph.compat_rest.bk.nodeman.errors import NODEMAN_CODES
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.core.ids import encode_global_id
from opsgraph.core.rsa_keys import server_keys
from opsgraph.core.settings import Settings

NODE_TYPES = ("AGENT", "PROXY", "PAGENT")
OP_TYPES = {"INSTALL": "安装", "REINSTALL": "重装", "UNINSTALL": "卸载", "REMOVE": "移除", "UPGRADE": "升级"}
AUTH_TYPES = ("PASSWORD", "KEY")
OS_BY_CMDB = {"1": "LINUX", "2": "WINDOWS", "3": "AIX"}

# Our canonical host status → bk-nodeman's host status.
HOST_STATUS = {
    "PENDING": "QUEUE",
    "WAITING": "QUEUE",
    "RUNNING": "RUNNING",
    "CANCELLING": "RUNNING",
    "SUCCESS": "SUCCESS",
    "SKIPPED": "SUCCESS",
}
# Our canonical task status → bk-nodeman's job status.
JOB_STATUS = {"PENDING": "PENDING", "WAITING": "PENDING", "RUNNING": "RUNNING", "CANCELLING": "RUNNING"}
STEP_NAMES = {
    "connect": "连接主机",
    "check_os": "检查操作系统",
    "push_files": "推送文件",
    "write_config": "写入配置",
    "start": "启动Agent",
    "wait_heartbeat": "等待Agent心跳",
    "stop": "停止Agent",
    "remove_files": "删除文件",
}
ERR_CODE_DESC = {
    "INIT": "初始化",
    "RUNNING": "正在执行",
    "SUCCESS": "执行成功",
    "UNREACHABLE": "主机不可达",
    "AUTH_FAILED": "认证失败",
    "TIMEOUT": "执行超时",
    "HOST_KEY_MISMATCH": "主机密钥不匹配",
    "CANCELLED": "任务已终止",
    "INTERRUPTED": "任务被中断",
}


def _nodeman_route(name: str, summary: str) -> Any:
    return BK_ROUTES.handler(
        "nodeman", name, success_code="OK", success_message="success", error_codes=NODEMAN_CODES, summary=summary
    )


def _choice(params: Params, name: str, allowed: tuple[str, ...] | dict[str, str], default: str | None = None) -> str:
    raw = params.get_str(name) if default is None else params.get_str(name, default, required=False)
    value = (raw or default or "").strip().upper()
    if value not in allowed:
        raise ValidationFailed(f"{params.field(name)} must be one of {', '.join(allowed)}", field=params.field(name))
    return value


def _host_input(entry: Params, node_type: str, op_type: str, settings: Settings) -> dict[str, Any]:
    """One AgentHostInput, with the secret decrypted (it lives only in this request's memory)."""
    ips = [ip.strip() for ip in entry.get_str("conn_ips").split(",") if ip.strip()]
    if not ips:
        raise ValidationFailed(f"{entry.field('conn_ips')} names no IP", field=entry.field("conn_ips"))
    ip = ips[0]
    login_ip = (entry.get_str("login_ip", "", required=False) or "").strip()
    if login_ip and login_ip != ip:
        raise ValidationFailed(
            f"{entry.field('login_ip')}: logging in on another address than conn_ips is not supported",
            field=entry.field("login_ip"),
        )
    if node_type == "PROXY" and op_type in ("INSTALL", "REINSTALL") and not entry.get_str("cascade_ip", "").strip():
        raise ValidationFailed(
            f"{entry.field('cascade_ip')} is required to install a PROXY", field=entry.field("cascade_ip")
        )
    host: dict[str, Any] = {"ip": ip, "osType": _choice(entry, "os_type", ("LINUX", "WINDOWS", "AIX"), "LINUX")}
    port = entry.get_int("port", required=False)
    if port is not None:
        host["sshPort"] = port
    password = entry.get_str("password", "", required=False) or ""
    key = entry.get_str("key", "", required=False) or ""
    auth = entry.get_str("auth_type", "", required=False) or ""
    auth = auth.strip().upper() or ("PASSWORD" if password else "KEY" if key else "")
    if not auth:
        return host  # the business's default account
    if auth not in AUTH_TYPES:
        raise ValidationFailed(f"{entry.field('auth_type')} must be PASSWORD or KEY", field=entry.field("auth_type"))
    secret_name, secret = ("password", password) if auth == "PASSWORD" else ("key", key)
    if not secret:
        raise ValidationFailed(
            f"{entry.field(secret_name)} is required when auth_type is {auth}", field=entry.field(secret_name)
        )
    plain = server_keys(settings.data_dir).decrypt(secret, field=entry.field(secret_name))
    host["username"] = entry.get_str("account", "root", required=False) or "root"
    host["password" if auth == "PASSWORD" else "privateKey"] = plain
    return host


@_nodeman_route("create_task", "Install, reinstall, uninstall, remove or upgrade agents over SSH")
async def create_task(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    biz = params.get_int("bk_biz_id")
    cloud = params.get_int("bk_cloud_id")
    node_type = _choice(params, "node_type", NODE_TYPES)
    op_type = _choice(params, "op_type", OP_TYPES)
    params.get_str("creator", "", required=False)  # the task's creator is the authenticated user
    business = await run_operation(load_operation(__name__, "business.graphql"), {"bkBizId": biz}, principal, settings)
    if business["business"] is None:
        raise refuse_missing(principal, biz, f"business {biz} does not exist", "BUSINESS_NOT_FOUND")
    raw_hosts = params.get_list("hosts")
    if not raw_hosts:
        raise ValidationFailed("hosts must not be empty", field="hosts")
    hosts = []
    for index, item in enumerate(raw_hosts):
        if not isinstance(item, dict):
            raise ValidationFailed(f"hosts[{index}] must be an object", field=f"hosts[{index}]")
        hosts.append(_host_input(Params(item, prefix=f"hosts[{index}]."), node_type, op_type, settings))
    variables = {
        "input": {
            "businessId": encode_global_id("Business", biz),
            "nodeType": node_type,
            "operation": op_type,
            "bkCloudId": cloud,
            "hosts": hosts,
        }
    }
    payload = (await run_operation(load_operation(__name__, "install_agents.graphql"), variables, principal, settings))[
        "installAgents"
    ]
    raise_user_errors(payload)
    return await task_info(payload["task"]["jobInstanceId"], principal, settings)


@_nodeman_route("get_task_info", "An install task's progress: job and per-host status, step, counts")
async def get_task_info(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    return await task_info(params.get_int("job_id"), principal, settings)


async def task_info(job_id: int, principal: Principal, settings: Settings) -> dict[str, Any]:
    document = load_operation(__name__, "task_info.graphql")
    task = (await run_operation(document, {"jobInstanceId": job_id}, principal, settings))["task"]
    if task is None or task["kind"] != "AGENT_INSTALL":
        raise NotFound(f"job {job_id} does not exist", field="job_id", code="TASK_NOT_FOUND")
    return job_body(task)


def _host_entry(result: dict[str, Any], job: dict[str, str]) -> dict[str, Any]:
    status = HOST_STATUS.get(result["status"], "FAILED")
    if status == "QUEUE":
        err_code, step = "INIT", f"任务初始化({OP_TYPES.get(job['op'], job['op'])})"
    else:
        err_code = {"RUNNING": "RUNNING", "SUCCESS": "SUCCESS"}.get(status) or result["failure"] or "FAILED"
        step = STEP_NAMES.get(result["phase"], result["phase"] or "任务初始化")
    host = result["host"] or {}
    return {
        "job_id": str(job["id"]),
        "status": status,
        "err_code": err_code,
        "step": step,
        "err_code_desc": ERR_CODE_DESC.get(err_code, "执行失败"),
        "err_msg": result["error"] if status == "FAILED" else "",
        "host": {
            "id": host.get("bkHostId"),
            "bk_biz_id": job["bk_biz_id"],
            "bk_cloud_id": str(result["bkCloudId"]),
            "conn_ips": result["ip"],
            "node_type": job["node_type"],
            "os_type": OS_BY_CMDB.get(host.get("osType") or "", "LINUX"),
            "has_cygwin": False,
        },
    }


def job_body(task: dict[str, Any]) -> dict[str, Any]:
    """bk-nodeman's job detail for an AGENT_INSTALL task (its name is the job_type, e.g. INSTALL_PAGENT)."""
    op, _, node_type = task["name"].rpartition("_")
    results = [r for step in task["steps"] for r in step["hostResults"]["nodes"]]
    job = {"id": str(task["jobInstanceId"]), "op": op, "node_type": node_type, "bk_biz_id": str(task["bkBizId"])}
    hosts = [_host_entry(result, job) for result in results]
    statuses = [h["status"] for h in hosts]
    os_count = {"WINDOWS": 0, "AIX": 0, "LINUX": 0}
    for h in hosts:
        os_count[h["host"]["os_type"]] += 1
    status = JOB_STATUS.get(task["status"])
    if status is None:
        if task["status"] == "SUCCESS":
            status = "SUCCESS"
        elif task["status"] == "CANCELLED":
            status = "TERMINATED"
        else:
            status = "PART_FAILED" if "SUCCESS" in statuses else "FAILED"
    return {
        "id": task["jobInstanceId"],
        "creator": task["creator"],
        "bk_biz_id": str(task["bkBizId"]),
        "bk_supplier_account": "",
        "bk_supplier_id": "0",
        "bk_cloud_id": hosts[0]["host"]["bk_cloud_id"] if hosts else "0",
        "job_type": task["name"],
        "status": status,
        "hosts": hosts,
        "global_params": None,
        "start_time": bk_time(task["startedAt"] or task["createdAt"], offset=False),
        "end_time": bk_time(task["finishedAt"], offset=False),
        "status_count": {
            "running_count": sum(s in ("QUEUE", "RUNNING") for s in statuses),
            "failed_count": statuses.count("FAILED"),
            "success_count": statuses.count("SUCCESS"),
        },
        "os_count": os_count,
        "host_count": len(hosts),
        "job_type_desc": f"{OP_TYPES.get(op, op)}{node_type}",
        "op_target": {"config_file": "", "name": ""},
    }
