"""OpenC3 private tree nodes: one per user, listed and made by superusers (upstream's
`openc3_connector_root`), shown to their user under the "private" root of `usertree`.

They hold no jobs, tasks or hosts here (those live on business, set and module nodes).
"""

from __future__ import annotations

import re
from typing import Any

from tortoise.exceptions import IntegrityError

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Duplicate, ValidationFailed
from opsgraph.models.service_tree import PrivateNode
from opsgraph.resolvers.audit import record_operation

PRIVATE_BASE = 4_000_000_000  # upstream's private tree ids start here; the root itself is this id
_USER = re.compile(r"^[a-zA-Z0-9\.@_\-]{1,254}$")
COLUMNS = ("id", "user", "edited_by", "updated_at")


def _key(user: str) -> str:
    return user.replace(".", "_")  # as upstream stores it


async def list_private_nodes(principal: Principal) -> list[dict[str, Any]]:
    principal.require_superuser("listing private nodes")
    return list(await PrivateNode.all().order_by("-id").values(*COLUMNS))


async def my_private_nodes(principal: Principal) -> list[dict[str, Any]]:
    return list(await PrivateNode.filter(user=_key(principal.username)).values(*COLUMNS))


async def create_private_node(principal: Principal, user: Any) -> PrivateNode:
    principal.require_superuser("adding private nodes")
    if not isinstance(user, str) or not _USER.match(user):
        raise ValidationFailed("check format fail user: a user name or mail address", field="user")
    try:
        node = await PrivateNode.create(user=_key(user), edited_by=principal.username)
    except IntegrityError as exc:
        raise Duplicate(f"{user} already has a private node", field="user") from exc
    await record_operation(
        principal, op_type="create", op_target="private_node", op_desc=f"add private node of {user}", inst_id=node.id
    )
    return node
