"""`opsgraph admin` for users: create, list, show, disable/enable, issue and revoke login tokens."""

from __future__ import annotations

import argparse
from typing import Any

from opsgraph.cli.common import add_json_flag, admin_handler, render_fields, render_json, render_table, render_time
from opsgraph.cli.secrets_input import add_secret_options, read_secret
from opsgraph.core.settings import Settings


def add_parsers(admin: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    create = admin.add_parser("create-user", help="create a user")
    create.add_argument("username")
    add_secret_options(create.add_mutually_exclusive_group(), "password", what="password")
    create.add_argument("--superuser", action="store_true")
    create.set_defaults(run=admin_handler(create_user))

    listing = admin.add_parser("list-users", help="list users (never their password hashes)")
    add_json_flag(listing)
    listing.set_defaults(run=admin_handler(list_users))

    show = admin.add_parser("show-user", help="a user with its roles and access keys")
    show.add_argument("username")
    add_json_flag(show)
    show.set_defaults(run=admin_handler(show_user))

    disable = admin.add_parser("disable-user", help="stop a user from logging in; its tokens stop working")
    disable.add_argument("username")
    disable.set_defaults(run=admin_handler(disable_user))

    enable = admin.add_parser("enable-user", help="let a disabled user log in again (old tokens stay revoked)")
    enable.add_argument("username")
    enable.set_defaults(run=admin_handler(enable_user))

    token = admin.add_parser("issue-token", help="print a login token (JWT) for a user")
    token.add_argument("username")
    token.set_defaults(run=admin_handler(issue_token))

    revoke = admin.add_parser("revoke-tokens", help="every token issued to a user so far stops working")
    revoke.add_argument("username")
    revoke.set_defaults(run=admin_handler(revoke_tokens))


async def create_user(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers import identity

    password = read_secret(args, "password", what="password")
    user = await identity.create_user(args.username, password, superuser=args.superuser)
    return f"created user {user.username}{' (superuser)' if user.is_superuser else ''}"


async def list_users(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers import identity

    users = await identity.list_users()
    if args.json:
        return render_json(users)
    rows = [(u["username"], u["is_superuser"], u["is_active"], u["created_at"], u["tokens_revoked_at"]) for u in users]
    return render_table(("USERNAME", "SUPERUSER", "ACTIVE", "CREATED", "TOKENS REVOKED"), rows, empty="(no users)")


async def show_user(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers import identity

    user = await identity.describe_user(args.username)
    if args.json:
        return render_json(user)
    return describe(user)


def describe(user: dict[str, Any]) -> str:
    roles = ", ".join(f"{r['role']} of {r['business_id']} ({r['business_name']})" for r in user["roles"])
    keys = ", ".join(
        f"{k['access_key']} (project {k['project_id']}{'' if k['is_active'] else ', inactive'})"
        for k in user["access_keys"]
    )
    return render_fields(
        [
            ("username", user["username"]),
            ("superuser", user["is_superuser"]),
            ("active", user["is_active"]),
            ("created", render_time(user["created_at"])),
            ("tokens revoked", render_time(user["tokens_revoked_at"])),
            ("roles", roles or "-"),
            ("access keys", keys or "-"),
        ]
    )


async def disable_user(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers import identity

    if not await identity.set_user_active(args.username, False):
        return f"user {args.username} is already disabled"
    return f"disabled user {args.username}: it cannot log in and its tokens no longer work"


async def enable_user(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers import identity

    if not await identity.set_user_active(args.username, True):
        return f"user {args.username} is already enabled"
    return f"enabled user {args.username}: it may log in again"


async def issue_token(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers import identity

    token, _ = await identity.issue_user_token(args.username, settings)
    return token  # alone on stdout: scripts capture it


async def revoke_tokens(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers import identity

    user = await identity.revoke_user_tokens(args.username)
    return f"revoked every token of {user.username} issued before {render_time(user.tokens_revoked_at)}"
