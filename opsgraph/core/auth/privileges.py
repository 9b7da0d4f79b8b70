"""The authorization decision: business roles and user-group privileges, decided in one place.

A request is allowed when every part it names is allowed:
- `business_id` + `minimum_role`: the caller's role on that business ranks at least that high
  (Principal.can: the per-business roles every resolver already checks);
- `function`: a business function (bk "role privilege": hostupdate, hosttrans, topoupdate,
  customapi, proconfig) that the caller's role on that business has been given;
- `model` + `action`: the caller's user groups grant that action (search/create/update/delete) on
  that model (bk `model_config`);
- `system`: the caller's user groups grant that system function (bk `sys_config`: resource, event,
  model, audit).
Superusers are allowed everything. The refusal says which part is missing but never names a
business the caller has no role on.

Reads are decided here too (`can_search`): groups that grant no `search` on a model hide its
instances, answered as if there were none, since a refusal would tell that they exist.

Example:
    decide(principal, privileges, AccessRequest(business_id=7, minimum_role="operator",
                                                function="hostupdate", model="host", action="update"))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import PermissionDenied

MODEL_ACTIONS = ("search", "create", "update", "delete")
# sys_config keys and the functions under each (bk-cmdb v3.2 metadata/privilege.go).
SYSTEM_FUNCTIONS: Mapping[str, tuple[str, ...]] = {
    "global_busi": ("resource",),
    "back_config": ("event", "model", "audit"),
}
ROLE_FUNCTIONS = ("hostupdate", "hosttrans", "topoupdate", "customapi", "proconfig")
# What each role may do until an operator binds its privileges: exactly the rank rules the
# resolvers had before role privileges existed (topology writes are the maintainers').
DEFAULT_ROLE_FUNCTIONS: Mapping[str, frozenset[str]] = {
    "maintainer": frozenset(ROLE_FUNCTIONS),
    "operator": frozenset({"hostupdate", "hosttrans", "customapi", "proconfig"}),
    "viewer": frozenset(),
}


@dataclass(frozen=True)
class Privileges:
    """A user's effective privileges: the union over its groups (the default group included)."""

    unrestricted: bool = True
    model_actions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    system: frozenset[str] = frozenset()
    role_functions: Mapping[str, frozenset[str]] = field(default_factory=lambda: dict(DEFAULT_ROLE_FUNCTIONS))

    def allows_model(self, model: str, action: str) -> bool:
        return self.unrestricted or action in self.model_actions.get(model, frozenset())

    def allows_system(self, function: str) -> bool:
        return self.unrestricted or function in self.system

    def role_allows(self, role: str, function: str) -> bool:
        return function in self.role_functions.get(role, DEFAULT_ROLE_FUNCTIONS.get(role, frozenset()))


@dataclass(frozen=True)
class AccessRequest:
    business_id: int | None = None
    minimum_role: str = "viewer"
    function: str | None = None
    model: str | None = None
    action: str | None = None
    system: str | None = None


def can_search(principal: Principal, privileges: Privileges, model: str) -> bool:
    """Whether instances of `model` show to the caller at all (bk `model_config` "search")."""
    return principal.is_superuser or privileges.allows_model(model, "search")


def decide(principal: Principal, privileges: Privileges, request: AccessRequest) -> None:
    """Raise PermissionDenied unless `principal` may do what `request` describes."""
    if principal.is_superuser:
        return
    who = f"user {principal.username!r}"
    if request.business_id is not None:
        principal.require(request.business_id, request.minimum_role)
        if request.function is not None:
            role = principal.roles.get(request.business_id, "")
            if not privileges.role_allows(role, request.function):
                raise PermissionDenied(
                    f"{who}: the {role} role of business {request.business_id} lacks the {request.function} privilege"
                )
    if (
        request.model is not None
        and request.action is not None
        and not privileges.allows_model(request.model, request.action)
    ):
        raise PermissionDenied(f"{who}: no user group grants {request.action} on model {request.model!r}")
    if request.system is not None and not privileges.allows_system(request.system):
        raise PermissionDenied(f"{who}: no user group grants the {request.system!r} system privilege")
