"""pushFile over SFTP: uploaded content or another host's file, into a target directory with mode and owner."""

from __future__ import annotations

import base64
import time

from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import (
    PUSH_FILE,
    host_results,
    push_file,
    remote_logs,
    ssh_estate,
    stdout_lines,
    summary,
    task_ids,
    wait_for_task,
)
from tests.support.server import GraphQLClient
from tests.support.sshd import SshUser
from tests.support.topology import mutate_refused

CONTENT = "first line\nsecond line: ünïcode\n"


def test_push_uploaded_content_with_mode_and_owner(
    gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = ssh_estate(gql, f"push-upload-{unique}", sshd_pool(3), ssh_user, count=2)
    target_dir = f"/tmp/opsgraph-test-push-{unique}/conf"
    path = f"{target_dir}/app.conf"
    files = [{"name": "app.conf", "contentBase64": base64.b64encode(CONTENT.encode()).decode()}]

    ref = push_file(gql, estate, estate.host_ids, files=files, targetPath=target_dir, mode=0o640, owner=ssh_user.name)
    task = wait_for_task(gql, ref)

    assert task["status"] == "SUCCESS", summary(task)
    assert task["kind"] == "FILE"
    for result in host_results(task).values():
        assert (result["status"], result["exitCode"], result["failure"]) == ("SUCCESS", 0, None)
        assert stdout_lines(result["log"]) == [f"wrote {path}"]
    seen = remote_logs(gql, estate, f"stat -c '%a %U' {path}; cat {path}", estate.host_ids[:1])
    assert seen[estate.ips[0]] == f"640 {ssh_user.name}\n{CONTENT}"
    remote_logs(gql, estate, f"rm -rf /tmp/opsgraph-test-push-{unique}", estate.host_ids[:1])


def test_push_from_another_host(gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str) -> None:
    estate = ssh_estate(gql, f"push-copy-{unique}", sshd_pool(3), ssh_user)
    source_host, *targets = estate.host_ids
    base = f"/tmp/opsgraph-test-copy-{unique}"
    payload = f"copied from a host {unique}"
    remote_logs(gql, estate, f"mkdir -p {base}/src && printf '%s\\n' '{payload}' > {base}/src/data.txt", [source_host])

    files = [{"sourceHostId": source_host, "path": f"{base}/src/data.txt"}]
    task = wait_for_task(gql, push_file(gql, estate, targets, files=files, targetPath=f"{base}/dst", mode=0o600))

    assert task["status"] == "SUCCESS", summary(task)
    assert sorted(host_results(task)) == sorted(estate.ips[1:])
    seen = remote_logs(gql, estate, f"stat -c '%a' {base}/dst/data.txt; cat {base}/dst/data.txt", targets[:1])
    assert seen[estate.ips[1]] == f"600\n{payload}\n"
    remote_logs(gql, estate, f"rm -rf {base}", [source_host])


def test_missing_source_fails_every_target(
    gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = ssh_estate(gql, f"push-missing-{unique}", sshd_pool(3), ssh_user)
    source_host, *targets = estate.host_ids
    missing = f"/tmp/opsgraph-test-absent-{unique}/nothing.txt"

    files = [{"sourceHostId": source_host, "path": missing}]
    task = wait_for_task(gql, push_file(gql, estate, targets, files=files, targetPath=f"/tmp/opsgraph-x-{unique}"))

    assert task["status"] == "FAILED", summary(task)
    results = host_results(task)
    assert sorted(results) == sorted(estate.ips[1:])
    for result in results.values():
        assert (result["status"], result["failure"]) == ("FAILED", "FILE_MISSING"), summary(task)
        assert missing in result["error"], result["error"]


def test_bad_push_input_is_refused(
    gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = ssh_estate(gql, f"push-refuse-{unique}", sshd_pool(3), ssh_user, count=1)
    upload = {"name": "a.txt", "contentBase64": base64.b64encode(b"x").decode()}
    cases: list[tuple[dict[str, object], str]] = [
        ({"files": [upload], "targetPath": "relative/dir"}, "targetPath"),
        ({"files": [], "targetPath": "/tmp/x"}, "files"),
        ({"files": [{"name": "a.txt", "contentBase64": "not base64!"}], "targetPath": "/tmp/x"}, "files"),
        ({"files": [{"name": "../a.txt", "contentBase64": upload["contentBase64"]}], "targetPath": "/tmp/x"}, "files"),
        ({"files": [{"sourceHostId": estate.host_ids[0], "path": "relative"}], "targetPath": "/tmp/x"}, "files"),
        ({"files": [upload], "targetPath": "/tmp/x", "mode": 0o10000}, "mode"),
    ]
    for fields, field in cases:
        variables = {"input": {"businessId": estate.business.id, "hostIds": estate.host_ids, **fields}}
        error = mutate_refused(gql, PUSH_FILE, variables, "INVALID")
        assert error["field"] == field, (fields, error)
    assert task_ids(gql, businessId=estate.business.id) == []


def test_push_timeout_when_the_source_never_delivers(
    gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    """The step's timeout covers file steps too: a source that blocks (a FIFO nobody writes) fails as TIMEOUT."""
    estate = ssh_estate(gql, f"push-timeout-{unique}", sshd_pool(3), ssh_user, count=2)
    source_host, target_host = estate.host_ids
    base = f"/tmp/opsgraph-test-fifo-{unique}"
    remote_logs(gql, estate, f"mkdir -p {base} && mkfifo {base}/pipe", [source_host])
    files = [{"sourceHostId": source_host, "path": f"{base}/pipe"}]

    began = time.monotonic()
    ref = push_file(gql, estate, [target_host], files=files, targetPath=f"{base}/dst", timeout=2)
    try:
        task = wait_for_task(gql, ref, timeout=10)
    finally:  # let the SFTP server's open() of the FIFO return, whatever happened
        remote_logs(gql, estate, f"timeout 2 sh -c ': > {base}/pipe'; rm -rf {base}; true", [source_host])
    elapsed = time.monotonic() - began

    assert task["status"] == "FAILED", summary(task)
    result = host_results(task)[estate.ips[1]]
    assert (result["status"], result["failure"]) == ("FAILED", "TIMEOUT"), summary(task)
    assert elapsed < 10, f"a 2 s timeout took {elapsed:.1f} s to end the task"
