"""`opsgraph admin` for the directory: a user's BlueKing profile fields and what an app tells about
itself (bk_paas get_app_info). The operator's CLI may set every field, bk_role included."""

from __future__ import annotations

import argparse
from typing import Any

from opsgraph.cli.common import add_json_flag, admin_handler, render_fields, render_json
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.settings import Settings

_PROFILE_OPTIONS = {
    "display_name": "--display-name",
    "email": "--email",
    "phone": "--phone",
    "wx_userid": "--wx-userid",
    "language": "--language",
    "time_zone": "--time-zone",
}


def add_parsers(admin: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    profile = admin.add_parser(
        "set-user-profile", help="a user's directory fields (bk_login): name, email, phone, WeChat id, …"
    )
    profile.add_argument("username")
    for name, option in _PROFILE_OPTIONS.items():
        profile.add_argument(option, dest=name, help=f"{name.replace('_', ' ')} (empty text clears it)")
    profile.add_argument(
        "--role", dest="platform_role", type=int, help="bk_role: 0 staff, 2 developer, 3 operator, 4 auditor"
    )
    add_json_flag(profile)
    profile.set_defaults(run=admin_handler(set_user_profile))

    app = admin.add_parser("set-app-info", help="what bk_paas get_app_info tells about an app")
    app.add_argument("code")
    app.add_argument("--name")
    app.add_argument("--introduction")
    app.add_argument("--creator")
    app.add_argument("--developers", help="usernames separated by commas or semicolons")
    add_json_flag(app)
    app.set_defaults(run=admin_handler(set_app_info))


async def set_user_profile(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers.directory import users

    changes: dict[str, Any] = {
        name: getattr(args, name) for name in _PROFILE_OPTIONS if getattr(args, name) is not None
    }
    if args.platform_role is not None:
        changes["platform_role"] = args.platform_role
    if not changes:
        raise ValidationFailed("nothing to change: give at least one option (see --help)")
    profile = await users.update_profile(None, args.username, changes)
    if args.json:
        return render_json(profile)
    return render_fields(
        [
            ("username", profile["username"]),
            ("display name", profile["display_name"] or "-"),
            ("email", profile["email"] or "-"),
            ("phone", profile["phone"] or "-"),
            ("wx_userid", profile["wx_userid"] or "-"),
            ("language", profile["language"]),
            ("time zone", profile["time_zone"]),
            ("bk_role", users.bk_role(profile)),
        ]
    )


async def set_app_info(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers.directory import apps

    changes: dict[str, Any] = {
        name: getattr(args, name) for name in ("name", "introduction", "creator") if getattr(args, name) is not None
    }
    if args.developers is not None:
        changes["developers"] = [name.strip() for name in args.developers.replace(";", ",").split(",") if name.strip()]
    if not changes:
        raise ValidationFailed("nothing to change: give at least one option (see --help)")
    info = await apps.update_app_info(None, args.code, changes)
    if args.json:
        return render_json(info)
    return render_fields(
        [
            ("code", info["code"]),
            ("name", info["name"] or info["code"]),
            ("introduction", info["introduction"] or "-"),
            ("creator", info["creator"] or "-"),
            ("developers", ", ".join(apps.developer_list(info["developers"])) or "-"),
        ]
    )
