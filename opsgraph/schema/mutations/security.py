"""uploadScanFiles and startSecurityScan (cluster baseline over SSH, or IaC checks of uploaded files).

startSecurityScan returns the Task at once; its findings arrive on `task.findings` as hosts finish.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from opsgraph.core.errors import ValidationFailed
from opsgraph.executors.security.baseline_rules import ScanType
from opsgraph.models.security import IacFileType as IacFileTypeModel
from opsgraph.resolvers.security import scan_files, scans
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.inputs import optional_pk, pk, pks
from opsgraph.schema.mutations.tasks import TaskPayload
from opsgraph.schema.types.security import ClusterScanType, IacFileType, ScanFileType, SecurityScanKind
from opsgraph.schema.types.tasks import TaskType


@strawberry.input
class ScanFileInput:
    name: str
    content: str = strawberry.field(description="The file's text (UTF-8), at most 1 MiB.")
    file_type: IacFileType | None = strawberry.field(
        default=None, description="Declare it to have scans of the other type refused."
    )


@strawberry.input
class UploadScanFilesInput:
    business_id: strawberry.ID
    files: list[ScanFileInput] = strawberry.field(description="1–20 files.")


@strawberry.type
class UploadScanFilesPayload:
    files: list[ScanFileType] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class StartSecurityScanInput:
    kind: SecurityScanKind
    business_id: strawberry.ID | None = strawberry.field(
        default=None, description="Optional when the sets or files name it."
    )
    set_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="CLUSTER: the sets whose hosts are scanned; null = every set of the business."
    )
    scan_types: list[ClusterScanType] | None = strawberry.field(default=None, description="CLUSTER: default all.")
    account_alias: str | None = strawberry.field(
        default=None, description="CLUSTER: the login; default: the business's default account."
    )
    timeout: int | None = strawberry.field(default=None, description="CLUSTER: seconds per host, default 300.")
    file_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="IAC: uploaded ScanFile ids.")
    file_type: IacFileType | None = strawberry.field(default=None, description="IAC: how to read the files.")
    name: str = ""


@strawberry.type
class SecurityMutations:
    @strawberry.mutation(description="Upload Dockerfiles or Kubernetes manifests for IaC scans.")
    @returns_user_errors(UploadScanFilesPayload)
    async def upload_scan_files(self, info: Info, input: UploadScanFilesInput) -> UploadScanFilesPayload:
        specs = [
            scan_files.UploadSpec(
                name=item.name,
                content=item.content,
                file_type=IacFileTypeModel(item.file_type.value) if item.file_type else None,
            )
            for item in input.files
        ]
        created = await scan_files.upload_scan_files(info.context.caller, pk(input.business_id, "Business"), specs)
        rows = [{column: getattr(f, column) for column in scan_files.PUBLIC_COLUMNS} for f in created]
        return UploadScanFilesPayload(files=[ScanFileType.from_row(row) for row in rows])

    @strawberry.mutation(description="Start a security scan: a SECURITY_SCAN task whose findings are on task.findings.")
    @returns_user_errors(TaskPayload)
    async def start_security_scan(self, info: Info, input: StartSecurityScanInput) -> TaskPayload:
        business_id = optional_pk(input.business_id, "Business")
        if input.kind == SecurityScanKind.CLUSTER:
            task = await scans.start_cluster_scan(
                info.context.caller,
                scans.ClusterScan(
                    business_id=business_id,
                    set_ids=pks(input.set_ids, "Set") if input.set_ids is not None else None,
                    scan_types=[ScanType(t.value) for t in input.scan_types or []],
                    account_alias=input.account_alias,
                    timeout=input.timeout,
                    name=input.name,
                ),
            )
        else:
            if input.file_type is None:
                raise ValidationFailed("an IAC scan needs fileType", field="fileType")
            task = await scans.start_iac_scan(
                info.context.caller,
                scans.IacScan(
                    business_id=business_id,
                    file_ids=pks(input.file_ids or [], "ScanFile"),
                    file_type=IacFileTypeModel(input.file_type.value),
                    name=input.name,
                ),
            )
        info.context.loaders.task.clear(task.id)
        return TaskPayload(task=TaskType.from_row(await info.context.loaders.task.load(task.id)))
