"""HSS `POST /v5/{project_id}/common/files/batch-upload` → `uploadScanFiles`; iac_scan reads the ids.

The endpoint is referenced by the create_task doc but documented nowhere (huaweicloudsdkhss has no
model for it), so both shapes a client would send are accepted:
- multipart/form-data (what the SDK's FormFile machinery sends): every part with a file name is a
  file; an optional `file_type` field (dockerfile | k8s_yaml) declares them all;
- JSON: `{"file_type"?: …, "files": [{"file_name": …, "file_content": …}]}`.
Files are UTF-8 text, 1–20 per call, 1 MiB each, kept in the business the call acts in.
Answer (HSS list conventions): `{"total_num": n, "data_list": [{file_id, file_name, file_type, file_size}]}`.
A multipart body is outside the signature (the SDK sends `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`
for it), as with every Huawei API taking form data.
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.huawei import HUAWEI_ROUTES, HuaweiCaller, HuaweiRequest
from opsgraph.compat_rest.huawei.hss.common import business_id_for, choice, require_business
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.settings import Settings

FILE_TYPES = {"dockerfile": "DOCKERFILE", "k8s_yaml": "K8S_YAML"}
_HSS_FILE_TYPE = {graphql: hss for hss, graphql in FILE_TYPES.items()}


_FILE_TYPE = {"type": "string", "enum": list(FILE_TYPES)}
REQUEST_SCHEMAS = {
    "application/json": {
        "type": "object",
        "required": ["files"],
        "properties": {
            "file_type": _FILE_TYPE,
            "files": {
                "type": "array",
                "minItems": 1,
                "maxItems": 20,
                "items": {
                    "type": "object",
                    "required": ["file_name", "file_content"],
                    "properties": {"file_name": {"type": "string"}, "file_content": {"type": "string"}},
                },
            },
        },
    },
    "multipart/form-data": {
        "type": "object",
        "required": ["file"],
        "properties": {"file_type": _FILE_TYPE, "file": {"type": "string", "format": "binary"}},
    },
}
RESPONSE_SCHEMA = {
    "type": "object",
    "required": ["total_num", "data_list"],
    "properties": {
        "total_num": {"type": "integer"},
        "data_list": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["file_id", "file_name", "file_type", "file_size"],
                "properties": {
                    "file_id": {"type": "string"},
                    "file_name": {"type": "string"},
                    "file_type": {"type": "string"},
                    "file_size": {"type": "integer"},
                },
            },
        },
    },
}


@HUAWEI_ROUTES.route(
    "POST",
    "/v5/{project_id}/common/files/batch-upload",
    service="HSS",
    request_schemas=REQUEST_SCHEMAS,
    response_schema=RESPONSE_SCHEMA,
)
async def batch_upload(request: HuaweiRequest, caller: HuaweiCaller, settings: Settings) -> dict[str, Any]:
    """Upload Dockerfiles / Kubernetes manifests for IaC scans."""
    business = require_business(business_id_for(request, caller), "uploading files")
    files = await (_multipart_files(request) if request.content_type == "multipart/form-data" else _json_files(request))
    variables = {"input": {"businessId": business, "files": files}}
    data = await run_operation(
        load_operation(__name__, "upload_scan_files.graphql"), variables, caller.principal, settings
    )
    payload = data["uploadScanFiles"]
    raise_user_errors(payload)
    uploaded = [
        {
            "file_id": str(item["fileId"]),
            "file_name": item["name"],
            "file_type": _HSS_FILE_TYPE.get(item["fileType"] or "", ""),
            "file_size": item["size"],
        }
        for item in payload["files"]
    ]
    return {"total_num": len(uploaded), "data_list": uploaded}


async def _multipart_files(request: HuaweiRequest) -> list[dict[str, Any]]:
    fields, parts = await request.form()
    file_type = _file_type(fields.get("file_type"))
    if not parts:
        raise ValidationFailed("the form holds no file part", field="file")
    return [_file(part.filename, _text(part.filename, part.content), file_type) for part in parts]


async def _json_files(request: HuaweiRequest) -> list[dict[str, Any]]:
    body = request.json_object()
    file_type = _file_type(body.get("file_type"))
    items = body.get("files")
    if not isinstance(items, list) or not items:
        raise ValidationFailed("files must be a non-empty array of {file_name, file_content}", field="files")
    files = []
    for index, item in enumerate(items):
        name = item.get("file_name") if isinstance(item, dict) else None
        content = item.get("file_content") if isinstance(item, dict) else None
        if not isinstance(name, str) or not isinstance(content, str):
            raise ValidationFailed(f"files[{index}] needs file_name and file_content strings", field="files")
        files.append(_file(name, content, file_type))
    return files


def _file_type(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationFailed("file_type must be a string", field="file_type")
    return choice(value, FILE_TYPES, "file_type")


def _text(name: str, content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(f"file {name!r} is not UTF-8 text", field="file") from exc


def _file(name: str, content: str, file_type: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "content": content}
    if file_type is not None:
        entry["fileType"] = file_type
    return entry
