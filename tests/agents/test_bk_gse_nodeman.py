"""The BlueKing dialects of the agents, through the bkapi-client-core client: gse agent status and
heartbeat details, bk-nodeman's RSA public key, and nodeman create_task / get_task_info with an
RSA-encrypted password on a real loopback sshd."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from opsgraph.compat_rest.bk.nodeman.errors import JOB_NOT_EXIST, VALIDATION_ERROR
from tests.agents.support import AgentLab, describe, install_and_wait
from tests.compat.bk_client import LegacyClient
from tests.compat.job_support import ok
from tests.support.rsa import rsa_encrypt
from tests.support.server import APP_CODE, APP_SECRET

UNKNOWN_IP = "192.0.2.77"  # TEST-NET-1: never in the CMDB


def gse_hosts(*pairs: tuple[int, str]) -> dict[str, Any]:
    return {"bk_supplier_account": "0", "hosts": [{"ip": ip, "bk_cloud_id": cloud} for cloud, ip in pairs]}


def test_gse_status_and_info(agent_lab: AgentLab, lab_bk: LegacyClient) -> None:
    lab = agent_lab
    ip = lab.pool.addresses[0]
    task = install_and_wait(lab.gql, lab.business, [lab.login(ip)])
    assert task["status"] == "SUCCESS", describe(task)

    status = ok(lab_bk.gse.get_agent_status(json=gse_hosts((0, ip), (0, UNKNOWN_IP), (5, ip))))
    assert status == {
        f"0:{ip}": {"ip": ip, "bk_cloud_id": 0, "bk_agent_alive": 1},
        f"0:{UNKNOWN_IP}": {"ip": UNKNOWN_IP, "bk_cloud_id": 0, "bk_agent_alive": 0},
        f"5:{ip}": {"ip": ip, "bk_cloud_id": 5, "bk_agent_alive": 0},  # same IP, another cloud area
    }

    info = ok(lab_bk.gse.get_agent_info(json=gse_hosts((0, ip), (0, UNKNOWN_IP))))
    mine = info[f"0:{ip}"]
    assert (mine["ip"], mine["bk_cloud_id"], mine["bk_agent_alive"], mine["version"]) == (ip, 0, 1, "1.0.0")
    assert (mine["parent_ip"], mine["parent_port"]) == ("127.0.0.1", lab.server.port)
    assert info[f"0:{UNKNOWN_IP}"]["bk_agent_alive"] == 0
    assert info[f"0:{UNKNOWN_IP}"]["version"] == ""

    refusal = lab_bk.gse.get_agent_status(json={"bk_supplier_account": "0", "hosts": [{"ip": "not-an-ip"}]})
    assert refusal["result"] is False, refusal
    assert "hosts[0]" in refusal["message"], refusal


def fetch_public_key(server_url: str, path: str = "/api/encrypt_rsa/fetch_public_keys/", **body: Any) -> Any:
    """bk-nodeman's fetch_public_keys with the app's credentials in the bkapi header."""
    auth = json.dumps({"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "admin"})
    response = httpx.post(
        server_url + path, json=body or {"names": ["DEFAULT"]}, headers={"X-Bkapi-Authorization": auth}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_fetch_public_keys(agent_lab: AgentLab) -> None:
    url = agent_lab.server.url
    keys = ok(fetch_public_key(url))
    assert [(k["name"], k["cipher_type"]) for k in keys] == [("DEFAULT", "RSA")]
    assert keys[0]["description"]
    public = serialization.load_pem_public_key(keys[0]["content"].encode())
    assert isinstance(public, rsa.RSAPublicKey)
    # The same pair every time, on both spellings of the path, kept in the data dir for its owner only.
    assert ok(fetch_public_key(url, "/api/encrypt_rsa/fetch_public_keys")) == keys
    assert os.stat(agent_lab.server.data_dir / "rsa_default.pem").st_mode & 0o777 == 0o600

    assert fetch_public_key(url, names=["OTHER"])["result"] is False
    anonymous = httpx.post(f"{url}/api/encrypt_rsa/fetch_public_keys/", json={"names": ["DEFAULT"]}, timeout=10)
    assert anonymous.json()["result"] is False
    assert anonymous.json()["data"] is None


def nodeman_ok(response: dict[str, Any]) -> Any:
    """`data` of a successful bk-nodeman answer: its success code is the string "OK"."""
    assert (response["result"], response["code"], response["message"]) == (True, "OK", "success"), response
    return response["data"]


def create_task(bk: LegacyClient, lab: AgentLab, op_type: str, *hosts: dict[str, Any]) -> dict[str, Any]:
    body = {
        "bk_biz_id": lab.business.bk_biz_id,
        "creator": "admin",
        "bk_cloud_id": 0,
        "node_type": "AGENT",
        "op_type": op_type,
        "hosts": list(hosts),
    }
    response: dict[str, Any] = bk.nodeman.create_task(json=body)
    return response


def wait_job(bk: LegacyClient, job_id: int, timeout: float = 40) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = nodeman_ok(bk.nodeman.get_task_info(json={"job_id": job_id}))
        if job["status"] not in ("PENDING", "RUNNING"):
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']}: {job['hosts']}"
        time.sleep(0.2)


def test_nodeman_install_with_rsa_password_then_uninstall(agent_lab: AgentLab, lab_bk: LegacyClient) -> None:
    lab = agent_lab
    ip = lab.pool.addresses[1]
    pem = ok(fetch_public_key(lab.server.url))[0]["content"]

    def host(**extra: Any) -> dict[str, Any]:
        login = {"conn_ips": ip, "os_type": "LINUX", "has_cygwin": False, "port": lab.pool.port}
        secret = rsa_encrypt(pem, lab.user.password)
        return {**login, "account": lab.user.name, "auth_type": "PASSWORD", "password": secret, "key": "", **extra}

    started = nodeman_ok(create_task(lab_bk, lab, "INSTALL", host()))
    assert (started["job_type"], started["job_type_desc"], started["host_count"]) == ("INSTALL_AGENT", "安装AGENT", 1)
    assert (started["bk_biz_id"], started["bk_cloud_id"]) == (str(lab.business.bk_biz_id), "0")
    assert started["os_count"] == {"WINDOWS": 0, "AIX": 0, "LINUX": 1}
    assert sum(started["status_count"].values()) == 1
    assert started["op_target"] == {"config_file": "", "name": ""}
    first = started["hosts"][0]
    assert first["job_id"] == str(started["id"])
    assert first["status"] in ("QUEUE", "RUNNING"), first
    assert (first["host"]["conn_ips"], first["host"]["node_type"], first["host"]["os_type"]) == (ip, "AGENT", "LINUX")

    done = wait_job(lab_bk, started["id"])
    assert done["status"] == "SUCCESS", done
    assert done["status_count"] == {"running_count": 0, "failed_count": 0, "success_count": 1}
    finished = done["hosts"][0]
    assert (finished["status"], finished["err_code"], finished["step"]) == ("SUCCESS", "SUCCESS", "等待Agent心跳")
    assert done["end_time"]
    assert lab.user.password not in json.dumps([started, done])
    alive = ok(lab_bk.gse.get_agent_status(json=gse_hosts((0, ip))))
    assert alive[f"0:{ip}"]["bk_agent_alive"] == 1

    # A ciphertext that is not one: refused before any task, without quoting it.
    bad = create_task(lab_bk, lab, "REINSTALL", host(password="bm90IHJzYQ=="))
    assert (bad["result"], bad["code"], bad["data"]) == (False, VALIDATION_ERROR, None), bad
    assert "hosts[0].password" in bad["message"]
    assert "bm90IHJzYQ==" not in bad["message"]
    assert create_task(lab_bk, lab, "INSTALL", host(auth_type="KEY"))["result"] is False  # KEY without a key
    missing = lab_bk.nodeman.get_task_info(json={"job_id": 2_000_000_000})
    assert (missing["result"], missing["code"]) == (False, JOB_NOT_EXIST), missing

    removed = wait_job(lab_bk, nodeman_ok(create_task(lab_bk, lab, "UNINSTALL", host()))["id"])
    assert (removed["job_type"], removed["status"]) == ("UNINSTALL_AGENT", "SUCCESS"), removed
    gone = ok(lab_bk.gse.get_agent_status(json=gse_hosts((0, ip))))
    assert gone[f"0:{ip}"]["bk_agent_alive"] == 0
