"""bk `job` scripts: get_script_list and get_script_detail.

A script's bk `version` is "<author>.<YYYYmmddHHMMSS>" of its current version, as bk-job writes
version names; `tag` (a version remark in bk-job) is our version number ("v3"), since OpsGraph
keeps no remarks. OpsGraph has no public (platform-wide) scripts, so asking for them finds none.

Example (bkapi-client-core):
    client.job.get_script_list(params={"bk_biz_id": 2, "script_type": 1, "start": 0, "length": 10})
    # data: {"data": [{"id": 18, "name": "test", "version": "admin.20180723160606", "type": 1, ...}],
    #        "start": 0, "page_size": 10, "total_record_size": 1}
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opsgraph.compat_rest.bk.common import bk_time, refuse_missing
from opsgraph.compat_rest.bk.job.common import (
    GET,
    bk_id,
    business_id,
    business_list,
    job_route,
    offset_page,
    required_id,
)
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.core.ids import encode_global_id
from opsgraph.core.settings import Settings

LANGUAGE_TYPES = {"SHELL": 1, "BAT": 2, "PERL": 3, "PYTHON": 4, "POWERSHELL": 5}
_TYPE_LANGUAGES = {number: name for name, number in LANGUAGE_TYPES.items()}
_SQL = 6  # a documented script_type OpsGraph never has
_DEFAULT_LENGTH = 20


def version_name(version: dict[str, Any]) -> str:
    """bk-job's name of a script version: "<author>.<YYYYmmddHHMMSS>"."""
    stamp = datetime.fromisoformat(version["createdAt"]).astimezone(UTC).strftime("%Y%m%d%H%M%S")
    return f"{version['createdBy']}.{stamp}"


def script_row(script: dict[str, Any], *, with_content: bool) -> dict[str, Any]:
    current = script["currentVersion"]
    row = {
        "id": script["bkScriptId"],
        "name": script["name"],
        "version": version_name(current),
        "tag": f"v{current['version']}",
        "type": LANGUAGE_TYPES[script["language"]],
        "creator": script["createdBy"],
        "public": False,
        "bk_biz_id": script["bkBizId"],
        "create_time": bk_time(script["createdAt"], offset=False),
        # Content changes are new versions, so the newest version's author is the last modifier
        # (renames are audited but not attributed on the script itself).
        "last_modify_user": current["createdBy"],
        "last_modify_time": bk_time(
            max(script["updatedAt"], current["createdAt"], key=datetime.fromisoformat), offset=False
        ),
    }
    if with_content:
        row["content"] = current["content"]
    return row


async def fetch_script(script_id: int, principal: Principal, settings: Settings) -> dict[str, Any] | None:
    document = load_operation(__name__, "script.graphql")
    script: dict[str, Any] | None = (
        await run_operation(document, {"id": encode_global_id("Script", script_id)}, principal, settings)
    )["script"]
    return script


@job_route("get_script_list", methods=GET, summary="A business's scripts, filtered and paged by offset")
async def get_script_list(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    with_content = params.get_bool("return_script_content", False, required=False)
    script_type = params.get_int("script_type", 0, required=False)
    if script_type not in (0, *_TYPE_LANGUAGES, _SQL):
        raise ValidationFailed(f"script_type must be 0 (all) or 1..6, got {script_type}", field="script_type")
    public = params.get_bool("is_public", False, required=False) or not params.has("bk_biz_id")
    # bk-job's doc gives `length` a default of 20 and also says "0 or absent: no paging"; absent
    # takes the default here (it is what the answer's page_size reports), 0 turns paging off.
    length = params.get_int("length", _DEFAULT_LENGTH, required=False)
    scripts: list[dict[str, Any]] = []
    if not public and script_type != _SQL:
        variables = {
            "nameContains": params.get_str("script_name", required=False) or None,
            "language": _TYPE_LANGUAGES.get(script_type),
            "withContent": with_content,
        }
        document = load_operation(__name__, "scripts.graphql")
        scripts = await business_list(document, "scripts", variables, business_id(params), principal, settings)
    page = offset_page(scripts, params, default_length=length)
    return {
        "data": [script_row(script, with_content=with_content) for script in page],
        "start": params.get_int("start", 0, required=False),
        "page_size": length or len(scripts),
        "total_record_size": len(scripts),
    }


@job_route("get_script_detail", methods=GET, summary="One script with its current content")
async def get_script_detail(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    script_id = required_id(params, "id", "SCRIPT_NOT_FOUND")
    # bk_biz_id may be left out (the doc: for public scripts); a visible business script is still found.
    biz = bk_id(params, "bk_biz_id", "BUSINESS_NOT_FOUND", required=False)
    script = await fetch_script(script_id, principal, settings)
    if script is None or (biz is not None and script["bkBizId"] != biz):
        message = f"script {script_id} does not exist" + (f" in business {biz}" if biz is not None else "")
        if biz is None:
            raise NotFound(message, field="id", code="SCRIPT_NOT_FOUND")
        raise refuse_missing(principal, biz, message, "SCRIPT_NOT_FOUND")
    return script_row(script, with_content=True)
