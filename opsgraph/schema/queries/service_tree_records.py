"""OpenC3 records of a tree node: crontabs, subscribers, files, tokens, light apps, node variables,
the audit log, the address book, platform settings, the release check."""

from __future__ import annotations

import base64
from datetime import date, datetime

import strawberry
from strawberry.types import Info

from opsgraph.resolvers.service_tree import (
    address_book,
    audit_log,
    crontabs,
    files,
    node_variables,
    platform_settings,
    releases,
    remote_files,
    small_apps,
    subscribers,
    terminal,
)
from opsgraph.schema.types.service_tree_records import (
    AddressBookEntryType,
    NodeVariableType,
    NodeVersionCountType,
    PlatformSettingsType,
    SmallApplicationType,
    TreeAuditEntryType,
    TreeCrontabType,
    TreeFileContentType,
    TreeFileType,
    TreeNotifySubscriberType,
    UploadTokenType,
)


@strawberry.type(name="RemoteFileEntry")
class RemoteFileEntryType:
    name: str
    type: str = strawberry.field(description="file, dir, or find's letter for other kinds")
    size: int
    mtime: int = strawberry.field(description="Unix time.")
    path: str


@strawberry.type(name="TerminalCommand", description="One line typed in the web terminal, per machine.")
class TerminalCommandType:
    id: int
    user: str
    node: str
    usr: str = strawberry.field(description="The OS login the shell ran as.")
    cmd: str
    created_at: datetime


@strawberry.input
class TerminalLogFilter:
    user: str | None = None
    node: str | None = None
    usr: str | None = None
    cmd: str | None = None
    time_start: date | None = None
    time_end: date | None = None


@strawberry.input
class TreeAuditFilter:
    time: str | None = strawberry.field(default=None, description="A time prefix: 2024-05-01 12")
    user: str | None = strawberry.field(default=None, description="A user name prefix.")
    title: str | None = None
    content: str | None = None


def _app(row: dict[str, object]) -> SmallApplicationType:
    keys = (
        "id",
        "type",
        "title",
        "describe",
        "parameter",
        "job_uuid",
        "bk_job_id",
        "job_name",
        "tree_id",
        "created_by",
        "created_at",
        "edited_by",
        "updated_at",
    )
    return SmallApplicationType(**{key: row[key] for key in keys})  # type: ignore[arg-type]


@strawberry.type
class TreeRecordsQuery:
    @strawberry.field(description="The node's crontabs, newest first.")
    async def tree_crontabs(self, info: Info, tree_id: int) -> list[TreeCrontabType]:
        return [TreeCrontabType.from_row(row) for row in await crontabs.list_crontabs(info.context.caller, tree_id)]

    @strawberry.field
    async def tree_notify_subscribers(self, info: Info, tree_id: int) -> list[TreeNotifySubscriberType]:
        rows = await subscribers.list_subscribers(info.context.caller, tree_id)
        return [
            TreeNotifySubscriberType(id=r["id"], user=r["user"], created_by=r["created_by"], created_at=r["created_at"])
            for r in rows
        ]

    @strawberry.field(description="The node's file store, newest first (without contents).")
    async def tree_files(self, info: Info, tree_id: int) -> list[TreeFileType]:
        return [TreeFileType(**row) for row in await files.list_files(info.context.caller, tree_id)]

    @strawberry.field(description="One file with its content (base64).")
    async def tree_file(self, info: Info, tree_id: int, name: str) -> TreeFileContentType:
        stored = await files.read_file(info.context.caller, tree_id, name)
        content = base64.b64encode(bytes(stored.content)).decode()
        return TreeFileContentType(name=stored.name, size=stored.size, md5=stored.md5, content_base64=content)

    @strawberry.field
    async def upload_tokens(self, info: Info, tree_id: int) -> list[UploadTokenType]:
        return [UploadTokenType(**row) for row in await files.list_tokens(info.context.caller, tree_id)]

    @strawberry.field(description="Light apps of the nodes you can see (or of one node).")
    async def small_applications(self, info: Info, tree_id: int | None = None) -> list[SmallApplicationType]:
        return [_app(row) for row in await small_apps.list_small_apps(info.context.caller, tree_id)]

    @strawberry.field
    async def small_application(self, info: Info, id: int) -> SmallApplicationType:
        return _app(await small_apps.get_small_app(info.context.caller, id))

    @strawberry.field(description="NAME:[value] lines the node's tasks printed, newest value per node and name.")
    async def node_variables(
        self,
        info: Info,
        tree_id: int,
        node: str = "",
        name: str = "",
        since: date | None = None,
        until: date | None = None,
    ) -> list[NodeVariableType]:
        rows = await node_variables.node_variables(
            info.context.caller, tree_id, node=node, name=name, since=since, until=until
        )
        return [NodeVariableType(**row) for row in rows]

    @strawberry.field(description="VERSION / APP_*_VERSION values of the last year and how many nodes have each.")
    async def node_version_counts(self, info: Info, tree_id: int) -> list[NodeVersionCountType]:
        return [
            NodeVersionCountType(**row) for row in await node_variables.version_counts(info.context.caller, tree_id)
        ]

    @strawberry.field(description="The operation log as OpenC3's audit log (newest 1000 you may see).")
    async def tree_audit_log(self, info: Info, filter: TreeAuditFilter | None = None) -> list[TreeAuditEntryType]:
        spec = {k: v for k, v in vars(filter).items() if v} if filter else {}
        return [TreeAuditEntryType(**row) for row in await audit_log.read_entries(info.context.caller, spec)]

    @strawberry.field(description="Users' mail and phone (superusers).")
    async def address_book(self, info: Info) -> list[AddressBookEntryType]:
        rows = await address_book.address_book(info.context.caller)
        return [AddressBookEntryType(id=r["id"], user=r["username"], email=r["email"], phone=r["phone"]) for r in rows]

    @strawberry.field(description="environment (anyone signed in) or connector (superusers).")
    async def platform_settings(self, info: Info, scope: str) -> PlatformSettingsType:
        values = await platform_settings.read_settings(info.context.caller, scope)
        return PlatformSettingsType(scope=scope, values=values)  # type: ignore[arg-type]

    @strawberry.field(description='A directory of one machine of the node ("ip/path"), read over SSH as `sudo`.')
    async def remote_directory(self, info: Info, tree_id: int, path: str, sudo: str = "") -> list[RemoteFileEntryType]:
        entries = await remote_files.list_remote(info.context.caller, tree_id, path, sudo)
        return [RemoteFileEntryType(**entry) for entry in entries]

    @strawberry.field(description="Lines typed in the node's web terminals, newest first (1000).")
    async def terminal_log(
        self, info: Info, tree_id: int, filter: TerminalLogFilter | None = None
    ) -> list[TerminalCommandType]:
        spec = {k: v for k, v in vars(filter).items() if v} if filter else {}
        return [TerminalCommandType(**row) for row in await terminal.terminal_log(info.context.caller, tree_id, spec)]

    @strawberry.field(description="True when no enabled crontab runs a job of these tree nodes.")
    async def tree_releasable(self, info: Info, tree_ids: list[int]) -> bool:
        info.context.caller  # noqa: B018 - OpenC3 asks this without a login; the answer is yes or no
        return await releases.releasable(tree_ids)
