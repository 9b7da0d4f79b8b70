"""HSS create_task (cluster_scan, iac_scan) and batch-upload through the unmodified huaweicloudsdkhss
client, signed with an access key from `opsgraph admin create-access-key`; findings read back in
GraphQL. Cluster scans run the baseline over SSH on two loopback sshd hosts."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.formdata import FormFile
from huaweicloudsdkhss.v5 import (
    CreateTaskRequest,
    CreateTaskRequestBody,
    CreateTaskRequestBodyClusterScanInfo,
    CreateTaskRequestBodyIacScanInfo,
)

from tests.huawei.conftest import HssEstate, create_access_key, new_project_id
from tests.huawei.sdk import HssClient, hss_client, minutes_ago, signed_request
from tests.support.server import GraphQLClient, Server

FINISHED = {"SUCCESS", "FAILED", "CANCELLED", "ABNORMAL"}
DOCKERFILE = "FROM nginx:latest\nRUN apt-get update && apt-get install -y curl\nCOPY site /usr/share/nginx/html\n"
MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: app
          image: registry.example.com/web:1.4.2
          securityContext:
            privileged: true
"""
TASK = """
query($j: Int!) { task(jobInstanceId: $j) {
  kind status error
  steps { kind status hostResults(first: 10) { nodes { ip status phase error log } } }
  findings(first: 500) { totalCount nodes { ruleId category severity title passed evidence target hostId fileId
    host { innerIp } } }
} }"""


# -- helpers ------------------------------------------------------------------------------------------------


def create_task(client: HssClient, body: CreateTaskRequestBody, eps: str | None = None) -> str:
    request = CreateTaskRequest(body=body) if eps is None else CreateTaskRequest(enterprise_project_id=eps, body=body)
    response = client.create_task(request)
    assert response.status_code == 200
    task_id: str = response.task_id
    assert task_id.isdigit(), response
    return task_id


def iac_body(file_type: str, file_ids: list[str]) -> CreateTaskRequestBody:
    info = CreateTaskRequestBodyIacScanInfo(file_type=file_type, file_id_list=file_ids)
    return CreateTaskRequestBody(task_type="iac_scan", iac_scan_info=info)


def cluster_body(range_type: str, clusters: list[str] | None = None, types: list[str] | None = None) -> Any:
    info = CreateTaskRequestBodyClusterScanInfo(
        scan_type_list=types or ["benchmark", "risk_assessment", "cluster_vul"],
        range_type=range_type,
        cluster_id_list=clusters,
    )
    return CreateTaskRequestBody(task_type="cluster_scan", cluster_scan_info=info)


def upload(client: HssClient, files: dict[str, Path], file_type: str | None = None) -> list[dict[str, Any]]:
    """batch-upload as multipart/form-data through the SDK's own form machinery (FormFile parts)."""
    body: dict[str, Any] = {name: FormFile(open(path, "rb")) for name, path in files.items()}  # noqa: SIM115
    if file_type is not None:
        body["file_type"] = file_type
    response = client.call_api(
        "/v5/{project_id}/common/files/batch-upload",
        "POST",
        header_params={"Content-Type": "multipart/form-data"},
        body=body,
        response_type="CreateTaskResponse",  # any SDK response model: the answer is read from raw_content
    )
    assert response.status_code == 200
    answer = json.loads(response.raw_content)
    assert answer["total_num"] == len(files)
    uploaded: list[dict[str, Any]] = answer["data_list"]
    return uploaded


def wait_for(gql: GraphQLClient, task_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        task: dict[str, Any] = gql.ok(TASK, {"j": int(task_id)})["task"]
        if task["status"] in FINISHED or time.monotonic() > deadline:
            assert task["status"] in FINISHED, f"task {task_id} still {task['status']} after {timeout} s"
            return task
        time.sleep(0.2)


def findings_of(task: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(target, rule id) → finding."""
    return {(f["target"], f["ruleId"]): f for f in task["findings"]["nodes"]}


def refused(call: Any, status: int) -> ClientRequestException:
    with pytest.raises(ClientRequestException) as caught:
        call()
    assert caught.value.status_code == status, (caught.value.status_code, caught.value.error_msg)
    assert caught.value.request_id, "every answer carries X-Request-Id"
    return caught.value


@pytest.fixture
def iac_files(tmp_path: Path) -> dict[str, Path]:
    dockerfile, manifest = tmp_path / "Dockerfile", tmp_path / "deploy.yaml"
    dockerfile.write_text(DOCKERFILE)
    manifest.write_text(MANIFEST)
    return {"file": dockerfile, "manifest": manifest}


# -- scans --------------------------------------------------------------------------------------------------


def test_iac_scan_of_uploaded_dockerfile_and_manifest(
    hss: HssClient, gql: GraphQLClient, iac_files: dict[str, Path]
) -> None:
    uploaded = {item["file_name"]: item for item in upload(hss, iac_files)}
    assert set(uploaded) == {"Dockerfile", "deploy.yaml"}
    assert uploaded["Dockerfile"]["file_size"] == len(DOCKERFILE)
    docker_task = create_task(hss, iac_body("dockerfile", [uploaded["Dockerfile"]["file_id"]]))
    k8s_task = create_task(hss, iac_body("k8s_yaml", [uploaded["deploy.yaml"]["file_id"]]))

    docker = wait_for(gql, docker_task)
    assert (docker["kind"], docker["status"], docker["error"]) == ("SECURITY_SCAN", "SUCCESS", "")
    assert [(s["kind"], s["status"]) for s in docker["steps"]] == [("iac_scan", "SUCCESS")]
    found = findings_of(docker)
    user = found[("Dockerfile", "dockerfile.user")]
    assert (user["passed"], user["severity"], user["category"]) == (False, "HIGH", "dockerfile")
    assert "no USER" in user["evidence"]
    tag = found[("Dockerfile", "dockerfile.image_tag")]
    assert not tag["passed"]
    assert "nginx:latest" in tag["evidence"]
    assert found[("Dockerfile", "dockerfile.secrets_in_env")]["passed"] is True
    assert {f["fileId"] for f in docker["findings"]["nodes"]} == {int(uploaded["Dockerfile"]["file_id"])}

    k8s = findings_of(wait_for(gql, k8s_task))
    privileged = k8s[("deploy.yaml", "k8s.privileged")]
    assert not privileged["passed"]
    assert "Deployment/web container app" in privileged["evidence"]
    limits = k8s[("deploy.yaml", "k8s.resource_limits")]
    assert not limits["passed"]
    assert "no cpu or memory limit" in limits["evidence"]
    assert k8s[("deploy.yaml", "k8s.image_tag")]["passed"] is True  # pinned to 1.4.2
    assert k8s[("deploy.yaml", "k8s.host_namespaces")]["passed"] is True


def test_cluster_scan_runs_the_baseline_on_every_host_of_the_set(
    hss: HssClient, gql: GraphQLClient, hss_estate: HssEstate
) -> None:
    task_id = create_task(hss, cluster_body("specific_cluster", [str(hss_estate.bk_set_id)]))
    task = wait_for(gql, task_id)

    assert task["status"] == "SUCCESS", task
    (step,) = task["steps"]
    results = {r["ip"]: r for r in step["hostResults"]["nodes"]}
    assert sorted(results) == sorted(hss_estate.ips)
    found = findings_of(task)
    for ip in hss_estate.ips:
        assert results[ip]["status"] == "SUCCESS", results[ip]
        assert "rules checked" in results[ip]["log"]
        kernel = found[(ip, "system.kernel_version")]
        assert kernel["evidence"].startswith("kernel ")
        assert kernel["host"] == {"innerIp": ip}
        listening = found[(ip, "network.listening_services")]
        assert listening["passed"] is True
        assert "listening" in listening["evidence"]
        # The sshd serving this host listens on its own loopback address.
        assert ip in listening["evidence"] or "(+" in listening["evidence"]
        for rule in ("ssh.permit_root_login", "password.max_days", "fs.world_writable_files", "accounts.uid0"):
            assert (ip, rule) in found
    assert {f["target"] for f in task["findings"]["nodes"]} == set(hss_estate.ips)

    # Filters: only failures, only one severity.
    failed = gql.ok(
        "query($j: Int!) { task(jobInstanceId: $j) { findings(first: 500, passed: false, severity: HIGH) "
        "{ nodes { passed severity } } } }",
        {"j": int(task_id)},
    )["task"]["findings"]["nodes"]
    assert all(f == {"passed": False, "severity": "HIGH"} for f in failed)


def test_all_cluster_scans_the_sets_of_the_key_business(
    hss: HssClient, gql: GraphQLClient, hss_estate: HssEstate
) -> None:
    task = wait_for(gql, create_task(hss, cluster_body("all_cluster", types=["cluster_vul"])))
    assert task["status"] == "SUCCESS", task
    assert {f["ruleId"] for f in task["findings"]["nodes"]} == {"system.kernel_version"}
    assert {f["target"] for f in task["findings"]["nodes"]} == set(hss_estate.ips)


def test_x_auth_token_is_accepted(server: Server, admin_token: str, hss_estate: HssEstate, gql: GraphQLClient) -> None:
    body = {"file_type": "dockerfile", "files": [{"file_name": "Dockerfile", "file_content": "FROM alpine:3.20\n"}]}
    url = f"{server.url}/v5/{new_project_id()}/common/files/batch-upload"
    params = {"enterprise_project_id": str(hss_estate.business.bk_biz_id)}
    headers = {"X-Auth-Token": admin_token}
    answer = httpx.post(url, params=params, json=body, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    (uploaded,) = answer.json()["data_list"]
    assert uploaded["file_type"] == "dockerfile"

    task_body = {
        "task_type": "iac_scan",
        "iac_scan_info": {"file_type": "dockerfile", "file_id_list": [uploaded["file_id"]]},
    }
    created = httpx.post(url.replace("files/batch-upload", "task"), json=task_body, headers=headers, timeout=30)
    assert created.status_code == 200, created.text
    findings = findings_of(wait_for(gql, created.json()["task_id"]))
    assert findings[("Dockerfile", "dockerfile.image_tag")]["passed"] is True

    bad = httpx.post(url, json=body, headers={"X-Auth-Token": "not-a-jwt"}, timeout=30)
    assert bad.status_code == 401
    assert bad.json()["error_code"] == "APIGW.0301"


# -- authentication -----------------------------------------------------------------------------------------


def test_wrong_secret_key_is_401(server: Server, hss_estate: HssEstate) -> None:
    key = hss_estate.key
    client = hss_client(server.url, key.access_key, key.secret_key[:-1] + "x", key.project_id)
    error = refused(lambda: client.create_task(CreateTaskRequest(body=cluster_body("all_cluster"))), 401)
    assert error.error_code == "APIGW.0301"
    assert error.error_msg == "Incorrect IAM authentication information: verify aksk signature fail"
    # An unknown access key gets the very same answer: keys cannot be probed.
    stranger = hss_client(server.url, "NOSUCHKEY00000000000", key.secret_key, key.project_id)
    unknown = refused(lambda: stranger.create_task(CreateTaskRequest(body=cluster_body("all_cluster"))), 401)
    assert (unknown.error_code, unknown.error_msg) == (error.error_code, error.error_msg)


def test_stale_sdk_date_is_401(server: Server, hss_estate: HssEstate) -> None:
    key = hss_estate.key
    path = f"/v5/{key.project_id}/common/task"
    body = b'{"task_type": "nothing"}'
    sign = {"ak": key.access_key, "sk": key.secret_key, "project_id": key.project_id, "body": body}
    stale = signed_request(server.url, "POST", path, date=minutes_ago(20), **sign)  # type: ignore[arg-type]
    assert stale.status_code == 401, stale.text
    assert stale.json()["error_code"] == "APIGW.0301"
    assert "X-Sdk-Date" in stale.json()["error_msg"]
    assert stale.headers["x-request-id"]
    # The same hand-signed request with a fresh date gets through authentication (and is refused as input).
    fresh = signed_request(server.url, "POST", path, date=minutes_ago(1), **sign)  # type: ignore[arg-type]
    assert fresh.status_code == 400, fresh.text
    assert fresh.json()["error_code"] == "HSS.0001"


def test_project_mismatch_is_403(server: Server, hss_estate: HssEstate) -> None:
    key = hss_estate.key
    other = hss_client(server.url, key.access_key, key.secret_key, new_project_id())
    error = refused(lambda: other.create_task(CreateTaskRequest(body=cluster_body("all_cluster"))), 403)
    assert error.error_code == "APIGW.0302"
    # A key confined to its business cannot name another one through enterprise_project_id.
    hss = hss_client(server.url, key.access_key, key.secret_key, key.project_id)
    elsewhere = str(hss_estate.business.bk_biz_id + 100_000)
    confined = refused(lambda: create_task(hss, cluster_body("all_cluster"), eps=elsewhere), 403)
    assert confined.error_code == "HSS.0003"


def test_missing_credentials_and_unknown_paths(server: Server, hss_estate: HssEstate) -> None:
    project = hss_estate.key.project_id
    anonymous = httpx.post(f"{server.url}/v5/{project}/common/task", json={}, timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.json()["error_code"] == "APIGW.0301"
    for method, path in [
        ("POST", f"/v5/{project}/no/such/api"),
        ("GET", f"/v5/{project}/common/task"),
        ("GET", "/v9/x"),
    ]:
        answer = httpx.request(method, f"{server.url}{path}", timeout=30)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["error_code"] == "APIGW.0101"
        assert set(answer.json()) == {"error_code", "error_msg"}


# -- refusals -----------------------------------------------------------------------------------------------


def test_malformed_json_is_400(hss: HssClient) -> None:
    # A str body goes out as is (signed over its exact bytes) through the unmodified SDK.
    error = refused(lambda: hss.create_task(CreateTaskRequest(body='{"task_type": "iac_scan",')), 400)
    assert error.error_code == "HSS.0002"
    assert "not valid JSON" in error.error_msg


def _cluster(**info: Any) -> dict[str, Any]:
    return {"task_type": "cluster_scan", "cluster_scan_info": {"scan_type_list": ["benchmark"], **info}}


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        ({"task_type": "virus_scan"}, 400, "HSS.0001", "task_type must be one of"),
        ({"task_type": "cluster_scan"}, 400, "HSS.0001", "cluster_scan_info must be an object"),
        (_cluster(range_type="all_cluster", scan_type_list=["nope"]), 400, "HSS.0001", "scan_type_list must be one of"),
        (_cluster(range_type="specific_cluster"), 400, "HSS.0001", "cluster_id_list must be a non-empty array"),
        (_cluster(range_type="everything"), 400, "HSS.0001", "range_type must be one of"),
        (_cluster(range_type="specific_cluster", cluster_id_list=["web"]), 400, "HSS.0001", "not a Set id"),
        (
            _cluster(range_type="specific_cluster", cluster_id_list=["2147483000"]),
            404,
            "HSS.0004",
            "set 2147483000 does not exist",
        ),
        (
            {"task_type": "iac_scan", "iac_scan_info": {"file_type": "dockerfile", "file_id_list": ["2147483000"]}},
            404,
            "HSS.0004",
            "does not exist",
        ),
        (
            {"task_type": "iac_scan", "iac_scan_info": {"file_type": "terraform", "file_id_list": ["1"]}},
            400,
            "HSS.0001",
            "file_type must be one of",
        ),
    ],
)
def test_invalid_create_task_bodies(hss: HssClient, body: dict[str, Any], status: int, code: str, message: str) -> None:
    error = refused(lambda: hss.create_task(CreateTaskRequest(body=json.dumps(body))), status)
    assert error.error_code == code
    assert message in error.error_msg


def test_a_file_declared_as_one_type_is_not_scanned_as_the_other(hss: HssClient, iac_files: dict[str, Path]) -> None:
    (uploaded,) = upload(hss, {"file": iac_files["file"]}, file_type="dockerfile")
    assert uploaded["file_type"] == "dockerfile"
    error = refused(lambda: create_task(hss, iac_body("k8s_yaml", [uploaded["file_id"]])), 400)
    assert "was uploaded as dockerfile" in error.error_msg


def test_uploads_refuse_binary_and_need_a_business(server: Server, hss_estate: HssEstate, tmp_path: Path) -> None:
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\xff\xfe\x00binary")
    key = hss_estate.key
    client = hss_client(server.url, key.access_key, key.secret_key, key.project_id)
    error = refused(lambda: upload(client, {"file": binary}), 400)
    assert "not UTF-8 text" in error.error_msg
    # A key with no --biz names no business: uploads need enterprise_project_id then.
    loose = create_access_key(server, new_project_id())
    unbound = hss_client(server.url, loose.access_key, loose.secret_key, loose.project_id)
    missing = refused(lambda: upload(unbound, {"file": binary}), 400)
    assert "needs a business" in missing.error_msg


def test_create_access_key_refuses_unknown_users_and_projects(server: Server) -> None:
    unknown = server.cli(
        "admin", "create-access-key", "--project", new_project_id(), "--user", "nobody-here", check=False
    )
    assert unknown.returncode == 1
    assert "does not exist" in unknown.stderr
    bad = server.cli("admin", "create-access-key", "--project", "a/b", check=False)
    assert bad.returncode == 1
    assert "project id" in bad.stderr
