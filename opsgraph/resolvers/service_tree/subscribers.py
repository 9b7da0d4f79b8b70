"""OpenC3 notification subscribers of a tree node (`/notify/:treeid`): who hears about its tasks.

Entries are usernames or mail addresses, as the messaging channels take them. Reading needs level
0, adding level 2 (write), removing level 2 (delete).
"""

from __future__ import annotations

import re
from typing import Any

from tortoise.exceptions import IntegrityError

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Duplicate, NotFound, ValidationFailed
from opsgraph.models.service_tree import TreeNotifySubscriber
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.service_tree.access import READ, WRITE, node_for

_USER = re.compile(r"^[a-zA-Z0-9\.@_\-]{1,254}$")
COLUMNS = ("id", "tree_id", "user", "created_by", "created_at")


async def list_subscribers(principal: Principal, tree_id: int) -> list[dict[str, Any]]:
    node = await node_for(principal, tree_id, READ)
    return list(await TreeNotifySubscriber.filter(tree_id=node.tree_id).order_by("id").values(*COLUMNS))


async def add_subscriber(principal: Principal, tree_id: int, user: Any) -> TreeNotifySubscriber:
    node = await node_for(principal, tree_id, WRITE)
    if not isinstance(user, str) or not _USER.match(user):
        raise ValidationFailed("check format fail user: a user name or mail address", field="user")
    try:
        row = await TreeNotifySubscriber.create(
            business_id=node.business_id, tree_id=node.tree_id, user=user, created_by=principal.username
        )
    except IntegrityError as exc:
        raise Duplicate(f"{user} is already notified for tree node {tree_id}", field="user") from exc
    await record_operation(
        principal,
        op_type="create",
        op_target="tree_notify",
        op_desc=f"notify {user} about tree node {node.tree_id}",
        business_id=node.business_id,
        inst_id=row.id,
    )
    return row


async def remove_subscriber(principal: Principal, tree_id: int, subscriber_id: int) -> None:
    node = await node_for(principal, tree_id, WRITE)
    row = await TreeNotifySubscriber.get_or_none(id=subscriber_id, tree_id=node.tree_id)
    if row is None:
        raise NotFound(f"tree node {tree_id} has no subscriber {subscriber_id}", field="id")
    await row.delete()
    await record_operation(
        principal,
        op_type="delete",
        op_target="tree_notify",
        op_desc=f"stop notifying {row.user} about tree node {node.tree_id}",
        business_id=node.business_id,
        inst_id=subscriber_id,
    )
