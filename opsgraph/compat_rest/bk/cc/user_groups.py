"""bk `cc` user groups and privileges (CMDB v3.2 `/topo/privilege/…`), enforced by OpsGraph.

- Groups: `user_list` is one `;`-separated string; `group_id` is a string. create/update/delete
  answer `""` as documented. delete_user_group takes `group_id` at the top level (the table) or
  under `delete` (the example): both are read.
- search_group_privilege / get_user_privilege answer `{group_id, sys_config{global_busi,
  back_config}, model_config{classification{model[actions]}}}`. The doc's table puts back_config
  beside sys_config and names the id `group_id` (string); its example nests back_config in
  sys_config and calls the id `bk_group_id`: answers carry both spellings.
- Role privileges: a role is (bk_obj_id, bk_property_id) upstream — a user attribute of the
  business. Here roles are OpsGraph's business roles: `bk_biz_maintainer` (or `maintainer`) is the
  maintainer role, `operator` the operator role, and the business's other user attributes
  (`bk_biz_productor`, `bk_biz_developer`, `bk_biz_tester`, or `viewer`) the viewer role.
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES, BkRoute, Params
from opsgraph.compat_rest.bk.cc.host_rows import SUPPLIER_ACCOUNT
from opsgraph.compat_rest.bk.cc.written import constant
from opsgraph.compat_rest.execute import raise_user_errors
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed

ROLE_PROPERTIES = {
    "bk_biz_maintainer": "maintainer",
    "maintainer": "maintainer",
    "operator": "operator",
    "bk_biz_productor": "viewer",
    "bk_biz_developer": "viewer",
    "bk_biz_tester": "viewer",
    "viewer": "viewer",
}


def members(params: Params, name: str = "user_list") -> list[str] | None:
    raw = params.get(name)
    if raw is None:
        return None
    if isinstance(raw, list):
        return [str(item) for item in raw]
    return [part for part in params.get_str(name).split(";") if part.strip()]


def _create(params: Params, principal: Principal) -> dict[str, Any]:
    return {"input": {"name": params.get_str("group_name"), "members": members(params) or []}}


def _group_id(params: Params) -> str:
    nested = params.sub("delete")
    found = params.get_str("group_id", required=False) or nested.get_str("group_id", required=False)
    if not found:
        raise ValidationFailed("group_id is required", field="group_id", code="MISSING_FIELD")
    return found


def _update(params: Params, principal: Principal) -> dict[str, Any]:
    update: dict[str, Any] = {"groupId": _group_id(params)}
    if params.has("group_name"):
        update["name"] = params.get_str("group_name")
    listed = members(params)
    if listed is not None:
        update["members"] = listed
    return {"input": update}


def _search(params: Params, principal: Principal) -> dict[str, Any]:
    return {"name": params.get_str("group_name", required=False) or None, "members": members(params) or None}


def _group_row(group: dict[str, Any]) -> dict[str, Any]:
    return {
        "group_id": group["groupId"],
        "group_name": group["name"],
        "user_list": ";".join(group["members"]),
        "bk_supplier_account": SUPPLIER_ACCOUNT,
    }


def _privileges(group_id: str, model_config: dict[str, Any], sys_config: dict[str, Any]) -> dict[str, Any]:
    return {
        "group_id": group_id,
        "bk_group_id": group_id,
        "sys_config": {
            "global_busi": sys_config.get("global_busi", []),
            "back_config": sys_config.get("back_config", []),
        },
        "back_config": sys_config.get("back_config", []),
        "model_config": model_config,
    }


def _group_privilege(data: dict[str, Any], params: Params) -> dict[str, Any]:
    wanted = _group_id(params)
    for group in data["userGroups"]:
        if group["groupId"] == wanted:
            return _privileges(wanted, group["modelConfig"], group["sysConfig"])
    raise NotFound(f"user group {wanted!r} does not exist", field="group_id")


def _user_privilege(data: dict[str, Any], params: Params) -> dict[str, Any]:
    found = data["userPrivileges"]
    groups = found["groupIds"]
    own = [group for group in groups if group != "default"]
    answer = _privileges((own or groups)[0], found["modelConfig"], found["sysConfig"])
    answer["group_ids"] = groups
    return answer


def _role(params: Params) -> str:
    obj = params.get_str("bk_obj_id")
    prop = params.get_str("bk_property_id")
    if obj != "biz" or prop not in ROLE_PROPERTIES:
        raise ValidationFailed(
            "roles are business roles: bk_obj_id 'biz' with bk_property_id bk_biz_maintainer, operator, "
            "bk_biz_productor, bk_biz_developer or bk_biz_tester",
            field="bk_property_id",
        )
    return ROLE_PROPERTIES[prop]


def _bind(params: Params, principal: Principal) -> dict[str, Any]:
    chosen = params.get_list("data", [], required=False)
    if not all(isinstance(item, str) for item in chosen):
        raise ValidationFailed("data must be a list of privilege codes", field="data")
    return {"input": {"role": _role(params), "privileges": chosen}}


def _bound(data: dict[str, Any], params: Params) -> str:
    raise_user_errors(data["bindRolePrivileges"])
    return "success"


_ROWS: list[tuple[str, str, Any, Any, frozenset[str], str]] = [
    (
        "create_user_group",
        "user_group_create.graphql",
        _create,
        constant("createUserGroup", ""),
        frozenset({"POST"}),
        'Create a user group → ""',
    ),
    (
        "update_user_group",
        "user_group_update.graphql",
        _update,
        constant("updateUserGroup", ""),
        frozenset({"POST"}),
        'Rename a group or replace its members → ""',
    ),
    (
        "delete_user_group",
        "user_group_delete.graphql",
        lambda p, _: {"input": {"groupId": _group_id(p)}},
        constant("deleteUserGroup", ""),
        frozenset({"POST"}),
        'Delete a user group → ""',
    ),
    (
        "search_user_group",
        "user_groups.graphql",
        _search,
        lambda d, p: [_group_row(g) for g in d["userGroups"]],
        frozenset({"POST"}),
        "User groups (all, or by name / members)",
    ),
    (
        "search_group_privilege",
        "user_groups.graphql",
        lambda p, _: {},
        _group_privilege,
        frozenset({"POST"}),
        "A group's model and system privileges",
    ),
    (
        "get_user_privilege",
        "user_privileges.graphql",
        lambda p, _: {"username": p.get_str("user_name")},
        _user_privilege,
        frozenset({"POST", "GET"}),
        "A user's effective privileges",
    ),
    (
        "bind_role_privilege",
        "role_privileges_bind.graphql",
        _bind,
        _bound,
        frozenset({"POST"}),
        'Replace a business role\'s functions → "success"',
    ),
    (
        "get_role_privilege",
        "role_privileges.graphql",
        lambda p, _: {"role": _role(p)},
        lambda d, p: d["rolePrivileges"],
        frozenset({"GET", "POST"}),
        "A business role's functions",
    ),
]

for name, operation, to_variables, to_data, methods, summary in _ROWS:
    BK_ROUTES.add(
        BkRoute(
            system="cc",
            name=name,
            methods=methods,
            operation=operation,
            package=__name__,
            to_variables=to_variables,
            to_data=to_data,
            summary=summary,
        )
    )
