"""The one place resolvers ask "may this caller do this?" (core/auth/privileges.py decides).

`authorize` loads the caller's effective privileges (two small queries, only for a non-superuser)
and hands the decision to `decide`. Resolvers keep calling `Principal.can`/`require` for plain
visibility; anything a user group or a role privilege can restrict goes through here.

Example:
    await authorize(principal, business_ids=[7], minimum_role="operator", function="hostupdate",
                    model="host", action="update")
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tortoise.expressions import Q

from opsgraph.core.auth.principal import Principal
from opsgraph.core.auth.privileges import DEFAULT_ROLE_FUNCTIONS, AccessRequest, Privileges, can_search, decide
from opsgraph.models.privileges import RolePrivilege, UserGroup


async def load_privileges(username: str) -> Privileges:
    """The union over the user's groups and the default group; no default group row yet = unrestricted."""
    groups = (
        await UserGroup.filter(Q(is_default=True) | Q(members__username=username))
        .distinct()
        .values("is_default", "unrestricted", "model_config", "sys_config")
    )
    has_default = any(group["is_default"] for group in groups)
    unrestricted = not has_default or any(group["unrestricted"] for group in groups)
    models: dict[str, set[str]] = {}
    system: set[str] = set()
    for group in groups:
        for per_model in (group["model_config"] or {}).values():
            for model, actions in per_model.items():
                models.setdefault(model, set()).update(actions)
        for functions in (group["sys_config"] or {}).values():
            system.update(functions)
    role_functions = dict(DEFAULT_ROLE_FUNCTIONS)
    for row in await RolePrivilege.all().values("role", "functions"):
        role_functions[str(row["role"])] = frozenset(row["functions"])
    return Privileges(
        unrestricted=unrestricted,
        model_actions={model: frozenset(actions) for model, actions in models.items()},
        system=frozenset(system),
        role_functions=role_functions,
    )


async def search_rule(principal: Principal) -> Callable[[str], bool]:
    """model → whether the caller may see its instances; privileges read once (none for a superuser)."""
    if principal.is_superuser:
        return lambda model: True
    privileges = await load_privileges(principal.username)
    return lambda model: can_search(principal, privileges, model)


async def authorize(
    principal: Principal,
    *,
    business_ids: Iterable[int] = (),
    minimum_role: str = "viewer",
    function: str | None = None,
    model: str | None = None,
    action: str | None = None,
    system: str | None = None,
) -> None:
    """Raise PermissionDenied unless every part is allowed (for each business given, or globally)."""
    if principal.is_superuser:
        return
    privileges = await load_privileges(principal.username)
    businesses: list[int | None] = [*dict.fromkeys(business_ids)] or [None]
    for business_id in businesses:
        decide(
            principal,
            privileges,
            AccessRequest(
                business_id=business_id,
                minimum_role=minimum_role,
                function=function,
                model=model,
                action=action,
                system=system,
            ),
        )
