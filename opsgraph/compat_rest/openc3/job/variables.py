"""`/variable/:treeid`: a job's stored variables (name, value, describe).

The doc prints the read path as `/varuable/:treeid/:jobuuid` (a typo); upstream's code serves
`/variable/:treeid/:jobuuid`. Both answer here.
"""

from __future__ import annotations

import re
from typing import Any

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Request
from opsgraph.compat_rest.openc3.checks import ALNUM, DIGITS, fail, text, tree_id
from opsgraph.compat_rest.openc3.common import c3_time
from opsgraph.core.errors import NotFound
from opsgraph.core.settings import Settings

EXCLUDE = re.compile(r"^[a-zA-Z0-9,_]+$")


@C3_ROUTES.route("job", "GET", "/varuable/:treeid/:jobuuid", corrected=("/variable/:treeid/:jobuuid",))
async def list_variables(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The job's variables, by description; `empty` keeps unset ones, `exclude` drops names."""
    tree = tree_id(request)
    uuid = text(request, "jobuuid", required=True, pattern=ALNUM)
    only_empty = text(request, "empty", pattern=DIGITS) not in ("", "0")
    excluded = set(text(request, "exclude", pattern=EXCLUDE).split(",")) - {""}
    variables = {"treeId": tree, "uuid": uuid}
    job = (
        await run_operation(
            load_operation(__name__, "tree_job_variables.graphql"), variables, caller.principal, settings
        )
    )["treeJob"]
    if job is None:
        raise NotFound(f"tree node {tree} has no job {uuid}", field="jobuuid")
    rows = [
        {
            "name": v["name"],
            "value": v["value"],
            "describe": v["describe"],
            "option": "",
            "create_user": job["createdBy"],
            "create_time": c3_time(job["createdAt"]),
        }
        for v in job["variables"]
        if v["name"] not in excluded and (not only_empty or v["value"] == "")
    ]
    return sorted(rows, key=lambda row: row["describe"])


async def _mutate(caller: C3Caller, settings: Settings, document: str, field: str, spec: dict[str, Any]) -> int:
    payload = (await run_operation(load_operation(__name__, document), {"input": spec}, caller.principal, settings))[
        field
    ]
    raise_user_errors(payload)
    return 1


@C3_ROUTES.route("job", "POST", "/variable/:treeid")
async def set_variable(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Add or replace one variable (`jobuuid`, `name`, `value`, `describe`)."""
    spec = {
        "treeId": tree_id(request),
        "jobUuid": text(request, "jobuuid", required=True, pattern=ALNUM),
        "variable": {
            "name": text(request, "name", required=True, max_length=64),
            "value": text(request, "value", max_length=64 * 1024),
            "describe": text(request, "describe", max_length=1024),
        },
    }
    return await _mutate(caller, settings, "set_tree_job_variable.graphql", "setTreeJobVariable", spec)


@C3_ROUTES.route("job", "POST", "/variable/:treeid/update")
async def replace_variables(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """The job's variables become exactly `data` ([{name, value, describe}])."""
    data = request.get("data")
    if not isinstance(data, list):
        raise fail("data", "must be a list of {name, value, describe}")
    items = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise fail(f"data[{index}]", "must be an object")
        entry = {key: item.get(key, "") for key in ("name", "value", "describe")}
        for key, value in entry.items():
            if value is None:
                entry[key] = ""
            elif isinstance(value, dict | list | bool):
                raise fail(f"data[{index}].{key}", "must be text")
            else:
                entry[key] = str(value)
        items.append(entry)
    spec = {
        "treeId": tree_id(request),
        "jobUuid": text(request, "jobuuid", required=True, pattern=ALNUM),
        "variables": items,
    }
    return await _mutate(caller, settings, "replace_tree_job_variables.graphql", "replaceTreeJobVariables", spec)


@C3_ROUTES.route("job", "DELETE", "/variable/:treeid")
async def delete_variable(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Remove one variable (`jobuuid`, `name`, in the query string or the body)."""
    spec = {
        "treeId": tree_id(request),
        "jobUuid": text(request, "jobuuid", required=True, pattern=ALNUM),
        "name": text(request, "name", required=True, max_length=64),
    }
    return await _mutate(caller, settings, "delete_tree_job_variable.graphql", "deleteTreeJobVariable", spec)
