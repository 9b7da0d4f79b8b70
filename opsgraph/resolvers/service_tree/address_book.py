"""The OpenC3 address book (`useraddr`) over the user directory: each user's mail and phone, as
the messaging channels resolve usernames. Superusers only (upstream: `openc3_connector_root`).

`POST` sets a user's mail and phone; `DELETE` clears them (the user stays). Rows are keyed by
the user's id.
"""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound
from opsgraph.models.identity import User
from opsgraph.resolvers.directory.users import update_profile

COLUMNS = ("id", "username", "email", "phone", "wx_userid")


async def address_book(principal: Principal) -> list[dict[str, Any]]:
    principal.require_superuser("reading the address book")
    return list(await User.filter(is_active=True).order_by("id").values(*COLUMNS))


async def set_address(principal: Principal, username: str, email: str, phone: str) -> dict[str, Any]:
    principal.require_superuser("changing the address book")
    await update_profile(principal, username, {"email": email, "phone": phone})
    return (await User.filter(username=username).values(*COLUMNS))[0]


async def clear_address(principal: Principal, user_id: int) -> None:
    principal.require_superuser("changing the address book")
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound(f"no address book entry {user_id}", field="id")
    await update_profile(principal, user.username, {"email": "", "phone": ""})
