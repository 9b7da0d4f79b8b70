"""User groups (members, model and system privileges) and role privileges: managed by superusers.

Every user is in the default group as well as in the groups that list it; its effective
privileges are the union (enforce.load_privileges). The default group starts unrestricted and is
created on first use; setting its privileges makes it a floor like any other group.
"""

from __future__ import annotations

import re
from typing import Any

from tortoise.expressions import Q

from opsgraph.core.auth.principal import Principal
from opsgraph.core.auth.privileges import MODEL_ACTIONS, ROLE_FUNCTIONS, SYSTEM_FUNCTIONS
from opsgraph.core.errors import Conflict, Duplicate, NotFound, PermissionDenied, ValidationFailed
from opsgraph.core.xid import new_xid
from opsgraph.models.identity import RoleName
from opsgraph.models.privileges import RolePrivilege, UserGroup, UserGroupMember
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.privileges.enforce import load_privileges
from opsgraph.resolvers.topology.common import write_transaction

DEFAULT_GROUP_ID = "default"
DEFAULT_GROUP_NAME = "default"
MAX_MEMBERS = 1000
_NAME = re.compile(r"^[^\s;]{1,128}$")
_MODEL_ID = re.compile(r"^[A-Za-z]\w{0,127}$")
# Where the preset models sit, for answering the unrestricted default group's model_config.
PRESET_MODEL_CLASSES = {
    "bk_host_manage": ("host", "process", "plat"),
    "bk_biz_topo": ("set", "module"),
    "bk_organization": ("biz",),
}


def _require_superuser(principal: Principal, action: str) -> None:
    if not principal.is_superuser:
        raise PermissionDenied(f"{action} needs a superuser")


def clean_members(names: list[str], field: str = "members") -> list[str]:
    cleaned = list(dict.fromkeys(name.strip() for name in names if name and name.strip()))
    if len(cleaned) > MAX_MEMBERS:
        raise ValidationFailed(f"a group has at most {MAX_MEMBERS} members", field=field)
    for name in cleaned:
        if not _NAME.match(name):
            raise ValidationFailed(f"invalid user name {name!r}", field=field)
    return cleaned


def check_model_config(value: Any, field: str = "modelConfig") -> dict[str, dict[str, list[str]]]:
    """{classification: {model: [actions]}}; actions are search, create, update, delete."""
    if not isinstance(value, dict):
        raise ValidationFailed("model_config must be an object {classification: {model: [actions]}}", field=field)
    checked: dict[str, dict[str, list[str]]] = {}
    for classification, models in value.items():
        if not isinstance(classification, str) or not _MODEL_ID.match(classification):
            raise ValidationFailed(f"invalid classification id {classification!r}", field=field)
        if not isinstance(models, dict):
            raise ValidationFailed(f"model_config.{classification} must be an object {{model: [actions]}}", field=field)
        for model, actions in models.items():
            where = f"model_config.{classification}.{model}"
            if not isinstance(model, str) or not _MODEL_ID.match(model):
                raise ValidationFailed(f"invalid model id {model!r}", field=field)
            if not isinstance(actions, list) or any(a not in MODEL_ACTIONS for a in actions):
                raise ValidationFailed(f"{where} must be a list of {', '.join(MODEL_ACTIONS)}", field=field)
            checked.setdefault(classification, {})[model] = sorted(set(actions), key=MODEL_ACTIONS.index)
    return checked


def check_sys_config(value: Any, field: str = "sysConfig") -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise ValidationFailed("sys_config must be an object {global_busi: [...], back_config: [...]}", field=field)
    checked: dict[str, list[str]] = {}
    for key, functions in value.items():
        allowed = SYSTEM_FUNCTIONS.get(key)
        if allowed is None:
            raise ValidationFailed(f"sys_config.{key} is not one of {', '.join(SYSTEM_FUNCTIONS)}", field=field)
        if not isinstance(functions, list) or any(f not in allowed for f in functions):
            raise ValidationFailed(f"sys_config.{key} must be a list of {', '.join(allowed)}", field=field)
        checked[key] = sorted(set(functions), key=allowed.index)
    return checked


async def default_group() -> UserGroup:
    group, _ = await UserGroup.get_or_create(
        group_id=DEFAULT_GROUP_ID, defaults={"name": DEFAULT_GROUP_NAME, "is_default": True, "unrestricted": True}
    )
    return group


async def get_group(principal: Principal, group_id: str) -> UserGroup:
    _require_superuser(principal, "reading user groups")
    if group_id == DEFAULT_GROUP_ID:
        return await default_group()
    group = await UserGroup.get_or_none(group_id=group_id)
    if group is None:
        raise NotFound(f"user group {group_id!r} does not exist", field="groupId")
    return group


async def _check_name(name: str, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name or len(name) > 128:
        raise ValidationFailed("a group name of 1–128 characters is required", field="name")
    query = UserGroup.filter(name=name)
    if exclude is not None:
        query = query.exclude(id=exclude)
    if await query.exists():
        raise Duplicate(f"user group name {name!r} is already used", field="name")
    return name


async def create_group(principal: Principal, name: str, members: list[str]) -> UserGroup:
    _require_superuser(principal, "creating a user group")
    await default_group()
    name = await _check_name(name)
    names = clean_members(members)
    async with write_transaction(f"user group name {name!r} is already used"):
        group = await UserGroup.create(group_id=new_xid(), name=name)
        await UserGroupMember.bulk_create([UserGroupMember(group_id=group.id, username=n) for n in names])
        await record_operation(
            principal,
            op_type="create",
            op_target="user_group",
            op_desc=f"create user group {name}",
            inst_id=group.id,
            ext_key=group.group_id,
            cur_data={"group_name": name, "user_list": names},
        )
    return group


async def update_group(principal: Principal, group_id: str, name: str | None, members: list[str] | None) -> UserGroup:
    group = await get_group(principal, group_id)
    if name is not None and group.is_default and name.strip() != group.name:
        raise Conflict("the default group cannot be renamed", field="name", code="BUILTIN_OBJECT")
    if members is not None and group.is_default:
        raise Conflict("every user is in the default group; it has no member list", code="BUILTIN_OBJECT")
    before = await describe_group(group)
    async with write_transaction("user group name is already used"):
        if name is not None:
            group.name = await _check_name(name, exclude=group.id)
            await group.save(update_fields=["name", "updated_at"])
        if members is not None:
            names = clean_members(members)
            await UserGroupMember.filter(group_id=group.id).delete()
            await UserGroupMember.bulk_create([UserGroupMember(group_id=group.id, username=n) for n in names])
        await record_operation(
            principal,
            op_type="update",
            op_target="user_group",
            op_desc=f"update user group {group.name}",
            inst_id=group.id,
            ext_key=group.group_id,
            pre_data=before,
            cur_data=await describe_group(group),
        )
    return group


async def delete_group(principal: Principal, group_id: str) -> None:
    group = await get_group(principal, group_id)
    if group.is_default:
        raise Conflict("the default group cannot be deleted", code="BUILTIN_OBJECT")
    before = await describe_group(group)
    async with write_transaction():
        await group.delete()
        await record_operation(
            principal,
            op_type="delete",
            op_target="user_group",
            op_desc=f"delete user group {group.name}",
            inst_id=group.id,
            ext_key=group.group_id,
            pre_data=before,
        )


async def search_groups(principal: Principal, name: str | None, members: list[str] | None) -> list[dict[str, Any]]:
    """Every group (default first), or those named `name` / having all of `members`."""
    _require_superuser(principal, "reading user groups")
    await default_group()
    query = UserGroup.all()
    if name:
        query = query.filter(name=name.strip())
    for member in clean_members(members or [], "userList"):
        query = query.filter(Q(members__username=member) | Q(is_default=True))
    groups = await query.distinct().order_by("-is_default", "id")
    return [await describe_group(group) for group in groups]


async def describe_group(group: UserGroup) -> dict[str, Any]:
    members = await UserGroupMember.filter(group_id=group.id).order_by("username").values_list("username", flat=True)
    return {
        "id": group.id,
        "group_id": group.group_id,
        "group_name": group.name,
        "user_list": list(members),
        "is_default": group.is_default,
        "unrestricted": group.unrestricted,
        "model_config": _full_model_config() if group.unrestricted else group.model_config,
        "sys_config": _full_sys_config() if group.unrestricted else group.sys_config,
    }


def _full_model_config() -> dict[str, dict[str, list[str]]]:
    return {cls: {model: list(MODEL_ACTIONS) for model in models} for cls, models in PRESET_MODEL_CLASSES.items()}


def _full_sys_config() -> dict[str, list[str]]:
    return {key: list(functions) for key, functions in SYSTEM_FUNCTIONS.items()}


async def set_group_privileges(principal: Principal, group_id: str, model_config: Any, sys_config: Any) -> UserGroup:
    """Replaces the group's privileges; for the default group this ends its unrestricted start."""
    group = await get_group(principal, group_id)
    models = check_model_config(model_config)
    system = check_sys_config(sys_config or {})
    before = await describe_group(group)
    async with write_transaction():
        group.model_config, group.sys_config, group.unrestricted = models, system, False
        await group.save(update_fields=["model_config", "sys_config", "unrestricted", "updated_at"])
        await record_operation(
            principal,
            op_type="update",
            op_target="group_privilege",
            op_desc=f"set privileges of user group {group.name}",
            inst_id=group.id,
            ext_key=group.group_id,
            pre_data={"model_config": before["model_config"], "sys_config": before["sys_config"]},
            cur_data={"model_config": models, "sys_config": system},
        )
    return group


async def restore_unrestricted(principal: Principal) -> UserGroup:
    """The default group back to its unrestricted start."""
    group = await get_group(principal, DEFAULT_GROUP_ID)
    async with write_transaction():
        group.model_config, group.sys_config, group.unrestricted = {}, {}, True
        await group.save(update_fields=["model_config", "sys_config", "unrestricted", "updated_at"])
        await record_operation(
            principal,
            op_type="update",
            op_target="group_privilege",
            op_desc="make the default user group unrestricted",
            inst_id=group.id,
            ext_key=group.group_id,
            cur_data={"unrestricted": True},
        )
    return group


def check_role(role: str) -> RoleName:
    try:
        return RoleName(role)
    except ValueError as exc:
        raise ValidationFailed(f"unknown role {role!r}: maintainer, operator or viewer", field="role") from exc


def check_functions(functions: list[str], field: str = "privileges") -> list[str]:
    unknown = [f for f in functions if f not in ROLE_FUNCTIONS]
    if unknown:
        raise ValidationFailed(f"unknown role privilege {unknown[0]!r}: {', '.join(ROLE_FUNCTIONS)}", field=field)
    return sorted(set(functions), key=ROLE_FUNCTIONS.index)


async def bind_role_privileges(principal: Principal, role: str, functions: list[str]) -> list[str]:
    _require_superuser(principal, "binding role privileges")
    role_name = check_role(role)
    chosen = check_functions(functions)
    before = await role_privileges(principal, role)
    async with write_transaction():
        await RolePrivilege.update_or_create(role=role_name, defaults={"functions": chosen})
        await record_operation(
            principal,
            op_type="update",
            op_target="role_privilege",
            op_desc=f"bind privileges of the {role_name} role",
            ext_key=str(role_name),
            pre_data={"privileges": before},
            cur_data={"privileges": chosen},
        )
    return chosen


async def role_privileges(principal: Principal, role: str) -> list[str]:
    principal.username  # noqa: B018 - any authenticated caller may read what a role may do
    role_name = check_role(role)
    privileges = await load_privileges("")
    return [f for f in ROLE_FUNCTIONS if privileges.role_allows(str(role_name), f)]


async def user_privileges(principal: Principal, username: str) -> dict[str, Any]:
    """What `username` may do: its groups, the union of their model and system privileges."""
    username = username.strip()
    if not principal.is_superuser and username != principal.username:
        raise PermissionDenied("only a superuser may read another user's privileges")
    default = await default_group()
    groups = [default, *await UserGroup.filter(members__username=username, is_default=False).order_by("id")]
    model_config: dict[str, dict[str, list[str]]] = {}
    sys_config: dict[str, list[str]] = {}
    for group in groups:
        described = await describe_group(group)
        for cls, models in described["model_config"].items():
            for model, actions in models.items():
                merged = set(model_config.setdefault(cls, {}).get(model, [])) | set(actions)
                model_config[cls][model] = [a for a in MODEL_ACTIONS if a in merged]
        for key, functions in described["sys_config"].items():
            merged_functions = set(sys_config.get(key, [])) | set(functions)
            sys_config[key] = [f for f in SYSTEM_FUNCTIONS[key] if f in merged_functions]
    return {
        "username": username,
        "group_ids": [group.group_id for group in groups],
        "unrestricted": any(group.unrestricted for group in groups),
        "model_config": model_config,
        "sys_config": sys_config,
    }
