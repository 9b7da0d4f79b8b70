"""`/scripts/:treeid`: the scripts of the node's business (OpenC3 types shell, perl, python, auto;
`auto` reads the shebang). Content edits become new script versions; the newest one runs."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Request
from opsgraph.compat_rest.openc3.checks import DIGITS, choice, date_param, text, tree_id
from opsgraph.compat_rest.openc3.common import c3_time, tree_business
from opsgraph.core.errors import NotFound
from opsgraph.core.ids import encode_global_id
from opsgraph.core.settings import Settings
from opsgraph.resolvers.service_tree.jobs import script_language

TYPES = ("shell", "perl", "python", "php", "buildin", "auto")
LANGUAGE_NAMES = {"SHELL": "shell", "BAT": "bat", "PERL": "perl", "PYTHON": "python", "POWERSHELL": "powershell"}


def script_row(script: dict[str, Any], *, with_content: bool) -> dict[str, Any]:
    version = script["currentVersion"]
    row = {
        "id": script["bkScriptId"],
        "name": script["name"],
        "type": LANGUAGE_NAMES.get(script["language"], "shell"),
        "create_user": script["createdBy"],
        "create_time": c3_time(script["createdAt"]),
        "edit_user": version["createdBy"],
        "edit_time": c3_time(version["createdAt"]),
    }
    if with_content:
        row["cont"] = version["content"]
    return row


async def _all_scripts(bk_biz_id: int, caller: C3Caller, settings: Settings, name: str | None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after = None
    while True:
        variables = {"bkBizId": bk_biz_id, "first": 500, "after": after, "nameContains": name}
        data = await run_operation(
            load_operation(__name__, "tree_scripts.graphql"), variables, caller.principal, settings
        )
        page = (data["business"] or {}).get("scripts") or {"nodes": [], "pageInfo": {"hasNextPage": False}}
        found.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def _between(value: str | None, start: Any, end: Any) -> bool:
    if value is None:
        return start is None and end is None
    moment = datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    if start is not None and moment < datetime.combine(start, time.min, tzinfo=UTC):
        return False
    return not (end is not None and moment > datetime.combine(end, time.max, tzinfo=UTC))


@C3_ROUTES.route("job", "GET", "/scripts/:treeid")
async def list_scripts(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The node's scripts, with upstream's filters."""
    node = await tree_business(tree_id(request), caller.principal, settings)
    scripts = await _all_scripts(node["bkBizId"], caller, settings, text(request, "name") or None)
    rows = [script_row(s, with_content=False) for s in scripts]
    for key in ("create_user", "edit_user"):
        if wanted := text(request, key):
            rows = [row for row in rows if row[key] == wanted]
    for column in ("create_time", "edit_time"):
        start, end = date_param(request, f"{column}_start"), date_param(request, f"{column}_end")
        if start or end:
            rows = [row for row in rows if _between(row[column], start, end)]
    return sorted(rows, key=lambda row: -row["id"])


async def _script(request: C3Request, caller: C3Caller, settings: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
    node = await tree_business(tree_id(request), caller.principal, settings)
    script_id = text(request, "scriptsid", required=True, pattern=DIGITS)
    variables = {"id": encode_global_id("Script", int(script_id))}
    script = (await run_operation(load_operation(__name__, "script.graphql"), variables, caller.principal, settings))[
        "script"
    ]
    if script is None or script["bkBizId"] != node["bkBizId"]:
        raise NotFound(f"scripts id {script_id} nofind in tree node {node['treeId']}", field="scriptsid")
    return node, script


@C3_ROUTES.route("job", "GET", "/scripts/:treeid/:scriptsid")
async def get_script(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """One script with its content."""
    _, script = await _script(request, caller, settings)
    return script_row(script, with_content=True)


def _language(request: C3Request) -> tuple[str, str]:
    kind = choice(request, "type", TYPES, required=True)
    content = text(request, "cont", required=True, max_length=1 << 20)
    return script_language(kind, content, "script").name, content


@C3_ROUTES.route("job", "POST", "/scripts/:treeid")
async def create_script(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """A script from `name`, `type` and `cont`."""
    node = await tree_business(tree_id(request), caller.principal, settings)
    name = text(request, "name", required=True, max_length=256)
    language, content = _language(request)
    spec = {"businessId": node["businessId"], "name": name, "content": content, "language": language}
    payload = (
        await run_operation(
            load_operation(__name__, "create_script.graphql"), {"input": spec}, caller.principal, settings
        )
    )["createScript"]
    raise_user_errors(payload)
    return int(payload["script"]["bkScriptId"])


@C3_ROUTES.route("job", "POST", "/scripts/:treeid/:scriptsid")
async def update_script(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Rename / retype a script; new content becomes its newest version."""
    _, script = await _script(request, caller, settings)
    name = text(request, "name", required=True, max_length=256)
    language, content = _language(request)
    script_id = encode_global_id("Script", script["bkScriptId"])
    variables = {
        "input": {"scriptId": script_id, "name": name, "language": language},
        "version": {"scriptId": script_id, "content": content},
        "withVersion": content != script["currentVersion"]["content"],
    }
    data = await run_operation(load_operation(__name__, "update_script.graphql"), variables, caller.principal, settings)
    raise_user_errors(data["updateScript"])
    raise_user_errors(data.get("addScriptVersion"))
    return 1


@C3_ROUTES.route("job", "DELETE", "/scripts/:treeid/:scriptsid")
async def delete_script(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Refused while a job step runs the script."""
    _, script = await _script(request, caller, settings)
    spec = {"scriptId": encode_global_id("Script", script["bkScriptId"])}
    payload = (
        await run_operation(
            load_operation(__name__, "delete_script.graphql"), {"input": spec}, caller.principal, settings
        )
    )["deleteScript"]
    raise_user_errors(payload)
    return 1
