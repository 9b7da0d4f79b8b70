"""Files uploaded for IaC scans: Dockerfiles and Kubernetes manifests, kept as UTF-8 text in a business.

Example:
    files = await upload_scan_files(principal, 3, [UploadSpec("Dockerfile", "FROM nginx:1.27\\n")])
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.models.security import IacFileType, ScanFile
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import write_transaction

MAX_FILES = 20
MAX_FILE_BYTES = 1024 * 1024
MAX_NAME = 256
# Every column but `content` (up to 1 MiB each): what loaders read for the GraphQL surface.
PUBLIC_COLUMNS = ("id", "business_id", "name", "file_type", "size", "sha256", "created_by", "created_at")


@dataclass(frozen=True)
class UploadSpec:
    name: str
    content: str
    file_type: IacFileType | None = None


def parse_file_type(value: str | None, field: str = "fileType") -> IacFileType | None:
    if value is None or value == "":
        return None
    try:
        return IacFileType(value.lower())
    except ValueError as exc:
        known = ", ".join(t.value for t in IacFileType)
        raise ValidationFailed(f"unknown file type {value!r} (known: {known})", field=field) from exc


async def upload_scan_files(principal: Principal, business_id: int, files: list[UploadSpec]) -> list[ScanFile]:
    await get_business(principal, business_id, "operator")
    if not 1 <= len(files) <= MAX_FILES:
        raise ValidationFailed(f"upload 1–{MAX_FILES} files at a time", field="files")
    for index, spec in enumerate(files):
        if not spec.name.strip() or len(spec.name) > MAX_NAME:
            raise ValidationFailed(f"files[{index}] needs a name of 1–{MAX_NAME} characters", field="files")
        size = len(spec.content.encode())
        if size == 0:
            raise ValidationFailed(f"files[{index}] ({spec.name}) is empty", field="files")
        if size > MAX_FILE_BYTES:
            raise ValidationFailed(f"files[{index}] ({spec.name}) is larger than 1 MiB", field="files")
    created: list[ScanFile] = []
    async with write_transaction():
        for spec in files:
            data = spec.content.encode()
            created.append(
                await ScanFile.create(
                    business_id=business_id,
                    name=spec.name.strip(),
                    file_type=spec.file_type.value if spec.file_type else "",
                    content=spec.content,
                    size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(),
                    created_by=principal.username,
                )
            )
        await record_operation(
            principal,
            op_type="create",
            op_target="scan_file",
            op_desc=f"upload {len(created)} file(s) for IaC scanning",
            business_id=business_id,
            cur_data=[{"id": f.id, "name": f.name, "size": f.size, "sha256": f.sha256} for f in created],
        )
    return created
