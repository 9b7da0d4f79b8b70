"""Deleting a collector undeploys it: one SCRIPT task (the business's default account, over SSH, as
the deploy) removes its files from the agent directory of every host it was deployed to, so the
agent stops running it at its next collection; then the collector is deleted. Per-host success is
the task's. A host where the removal fails keeps running the script, but what it reports is dropped
on arrival (ingestion keeps only declared collectors), and deploying again is not possible without
a new import: the task's per-host results say where to clean up by hand.
"""

from __future__ import annotations

import shlex

from opsgraph.core.auth.principal import Principal
from opsgraph.models.agents import AgentState
from opsgraph.models.monitoring_checks import Collector
from opsgraph.models.tasks import Task
from opsgraph.models.topology import Host
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.monitoring.collectors import DEPLOY_TIMEOUT, WRITE_ROLE, get_collector
from opsgraph.resolvers.topology.common import write_transaction


def undeploy_script(collector_id: int, hosts: list[tuple[str, str]]) -> str:
    """A POSIX sh script removing the collector's files; `hosts` is [(ip, agent dir)], picked by the
    address sshd was reached at, as the deploy script does."""
    lines = ["set -e", "set -- $SSH_CONNECTION", 'addr="$3"', 'case "$addr" in']
    for ip, directory in hosts:
        files = " ".join(shlex.quote(f"{directory}/collectors/{collector_id}.{ext}") for ext in ("json", "script"))
        lines.append(f"  {shlex.quote(ip)}) rm -f {files} ;;")
    lines.append('  *) echo "no collector on address $addr" >&2; exit 3 ;;')
    lines.append("esac")
    lines.append(f'echo "collector {collector_id} removed from $addr"')
    return "\n".join(lines) + "\n"


async def delete_collector(principal: Principal, collector_id: int) -> Task | None:
    """Start the undeploy task (None when the collector was deployed nowhere) and delete the collector."""
    from opsgraph.resolvers.tasks.plans import Common, Targets, run_script

    collector = await get_collector(principal, collector_id, WRITE_ROLE)
    hosts = {
        h["id"]: h["inner_ip"]
        for h in await Host.filter(id__in=collector.host_ids, business_id=collector.business_id).values(
            "id", "inner_ip"
        )
    }
    directories = {
        a["host_id"]: a["install_dir"]
        for a in await AgentState.filter(host_id__in=list(hosts)).values("host_id", "install_dir")
        if a["install_dir"]
    }
    chosen = [(host_id, hosts[host_id], directories[host_id]) for host_id in sorted(directories)]
    task = None
    if chosen:
        task = await run_script(
            principal,
            Common(
                business_id=collector.business_id, name=f"remove collector {collector.name}", timeout=DEPLOY_TIMEOUT
            ),
            Targets(host_ids=[host_id for host_id, _, _ in chosen]),
            script_id=None,
            content=undeploy_script(collector.id, [(ip, directory) for _, ip, directory in chosen]),
            language=1,
        )
    async with write_transaction():
        await Collector.filter(id=collector.id).delete()
        await record_operation(
            principal,
            op_type="delete",
            op_target="collector",
            op_desc=f"delete {collector.kind.lower()} collector {collector.name}",
            business_id=collector.business_id,
            inst_id=collector.id,
            pre_data={"hosts": collector.host_ids},
            cur_data={"undeploy_task": task.id if task else None},
        )
    return task
