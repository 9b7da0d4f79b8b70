"""`/fileserver/:treeid` (a node's file store) and `/token/:treeid` (its upload tokens).

- Uploads are multipart/form-data (any file part; the form's `name` field, else the file's own
  name), or a raw body with `?name=`. Downloads answer the bytes, not JSON.
- `POST /fileserver/:treeid/upload` needs no login: header `token` (an upload token of the node);
  with `checkmd5` the upload must have that md5; a token with a job name then starts that job.
- The doc prints the delete path as `/fileserver/treeid/:fileid`; upstream's code serves
  `/fileserver/:treeid/:fileid`. Both answer (the first finds the file by its id alone).
- The doc asks for `/token/:treeid/info` to become GET; it is served as POST and GET.
"""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Reply, C3Request
from opsgraph.compat_rest.openc3.auth import ANONYMOUS
from opsgraph.compat_rest.openc3.checks import DIGITS, fail, flag, text, tree_id
from opsgraph.compat_rest.openc3.common import c3_time
from opsgraph.compat_rest.openc3.job.nodes import filtered
from opsgraph.core.errors import AuthenticationError
from opsgraph.core.settings import Settings

MD5 = re.compile(r"^[a-fA-F0-9]{32}$")


async def upload(request: C3Request) -> tuple[str, bytes]:
    """(file name, content) of an upload, whichever way it came."""
    if request.content_type == "multipart/form-data":
        fields, files = await request.form()
        if not files:
            raise fail("file", "the form carries no file")
        return fields.get("name") or files[0].filename, files[0].content
    name = text(request, "name", required=True, max_length=255)
    return name, request.body


@C3_ROUTES.route("job", "GET", "/fileserver/:treeid")
async def list_files(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The node's files, newest first."""
    data = await run_operation(
        load_operation(__name__, "tree_files.graphql"), {"treeId": tree_id(request)}, caller.principal, settings
    )
    return [
        {
            "id": f["id"],
            "name": f["name"],
            "size": f["size"],
            "md5": f["md5"],
            "create_user": f["createdBy"],
            "create_time": c3_time(f["createdAt"]),
        }
        for f in data["treeFiles"]
    ]


async def _store(caller: C3Caller, settings: Settings, tree: int, name: str, content: bytes, md5: str) -> int:
    variables = {"treeId": tree, "name": name, "content": base64.b64encode(content).decode(), "md5": md5}
    payload = (
        await run_operation(load_operation(__name__, "store_tree_file.graphql"), variables, caller.principal, settings)
    )["storeTreeFile"]
    raise_user_errors(payload)
    return int(payload["id"])


@C3_ROUTES.route("job", "POST", "/fileserver/:treeid")
async def store(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Store an uploaded file (a name already there is replaced)."""
    tree = tree_id(request)
    name, content = await upload(request)
    return await _store(caller, settings, tree, name, content, text(request, "checkmd5", pattern=MD5))


@C3_ROUTES.route("job", "GET", "/fileserver/:treeid/download", answers="file")
async def download(request: C3Request, caller: C3Caller, settings: Settings) -> Response:
    """The bytes of file `name`."""
    variables = {"treeId": tree_id(request), "name": text(request, "name", required=True, max_length=255)}
    found = (await run_operation(load_operation(__name__, "tree_file.graphql"), variables, caller.principal, settings))[
        "treeFile"
    ]
    disposition = f"attachment; filename*=UTF-8''{quote(found['name'])}"
    return Response(
        base64.b64decode(found["contentBase64"]),
        media_type="application/octet-stream",
        headers={"Content-Disposition": disposition, "X-Md5": found["md5"]},
    )


@C3_ROUTES.route("job", "POST", "/fileserver/:treeid/upload", public=True)
async def token_upload(request: C3Request, caller: C3Caller, settings: Settings) -> C3Reply:
    """Without login: store a file with the node's upload token (header `token`)."""
    tree = tree_id(request)
    token = request.headers.get("token", "")
    if not token:
        raise AuthenticationError("send the upload token in the `token` header")
    name, content = await upload(request)
    variables = {
        "token": token,
        "treeId": tree,
        "name": name,
        "content": base64.b64encode(content).decode(),
        "md5": text(request, "checkmd5", pattern=MD5),
    }
    document = load_operation(__name__, "upload_with_token.graphql")
    payload = (await run_operation(document, variables, ANONYMOUS, settings))["uploadTreeFileWithToken"]
    raise_user_errors(payload)
    started = payload["started"]
    return C3Reply(data={"id": payload["id"], "md5": payload["md5"]}, uuid=started["uuid"] if started else None)


async def _delete(caller: C3Caller, settings: Settings, file_id: int, tree: int | None) -> int:
    variables = {"id": file_id, "treeId": tree}
    payload = (
        await run_operation(load_operation(__name__, "delete_tree_file.graphql"), variables, caller.principal, settings)
    )["deleteTreeFile"]
    raise_user_errors(payload)
    return 1


@C3_ROUTES.route("job", "DELETE", "/fileserver/treeid/:fileid", corrected=("/fileserver/:treeid/:fileid",))
async def delete(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Delete a file."""
    file_id = int(text(request, "fileid", required=True, pattern=DIGITS))
    tree = tree_id(request) if request.path_params.get("treeid") else None
    return await _delete(caller, settings, file_id, tree)


@C3_ROUTES.route("job", "POST", "/token/:treeid/info", corrected=())
async def tokens(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The node's upload tokens (only their first four characters)."""
    data = await run_operation(
        load_operation(__name__, "upload_tokens.graphql"), {"treeId": tree_id(request)}, caller.principal, settings
    )
    rows = [
        {
            "id": t["id"],
            "token": f"{t['tokenHint']}…",
            "describe": t["description"],
            "isjob": int(bool(t["jobName"])),
            "jobname": t["jobName"],
            "create_user": t["createdBy"],
            "create_time": c3_time(t["createdAt"]),
            "edit_user": t["editedBy"],
            "edit_time": c3_time(t["updatedAt"]),
        }
        for t in data["uploadTokens"]
    ]
    return filtered(request, rows, ("create_user", "edit_user"), ("create_time",))


C3_ROUTES.route("job", "GET", "/token/:treeid/info", summary="The node's upload tokens (GET, as the doc asks).")(tokens)


@C3_ROUTES.route("job", "POST", "/token/:treeid")
async def create_token(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """An upload token (`token`, `describe`, `isjob` with `jobname`)."""
    is_job = flag(request, "isjob")
    job_name = text(request, "jobname", max_length=256)
    if is_job and not job_name:
        raise fail("jobname", "is required when isjob is true")
    variables = {
        "treeId": tree_id(request),
        "token": text(request, "token", required=True, max_length=128),
        "description": text(request, "describe", max_length=1024),
        "jobName": job_name if is_job else "",
    }
    payload = (
        await run_operation(
            load_operation(__name__, "create_upload_token.graphql"), variables, caller.principal, settings
        )
    )["createUploadToken"]
    raise_user_errors(payload)
    return int(payload["id"])


@C3_ROUTES.route("job", "DELETE", "/token/:treeid/:id")
async def delete_token(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Delete an upload token."""
    variables = {"treeId": tree_id(request), "id": int(text(request, "id", required=True, pattern=DIGITS))}
    payload = (
        await run_operation(
            load_operation(__name__, "delete_upload_token.graphql"), variables, caller.principal, settings
        )
    )["deleteUploadToken"]
    raise_user_errors(payload)
    return 1
