"""uploadScanFiles, startSecurityScan (IAC) and Task.findings through GraphQL: results, refusals,
permissions and the SQL count of reading findings."""

from __future__ import annotations

import time
from typing import Any

from tests.executors.support import login
from tests.support.server import GraphQLClient, Server
from tests.support.topology import create_business, create_set, mutate_ok, mutate_refused

USER_ERROR = "errors { code field message }"
UPLOAD = f"""
mutation($input: UploadScanFilesInput!) {{
  uploadScanFiles(input: $input) {{ files {{ id fileId name fileType size sha256 bkBizId createdBy }} {USER_ERROR} }}
}}"""
START = f"""
mutation($input: StartSecurityScanInput!) {{
  startSecurityScan(input: $input) {{ task {{ id jobInstanceId kind status }} {USER_ERROR} }}
}}"""
FINDINGS = """
query($j: Int!) { task(jobInstanceId: $j) { status findings(first: 100) { totalCount
  nodes { ruleId passed severity target fileId host { innerIp } } } } }"""
MANY_FINDINGS = """
query($b: ID!) { tasks(first: 20, filter: {businessId: $b, kind: [SECURITY_SCAN]}) {
  nodes { findings(first: 100) { nodes { ruleId target host { innerIp } } } } } }"""


def _upload(gql: GraphQLClient, business_id: str, *files: dict[str, Any]) -> list[dict[str, Any]]:
    files_out: list[dict[str, Any]] = mutate_ok(
        gql, UPLOAD, {"input": {"businessId": business_id, "files": list(files)}}
    )["files"]
    return files_out


def _scan(gql: GraphQLClient, file_ids: list[str], file_type: str) -> dict[str, Any]:
    task: dict[str, Any] = mutate_ok(
        gql, START, {"input": {"kind": "IAC", "fileIds": file_ids, "fileType": file_type}}
    )["task"]
    deadline = time.monotonic() + 30
    while True:
        found = gql.ok(FINDINGS, {"j": task["jobInstanceId"]})["task"]
        if found["status"] in {"SUCCESS", "FAILED", "ABNORMAL"} or time.monotonic() > deadline:
            return {**task, **found}
        time.sleep(0.1)


def test_iac_scan_through_graphql(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"iac-{unique}")
    files = _upload(
        gql,
        business.id,
        {"name": "Dockerfile", "content": "FROM python:3.12-slim\nUSER 10001\nHEALTHCHECK CMD true\n"},
        {"name": "Dockerfile", "content": "FROM scratch AS base\nFROM base\nUSER root\n", "fileType": "DOCKERFILE"},
    )
    assert [(f["name"], f["fileType"], f["bkBizId"], f["createdBy"]) for f in files] == [
        ("Dockerfile", None, business.bk_biz_id, "admin"),
        ("Dockerfile", "DOCKERFILE", business.bk_biz_id, "admin"),
    ]
    node = gql.ok("query($id: ID!) { node(id: $id) { ... on ScanFile { fileId size } } }", {"id": files[0]["id"]})
    assert node["node"] == {"fileId": files[0]["fileId"], "size": files[0]["size"]}

    task = _scan(gql, [f["id"] for f in files], "DOCKERFILE")
    assert (task["kind"], task["status"]) == ("SECURITY_SCAN", "SUCCESS")
    by_file = {(f["fileId"], f["ruleId"]): f for f in task["findings"]["nodes"]}
    good, bad = files[0]["fileId"], files[1]["fileId"]
    assert by_file[(good, "dockerfile.user")]["passed"] is True
    assert by_file[(good, "dockerfile.image_tag")]["passed"] is True
    assert by_file[(good, "dockerfile.healthcheck")]["passed"] is True
    assert by_file[(bad, "dockerfile.user")]["passed"] is False  # USER root in the final stage
    assert by_file[(bad, "dockerfile.image_tag")]["passed"] is True  # scratch, then an earlier stage
    assert all(f["host"] is None and f["target"] == "Dockerfile" for f in task["findings"]["nodes"])
    assert task["findings"]["totalCount"] == 2 * 7


def test_scan_refusals(gql: GraphQLClient, server: Server, unique: str) -> None:
    business = create_business(gql, f"iac-refuse-{unique}")
    other = create_business(gql, f"iac-other-{unique}")
    (file,) = _upload(gql, business.id, {"name": "d.yaml", "content": "kind: Pod\n", "fileType": "K8S_YAML"})

    def refused(variables: dict[str, Any], code: str | set[str]) -> dict[str, Any]:
        return mutate_refused(gql, START, {"input": variables}, code)

    assert refused({"kind": "IAC", "fileIds": [file["id"]]}, "INVALID")["field"] == "fileType"
    assert (
        "uploaded as k8s_yaml"
        in refused({"kind": "IAC", "fileIds": [file["id"]], "fileType": "DOCKERFILE"}, "INVALID")["message"]
    )
    assert refused(
        {"kind": "IAC", "businessId": other.id, "fileIds": [file["id"]], "fileType": "K8S_YAML"}, "FILE_NOT_IN_BUSINESS"
    )
    other_set = create_set(gql, other, f"s-{unique}")
    assert refused({"kind": "CLUSTER", "businessId": business.id, "setIds": [other_set]}, "SET_NOT_IN_BUSINESS")
    assert refused({"kind": "CLUSTER", "setIds": [other_set]}, "NO_TARGETS")  # an empty set
    assert refused({"kind": "CLUSTER"}, "INVALID")["field"] == "businessId"
    big = {"name": "x", "content": "a" * (1024 * 1024 + 1)}
    assert mutate_refused(gql, UPLOAD, {"input": {"businessId": business.id, "files": [big]}}, "INVALID")

    # A user without a role on the business may neither upload nor scan.
    server.cli("admin", "create-user", f"noscan{unique}", "--password", "no-scan-password-1")
    stranger = login(server.url, f"noscan{unique}", "no-scan-password-1")
    # To it the business's file is a file that does not exist (issue 7 §2): nothing names the business.
    scan = {"kind": "IAC", "fileIds": [file["id"]], "fileType": "K8S_YAML"}
    denied = mutate_refused(stranger, START, {"input": scan}, "SCAN_FILE_NOT_FOUND")
    assert "business" not in denied["message"]
    upload = {"businessId": business.id, "files": [{"name": "x", "content": "FROM alpine"}]}
    assert stranger.execute(UPLOAD, {"input": upload}).errors[0]["extensions"]["code"] == "PERMISSION_DENIED"


def test_reading_findings_costs_a_fixed_number_of_statements(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"iac-count-{unique}")
    manifest = "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: 'nginx:1'}]}\n"
    counts = []
    for round_ in range(3):
        (file,) = _upload(gql, business.id, {"name": f"pod{round_}.yaml", "content": manifest})
        assert _scan(gql, [file["id"]], "K8S_YAML")["status"] == "SUCCESS"
        response = gql.execute(MANY_FINDINGS, {"b": business.id})
        nodes = response.ok()["tasks"]["nodes"]
        assert len(nodes) == round_ + 1
        assert all(len(n["findings"]["nodes"]) == 10 for n in nodes)
        counts.append(response.sql_count)
    assert counts[0] == counts[1] == counts[2], counts
