"""CES `POST /v3/{project_id}/agent-invocations/batch-create`: agent maintenance tasks on the
OpsGraph agent (the "telescope"), answered 201 with one `BatchCreateInvocationInfo` per server.

- `instance_id` is a host's cloud instance id: its custom attribute `bk_cloud_inst_id`.
- INSTALL / UPDATE (`instance_ids`, 1–100): install / upgrade the agent; the host logs in with its
  business's default SSH account. Hosts are grouped by business and cloud area, one AGENT_INSTALL
  task per group.
- RETRY / ROLLBACK (`invocation_ids`, 1–100): run a finished invocation's operation again (only a
  failed one), or undo it (INSTALL → UNINSTALL, UPGRADE → REINSTALL, UNINSTALL → INSTALL).
- SET_REMOTE_INSTALLER (`instance_ids`): installs a PROXY agent there: the server that reaches others.
- REMOTE_INSTALL (`remote_install_meta`, 1–100): installs PAGENT agents on servers that only the
  business's remote installer reaches (SSH jump through it), with the login given per server
  (`password` is the key when `remote_use_pem`). The business: an access key created with `--biz`,
  or `enterprise_project_id=<bk_biz_id>`.

`invocation_id` is `<task number>-<bk_host_id>` (the task is the `jobInstanceId` GraphQL shows).
Per-server failures are `ret_status: "error"` with `error_code`:
    invocationmgr.0001 the server does not exist (no host with that bk_cloud_inst_id)
    invocationmgr.0002 it does not meet the conditions (no agent to update, invocation not finished…)
    invocationmgr.0003 the invocation does not exist
    invocationmgr.0004 the task could not be created (the reason in error_msg)
    invocationmgr.0005 the instance id names several hosts
Refusals of the whole request are 400/403 with `{error_code: "CES.xxxx", error_msg}`.

Example (huaweicloudsdkces):
    client.batch_create_agent_invocations(BatchCreateAgentInvocationsRequest(body=BatchCreateInvocationRequestBody(
        instance_ids=["i-0001"], invocation_type="INSTALL", invocation_target="telescope")))
    # invocations: [{"instance_id": "i-0001", "invocation_id": "42-7", "ret_status": "successful"}]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.compat_rest.huawei import HUAWEI_ROUTES, HuaweiCaller, HuaweiRequest
from opsgraph.compat_rest.huawei.hss.common import business_id_for, require_business
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import OpsGraphError, ValidationFailed
from opsgraph.core.settings import Settings

INSTANCE_ATTRIBUTE = "bk_cloud_inst_id"
TYPES = ("INSTALL", "UPDATE", "ROLLBACK", "RETRY", "SET_REMOTE_INSTALLER", "REMOTE_INSTALL")
TARGET = "telescope"
MAX_ITEMS = 100
NO_SUCH_SERVER = "invocationmgr.0001"
CONDITIONS = "invocationmgr.0002"
NO_SUCH_INVOCATION = "invocationmgr.0003"
NOT_CREATED = "invocationmgr.0004"
AMBIGUOUS = "invocationmgr.0005"
_INVOCATION_ID = re.compile(r"^(\d{1,18})-(\d{1,18})$")
_ROLLBACK = {"INSTALL": "UNINSTALL", "UPGRADE": "REINSTALL", "UNINSTALL": "INSTALL"}
_FAILED = frozenset({"FAILED", "CANCELLED", "ABNORMAL"})
_FINISHED = frozenset({"SUCCESS", "SKIPPED"}) | _FAILED


@dataclass
class _Target:
    """One server of the batch, waiting for its task."""

    index: int
    instance_id: str
    host: dict[str, Any] = field(default_factory=dict)  # AgentHostInput
    host_id: int | None = None


@dataclass
class _Batch:
    answers: dict[int, dict[str, Any]] = field(default_factory=dict)
    groups: dict[tuple[str, int, str, str], list[_Target]] = field(default_factory=dict)

    def error(self, index: int, instance_id: str, code: str, message: str) -> None:
        self.answers[index] = {
            "instance_id": instance_id,
            "ret_status": "error",
            "error_code": code,
            "error_msg": message[:128],
        }

    def add(self, business: str, cloud: int, operation: str, node_type: str, target: _Target) -> None:
        self.groups.setdefault((business, cloud, operation, node_type), []).append(target)


def _strings(body: Mapping[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_ITEMS:
        raise ValidationFailed(f"{name} must be an array of 1 to {MAX_ITEMS} items", field=name)
    if not all(isinstance(v, str) and 1 <= len(v) <= 64 for v in value):
        raise ValidationFailed(f"{name} must hold strings of 1 to 64 characters", field=name)
    return list(value)


_IDS = {
    "type": "array",
    "minItems": 1,
    "maxItems": MAX_ITEMS,
    "items": {"type": "string", "minLength": 1, "maxLength": 64},
}
REQUEST_SCHEMA = {
    "type": "object",
    "required": ["invocation_type"],
    "properties": {
        "invocation_type": {"type": "string", "enum": list(TYPES)},
        "invocation_target": {"type": "string", "enum": [TARGET]},
        "instance_ids": _IDS,
        "invocation_ids": _IDS,
        "remote_install_meta": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_ITEMS,
            "items": {
                "type": "object",
                "required": ["remote_ip", "user_name", "password"],
                "properties": {
                    "remote_ip": {"type": "string", "format": "ipv4"},
                    "user_name": {"type": "string", "minLength": 1, "maxLength": 16},
                    "password": {"type": "string", "minLength": 1, "maxLength": 3000},
                    "port": {"type": ["string", "integer"]},
                    "remote_use_pem": {"type": "boolean"},
                    "instance_name": {"type": "string"},
                },
            },
        },
    },
}
RESPONSE_SCHEMA = {
    "type": "object",
    "required": ["invocations"],
    "properties": {
        "invocations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["instance_id", "ret_status"],
                "properties": {
                    "instance_id": {"type": "string"},
                    "invocation_id": {"type": "string"},
                    "ret_status": {"type": "string", "enum": ["successful", "error"]},
                    "error_code": {"type": "string"},
                    "error_msg": {"type": "string"},
                },
            },
        }
    },
}


@HUAWEI_ROUTES.route(
    "POST",
    "/v3/{project_id}/agent-invocations/batch-create",
    service="CES",
    status=201,
    request_schemas={"application/json": REQUEST_SCHEMA},
    response_schema=RESPONSE_SCHEMA,
)
async def batch_create(request: HuaweiRequest, caller: HuaweiCaller, settings: Settings) -> dict[str, Any]:
    """Create agent maintenance tasks in batches."""
    body = request.json_object()
    kind = body.get("invocation_type")
    if kind not in TYPES:
        raise ValidationFailed(f"invocation_type must be one of {', '.join(TYPES)}", field="invocation_type")
    target = body.get("invocation_target")
    if target is not None and target != TARGET:
        raise ValidationFailed(f"invocation_target can only be {TARGET}", field="invocation_target")
    business = business_id_for(request, caller)
    batch = _Batch()
    principal = caller.principal
    if kind in ("INSTALL", "UPDATE", "SET_REMOTE_INSTALLER"):
        instances = _strings(body, "instance_ids")
        operation = "UPGRADE" if kind == "UPDATE" else "INSTALL"
        node_type = "PROXY" if kind == "SET_REMOTE_INSTALLER" else "AGENT"
        await _instances(batch, instances, business, operation, node_type, kind == "UPDATE", principal, settings)
    elif kind in ("RETRY", "ROLLBACK"):
        await _invocations(batch, _strings(body, "invocation_ids"), kind, principal, settings)
    else:
        await _remote(batch, body, require_business(business, "REMOTE_INSTALL"), principal, settings)
    await _launch(batch, principal, settings)
    return {"invocations": [batch.answers[i] for i in sorted(batch.answers)]}


async def _instances(
    batch: _Batch,
    instances: list[str],
    business: str | None,
    operation: str,
    node_type: str,
    needs_agent: bool,
    principal: Principal,
    settings: Settings,
) -> None:
    document = load_operation(__name__, "instance_hosts.graphql")
    for index, instance in enumerate(instances):
        host_filter: dict[str, Any] = {"attributes": {INSTANCE_ATTRIBUTE: instance}}
        if business is not None:
            host_filter["businessId"] = business
        nodes = (await run_operation(document, {"filter": host_filter}, principal, settings))["hosts"]["nodes"]
        if not nodes:
            batch.error(index, instance, NO_SUCH_SERVER, f"no server with instance id {instance}")
            continue
        if len(nodes) > 1:
            batch.error(index, instance, AMBIGUOUS, f"several servers have instance id {instance}")
            continue
        host = nodes[0]
        agent = host["agent"]
        if needs_agent and (agent is None or agent["status"] != "INSTALLED"):
            batch.error(index, instance, CONDITIONS, "do not meet the update conditions: no agent installed")
            continue
        target = _Target(index, instance, {"ip": host["innerIp"], "sshPort": host["sshPort"]}, host["bkHostId"])
        batch.add(host["business"]["id"], host["bkCloudId"], operation, node_type, target)


async def _invocations(
    batch: _Batch, invocation_ids: list[str], kind: str, principal: Principal, settings: Settings
) -> None:
    document = load_operation(__name__, "invocation.graphql")
    for index, invocation in enumerate(invocation_ids):
        found = _INVOCATION_ID.match(invocation)
        task = None
        if found:
            variables = {"jobInstanceId": int(found[1])}
            task = (await run_operation(document, variables, principal, settings))["task"]
        results = [
            r
            for step in (task or {}).get("steps", [])
            for r in step["hostResults"]["nodes"]
            if found and r["host"] and r["host"]["bkHostId"] == int(found[2])
        ]
        if task is None or task["kind"] != "AGENT_INSTALL" or not results or task["business"] is None:
            batch.error(index, invocation, NO_SUCH_INVOCATION, f"invocation {invocation} does not exist")
            continue
        result = results[0]
        host = result["host"]
        instance = str((host["attributes"] or {}).get(INSTANCE_ATTRIBUTE) or invocation)
        previous, _, node_type = task["name"].rpartition("_")
        if result["status"] not in _FINISHED:
            batch.error(index, instance, CONDITIONS, f"invocation {invocation} has not finished")
            continue
        if kind == "RETRY":
            if result["status"] not in _FAILED:
                batch.error(index, instance, CONDITIONS, f"invocation {invocation} did not fail: nothing to retry")
                continue
            operation = previous
        else:
            rollback = _ROLLBACK.get(previous)
            if rollback is None:
                batch.error(index, instance, CONDITIONS, f"a {previous} invocation cannot be rolled back")
                continue
            operation = rollback
        target = _Target(index, instance, {"ip": host["innerIp"], "sshPort": host["sshPort"]}, host["bkHostId"])
        batch.add(task["business"]["id"], result["bkCloudId"], operation, node_type, target)


async def _remote(
    batch: _Batch, body: Mapping[str, Any], business: str, principal: Principal, settings: Settings
) -> None:
    meta = body.get("remote_install_meta")
    if not isinstance(meta, list) or not 1 <= len(meta) <= MAX_ITEMS:
        raise ValidationFailed(
            f"remote_install_meta must be an array of 1 to {MAX_ITEMS} servers", field="remote_install_meta"
        )
    cloud = await _installer_cloud(business, principal, settings)
    for index, item in enumerate(meta):
        where = f"remote_install_meta[{index}]"
        if not isinstance(item, dict):
            raise ValidationFailed(f"{where} must be an object", field=where)
        ip, user, port, secret = (item.get(k) for k in ("remote_ip", "user_name", "port", "password"))
        instance = str(item.get("instance_name") or ip or index)
        if cloud is None:
            batch.error(index, instance, CONDITIONS, "no remote installer: run SET_REMOTE_INSTALLER first")
            continue
        if not isinstance(ip, str) or not re.fullmatch(r"[0-9.]{1,15}", ip):
            raise ValidationFailed(f"{where}.remote_ip must be an IPv4 address", field=f"{where}.remote_ip")
        if not isinstance(user, str) or not 1 <= len(user) <= 16:
            raise ValidationFailed(f"{where}.user_name must be 1 to 16 characters", field=f"{where}.user_name")
        if not isinstance(secret, str) or not 1 <= len(secret) <= 3000:
            raise ValidationFailed(f"{where}.password must be 1 to 3000 characters", field=f"{where}.password")
        host: dict[str, Any] = {"ip": ip, "username": user}
        host["privateKey" if item.get("remote_use_pem") else "password"] = secret
        if port not in (None, ""):
            if not isinstance(port, str | int) or not str(port).isdigit() or len(str(port)) > 5:
                raise ValidationFailed(f"{where}.port must be a port number", field=f"{where}.port")
            host["sshPort"] = int(port)
        batch.add(business, cloud, "INSTALL", "PAGENT", _Target(index, instance, host))


async def _installer_cloud(business: str, principal: Principal, settings: Settings) -> int | None:
    """The cloud area of the business's remote installer (a host with an installed PROXY agent)."""
    document = load_operation(__name__, "installer_hosts.graphql")
    after: str | None = None
    while True:
        variables = {"filter": {"businessId": business}, "first": settings.max_page_size, "after": after}
        page = (await run_operation(document, variables, principal, settings))["hosts"]
        for node in page["nodes"]:
            agent = node["agent"]
            if agent is not None and (agent["nodeType"], agent["status"]) == ("PROXY", "INSTALLED"):
                return int(node["bkCloudId"])
        if not page["pageInfo"]["hasNextPage"]:
            return None
        after = page["pageInfo"]["endCursor"]


async def _launch(batch: _Batch, principal: Principal, settings: Settings) -> None:
    """One installAgents per group; each server gets its invocation id, or the group's refusal."""
    document = load_operation(__name__, "install_agents.graphql")
    for (business, cloud, operation, node_type), targets in batch.groups.items():
        variables = {
            "input": {
                "businessId": business,
                "bkCloudId": cloud,
                "operation": operation,
                "nodeType": node_type,
                "hosts": [t.host for t in targets],
            }
        }
        try:
            payload = (await run_operation(document, variables, principal, settings))["installAgents"]
        except OpsGraphError as exc:
            payload = {"errors": [{"message": exc.message}], "task": None}
        if payload["errors"]:
            for t in targets:
                batch.error(t.index, t.instance_id, NOT_CREATED, str(payload["errors"][0]["message"]))
            continue
        job = payload["task"]["jobInstanceId"]
        host_ids = await _host_ids(job, principal, settings) if any(t.host_id is None for t in targets) else {}
        for t in targets:
            host_id = t.host_id if t.host_id is not None else host_ids.get(t.host["ip"])
            batch.answers[t.index] = {
                "instance_id": t.instance_id,
                "invocation_id": f"{job}-{host_id}",
                "ret_status": "successful",
            }


async def _host_ids(job: int, principal: Principal, settings: Settings) -> dict[str, int]:
    """ip → bk_host_id of a task's hosts (REMOTE_INSTALL servers may have joined the CMDB just now)."""
    task = (
        await run_operation(load_operation(__name__, "invocation.graphql"), {"jobInstanceId": job}, principal, settings)
    )["task"]
    return {
        r["host"]["innerIp"]: r["host"]["bkHostId"]
        for step in task["steps"]
        for r in step["hostResults"]["nodes"]
        if r["host"] is not None
    }
