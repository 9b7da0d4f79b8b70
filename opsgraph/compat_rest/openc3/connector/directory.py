"""`/useraddr` (the address book: users' mail and phone, superusers only), `/config` (the
connector's settings, superusers only), `/release` and `/version/*` (open, as upstream)."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from starlette.responses import PlainTextResponse, Response

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Reply, C3Request
from opsgraph.compat_rest.openc3.checks import fail, required_int, text
from opsgraph.compat_rest.openc3.common import releasable_text
from opsgraph.core.errors import NotFound
from opsgraph.core.settings import Settings

COMMON = "opsgraph.compat_rest.openc3"
PERSON = re.compile(r"^[a-zA-Z0-9@_\.\-]+$")
PHONE = re.compile(r"^[+0-9a-zA-Z_\-\.@]{0,32}$")


def _version() -> str:
    try:
        return version("opsgraph")
    except PackageNotFoundError:
        return "unknown"


@C3_ROUTES.route("connector", "GET", "/useraddr")
async def address_book(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """Every user's mail and phone."""
    data = await run_operation(load_operation(__name__, "address_book.graphql"), {}, caller.principal, settings)
    return [{**row, "voicemail": row["phone"]} for row in data["addressBook"]]


@C3_ROUTES.route("connector", "GET", "/useraddr/:id")
async def address(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """One user's entry (upstream's code serves it; the doc does not list it)."""
    wanted = required_int(request, "id")
    found = next((row for row in await address_book(request, caller, settings) if row["id"] == wanted), None)
    if found is None:
        raise NotFound(f"no address book entry {wanted}", field="id")
    return found


@C3_ROUTES.route("connector", "POST", "/useraddr")
async def set_address(request: C3Request, caller: C3Caller, settings: Settings) -> C3Reply:
    """Set `user`'s `email` and `phone`."""
    variables = {
        "user": text(request, "user", required=True, pattern=PERSON, max_length=128),
        "email": text(request, "email", max_length=254),
        "phone": text(request, "phone", pattern=PHONE, max_length=32),
    }
    payload = (
        await run_operation(load_operation(__name__, "set_address.graphql"), variables, caller.principal, settings)
    )["setAddressBookEntry"]
    raise_user_errors(payload)
    return C3Reply(info="ok", data=payload["id"])


@C3_ROUTES.route("connector", "DELETE", "/useraddr/:id")
async def clear_address(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Clear one user's mail and phone."""
    payload = (
        await run_operation(
            load_operation(__name__, "clear_address.graphql"),
            {"id": required_int(request, "id")},
            caller.principal,
            settings,
        )
    )["clearAddressBookEntry"]
    raise_user_errors(payload)
    return 1


@C3_ROUTES.route("connector", "GET", "/config")
async def config(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """The connector's settings (superusers)."""
    data = await run_operation(
        load_operation(COMMON, "settings.graphql"), {"scope": "connector"}, caller.principal, settings
    )
    return dict(data["platformSettings"]["values"])


@C3_ROUTES.route("connector", "GET", "/config/list")
async def config_list(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The same settings as name/value rows."""
    return [{"name": key, "value": value} for key, value in (await config(request, caller, settings)).items()]


@C3_ROUTES.route("connector", "POST", "/config")
async def set_config(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Change connector settings: a JSON object of name → value (superusers)."""
    values = request.body_params()
    if not values:
        raise fail("body", "send the settings to change as a JSON object")
    payload = (
        await run_operation(
            load_operation(COMMON, "set_settings.graphql"),
            {"scope": "connector", "values": values},
            caller.principal,
            settings,
        )
    )["setPlatformSettings"]
    raise_user_errors(payload)
    return 1


@C3_ROUTES.route("connector", "GET", "/release", public=True, answers="text")
async def release(request: C3Request, caller: C3Caller, settings: Settings) -> Response:
    """`true` when nothing of the nodes in `id` still runs on a schedule (plain text, as upstream)."""
    ids = text(request, "id", required=True, pattern=re.compile(r"^\d[\d,]*$"), max_length=8192)
    return PlainTextResponse(await releasable_text(ids, settings))


@C3_ROUTES.route("connector", "GET", "/version/log", public=True)
async def version_log(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, str]]:
    """Version history: this release."""
    return [{"time": "", "mesg": f"OpsGraph {_version()}"}]


@C3_ROUTES.route("connector", "GET", "/version/name", public=True)
async def version_name(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, str]:
    """The running version."""
    return {"name": _version(), "uuid": "unknown", "time": "unknown"}
