"""OpenC3 records of the service tree: crontabs, notify subscribers, files, upload tokens, light
apps, node variables, audit entries, the address book."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

Row = dict[str, Any]


@strawberry.type(name="TreeCrontab", description="A crontab: a Cron of the job's template, with OpenC3's fields.")
class TreeCrontabType:
    id: int = strawberry.field(description="The Cron's bkCronId.")
    name: str
    job_uuid: str
    cron: str
    mutex: str
    status: str = strawberry.field(description="available or unavailable")
    created_by: str
    created_at: datetime
    edited_by: str
    updated_at: datetime
    next_run_at: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> TreeCrontabType:
        return cls(
            id=row["id"],
            name=row["name"],
            job_uuid=row["job_uuid"],
            cron=row["expression"],
            mutex=row["mutex"],
            status="available" if row["enabled"] else "unavailable",
            created_by=row["created_by"],
            created_at=row["created_at"],
            edited_by=row["edited_by"] or row["created_by"],
            updated_at=row["updated_at"],
            next_run_at=row["next_run_at"],
        )


@strawberry.type(name="TreeNotifySubscriber")
class TreeNotifySubscriberType:
    id: int
    user: str
    created_by: str
    created_at: datetime


@strawberry.type(name="TreeFile", description="A file of a node's file store.")
class TreeFileType:
    id: int
    tree_id: int
    name: str
    size: int
    md5: str
    created_by: str
    created_at: datetime


@strawberry.type(name="TreeFileContent")
class TreeFileContentType:
    name: str
    size: int
    md5: str
    content_base64: str


@strawberry.type(name="UploadToken", description="An upload token; the token itself is never shown again.")
class UploadTokenType:
    id: int
    tree_id: int
    token_hint: str = strawberry.field(description="The token's first four characters.")
    description: str
    job_name: str = strawberry.field(description="The job an upload starts; empty: none.")
    created_by: str
    created_at: datetime
    edited_by: str
    updated_at: datetime


@strawberry.type(name="SmallApplication", description="A light app: a titled shortcut to one job.")
class SmallApplicationType:
    id: int
    type: str
    title: str
    describe: str
    parameter: str
    job_uuid: str
    bk_job_id: int
    job_name: str
    tree_id: int
    created_by: str
    created_at: datetime
    edited_by: str
    updated_at: datetime


@strawberry.type(name="NodeVariable", description="A NAME:[value] line a command printed on a node.")
class NodeVariableType:
    id: int
    node: str
    name: str
    value: str
    updated_at: datetime


@strawberry.type(name="NodeVersionCount")
class NodeVersionCountType:
    name: str
    value: str
    count: int


@strawberry.type(name="TreeAuditEntry")
class TreeAuditEntryType:
    time: datetime
    user: str
    title: str
    content: str


@strawberry.type(name="AddressBookEntry")
class AddressBookEntryType:
    id: int
    user: str
    email: str
    phone: str


@strawberry.type(name="PlatformSettings")
class PlatformSettingsType:
    scope: str
    values: JSON
