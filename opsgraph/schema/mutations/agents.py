"""installAgents: install, reinstall, upgrade, uninstall or remove the OpsGraph agent on hosts.

Returns the AGENT_INSTALL task at once; each host's phases (connect, check_os, push_files,
write_config, start, wait_heartbeat…) arrive as HOST_PHASE events and in `TaskHostResult.phase`.
"""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from opsgraph.models.agents import AgentNodeType, AgentOperation
from opsgraph.resolvers.agents.install import InstallHost, InstallRequest, install_agents
from opsgraph.schema.errors import returns_user_errors
from opsgraph.schema.inputs import pk
from opsgraph.schema.mutations.tasks import TaskPayload
from opsgraph.schema.types.agents import AgentNodeTypeEnum, AgentOperationEnum
from opsgraph.schema.types.tasks import TaskType


@strawberry.enum(description="The host's OS (bk-nodeman os_type). WINDOWS is refused: the agent needs SSH and python3.")
class AgentOsTypeEnum(Enum):
    LINUX = "LINUX"
    AIX = "AIX"
    WINDOWS = "WINDOWS"


@strawberry.input(
    description=(
        "A host and the login to reach it (stored encrypted, never returned). With no username, password "
        "or privateKey, the host logs in with the business account (accountAlias, else the default one)."
    )
)
class AgentHostInput:
    ip: str
    username: str | None = None
    password: str | None = None
    private_key: str | None = strawberry.field(default=None, description="An unencrypted OpenSSH or PEM key.")
    ssh_port: int | None = strawberry.field(default=None, description="Default: OPSGRAPH_SSH_DEFAULT_PORT.")
    os_type: AgentOsTypeEnum = AgentOsTypeEnum.LINUX


@strawberry.input
class InstallAgentsInput:
    business_id: strawberry.ID = strawberry.field(description="Hosts not in the CMDB yet join its idle module.")
    node_type: AgentNodeTypeEnum
    operation: AgentOperationEnum
    hosts: list[AgentHostInput]
    bk_cloud_id: int = strawberry.field(
        default=0, description="The hosts' cloud area; PAGENT hosts are reached through its installed PROXY."
    )
    account_alias: str | None = strawberry.field(
        default=None, description="For hosts given without credentials; default: the business's default account."
    )


@strawberry.type
class AgentMutations:
    @strawberry.mutation(description="Start an AGENT_INSTALL task over SSH (bk-nodeman install_job).")
    @returns_user_errors(TaskPayload)
    async def install_agents(self, info: Info, input: InstallAgentsInput) -> TaskPayload:
        request = InstallRequest(
            business_id=pk(input.business_id, "Business"),
            operation=AgentOperation(input.operation.value),
            node_type=AgentNodeType(input.node_type.value),
            cloud_area_id=input.bk_cloud_id,
            account_alias=input.account_alias,
            hosts=[
                InstallHost(
                    ip=host.ip,
                    username=host.username,
                    password=host.password,
                    private_key=host.private_key,
                    ssh_port=host.ssh_port,
                    os_type=host.os_type.value,
                )
                for host in input.hosts
            ],
        )
        task = await install_agents(info.context.caller, info.context.settings, request)
        info.context.loaders.task.clear(task.id)
        return TaskPayload(task=TaskType.from_row(await info.context.loaders.task.load(task.id)))
