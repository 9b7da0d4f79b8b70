"""Script, ScriptVersion, Account, JobTemplate (with JobStep) and Cron. Built from `.values()` rows;
relationships go through the request's DataLoaders.

Account has no field that could return its secret: account rows are loaded without that column.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.core.ids import encode_global_id
from opsgraph.schema.connection import Connection, connection_from_rows
from opsgraph.schema.types.node import Node
from opsgraph.schema.types.topology import BusinessType, HostType

Row = dict[str, Any]


@strawberry.enum(name="ScriptLanguage", description="bk-job script_language: 1 shell … 5 powershell.")
class ScriptLanguageEnum(Enum):
    SHELL = 1
    BAT = 2
    PERL = 3
    PYTHON = 4
    POWERSHELL = 5


@strawberry.enum(name="AccountAuth", description="How the account logs in; the secret itself is never returned.")
class AccountAuthEnum(Enum):
    PASSWORD = "password"
    KEY = "key"


@strawberry.enum(name="JobStepKind")
class JobStepKindEnum(Enum):
    SCRIPT = "script"
    FILE = "file"
    APPROVAL = "approval"


def _max_page(info: Info) -> int:
    return int(info.context.settings.max_page_size)


async def _business(info: Info, business_id: int) -> BusinessType:
    return BusinessType.from_row(await info.context.loaders.business.load(business_id))


@strawberry.type(name="ScriptVersion")
class ScriptVersionType:
    bk_script_version_id: int
    version: int = strawberry.field(description="1, 2, …; the highest is the script's current version.")
    content: str
    created_by: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> ScriptVersionType:
        return cls(
            bk_script_version_id=row["id"],
            version=row["version"],
            content=row["content"],
            created_by=row["created_by"],
            created_at=row["created_at"],
        )


@strawberry.type(name="Script")
class ScriptType(Node):
    bk_script_id: int
    bk_biz_id: int
    name: str
    language: ScriptLanguageEnum
    description: str
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> ScriptType:
        return cls(
            id=strawberry.ID(encode_global_id("Script", row["id"])),
            bk_script_id=row["id"],
            bk_biz_id=row["business_id"],
            name=row["name"],
            language=ScriptLanguageEnum(int(row["language"])),
            description=row["description"],
            created_by=row["created_by"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )

    @strawberry.field(description="The newest version: what runs when a step names this script.")
    async def current_version(self, info: Info) -> ScriptVersionType:
        return ScriptVersionType.from_row(await info.context.loaders.current_script_version.load(self.bk_script_id))

    @strawberry.field(description="Every version, oldest first.")
    async def versions(self, info: Info, first: int, after: str | None = None) -> Connection[ScriptVersionType]:
        rows = await info.context.loaders.script_versions_by_script.load(self.bk_script_id)
        return connection_from_rows(
            rows, first=first, after=after, maximum=_max_page(info), build=ScriptVersionType.from_row
        )

    @strawberry.field
    async def business(self, info: Info) -> BusinessType:
        return await _business(info, self.bk_biz_id)


@strawberry.type(name="Account")
class AccountType(Node):
    bk_account_id: int
    bk_biz_id: int
    alias: str
    username: str = strawberry.field(description="The OS user it logs in as.")
    auth: AccountAuthEnum
    is_default: bool = strawberry.field(description="Used where a caller names no account; one per business.")
    description: str
    created_by: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> AccountType:
        return cls(
            id=strawberry.ID(encode_global_id("Account", row["id"])),
            bk_account_id=row["id"],
            bk_biz_id=row["business_id"],
            alias=row["alias"],
            username=row["username"],
            auth=AccountAuthEnum(str(row["auth"])),
            is_default=row["is_default"],
            description=row["description"],
            created_by=row["created_by"],
            created_at=row["created_at"],
        )

    @strawberry.field
    async def business(self, info: Info) -> BusinessType:
        return await _business(info, self.bk_biz_id)


@strawberry.type(name="JobStep")
class JobStepType:
    bk_step_id: int = strawberry.field(description="bk-job's step_id: what runJob's `steps` name.")
    position: int = strawberry.field(description="1-based run order.")
    kind: JobStepKindEnum
    name: str
    config: JSON = strawberry.field(description="The kind's settings, normalised (bk ids for hosts/scripts/accounts).")

    @classmethod
    def from_row(cls, row: Row) -> JobStepType:
        return cls(
            bk_step_id=row["id"],
            position=row["position"],
            kind=JobStepKindEnum(str(row["kind"])),
            name=row["name"],
            config=row["config"],
        )

    @strawberry.field(
        description="A script step's pinned version (`config.script_version_id`): what runs, whatever the "
        "script's current version is. Null for inline content."
    )
    async def script_version(self, info: Info) -> ScriptVersionType | None:
        config = self.config if isinstance(self.config, dict) else {}
        version_id = config.get("script_version_id")
        if not isinstance(version_id, int):
            return None
        row = await info.context.loaders.script_version.load(version_id)
        # The template and its script are in one business, which the caller may read to see this step.
        if row is None or row["script_id"] != config.get("script_id"):
            return None
        return ScriptVersionType.from_row(row)

    @strawberry.field(description="The step's stored targets (`config.host_ids`) that still exist and you may see.")
    async def hosts(self, info: Info) -> list[HostType]:
        config = self.config if isinstance(self.config, dict) else {}
        rows = await info.context.loaders.host.load_many(list(config.get("host_ids") or []))
        caller = info.context.caller
        return [HostType.from_row(row) for row in rows if row is not None and caller.can(row["business_id"])]


@strawberry.type(name="JobTemplate")
class JobTemplateType(Node):
    bk_job_id: int
    bk_biz_id: int
    name: str
    description: str
    variables: JSON = strawberry.field(description="Variable name → default value.")
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> JobTemplateType:
        return cls(
            id=strawberry.ID(encode_global_id("JobTemplate", row["id"])),
            bk_job_id=row["id"],
            bk_biz_id=row["business_id"],
            name=row["name"],
            description=row["description"],
            variables=row["variables"],
            created_by=row["created_by"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )

    @strawberry.field(description="In run order.")
    async def steps(self, info: Info) -> list[JobStepType]:
        return [JobStepType.from_row(row) for row in await info.context.loaders.steps_by_template.load(self.bk_job_id)]

    @strawberry.field
    async def business(self, info: Info) -> BusinessType:
        return await _business(info, self.bk_biz_id)


@strawberry.type(name="Cron")
class CronType(Node):
    bk_cron_id: int
    bk_biz_id: int
    bk_job_id: int
    name: str
    expression: str = strawberry.field(description="5 fields: minute hour day-of-month month day-of-week (UTC).")
    enabled: bool = strawberry.field(description="Crons are created paused (bk-job save_cron).")
    next_run_at: datetime | None = strawberry.field(description="Null while paused.")
    last_run_at: datetime | None
    variables: JSON = strawberry.field(description="Values passed to the template's variables on each run.")
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> CronType:
        return cls(
            id=strawberry.ID(encode_global_id("Cron", row["id"])),
            bk_cron_id=row["id"],
            bk_biz_id=row["business_id"],
            bk_job_id=row["template_id"],
            name=row["name"],
            expression=row["expression"],
            enabled=row["enabled"],
            next_run_at=row["next_run_at"],
            last_run_at=row["last_run_at"],
            variables=row["variables"],
            created_by=row["created_by"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )

    @strawberry.field(description="The job template it runs.")
    async def template(self, info: Info) -> JobTemplateType:
        return JobTemplateType.from_row(await info.context.loaders.job_template.load(self.bk_job_id))

    @strawberry.field
    async def business(self, info: Info) -> BusinessType:
        return await _business(info, self.bk_biz_id)


# --- `business.scripts / accounts / jobTemplates / crons`, called from BusinessType. ---


def _matching(rows: list[Row], key: str, equals: str | None, contains: str | None = None) -> list[Row]:
    if equals is not None:
        rows = [r for r in rows if r[key] == equals]
    if contains:
        needle = contains.lower()
        rows = [r for r in rows if needle in str(r[key]).lower()]
    return rows


async def business_scripts(
    info: Info,
    business_id: int,
    first: int,
    after: str | None,
    name: str | None,
    name_contains: str | None,
    language: ScriptLanguageEnum | None,
) -> Connection[ScriptType]:
    rows = _matching(await info.context.loaders.scripts_by_business.load(business_id), "name", name, name_contains)
    if language is not None:
        rows = [r for r in rows if int(r["language"]) == language.value]
    return connection_from_rows(rows, first=first, after=after, maximum=_max_page(info), build=ScriptType.from_row)


async def business_accounts(
    info: Info, business_id: int, first: int, after: str | None, alias: str | None
) -> Connection[AccountType]:
    rows = _matching(await info.context.loaders.accounts_by_business.load(business_id), "alias", alias)
    return connection_from_rows(rows, first=first, after=after, maximum=_max_page(info), build=AccountType.from_row)


async def business_job_templates(
    info: Info, business_id: int, first: int, after: str | None, name: str | None, name_contains: str | None
) -> Connection[JobTemplateType]:
    loaded = await info.context.loaders.job_templates_by_business.load(business_id)
    rows = _matching(loaded, "name", name, name_contains)
    return connection_from_rows(rows, first=first, after=after, maximum=_max_page(info), build=JobTemplateType.from_row)


async def business_crons(
    info: Info, business_id: int, first: int, after: str | None, enabled: bool | None
) -> Connection[CronType]:
    rows = await info.context.loaders.crons_by_business.load(business_id)
    if enabled is not None:
        rows = [r for r in rows if r["enabled"] == enabled]
    return connection_from_rows(rows, first=first, after=after, maximum=_max_page(info), build=CronType.from_row)
