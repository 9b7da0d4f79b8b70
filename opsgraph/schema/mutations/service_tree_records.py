"""Writing OpenC3 records of a tree node: crontabs, subscribers, files, upload tokens, light apps,
node variables, audit entries, the address book and platform settings."""

from __future__ import annotations

import base64
import binascii

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.core.errors import ValidationFailed
from opsgraph.resolvers.service_tree import (
    address_book,
    audit_log,
    crontabs,
    files,
    node_variables,
    platform_settings,
    remote_files,
    runs,
    small_apps,
    subscribers,
)
from opsgraph.resolvers.service_tree.tasks import tree_task
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.types.service_tree_jobs import TreeTaskType
from opsgraph.schema.types.service_tree_records import PlatformSettingsType


@strawberry.input
class TreeCrontabInput:
    tree_id: int
    name: str
    job_uuid: str
    cron: str = strawberry.field(description="5 fields: minute hour day-of-month month day-of-week (UTC).")
    mutex: str = ""
    status: str = strawberry.field(default="", description="available starts it; default: paused (unavailable).")
    id: int | None = strawberry.field(default=None, description="Update this crontab instead of adding one.")


@strawberry.input
class SmallApplicationInput:
    jobid: str = strawberry.field(description="The job's uuid or bkJobId.")
    title: str
    type: str = ""
    describe: str = ""
    parameter: str = ""
    id: int | None = strawberry.field(default=None, description="Edit this light app instead of adding one.")


@strawberry.type
class TreeRecordPayload:
    id: int | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PlatformSettingsPayload:
    settings: PlatformSettingsType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TokenUploadPayload:
    id: int | None = None
    md5: str | None = None
    started: TreeTaskType | None = strawberry.field(default=None, description="The job the token starts, if any.")
    errors: list[UserError] = strawberry.field(default_factory=list)


def _decoded(content_base64: str) -> bytes:
    try:
        return base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed("contentBase64 is not base64", field="contentBase64") from exc


@strawberry.type
class TreeRecordMutations:
    @strawberry.mutation(description="Add (or, with id, update) a crontab of a job.")
    @returns_user_errors(TreeRecordPayload)
    async def save_tree_crontab(self, info: Info, input: TreeCrontabInput) -> TreeRecordPayload:
        principal = info.context.caller
        if input.id is None:
            cron = await crontabs.create_crontab(
                principal, input.tree_id, input.name, input.job_uuid, input.cron, input.mutex, input.status
            )
        else:
            cron = await crontabs.update_crontab(
                principal, input.tree_id, input.id, input.name, input.job_uuid, input.cron, input.mutex
            )
        return TreeRecordPayload(id=cron.id)

    @strawberry.mutation(description="available or unavailable.")
    @returns_user_errors(TreeRecordPayload)
    async def set_tree_crontab_status(self, info: Info, tree_id: int, id: int, status: str) -> TreeRecordPayload:
        cron = await crontabs.set_crontab_status(info.context.caller, tree_id, id, status)
        return TreeRecordPayload(id=cron.id)

    @strawberry.mutation
    @returns_user_errors(TreeRecordPayload)
    async def delete_tree_crontab(self, info: Info, tree_id: int, id: int) -> TreeRecordPayload:
        await crontabs.delete_crontab(info.context.caller, tree_id, id)
        return TreeRecordPayload(id=id)

    @strawberry.mutation
    @returns_user_errors(TreeRecordPayload)
    async def add_tree_notify_subscriber(self, info: Info, tree_id: int, user: str) -> TreeRecordPayload:
        row = await subscribers.add_subscriber(info.context.caller, tree_id, user)
        return TreeRecordPayload(id=row.id)

    @strawberry.mutation
    @returns_user_errors(TreeRecordPayload)
    async def remove_tree_notify_subscriber(self, info: Info, tree_id: int, id: int) -> TreeRecordPayload:
        await subscribers.remove_subscriber(info.context.caller, tree_id, id)
        return TreeRecordPayload(id=id)

    @strawberry.mutation(description="Store a file in a node's file store (a name already there is replaced).")
    @returns_user_errors(TreeRecordPayload)
    async def store_tree_file(
        self, info: Info, tree_id: int, name: str, content_base64: str, md5: str = ""
    ) -> TreeRecordPayload:
        stored = await files.store_file(info.context.caller, tree_id, name, _decoded(content_base64), md5=md5)
        return TreeRecordPayload(id=stored.id)

    @strawberry.mutation
    @returns_user_errors(TreeRecordPayload)
    async def delete_tree_file(self, info: Info, id: int, tree_id: int | None = None) -> TreeRecordPayload:
        await files.delete_file(info.context.caller, tree_id, id)
        return TreeRecordPayload(id=id)

    @strawberry.mutation(description="Store a file with an upload token (no login); the token's job then starts.")
    @returns_user_errors(TokenUploadPayload)
    async def upload_tree_file_with_token(
        self, info: Info, token: str, tree_id: int, name: str, content_base64: str, md5: str = ""
    ) -> TokenUploadPayload:
        info.context.caller  # noqa: B018 - the token is the credential
        stored, job_name = await files.upload_with_token(token, tree_id, name, _decoded(content_base64), md5)
        if job_name is None:
            return TokenUploadPayload(id=stored.id, md5=stored.md5)
        starter = await files.token_creator(token)
        record, _ = await runs.start_tree_job(starter, tree_id, job_name=job_name)
        row = await tree_task(starter, tree_id, record.uuid)
        return TokenUploadPayload(id=stored.id, md5=stored.md5, started=TreeTaskType.from_row(row) if row else None)

    @strawberry.mutation(description="An upload token (shown only now, to whoever made it up).")
    @returns_user_errors(TreeRecordPayload)
    async def create_upload_token(
        self, info: Info, tree_id: int, token: str, description: str = "", job_name: str = ""
    ) -> TreeRecordPayload:
        row = await files.create_token(info.context.caller, tree_id, token, description, job_name)
        return TreeRecordPayload(id=row.id)

    @strawberry.mutation
    @returns_user_errors(TreeRecordPayload)
    async def delete_upload_token(self, info: Info, tree_id: int, id: int) -> TreeRecordPayload:
        await files.delete_token(info.context.caller, tree_id, id)
        return TreeRecordPayload(id=id)

    @strawberry.mutation(description="Add (or, with id, edit) a light app.")
    @returns_user_errors(TreeRecordPayload)
    async def save_small_application(self, info: Info, input: SmallApplicationInput) -> TreeRecordPayload:
        spec = {k: getattr(input, k) for k in ("jobid", "title", "type", "describe", "parameter")}
        return TreeRecordPayload(id=await small_apps.save_small_app(info.context.caller, input.id, spec))

    @strawberry.mutation
    @returns_user_errors(TreeRecordPayload)
    async def delete_small_application(self, info: Info, id: int) -> TreeRecordPayload:
        await small_apps.delete_small_app(info.context.caller, id)
        return TreeRecordPayload(id=id)

    @strawberry.mutation(description="Forget every variable of one node of a tree node.")
    @returns_user_errors(TreeRecordPayload)
    async def delete_node_variables(self, info: Info, tree_id: int, node: str) -> TreeRecordPayload:
        return TreeRecordPayload(id=await node_variables.delete_node_variables(info.context.caller, tree_id, node))

    @strawberry.mutation(description="Write an entry into the audit (operation) log; you are its operator.")
    @returns_user_errors(TreeRecordPayload)
    async def write_audit_entry(self, info: Info, user: str, title: str, content: str) -> TreeRecordPayload:
        await audit_log.write_entry(info.context.caller, user, title, content)
        return TreeRecordPayload()

    @strawberry.mutation(description="A user's mail and phone (superusers).")
    @returns_user_errors(TreeRecordPayload)
    async def set_address_book_entry(
        self, info: Info, user: str, email: str = "", phone: str = ""
    ) -> TreeRecordPayload:
        row = await address_book.set_address(info.context.caller, user, email, phone)
        return TreeRecordPayload(id=row["id"])

    @strawberry.mutation(description="Clear a user's mail and phone (superusers).")
    @returns_user_errors(TreeRecordPayload)
    async def clear_address_book_entry(self, info: Info, id: int) -> TreeRecordPayload:
        await address_book.clear_address(info.context.caller, id)
        return TreeRecordPayload(id=id)

    @strawberry.mutation(description='Delete a file of one machine of the node ("ip/path") over SSH as `sudo`.')
    @returns_user_errors(TreeRecordPayload)
    async def delete_remote_file(self, info: Info, tree_id: int, path: str, sudo: str = "") -> TreeRecordPayload:
        await remote_files.unlink_remote(info.context.caller, tree_id, path, sudo)
        return TreeRecordPayload()

    @strawberry.mutation(description="Change environment or connector settings (superusers).")
    @returns_user_errors(PlatformSettingsPayload)
    async def set_platform_settings(self, info: Info, scope: str, values: JSON) -> PlatformSettingsPayload:
        stored = await platform_settings.write_settings(info.context.caller, scope, values)
        return PlatformSettingsPayload(settings=PlatformSettingsType(scope=scope, values=stored))  # type: ignore[arg-type]
