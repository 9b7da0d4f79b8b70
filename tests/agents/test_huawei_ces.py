"""Huawei CES agent invocations through the unmodified huaweicloudsdkces client, with real installs on
loopback hosts: INSTALL (business default account), RETRY refused on success, UPDATE, ROLLBACK, the
remote installer (SET_REMOTE_INSTALLER then REMOTE_INSTALL through it), and per-server errors."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from huaweicloudsdkces.v3.model import (
    BatchCreateAgentInvocationsRequest,
    BatchCreateInvocationRequestBody,
    RemoteInstallHostInfo,
)
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from tests.agents.support import AgentLab, agents, describe, wait_task
from tests.executors.support import TaskRef, claim_hosts, create_account
from tests.huawei.conftest import create_access_key, new_project_id
from tests.huawei.sdk import ces_client
from tests.support.topology import mutate_ok

UPDATE_HOSTS = """
mutation($input: UpdateHostsInput!) { updateHosts(input: $input) { hosts { id } errors { code field message } } }"""


def invoke(client: Any, **body: Any) -> list[dict[str, Any]]:
    request = BatchCreateAgentInvocationsRequest(body=BatchCreateInvocationRequestBody(**body))
    response = client.batch_create_agent_invocations(request)
    assert response.status_code == 201
    return [info.to_dict() for info in response.invocations]


def finished(lab: AgentLab, invocation_id: str) -> dict[str, Any]:
    task = wait_task(lab.gql, TaskRef("", int(invocation_id.split("-")[0])))
    assert task["status"] == "SUCCESS", describe(task)
    return task


def test_ces_invocations(agent_lab: AgentLab) -> None:
    lab = agent_lab
    installer_ip, remote_ip = lab.pool.addresses[2], lab.pool.addresses[1]
    create_account(
        lab.gql, lab.business, f"ces-{uuid.uuid4().hex[:6]}", lab.user.name, password=lab.user.password, is_default=True
    )
    (host_id,) = claim_hosts(lab.gql, lab.business, [installer_ip], lab.pool.port)
    instance = f"i-{uuid.uuid4().hex[:12]}"
    properties = {"attributes": {"bk_cloud_inst_id": instance}}
    mutate_ok(lab.gql, UPDATE_HOSTS, {"input": {"hostIds": [host_id], "properties": properties}})
    key = create_access_key(lab.server, new_project_id(), "--biz", str(lab.business.bk_biz_id))
    client = ces_client(lab.server.url, key.access_key, key.secret_key, key.project_id)

    # INSTALL: the known server gets an invocation, the unknown one a per-server error.
    installed, missing = invoke(
        client, instance_ids=[instance, "i-missing"], invocation_type="INSTALL", invocation_target="telescope"
    )
    assert (installed["instance_id"], installed["ret_status"]) == (instance, "successful"), installed
    assert (missing["ret_status"], missing["error_code"]) == ("error", "invocationmgr.0001"), missing
    finished(lab, installed["invocation_id"])
    assert agents(lab.gql, [installer_ip])[installer_ip]["alive"] is True  # type: ignore[index]

    # RETRY only retries failures; an unknown invocation is its own error.
    (retried, unknown) = invoke(
        client, invocation_ids=[installed["invocation_id"], "999999999-1"], invocation_type="RETRY"
    )
    assert (retried["instance_id"], retried["error_code"]) == (instance, "invocationmgr.0002"), retried
    assert unknown["error_code"] == "invocationmgr.0003", unknown

    (updated,) = invoke(client, instance_ids=[instance], invocation_type="UPDATE")
    assert updated["ret_status"] == "successful", updated
    assert finished(lab, updated["invocation_id"])["name"] == "UPGRADE_AGENT"

    # The remote installer (a PROXY agent) reaches the remote server (a PAGENT) for REMOTE_INSTALL.
    (proxy,) = invoke(client, instance_ids=[instance], invocation_type="SET_REMOTE_INSTALLER")
    assert finished(lab, proxy["invocation_id"])["name"] == "INSTALL_PROXY"
    meta = RemoteInstallHostInfo(
        instance_name="remote-1",
        remote_ip=remote_ip,
        user_name=lab.user.name,
        port=str(lab.pool.port),
        password=lab.user.password,
        remote_use_pem=False,
    )
    (remote,) = invoke(client, invocation_type="REMOTE_INSTALL", remote_install_meta=[meta])
    assert (remote["instance_id"], remote["ret_status"]) == ("remote-1", "successful"), remote
    assert finished(lab, remote["invocation_id"])["name"] == "INSTALL_PAGENT"
    assert agents(lab.gql, [remote_ip])[remote_ip]["nodeType"] == "PAGENT"  # type: ignore[index]

    # ROLLBACK undoes: the PAGENT and the installer's agent are uninstalled.
    rolled = invoke(
        client, invocation_ids=[remote["invocation_id"], installed["invocation_id"]], invocation_type="ROLLBACK"
    )
    assert [r["ret_status"] for r in rolled] == ["successful", "successful"], rolled
    for r in rolled:
        assert finished(lab, r["invocation_id"])["name"].startswith("UNINSTALL_")
    assert agents(lab.gql, [installer_ip])[installer_ip]["status"] == "UNINSTALLED"  # type: ignore[index]

    with pytest.raises(ClientRequestException) as refused:
        invoke(client, instance_ids=[instance], invocation_type="REBOOT")
    assert (refused.value.status_code, refused.value.error_code) == (400, "CES.0001")
