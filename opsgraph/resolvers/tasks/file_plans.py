"""The sources of a file step, checked and resolved when a run is planned.

A source is content uploaded with the request, or a path on a host of the business read with an
account of the business (the source's own, else the step's). Paths are one file, a directory
(ending in "/", copied whole) or a `REGEX:` pattern (executors/source_paths.py); a path that can
mean nothing is refused here, before anything runs. Each host source becomes a spec the executor
reads: `{host_id, ip, path[, account_id]}` (`ip` is what `[FILESRCIP]` becomes), or
`{name, content_b64}` for an upload.

Example:
    await plan_sources(principal, 2, [FileSpec(address=HostAddress("10.0.0.7"), path="/etc/app/",
                                               account_alias="reader")])
    # [{"host_id": 31, "ip": "10.0.0.7", "path": "/etc/app/", "account_id": 4}]
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.executors.source_paths import BadSourcePath, check_target_path, parse_source_path
from opsgraph.resolvers.jobs.accounts import resolve_account
from opsgraph.resolvers.tasks.targets import HostAddress, resolve_hosts

MAX_UPLOAD_BYTES = 64 * 1024 * 1024
MAX_SOURCES = 1000  # (host, path) pairs in one step, after a bk file_source's ip_list is expanded


@dataclass
class FileSpec:
    """Either content uploaded with the request, or a path on another host of the business."""

    name: str | None = None
    content_b64: str | None = None
    host_id: int | None = None
    address: HostAddress | None = None
    path: str | None = None
    account_id: int | None = None  # the login that reads the source; none = the step's account
    account_alias: str | None = None


def checked_target_path(path: Any, field: str = "targetPath") -> str:
    try:
        return check_target_path(path)
    except BadSourcePath as exc:
        raise ValidationFailed(f"the target path {exc}", field=field) from exc


async def plan_sources(
    principal: Principal, business_id: int, files: list[FileSpec], *, field: str = "files"
) -> list[dict[str, Any]]:
    if not files:
        raise ValidationFailed("no files to push", field=field)
    if len(files) > MAX_SOURCES:
        raise ValidationFailed(f"at most {MAX_SOURCES} sources in one step", field=field)
    specs: list[dict[str, Any]] = []
    remote: list[tuple[int, FileSpec, str]] = []  # (position in specs, source, canonical path)
    total = 0
    for index, spec in enumerate(files):
        if spec.content_b64 is not None:
            size, upload = _upload(index, spec, field)
            total += size
            specs.append(upload)
            continue
        try:
            path = parse_source_path(spec.path).text
        except BadSourcePath as exc:
            raise ValidationFailed(f"{field}[{index}].path {exc}", field=field) from exc
        if spec.host_id is None and spec.address is None:
            raise ValidationFailed(f"{field}[{index}] needs a source host", field=field)
        specs.append({})  # filled below, once every source host is resolved in one go
        remote.append((len(specs) - 1, spec, path))
    if total > MAX_UPLOAD_BYTES:
        raise ValidationFailed("uploaded files exceed 64 MiB", field=field)
    if remote:
        await _resolve_remote(principal, business_id, remote, specs)
    return specs


def _upload(index: int, spec: FileSpec, field: str) -> tuple[int, dict[str, Any]]:
    try:
        size = len(base64.b64decode(str(spec.content_b64), validate=True))
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed(f"{field}[{index}] content is not base64", field=field) from exc
    name = spec.name or ""
    if not name or "/" in name or name in {".", ".."} or "\0" in name:
        raise ValidationFailed(f"{field}[{index}] needs a plain file name", field=field)
    return size, {"name": name, "content_b64": spec.content_b64}


async def _resolve_remote(
    principal: Principal, business_id: int, remote: list[tuple[int, FileSpec, str]], specs: list[dict[str, Any]]
) -> None:
    host_ids = [spec.host_id for _, spec, _ in remote if spec.host_id is not None]
    addresses = [spec.address for _, spec, _ in remote if spec.host_id is None and spec.address is not None]
    rows = await resolve_hosts(principal, business_id, host_ids=host_ids or None, addresses=addresses or None)
    by_id = {int(str(row["id"])): row for row in rows}
    by_address = {(str(row["inner_ip"]), int(str(row["cloud_area_id"]))): row for row in rows}
    accounts: dict[tuple[int | None, str | None], int] = {}
    for position, spec, path in remote:
        if spec.host_id is not None:
            row = by_id[spec.host_id]
        else:
            assert spec.address is not None
            row = by_address[(spec.address.ip, spec.address.cloud_area_id)]
        planned: dict[str, Any] = {"host_id": int(str(row["id"])), "ip": str(row["inner_ip"]), "path": path}
        if spec.account_id is not None or spec.account_alias:
            key = (spec.account_id, spec.account_alias)
            if key not in accounts:
                account = await resolve_account(business_id, account_id=spec.account_id, alias=spec.account_alias)
                accounts[key] = account.id
            planned["account_id"] = accounts[key]
        specs[position] = planned


def stored_file_specs(sources: list[dict[str, Any]]) -> list[FileSpec]:
    """A job template file step's stored sources (bk ids; see resolvers/jobs/steps.py) as FileSpecs."""
    return [
        FileSpec(
            name=source.get("name"),
            content_b64=source.get("content_b64"),
            host_id=source.get("host_id"),
            path=source.get("path"),
            account_id=source.get("account_id"),
            account_alias=source.get("account_alias"),
        )
        for source in sources
    ]
