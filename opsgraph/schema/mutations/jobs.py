"""Scripts and OS accounts: createScript, addScriptVersion, updateScript, deleteScript,
createAccount, updateAccount, deleteAccount. (Job templates and crons: mutations/job_templates.py.)"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from opsgraph.resolvers.jobs import accounts as account_actions
from opsgraph.resolvers.jobs import scripts as script_actions
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.inputs import columns_from_input, pk
from opsgraph.schema.types.jobs import AccountType, ScriptLanguageEnum, ScriptType, ScriptVersionType


@strawberry.input
class CreateScriptInput:
    business_id: strawberry.ID
    name: str
    content: str = strawberry.field(description="Version 1; at most 1 MiB.")
    language: ScriptLanguageEnum = ScriptLanguageEnum.SHELL
    description: str | None = None


@strawberry.input(description="New content becomes version n+1, the script's current version.")
class AddScriptVersionInput:
    script_id: strawberry.ID
    content: str


@strawberry.input(description="Metadata only; content changes are new versions (addScriptVersion).")
class UpdateScriptInput:
    script_id: strawberry.ID
    name: str | None = strawberry.UNSET
    language: ScriptLanguageEnum | None = strawberry.UNSET
    description: str | None = strawberry.UNSET


@strawberry.input
class DeleteScriptInput:
    script_id: strawberry.ID


@strawberry.input(description="Give exactly one of password or privateKey (OpenSSH or PEM, unencrypted).")
class CreateAccountInput:
    business_id: strawberry.ID
    alias: str
    username: str = strawberry.field(description="The OS user to log in as.")
    password: str | None = None
    private_key: str | None = None
    is_default: bool = strawberry.field(default=False, description="Replaces the business's current default.")
    description: str | None = None


@strawberry.input(description="A new password or privateKey replaces the stored secret (and the auth kind).")
class UpdateAccountInput:
    account_id: strawberry.ID
    alias: str | None = strawberry.UNSET
    username: str | None = strawberry.UNSET
    password: str | None = strawberry.UNSET
    private_key: str | None = strawberry.UNSET
    is_default: bool | None = strawberry.UNSET
    description: str | None = strawberry.UNSET


@strawberry.input
class DeleteAccountInput:
    account_id: strawberry.ID


@strawberry.type
class ScriptPayload:
    script: ScriptType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AddScriptVersionPayload:
    script: ScriptType | None = None
    version: ScriptVersionType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteScriptPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AccountPayload:
    account: AccountType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteAccountPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _script(info: Info, script_id: int) -> ScriptType:
    loaders = info.context.loaders
    loaders.script.clear(script_id)
    loaders.current_script_version.clear(script_id)
    loaders.script_versions_by_script.clear(script_id)
    return ScriptType.from_row(await loaders.script.load(script_id))


async def _account(info: Info, account_id: int) -> AccountType:
    info.context.loaders.account.clear(account_id)
    return AccountType.from_row(await info.context.loaders.account.load(account_id))


@strawberry.type
class ScriptAccountMutations:
    @strawberry.mutation(description="A script with its first version. Maintainers of the business.")
    @returns_user_errors(ScriptPayload)
    async def create_script(self, info: Info, input: CreateScriptInput) -> ScriptPayload:
        created = await script_actions.create_script(
            info.context.caller,
            pk(input.business_id, "Business"),
            name=input.name,
            content=input.content,
            language=input.language,
            description=input.description,
        )
        return ScriptPayload(script=await _script(info, created.id))

    @strawberry.mutation
    @returns_user_errors(AddScriptVersionPayload)
    async def add_script_version(self, info: Info, input: AddScriptVersionInput) -> AddScriptVersionPayload:
        script_id = pk(input.script_id, "Script")
        added = await script_actions.add_script_version(info.context.caller, script_id, input.content)
        version = ScriptVersionType(
            bk_script_version_id=added.id,
            version=added.version,
            content=added.content,
            created_by=added.created_by,
            created_at=added.created_at,
        )
        return AddScriptVersionPayload(script=await _script(info, script_id), version=version)

    @strawberry.mutation
    @returns_user_errors(ScriptPayload)
    async def update_script(self, info: Info, input: UpdateScriptInput) -> ScriptPayload:
        changes, _ = columns_from_input(input, exclude=frozenset({"script_id"}))
        script_id = pk(input.script_id, "Script")
        await script_actions.update_script(info.context.caller, script_id, changes)
        return ScriptPayload(script=await _script(info, script_id))

    @strawberry.mutation(description="Refused (SCRIPT_IN_USE) while a job template step runs it.")
    @returns_user_errors(DeleteScriptPayload)
    async def delete_script(self, info: Info, input: DeleteScriptInput) -> DeleteScriptPayload:
        await script_actions.delete_script(info.context.caller, pk(input.script_id, "Script"))
        return DeleteScriptPayload(deleted_id=input.script_id)

    @strawberry.mutation(description="An OS account; its secret is stored encrypted and never returned.")
    @returns_user_errors(AccountPayload)
    async def create_account(self, info: Info, input: CreateAccountInput) -> AccountPayload:
        created = await account_actions.create_account(
            info.context.caller,
            info.context.settings,
            pk(input.business_id, "Business"),
            alias=input.alias,
            username=input.username,
            password=input.password,
            private_key=input.private_key,
            is_default=input.is_default,
            description=input.description,
        )
        return AccountPayload(account=await _account(info, created.id))

    @strawberry.mutation
    @returns_user_errors(AccountPayload)
    async def update_account(self, info: Info, input: UpdateAccountInput) -> AccountPayload:
        changes, _ = columns_from_input(input, exclude=frozenset({"account_id"}))
        account_id = pk(input.account_id, "Account")
        await account_actions.update_account(info.context.caller, info.context.settings, account_id, changes)
        return AccountPayload(account=await _account(info, account_id))

    @strawberry.mutation(description="Refused (ACCOUNT_IN_USE) while a job template step logs in with it.")
    @returns_user_errors(DeleteAccountPayload)
    async def delete_account(self, info: Info, input: DeleteAccountInput) -> DeleteAccountPayload:
        await account_actions.delete_account(info.context.caller, pk(input.account_id, "Account"))
        return DeleteAccountPayload(deleted_id=input.account_id)
