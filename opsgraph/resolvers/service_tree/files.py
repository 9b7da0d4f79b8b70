"""A tree node's file store (OpenC3 `fileserver`) and its upload tokens.

- Files are kept in the database with their md5; a name is unique per node (a new upload of a name
  replaces it). Level 0 reads, level 2 writes. scp steps take `fileserver` sources from here.
- An upload token lets a client without a login store a file on its node (`/fileserver/:treeid/
  upload`, header `token`). Only its SHA-256 is kept. A token with a job name then starts that job
  by name, as the token's creator with the creator's current roles (upstream starts it with its app
  credentials, which bypass every check; a creator who lost the write level gets no run).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from tortoise.exceptions import IntegrityError

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import AuthenticationError, Duplicate, NotFound, ValidationFailed
from opsgraph.models.identity import User
from opsgraph.models.service_tree import TreeFile, UploadToken
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.identity import principal_for_user
from opsgraph.resolvers.service_tree.access import READ, WRITE, node_for
from opsgraph.resolvers.topology.common import write_transaction

MAX_FILE_BYTES = 64 * 1024 * 1024
_NAME = re.compile(r"^[^/\x00'\\]{1,255}$")
_TOKEN = re.compile(r"^[a-zA-Z0-9\-_\.]{16,128}$")
FILE_COLUMNS = ("id", "tree_id", "name", "size", "md5", "created_by", "created_at")
TOKEN_COLUMNS = (
    "id",
    "tree_id",
    "token_hint",
    "description",
    "job_name",
    "created_by",
    "created_at",
    "edited_by",
    "updated_at",
)


def clean_file_name(name: Any) -> str:
    if not isinstance(name, str) or not _NAME.match(name) or name in (".", ".."):
        raise ValidationFailed("check format fail name: a file name (no / or quotes)", field="name")
    return name


async def store_file(principal: Principal, tree_id: int, name: Any, content: bytes, *, md5: str = "") -> TreeFile:
    node = await node_for(principal, tree_id, WRITE)
    return await _store(principal, node.business_id, node.tree_id, clean_file_name(name), content, md5)


async def _store(principal: Principal, business_id: int, tree_id: int, name: str, content: bytes, md5: str) -> TreeFile:
    if len(content) > MAX_FILE_BYTES:
        raise ValidationFailed(f"the file is larger than {MAX_FILE_BYTES} bytes", field="file")
    digest = hashlib.md5(content, usedforsecurity=False).hexdigest()
    if md5 and md5.lower() != digest:
        raise ValidationFailed(f"checkmd5 failed: the upload's md5 is {digest}", field="checkmd5")
    async with write_transaction():
        stored, _ = await TreeFile.update_or_create(
            tree_id=tree_id,
            name=name,
            defaults={
                "business_id": business_id,
                "size": len(content),
                "md5": digest,
                "content": content,
                "created_by": principal.username,
            },
        )
        await record_operation(
            principal,
            op_type="upload",
            op_target="tree_file",
            op_desc=f"store {name} on tree node {tree_id}",
            business_id=business_id,
            inst_id=stored.id,
            cur_data={"name": name, "size": len(content), "md5": digest},
        )
    return stored


async def list_files(principal: Principal, tree_id: int) -> list[dict[str, Any]]:
    node = await node_for(principal, tree_id, READ)
    return list(await TreeFile.filter(tree_id=node.tree_id).order_by("-id").values(*FILE_COLUMNS))


async def read_file(principal: Principal, tree_id: int, name: str) -> TreeFile:
    node = await node_for(principal, tree_id, READ)
    stored = await TreeFile.get_or_none(tree_id=node.tree_id, name=name)
    if stored is None:
        raise NotFound(f"tree node {tree_id} has no file {name!r}", field="name")
    return stored


async def delete_file(principal: Principal, tree_id: int | None, file_id: int) -> None:
    stored = await TreeFile.get_or_none(id=file_id)
    if stored is None or not principal.can(stored.business_id) or (tree_id is not None and stored.tree_id != tree_id):
        raise NotFound(f"no file {file_id}", field="fileid")
    await node_for(principal, stored.tree_id, WRITE)
    await stored.delete()
    await record_operation(
        principal,
        op_type="delete",
        op_target="tree_file",
        op_desc=f"delete {stored.name}",
        business_id=stored.business_id,
        inst_id=file_id,
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(
    principal: Principal, tree_id: int, token: Any, description: Any = "", job_name: Any = ""
) -> UploadToken:
    node = await node_for(principal, tree_id, WRITE)
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise ValidationFailed("check format fail token: 16..128 letters, digits, - _ .", field="token")
    if job_name and (not isinstance(job_name, str) or "'" in job_name or len(job_name) > 256):
        raise ValidationFailed("check format fail jobname: a job name", field="jobname")
    try:
        row = await UploadToken.create(
            business_id=node.business_id,
            tree_id=node.tree_id,
            token_hash=_hash(token),
            token_hint=token[:4],
            description=str(description or "")[:1024],
            job_name=job_name or "",
            created_by=principal.username,
            edited_by=principal.username,
        )
    except IntegrityError as exc:
        raise Duplicate("this token is already in use", field="token") from exc
    await record_operation(
        principal,
        op_type="create",
        op_target="upload_token",
        op_desc=f"add upload token {token[:4]}… on {node.tree_id}",
        business_id=node.business_id,
        inst_id=row.id,
    )
    return row


async def list_tokens(principal: Principal, tree_id: int) -> list[dict[str, Any]]:
    node = await node_for(principal, tree_id, READ)
    return list(await UploadToken.filter(tree_id=node.tree_id).order_by("-id").values(*TOKEN_COLUMNS))


async def delete_token(principal: Principal, tree_id: int, token_id: int) -> None:
    node = await node_for(principal, tree_id, WRITE)
    deleted = await UploadToken.filter(id=token_id, tree_id=node.tree_id).delete()
    if not deleted:
        raise NotFound(f"tree node {tree_id} has no token {token_id}", field="id")
    await record_operation(
        principal,
        op_type="delete",
        op_target="upload_token",
        op_desc=f"delete upload token {token_id}",
        business_id=node.business_id,
        inst_id=token_id,
    )


async def upload_with_token(
    token: str, tree_id: int, name: Any, content: bytes, md5: str = ""
) -> tuple[TreeFile, str | None]:
    """Store a file with an upload token; returns the file and the job to start now (or None),
    and who starts it is `token_creator`."""
    row = await UploadToken.get_or_none(token_hash=_hash(token or ""))
    if row is None or row.tree_id != tree_id:
        raise AuthenticationError("the upload token is unknown or belongs to another tree node")
    uploader = Principal(user_id=0, username=f"{(token or '')[:8]}@token")
    stored = await _store(uploader, row.business_id, row.tree_id, clean_file_name(name), content, md5)
    return stored, row.job_name or None


async def token_creator(token: str) -> Principal:
    row = await UploadToken.get(token_hash=_hash(token))
    user = await User.get_or_none(username=row.created_by, is_active=True)
    if user is None:
        raise AuthenticationError(f"the token's creator {row.created_by!r} can no longer start jobs")
    return await principal_for_user(user)
