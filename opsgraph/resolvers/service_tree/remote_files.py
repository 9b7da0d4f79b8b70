"""OpenC3 `sendfile`: listing a directory of one machine of the node, and deleting a file there.

Each runs as a one-host script task over SSH (so it is recorded, audited and visible like any run)
and is answered when that task ends (at most `WAIT` seconds). `path` is "<ip>/<absolute path>" as
upstream writes it; `sudo` names the account (an Account alias or login name; default: the
business's default account). Listing needs level 1 (control), deleting level 2 (write).
"""

from __future__ import annotations

import asyncio
import posixpath
import shlex
import time
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.models.jobs import StepKind
from opsgraph.models.tasks import FINISHED_STATUSES, Task, TaskHostResult, TaskKind
from opsgraph.resolvers.jobs.accounts import resolve_account
from opsgraph.resolvers.service_tree.access import CONTROL, WRITE, TreeNode, node_for
from opsgraph.resolvers.service_tree.jobs import account_alias
from opsgraph.resolvers.service_tree.targets import hosts_by_name
from opsgraph.resolvers.tasks.launch import StepPlan, TaskPlan, launch

WAIT = 60.0
_MARK = "F|"


def split_path(spec: Any) -> tuple[str, str]:
    """ "10.0.0.5/tmp/x" → ("10.0.0.5", "/tmp/x")."""
    if not isinstance(spec, str) or "/" not in spec:
        raise ValidationFailed('check format fail path: "<ip>/<absolute path>", like 10.10.10.10/tmp', field="path")
    ip, _, rest = spec.partition("/")
    path = posixpath.normpath("/" + rest)
    if not ip or "\x00" in path:
        raise ValidationFailed('check format fail path: "<ip>/<absolute path>"', field="path")
    return ip, path


async def _run(principal: Principal, node: TreeNode, ip: str, sudo: str, name: str, script: str) -> dict[str, Any]:
    hosts = await hosts_by_name(node, [ip], "path")
    alias = await account_alias(node.business_id, sudo, "sudo") if sudo else None
    account = await resolve_account(node.business_id, alias=alias)
    config = {"content": script, "language": 1, "params": "", "timeout": int(WAIT), "account_id": account.id}
    plan = TaskPlan(
        kind=TaskKind.SCRIPT,
        business_id=node.business_id,
        name=name,
        steps=[StepPlan(StepKind.SCRIPT, name, config, hosts)],
        params={"account_alias": account.alias},
    )
    task = await launch(principal, plan)
    deadline = time.monotonic() + WAIT + 10
    while time.monotonic() < deadline:
        row = await Task.filter(id=task.id).values("status")
        if row and row[0]["status"] in FINISHED_STATUSES:
            break
        await asyncio.sleep(0.1)
    else:
        raise ValidationFailed(f"{ip} did not answer within {WAIT:g} seconds", field="path")
    results = await TaskHostResult.filter(task_id=task.id).values("status", "exit_code", "log", "error")
    return results[0]


async def list_remote(principal: Principal, tree_id: int, spec: Any, sudo: str = "") -> list[dict[str, Any]]:
    node = await node_for(principal, tree_id, CONTROL)
    ip, path = split_path(spec)
    script = f"find {shlex.quote(path)} -maxdepth 1 -mindepth 1 -printf '{_MARK}%y|%s|%T@|%f\\n'"
    result = await _run(principal, node, ip, sudo, f"sendfile list {ip}:{path}", script)
    if result["exit_code"] != 0:
        raise ValidationFailed(f"cannot list {path} on {ip}: {result['error'] or result['log'][-300:]}", field="path")
    entries = []
    for line in (result["log"] or "").splitlines():
        if not line.startswith(_MARK):
            continue
        kind, size, mtime, name = line[len(_MARK) :].split("|", 3)
        entries.append(
            {
                "name": name,
                "type": "dir" if kind == "d" else "file" if kind == "f" else kind,
                "size": int(size),
                "mtime": int(float(mtime)),
                "path": posixpath.join(path, name),
            }
        )
    return sorted(entries, key=lambda entry: entry["name"])


async def unlink_remote(principal: Principal, tree_id: int, spec: Any, sudo: str = "") -> None:
    node = await node_for(principal, tree_id, WRITE)
    ip, path = split_path(spec)
    if path.count("/") < 2:
        raise ValidationFailed(f"refusing to delete {path}: name a file below a directory", field="path")
    script = f"test ! -d {shlex.quote(path)} && rm -f -- {shlex.quote(path)}"
    result = await _run(principal, node, ip, sudo, f"sendfile unlink {ip}:{path}", script)
    if result["exit_code"] != 0:
        raise ValidationFailed(f"cannot delete {path} on {ip} (a directory, or no permission)", field="path")
