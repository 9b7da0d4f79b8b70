"""Root lookups of work objects by global id: shorthands for `node(id:)` with the type checked.
Lists live on the business (`business.scripts`, `.accounts`, `.jobTemplates`, `.crons`)."""

from __future__ import annotations

from typing import TypeVar

import strawberry
from strawberry.types import Info

from opsgraph.schema.inputs import pk
from opsgraph.schema.queries.topology import resolve_node
from opsgraph.schema.types.jobs import AccountType, CronType, JobTemplateType, ScriptType

T = TypeVar("T")


async def _lookup(info: Info, global_id: strawberry.ID, type_name: str, expected: type[T]) -> T | None:
    found = await resolve_node(info, type_name, pk(global_id, type_name))
    return found if isinstance(found, expected) else None


@strawberry.type
class JobsQuery:
    @strawberry.field(description="Null when missing or not visible to you.")
    async def script(self, info: Info, id: strawberry.ID) -> ScriptType | None:
        return await _lookup(info, id, "Script", ScriptType)

    @strawberry.field(description="Null when missing or not visible to you. Never carries the secret.")
    async def account(self, info: Info, id: strawberry.ID) -> AccountType | None:
        return await _lookup(info, id, "Account", AccountType)

    @strawberry.field(description="Null when missing or not visible to you.")
    async def job_template(self, info: Info, id: strawberry.ID) -> JobTemplateType | None:
        return await _lookup(info, id, "JobTemplate", JobTemplateType)

    @strawberry.field(description="Null when missing or not visible to you.")
    async def cron(self, info: Info, id: strawberry.ID) -> CronType | None:
        return await _lookup(info, id, "Cron", CronType)
