"""Who may read and change the CMDB model layer and its instances. Role and user-group decisions are
made by the one authorization point (resolvers/privileges/enforce.py `authorize`); this module says
what each CMDB action asks of it.

- The model layer (classifications, models, attributes, unique rules, association kinds, model
  associations, the model-topology graph) is global: every authenticated caller reads it, only a
  superuser changes it (bk-cmdb's "model" back-office privilege).
- An instance belongs to a business or to none. A business's instances are read with a role on it
  and changed with `operator`; global instances (core switches, racks) are read by everyone and
  changed by superusers.
- Instance writes also need the user groups' privilege for that action on that model
  (bk `model_config`: create / update / delete), as every other model's writes do.
- Instances of a model the caller's groups grant no `search` on are not shown: searches, lists,
  links and edges leave them out (instance_search_rule). Businesses, sets, modules, hosts and
  cloud areas keep the topology's own visibility, the caller's role on their business.
- An instance the caller may not read is reported exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, PermissionDenied
from opsgraph.resolvers.cmdb.preset_data import TABLE_BACKED_OBJECTS
from opsgraph.resolvers.privileges.enforce import authorize, search_rule

READ_ROLE = "viewer"
WRITE_ROLE = "operator"


def require_model_admin(principal: Principal, action: str) -> None:
    principal.require_superuser(action)


def can_read_instance(principal: Principal, business_id: int | None) -> bool:
    return business_id is None or principal.can(business_id, READ_ROLE)


async def instance_search_rule(principal: Principal) -> Callable[[str], bool]:
    """obj_id → whether the caller may see that model's instances (the `search` privilege)."""
    rule = await search_rule(principal)
    return lambda obj_id: obj_id in TABLE_BACKED_OBJECTS or rule(obj_id)


def can_write_instance(principal: Principal, business_id: int | None) -> bool:
    if business_id is None:
        return principal.is_superuser
    return principal.can(business_id, WRITE_ROLE)


async def require_instance_write(
    principal: Principal, business_id: int | None, what: str, *, model: str, action: str
) -> None:
    """Refuse a write the caller may not make; one it may not even see reads as "not found"."""
    if not can_read_instance(principal, business_id):
        raise NotFound(f"{what} does not exist")
    if not can_write_instance(principal, business_id):
        if business_id is None:
            raise PermissionDenied(f"changing {what} (not in any business) needs a superuser")
        raise PermissionDenied(f"user {principal.username!r} needs the {WRITE_ROLE} role on business {business_id}")
    await _authorize_model(principal, business_id, model, action)


async def require_business_write(principal: Principal, business_id: int | None, *, model: str) -> None:
    """For creating an instance of `model` in `business_id` (None: a global instance)."""
    if business_id is None:
        if not principal.is_superuser:
            raise PermissionDenied("creating an instance outside any business needs a superuser")
        return
    await _authorize_model(principal, business_id, model, "create")


async def _authorize_model(principal: Principal, business_id: int | None, model: str, action: str) -> None:
    await authorize(
        principal,
        business_ids=[business_id] if business_id is not None else [],
        minimum_role=WRITE_ROLE,
        model=model,
        action=action,
    )


def visible_business_ids(principal: Principal) -> list[int] | None:
    """None: every business. Global instances are visible whatever this says."""
    return principal.visible_business_ids()
