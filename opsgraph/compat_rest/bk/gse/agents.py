"""bk `gse` get_agent_status and get_agent_info, answered from the OpsGraph agents' heartbeats.

Both take `{bk_supplier_account, hosts: [{ip, bk_cloud_id}]}` and answer a dict keyed by
`"<bk_cloud_id>:<ip>"`. A host unknown to the CMDB (or not visible to the caller), or one without an
installed agent, is `bk_agent_alive: 0`: gse answers every host it is asked about.

Example (bkapi-client-core):
    client.gse.get_agent_status(json={"bk_supplier_account": "0", "hosts": [{"ip": "10.0.0.1", "bk_cloud_id": 0}]})
    # data: {"0:10.0.0.1": {"ip": "10.0.0.1", "bk_cloud_id": 0, "bk_agent_alive": 1}}
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from opsgraph.compat_rest.bk import BK_ROUTES
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.settings import Settings

MAX_HOSTS = 1000

HostKey = tuple[int, str]


def requested_hosts(params: Params) -> list[HostKey]:
    """The `hosts` list as (cloud, ip) pairs, in request order, each once."""
    hosts = params.get_list("hosts")
    if len(hosts) > MAX_HOSTS:
        raise ValidationFailed(f"at most {MAX_HOSTS} hosts per call", field="hosts")
    found: list[HostKey] = []
    for index, item in enumerate(hosts):
        if not isinstance(item, dict):
            raise ValidationFailed("each host is an object {ip, bk_cloud_id}", field=f"hosts[{index}]")
        entry = Params(item, prefix=f"hosts[{index}].")
        raw_ip = entry.get_str("ip").strip()
        try:
            ip = str(ipaddress.ip_address(raw_ip))
        except ValueError as exc:
            raise ValidationFailed(
                f"{entry.field('ip')}: {raw_ip!r} is not an IP address", field=entry.field("ip")
            ) from exc
        key = (entry.get_int("bk_cloud_id"), ip)
        if key not in found:
            found.append(key)
    return found


async def agents_of(hosts: list[HostKey], principal: Principal, settings: Settings) -> dict[HostKey, dict[str, Any]]:
    """(cloud, ip) → that host's agent, for the hosts the caller can see that have one."""
    document = load_operation(__name__, "agent_hosts.graphql")
    wanted = set(hosts)
    ips = sorted({ip for _, ip in hosts})
    agents: dict[HostKey, dict[str, Any]] = {}
    after: str | None = None
    while ips:
        variables = {"ips": ips, "first": settings.max_page_size, "after": after}
        page = (await run_operation(document, variables, principal, settings))["hosts"]
        for node in page["nodes"]:
            key = (node["bkCloudId"], node["innerIp"])
            if key in wanted and node["agent"] is not None:
                agents[key] = node["agent"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    return agents


def _key(cloud: int, ip: str) -> str:
    return f"{cloud}:{ip}"


@BK_ROUTES.handler("gse", "get_agent_status", summary="Agent online status per cloud:ip (bk_agent_alive 0/1)")
async def get_agent_status(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    hosts = requested_hosts(params)
    agents = await agents_of(hosts, principal, settings)
    return {
        _key(cloud, ip): {
            "ip": ip,
            "bk_cloud_id": cloud,
            "bk_agent_alive": int(bool(agents.get((cloud, ip), {}).get("alive"))),
        }
        for cloud, ip in hosts
    }


def _parent(settings: Settings) -> tuple[str, int]:
    """Where agents report: OpsGraph's heartbeat endpoint stands where gse's upstream node would."""
    parts = urlsplit(settings.public_url or "")
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80 if parts.hostname else 0)


@BK_ROUTES.handler("gse", "get_agent_info", summary="Agent heartbeat details per cloud:ip")
async def get_agent_info(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    hosts = requested_hosts(params)
    agents = await agents_of(hosts, principal, settings)
    parent_ip, parent_port = _parent(settings)
    data: dict[str, Any] = {}
    for cloud, ip in hosts:
        agent = agents.get((cloud, ip))
        data[_key(cloud, ip)] = {
            "ip": ip,
            "bk_cloud_id": cloud,
            "bk_agent_alive": int(bool(agent and agent["alive"])),
            "version": agent["version"] if agent else "",
            "parent_ip": parent_ip if agent else "",
            "parent_port": parent_port if agent else 0,
            "node_type": agent["nodeType"] if agent else "",
            "hostname": agent["hostname"] if agent else "",
            "os": agent["os"] if agent else "",
            "last_heartbeat": agent["lastHeartbeat"] if agent else None,
        }
    return data
