"""Every code block of README.md, run as written, in order, as one new user's session.

The README's shell blocks start the server (`scripts/serve &` on 127.0.0.1:8000, dev mode, a fresh
`./data` in a temporary working copy) and use the admin CLI; its GraphQL operations run against
that server with the variables a reader would fill in from earlier results (threaded below); its
Python blocks run with `.venv/bin/python`. Hosts are real OpenSSH sshd on 127.0.0.x addresses, so
`runScript`, `installAgents` and the HSS cluster scan really log in. Values a reader supplies
themselves (their hosts, SSH login) come from `user_inputs`; values read off earlier results
(`BK_BIZ_ID`, global ids) are taken from those results, never invented.

A block that is not run is listed in NOT_RUN with the reason.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.agents.support import AGENT_ROOT_BASE, kill_agents
from tests.executors.conftest import SshdPoolFactory
from tests.readme.readme_blocks import Block, Operation, readme_blocks
from tests.readme.session import BlockFailed, ReadmeSession, exclusive_port, working_copy
from tests.support.sshd import SshdPool, SshUser

BLOCKS = readme_blocks()
NOT_RUN = {
    "two-commands": "`scripts/test` is the whole suite (this test included) and `scripts/serve` in the "
    "foreground never returns; first-steps runs `scripts/serve &` itself",
}
FINISHED = {"SUCCESS", "FAILED", "CANCELLED", "ABNORMAL"}
TASK = """
query($j: Int!) { task(jobInstanceId: $j) {
  kind status error
  steps { status hostResults(first: 50) { nodes { ip status phase error log } } }
  findings(first: 500) { totalCount nodes { target ruleId passed } }
} }"""


@dataclass
class Walkthrough:
    session: ReadmeSession
    pool: SshdPool
    user: SshUser
    key_file: Path
    variables: dict[str, Any] = field(default_factory=dict)  # GraphQL variables, from earlier results
    exports: dict[str, str] = field(default_factory=dict)  # shell variables, from earlier results
    install_job: int | None = None
    failed: str | None = None

    def env(self) -> dict[str, str]:
        """What the reader has set by now: values read off results, and their own SSH login."""
        return {**self.exports, "SSH_USER": self.user.name, "SSH_KEY": str(self.key_file)}

    def task(self, job_instance_id: int) -> dict[str, Any]:
        response = self.session.http.post(
            "/graphql",
            json={"query": TASK, "variables": {"j": job_instance_id}},
            headers={"Authorization": f"Bearer {self.session.token}"},
        )
        body = response.json()
        assert not body.get("errors"), body
        task: dict[str, Any] = body["data"]["task"]
        return task

    def wait_task(self, job_instance_id: int, timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            task = self.task(job_instance_id)
            if task["status"] in FINISHED:
                return task
            if time.monotonic() > deadline:
                raise BlockFailed(f"task {job_instance_id} still {task['status']} after {timeout} s: {task}")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def walkthrough(
    sshd_pool: SshdPoolFactory, ssh_user: SshUser, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Walkthrough]:
    pool = sshd_pool(2)
    root = tmp_path_factory.mktemp("readme")
    key_file = root / "id_ed25519"
    key_file.write_text(ssh_user.private_key)
    key_file.chmod(0o600)
    home = root / "home"  # the Huawei SDK writes ~/.huaweicloud/application_id
    home.mkdir()
    agent_root = AGENT_ROOT_BASE / f"readme-{uuid.uuid4().hex[:12]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSGRAPH_")}
    env.update(
        HOME=str(home),
        NO_PROXY="127.0.0.1,localhost",
        # Test-only server setting: the loopback "hosts" are this machine, where the unprivileged
        # SSH test user cannot write the default /opt/opsgraph-agent.
        OPSGRAPH_AGENT_INSTALL_ROOT=str(agent_root),
    )
    with exclusive_port():
        session = ReadmeSession(working_copy(root), env)
        try:
            yield Walkthrough(session, pool, ssh_user, key_file)
        finally:
            session.stop()
            kill_agents(agent_root)
            shutil.rmtree(agent_root, ignore_errors=True)


# -- what each example must do, beyond exiting 0 / answering without errors ---------------------------------


def _first_steps(w: Walkthrough, output: str) -> None:
    assert w.session.env.get("TOKEN", "").count(".") == 2, f"TOKEN is not a JWT: {output[-2000:]}"
    assert w.session.http.get("/healthz").json() == {"status": "ok"}


def _hss_key(w: Walkthrough, output: str) -> None:
    key = json.loads((w.session.work / "hss-key.json").read_text())
    assert set(key) == {"access_key", "secret_key", "project_id"}, key


def _follow_task(w: Walkthrough, output: str) -> None:
    lines = output.strip().splitlines()
    assert lines, "the subscription printed no event"
    _seq, kind, payload = lines[-1].split(" ", 2)
    assert (kind, json.loads(payload)["status"]) == ("TASK_STATUS", "SUCCESS"), output


def _bk_client(w: Walkthrough, output: str) -> None:
    assert "shop" in ast.literal_eval(output.strip().splitlines()[-1]), output


def _hss_scan(w: Walkthrough, output: str) -> None:
    task_id = output.strip().splitlines()[-1]
    assert task_id.isdigit(), output
    task = w.wait_task(int(task_id))
    assert (task["kind"], task["status"]) == ("SECURITY_SCAN", "SUCCESS"), task
    assert {f["target"] for f in task["findings"]["nodes"]} == set(w.pool.addresses)


OUTPUT_CHECKS: dict[str, Callable[[Walkthrough, str], None]] = {
    "first-steps": _first_steps,
    "hss-key": _hss_key,
    "follow-task": _follow_task,
    "bk-client": _bk_client,
    "hss-scan": _hss_scan,
}


@dataclass(frozen=True)
class OperationCheck:
    inputs: Callable[[Walkthrough], dict[str, Any]] | None = None  # variables the reader supplies
    before: Callable[[Walkthrough], None] | None = None
    after: Callable[[Walkthrough, Any], None] | None = None  # assert, and keep what later blocks use


def _login(w: Walkthrough, data: dict[str, Any]) -> None:
    w.session.token = data["login"]["token"]
    assert w.session.token, data


def _create_business(w: Walkthrough, data: dict[str, Any]) -> None:
    business = data["createBusiness"]["business"]
    w.variables["b"] = business["id"]
    w.exports["BK_BIZ_ID"] = str(business["bkBizId"])


def _create_set(w: Walkthrough, data: dict[str, Any]) -> None:
    created = data["createSet"]["set"]
    w.variables["s"] = created["id"]
    w.exports["BK_SET_ID"] = str(created["bkSetId"])


def _create_module(w: Walkthrough, data: dict[str, Any]) -> None:
    w.variables["m"] = data["createModule"]["module"]["id"]


def _add_hosts(w: Walkthrough, data: dict[str, Any]) -> None:
    hosts = data["addHostsToResourcePool"]["hosts"]
    assert [h["innerIp"] for h in hosts] == w.pool.addresses
    w.variables["h"] = [h["id"] for h in hosts]


def _estate(w: Walkthrough, data: dict[str, Any]) -> None:
    (shop,) = [b for b in data["businesses"]["nodes"] if b["name"] == "shop"]
    assert shop["id"] == w.variables["b"]
    (web,) = [s for s in shop["sets"]["nodes"] if s["name"] == "web"]
    assert str(web["bkSetId"]) == w.exports["BK_SET_ID"]
    (nginx,) = [m for m in web["modules"]["nodes"] if m["name"] == "nginx"]
    assert nginx["hosts"]["totalCount"] == len(w.pool.addresses)
    hosts = nginx["hosts"]["nodes"]
    assert sorted(h["innerIp"] for h in hosts) == sorted(w.pool.addresses)
    w.variables["b"] = shop["id"]  # what runScript takes: the global ids this query returns
    w.variables["h"] = [h["id"] for h in hosts]


def _run_script(w: Walkthrough, data: dict[str, Any]) -> None:
    task = data["runScript"]["task"]
    w.variables["t"] = task["id"]
    w.variables["j"] = task["jobInstanceId"]
    w.exports["TASK_ID"] = task["id"]


def _task_events(w: Walkthrough, received: list[dict[str, Any]]) -> None:
    events = [item["taskEvents"] for item in received]
    seqs = [event["seq"] for event in events]
    assert seqs == sorted(set(seqs)), seqs
    assert seqs[0] >= 1, seqs
    kinds = {event["kind"] for event in events}
    assert {"TASK_STATUS", "HOST_STATUS", "LOG"} <= kinds, kinds
    last = events[-1]
    assert (last["kind"], last["payload"]["status"]) == ("TASK_STATUS", "SUCCESS"), events[-3:]


def _task_result(w: Walkthrough, data: dict[str, Any]) -> None:
    task = data["task"]
    assert task["status"] == "SUCCESS", task
    results = {r["ip"]: r for step in task["steps"] for r in step["hostResults"]["nodes"]}
    assert sorted(results) == sorted(w.pool.addresses)
    for ip, result in results.items():
        assert (result["status"], result["exitCode"]) == ("SUCCESS", 0), (ip, result)
        assert "load average" in result["log"], (ip, result)


def _install_agents(w: Walkthrough, data: dict[str, Any]) -> None:
    w.install_job = data["installAgents"]["task"]["jobInstanceId"]


def _install_finished(w: Walkthrough) -> None:
    assert w.install_job is not None, "InstallAgents did not run"
    task = w.wait_task(w.install_job)
    assert task["status"] == "SUCCESS", task


def _agents(w: Walkthrough, data: dict[str, Any]) -> None:
    agents = {h["innerIp"]: h["agent"] for h in data["hosts"]["nodes"]}
    for ip in w.pool.addresses:
        agent = agents[ip]
        assert agent is not None, ip
        assert agent["alive"] is True, (ip, agent)
        assert agent["version"], (ip, agent)


OPERATION_CHECKS: dict[str, OperationCheck] = {
    "Login": OperationCheck(after=_login),
    "CreateBusiness": OperationCheck(after=_create_business),
    "CreateSet": OperationCheck(after=_create_set),
    "CreateModule": OperationCheck(after=_create_module),
    "AddHosts": OperationCheck(
        inputs=lambda w: {"hosts": [{"innerIp": ip, "sshPort": w.pool.port} for ip in w.pool.addresses]},
        after=_add_hosts,
    ),
    "Estate": OperationCheck(after=_estate),
    "RunScript": OperationCheck(after=_run_script),
    "TaskEvents": OperationCheck(after=_task_events),
    "TaskResult": OperationCheck(after=_task_result),
    "InstallAgents": OperationCheck(
        inputs=lambda w: {
            "hosts": [
                {"ip": ip, "sshPort": w.pool.port, "username": w.user.name, "password": w.user.password}
                for ip in w.pool.addresses
            ]
        },
        after=_install_agents,
    ),
    "Agents": OperationCheck(before=_install_finished, after=_agents),
}


# -- running ------------------------------------------------------------------------------------------------


def run_operation(w: Walkthrough, block: Block, operation: Operation) -> None:
    check = OPERATION_CHECKS.get(operation.name, OperationCheck())
    if check.before is not None:
        check.before(w)
    supplied = check.inputs(w) if check.inputs is not None else {}
    variables: dict[str, Any] = {}
    for name in operation.variables:
        if name in supplied:
            variables[name] = supplied[name]
        elif name in w.variables:
            variables[name] = w.variables[name]
        else:
            raise BlockFailed(f"{operation.name}: no earlier result gives ${name} (thread it in this test)")
    result: Any
    if operation.kind == "subscription":
        result = w.session.subscribe(block, operation.name, variables)
    else:
        result = w.session.graphql(block, operation.name, variables)
    if check.after is not None:
        check.after(w, result)


def run_block(w: Walkthrough, block: Block) -> None:
    if block.language in {"sh", "bash"}:
        output = w.session.run_shell(block, w.env())
    elif block.language == "python":
        output = w.session.run_python(block, w.env())
    elif block.language == "graphql":
        for operation in block.operations():
            run_operation(w, block, operation)
        return
    else:
        raise BlockFailed(f"README block {block.name} is {block.language!r}: run it here or add it to NOT_RUN")
    if block.name in OUTPUT_CHECKS:
        OUTPUT_CHECKS[block.name](w, output)


RUN = [block for block in BLOCKS if block.name not in NOT_RUN]


def test_blocks_not_run_are_few_and_exist() -> None:
    names = {block.name for block in BLOCKS}
    assert set(NOT_RUN) <= names, f"NOT_RUN names blocks README.md no longer has: {set(NOT_RUN) - names}"
    assert len(NOT_RUN) <= 2, "run the README's examples; do not grow the allow-list"
    stale = (set(OUTPUT_CHECKS) - names) | (
        set(OPERATION_CHECKS) - {op.name for b in BLOCKS if b.language == "graphql" for op in b.operations()}
    )
    assert not stale, f"checks for examples README.md no longer has: {stale}"


@pytest.mark.parametrize("block", RUN, ids=[block.name for block in RUN])
def test_readme_example(block: Block, walkthrough: Walkthrough) -> None:
    if walkthrough.failed is not None:
        pytest.fail(f"not run: README block {walkthrough.failed!r} before it failed")
    try:
        run_block(walkthrough, block)
    except BaseException:
        walkthrough.failed = block.name
        print(f"README.md:{block.line} ({block.name}); server log tail:\n{walkthrough.session.server_log()}")
        raise
