"""Starting agent installs (and reinstalls, upgrades, uninstalls, removals): one AGENT_INSTALL task
with one `agent_install` step over the requested hosts.

- Hosts not yet in the CMDB are added to the business's idle module in the requested cloud area; a
  host that belongs to another business is refused.
- Each host's login (user + password or private key, port) goes into the step's `host_logins` with
  the secret encrypted; it is never returned, audited or logged. A host given without credentials
  logs in with a business account (`account_alias`, else the default one), as Huawei CES installs do.
- PAGENT hosts are reached through the cloud area's installed PROXY (its stored login becomes the
  `jump`); an area without one is a clear user error.

Compat layers (nodeman create_task, Huawei CES) call the `installAgents` mutation, which calls
`install_agents` here.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

import asyncssh

from opsgraph.core.auth.principal import Principal
from opsgraph.core.crypto import SecretBox
from opsgraph.core.errors import Conflict, Duplicate, NotFound, ValidationFailed
from opsgraph.core.settings import Settings
from opsgraph.executors.agent_install import STEP_KIND
from opsgraph.executors.agent_routes import proxy_logins
from opsgraph.models.agents import AgentNodeType, AgentOperation
from opsgraph.models.jobs import AccountAuth
from opsgraph.models.tasks import Task, TaskKind
from opsgraph.models.topology import CloudArea, Host
from opsgraph.resolvers.jobs.accounts import resolve_account
from opsgraph.resolvers.tasks.launch import StepPlan, TaskPlan, launch
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.hosts import MAX_HOSTS_PER_CALL, add_hosts_to_resource_pool

MAX_SECRET = 64 * 1024
OS_TYPES = {"LINUX": "1", "AIX": "3"}  # bk-cmdb bk_os_type; Windows hosts have no SSH + python3 agent here


@dataclass(frozen=True)
class InstallHost:
    """With neither password nor private key, the host logs in with the request's business account."""

    ip: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    private_key: str | None = field(default=None, repr=False)
    ssh_port: int | None = None  # None: OPSGRAPH_SSH_DEFAULT_PORT
    os_type: str = "LINUX"


@dataclass(frozen=True)
class InstallRequest:
    business_id: int
    operation: AgentOperation
    node_type: AgentNodeType
    hosts: list[InstallHost]
    cloud_area_id: int = 0
    account_alias: str | None = None  # for hosts given without a secret; None: the business's default account


@dataclass(frozen=True)
class _Checked:
    ip: str
    port: int
    login: dict[str, Any] = field(repr=False)
    os_type: str


def _check_host(
    index: int, host: InstallHost, settings: Settings, box: SecretBox, account: dict[str, Any] | None
) -> _Checked:
    where = f"hosts[{index}]"
    try:
        ip = str(ipaddress.ip_address(host.ip.strip()))
    except ValueError as exc:
        raise ValidationFailed(f"{host.ip!r} is not an IP address", field=f"{where}.ip") from exc
    port = host.ssh_port if host.ssh_port is not None else settings.ssh_default_port
    if not 1 <= port <= 65535:
        raise ValidationFailed("sshPort must be between 1 and 65535", field=f"{where}.sshPort")
    os_type = host.os_type.upper()
    if os_type not in OS_TYPES:
        raise ValidationFailed(
            f"os type {host.os_type!r} is not supported: the agent needs SSH and python3 (LINUX or AIX)",
            field=f"{where}.osType",
        )
    if host.password is None and host.private_key is None and not host.username:
        assert account is not None
        return _Checked(ip=ip, port=port, login={**account, "port": port, "jump": None}, os_type=os_type)
    username = (host.username or "").strip()
    if not username or len(username) > 128 or any(c.isspace() or not c.isprintable() for c in username):
        raise ValidationFailed("a user name without spaces, up to 128 characters", field=f"{where}.username")
    login: dict[str, Any] = {"username": username, "port": port, "jump": None}
    if (host.password is None) == (host.private_key is None):
        raise ValidationFailed("give either a password or a private key", field=f"{where}.password")
    if host.password is not None:
        if not host.password or len(host.password) > MAX_SECRET:
            raise ValidationFailed("the password must be non-empty text", field=f"{where}.password")
        login["password"] = box.encrypt(host.password)
    else:
        assert host.private_key is not None
        if len(host.private_key) > MAX_SECRET:
            raise ValidationFailed("the private key is too long", field=f"{where}.privateKey")
        try:
            asyncssh.import_private_key(host.private_key)
        except (ValueError, TypeError) as exc:  # the reason never quotes the key
            raise ValidationFailed(f"the private key cannot be used: {exc}", field=f"{where}.privateKey") from exc
        login["key"] = box.encrypt(host.private_key)
    return _Checked(ip=ip, port=port, login=login, os_type=os_type)


async def _account_login(request: InstallRequest) -> dict[str, Any] | None:
    """The business account's login, when some host came without credentials of its own. Its secret is
    already encrypted with the key host_logins use, so it is copied, never decrypted here."""
    if all(h.password is not None or h.private_key is not None or h.username for h in request.hosts):
        return None
    account = await resolve_account(request.business_id, alias=request.account_alias)
    secret = "password" if account.auth == AccountAuth.PASSWORD else "key"
    return {"username": account.username, secret: account.secret}


async def _hosts_in_business(
    principal: Principal, request: InstallRequest, checked: list[_Checked]
) -> list[dict[str, Any]]:
    """The hosts' rows (id, inner_ip, cloud_area_id) in request order; missing ones are added first."""
    ips = [c.ip for c in checked]
    existing = {
        row["inner_ip"]: row
        for row in await Host.filter(cloud_area_id=request.cloud_area_id, inner_ip__in=ips).values(
            "id", "inner_ip", "cloud_area_id", "business_id"
        )
    }
    for row in existing.values():
        if row["business_id"] != request.business_id:
            # The address is taken, which cannot be hidden: the install can neither add the host nor
            # take it over. Which business holds it is said only to a caller with a role there.
            owner = row["business_id"]
            where = f"business {owner}" if principal.can(owner) else "another business"
            raise Conflict(
                f"host {row['inner_ip']} (cloud area {request.cloud_area_id}) belongs to {where}",
                field="hosts",
                code="HOST_IN_OTHER_BUSINESS",
            )
    missing = [c for c in checked if c.ip not in existing]
    if missing:
        area = request.cloud_area_id
        columns = [
            {"inner_ip": c.ip, "cloud_area_id": area, "ssh_port": c.port, "os_type": OS_TYPES[c.os_type]}
            for c in missing
        ]
        for host in await add_hosts_to_resource_pool(principal, [(c, {}) for c in columns], request.business_id):
            existing[host.inner_ip] = {"id": host.id, "inner_ip": host.inner_ip, "cloud_area_id": host.cloud_area_id}
    return [{k: existing[ip][k] for k in ("id", "inner_ip", "cloud_area_id")} for ip in ips]


async def install_agents(principal: Principal, settings: Settings, request: InstallRequest) -> Task:
    """Validate, add unknown hosts, and launch the task; returns it at once (PENDING)."""
    await get_business(principal, request.business_id, "operator", require_enabled=True)
    if not request.hosts:
        raise ValidationFailed("no hosts given", field="hosts")
    if len(request.hosts) > MAX_HOSTS_PER_CALL:
        raise ValidationFailed(f"at most {MAX_HOSTS_PER_CALL} hosts per call", field="hosts")
    if not await CloudArea.exists(id=request.cloud_area_id):
        raise NotFound(f"cloud area {request.cloud_area_id} does not exist", field="bkCloudId")
    box = SecretBox(settings.secret_key)
    account = await _account_login(request)
    checked = [_check_host(i, host, settings, box, account) for i, host in enumerate(request.hosts)]
    seen: set[str] = set()
    for c in checked:
        if c.ip in seen:
            raise Duplicate(f"{c.ip} appears twice", field="hosts")
        seen.add(c.ip)
    if request.node_type == AgentNodeType.PAGENT:
        proxy = (await proxy_logins([request.cloud_area_id])).get(request.cloud_area_id)
        if proxy is None:
            raise Conflict(
                f"cloud area {request.cloud_area_id} has no installed PROXY: PAGENT hosts are reached through "
                "one, so install a PROXY there first",
                field="nodeType",
                code="NO_PROXY",
            )
        for c in checked:
            c.login["jump"] = proxy
    rows = await _hosts_in_business(principal, request, checked)
    job_type = f"{request.operation}_{request.node_type}"  # bk-nodeman's job_type, e.g. INSTALL_PAGENT
    params = {
        "operation": str(request.operation),
        "node_type": str(request.node_type),
        "cloud_area_id": request.cloud_area_id,
    }
    logins = {str(row["id"]): c.login for row, c in zip(rows, checked, strict=True)}
    step = StepPlan(STEP_KIND, job_type.lower(), {**params, "host_logins": logins}, rows)
    plan = TaskPlan(TaskKind.AGENT_INSTALL, request.business_id, name=job_type, steps=[step], params=params)
    return await launch(principal, plan)
