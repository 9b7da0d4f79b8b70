"""HSS `POST /v5/{project_id}/common/task[?enterprise_project_id=]` → `startSecurityScan`; answers `{task_id}`.

- cluster_scan: `cluster_scan_info{scan_type_list, range_type, cluster_id_list}`. A cluster is one
  of our sets (`cluster_id_list` holds bk_set_ids); its hosts are scanned over SSH with the
  business's default account. scan_type_list picks the rules: benchmark (SSH, password policy,
  file permissions, UID 0), risk_assessment (listening and exposed services), cluster_vul (kernel).
  range_type all_cluster scans every set of the business the call acts in (see `common.py`).
- iac_scan: `iac_scan_info{file_type (dockerfile | k8s_yaml), file_id_list}` from batch-upload.
`task_id` is the task's number (the `jobInstanceId` GraphQL shows, `task(jobInstanceId:)` reads back).

Example (huaweicloudsdkhss):
    client.create_task(CreateTaskRequest(body=CreateTaskRequestBody(task_type="iac_scan",
        iac_scan_info=CreateTaskRequestBodyIacScanInfo(file_type="dockerfile", file_id_list=["7"]))))
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.huawei import HUAWEI_ROUTES, HuaweiCaller, HuaweiRequest
from opsgraph.compat_rest.huawei.hss.common import (
    business_id_for,
    choice,
    numeric_ids,
    require_business,
    string_list,
    string_value,
    sub_object,
)
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.settings import Settings

TASK_TYPES = {"cluster_scan": "CLUSTER", "iac_scan": "IAC"}
SCAN_TYPES = {"benchmark": "BENCHMARK", "risk_assessment": "RISK_ASSESSMENT", "cluster_vul": "VULNERABILITY"}
RANGE_TYPES = {"all_cluster": "all_cluster", "specific_cluster": "specific_cluster"}
FILE_TYPES = {"dockerfile": "DOCKERFILE", "k8s_yaml": "K8S_YAML"}


REQUEST_SCHEMA = {
    "type": "object",
    "required": ["task_type"],
    "properties": {
        "task_type": {"type": "string", "enum": list(TASK_TYPES)},
        "cluster_scan_info": {
            "type": "object",
            "required": ["scan_type_list", "range_type"],
            "properties": {
                "scan_type_list": {"type": "array", "items": {"type": "string", "enum": list(SCAN_TYPES)}},
                "range_type": {"type": "string", "enum": list(RANGE_TYPES)},
                "cluster_id_list": {"type": "array", "maxItems": 1000, "items": {"type": "string"}},
            },
        },
        "iac_scan_info": {
            "type": "object",
            "required": ["file_type", "file_id_list"],
            "properties": {
                "file_type": {"type": "string", "enum": list(FILE_TYPES)},
                "file_id_list": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
}
RESPONSE_SCHEMA = {"type": "object", "required": ["task_id"], "properties": {"task_id": {"type": "string"}}}


@HUAWEI_ROUTES.route(
    "POST",
    "/v5/{project_id}/common/task",
    service="HSS",
    request_schemas={"application/json": REQUEST_SCHEMA},
    response_schema=RESPONSE_SCHEMA,
)
async def create_task(request: HuaweiRequest, caller: HuaweiCaller, settings: Settings) -> dict[str, Any]:
    """Create a cluster scan or an IaC scan task."""
    body = request.json_object()
    kind = choice(string_value(body, "task_type"), TASK_TYPES, "task_type")
    business = business_id_for(request, caller)
    scan = _cluster_input(body, business) if kind == "CLUSTER" else _iac_input(body, business)
    variables = {"input": {"kind": kind, **scan}}
    data = await run_operation(
        load_operation(__name__, "start_security_scan.graphql"), variables, caller.principal, settings
    )
    payload = data["startSecurityScan"]
    raise_user_errors(payload)
    return {"task_id": str(payload["task"]["jobInstanceId"])}


def _cluster_input(body: dict[str, Any], business: str | None) -> dict[str, Any]:
    where = "cluster_scan_info"
    if body.get("iac_scan_info") is not None:
        raise ValidationFailed("a cluster_scan takes cluster_scan_info, not iac_scan_info", field="iac_scan_info")
    info = sub_object(body, where)
    scan_types = [choice(t, SCAN_TYPES, f"{where}.scan_type_list") for t in string_list(info, "scan_type_list", where)]
    range_type = choice(string_value(info, "range_type", where), RANGE_TYPES, f"{where}.range_type")
    scan: dict[str, Any] = {"scanTypes": list(dict.fromkeys(scan_types))}
    if range_type == "specific_cluster":
        clusters = string_list(info, "cluster_id_list", where, limit=1000)
        scan["setIds"] = numeric_ids(clusters, f"{where}.cluster_id_list", "Set")
        if business is not None:
            scan["businessId"] = business
    else:
        scan["businessId"] = require_business(business, "range_type all_cluster")
    return scan


def _iac_input(body: dict[str, Any], business: str | None) -> dict[str, Any]:
    where = "iac_scan_info"
    if body.get("cluster_scan_info") is not None:
        raise ValidationFailed("an iac_scan takes iac_scan_info, not cluster_scan_info", field="cluster_scan_info")
    info = sub_object(body, where)
    file_type = choice(string_value(info, "file_type", where), FILE_TYPES, f"{where}.file_type")
    files = numeric_ids(string_list(info, "file_id_list", where), f"{where}.file_id_list", "ScanFile")
    scan: dict[str, Any] = {"fileType": file_type, "fileIds": files}
    if business is not None:
        scan["businessId"] = business
    return scan
