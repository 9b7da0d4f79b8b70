"""`/approval`: OpenC3 approvals (approval steps of tasks, which are ITSM tickets).

The `/approval/control*` paths need no login (the mobile approval page): the uuid is the
credential, unguessable, expiring and spent once its approver decided (resolvers/service_tree/
approval_links.py). A logged-in approver lists their approvals with their uuids at `GET /approval`.
"""

from __future__ import annotations

import re
from typing import Any

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Request
from opsgraph.compat_rest.openc3.auth import ANONYMOUS
from opsgraph.compat_rest.openc3.checks import choice, text
from opsgraph.compat_rest.openc3.common import c3_time
from opsgraph.core.errors import NotFound
from opsgraph.core.settings import Settings

UUID = re.compile(r"^[a-zA-Z0-9]+$")
# The no-login paths act by the uuid alone, whoever's cookie the browser happens to carry.
NO_LOGIN = C3Caller(principal=ANONYMOUS, authenticated=False)


def approval_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["stepId"],
        "taskuuid": row["taskUuid"],
        "uuid": row["uuid"],
        "name": row["name"],
        "cont": row["cont"],
        "user": row["user"],
        "opinion": row["opinion"],
        "remarks": row["remarks"],
        "submitter": row["submitter"],
        "status": row["status"],
        "create_time": c3_time(row["createTime"]),
        "finishtime": c3_time(row["finishTime"]),
    }


async def _by_uuid(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    variables = {"uuid": text(request, "uuid", required=True, pattern=UUID, max_length=1024)}
    data = await run_operation(
        load_operation(__name__, "tree_approvals_by_uuid.graphql"), variables, caller.principal, settings
    )
    return [approval_row(row) for row in data["treeApprovalsByUuid"]]


async def _decide(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    spec = {
        "uuid": text(request, "uuid", required=True, pattern=UUID, max_length=1024),
        "opinion": choice(request, "opinion", ("agree", "refuse"), required=True),
        "remark": text(request, "remarks") or text(request, "remark"),
    }
    payload = (
        await run_operation(
            load_operation(__name__, "decide_tree_approval.graphql"), {"input": spec}, caller.principal, settings
        )
    )["decideTreeApproval"]
    raise_user_errors(payload)
    return 1


@C3_ROUTES.route("job", "GET", "/approval")
async def my_approvals(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The caller's newest 100 approvals, with their uuids."""
    data = await run_operation(load_operation(__name__, "tree_approvals.graphql"), {}, caller.principal, settings)
    return [approval_row(row) for row in data["treeApprovals"]]


@C3_ROUTES.route("job", "POST", "/approval")
async def decide(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Agree or refuse (`uuid`, `opinion`) as the logged-in approver."""
    return await _decide(request, caller, settings)


@C3_ROUTES.route("job", "GET", "/approval/:uuid")
async def approval(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """One approval by its uuid."""
    rows = await _by_uuid(request, caller, settings)
    if not rows:
        raise NotFound("no such approval", field="uuid")
    return rows[0]


@C3_ROUTES.route("job", "GET", "/approval/control/:uuid", public=True)
async def approvers(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """Without login: every approver of this step and their opinions (only this uuid's row has one)."""
    return await _by_uuid(request, NO_LOGIN, settings)


@C3_ROUTES.route("job", "GET", "/approval/control/status/:uuid", public=True)
async def status(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """Without login: this uuid's approval."""
    return (await _by_uuid(request, NO_LOGIN, settings))[0]


@C3_ROUTES.route("job", "POST", "/approval/control", public=True)
async def decide_without_login(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Without login: agree or refuse by uuid."""
    return await _decide(request, NO_LOGIN, settings)
