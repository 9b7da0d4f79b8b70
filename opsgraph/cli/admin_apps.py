"""`opsgraph admin` for API client apps (bk_app_code): create, list, show, delete."""

from __future__ import annotations

import argparse

from opsgraph.cli.common import add_json_flag, admin_handler, render_fields, render_json, render_table
from opsgraph.cli.secrets_input import add_secret_options, read_secret
from opsgraph.core.settings import Settings


def add_parsers(admin: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    create = admin.add_parser("create-app", help="create an API client app (bk_app_code)")
    create.add_argument("code")
    add_secret_options(create.add_mutually_exclusive_group(), "secret", what="app secret")
    create.add_argument("--skip-user-auth", action="store_true", help="may name users by bk_username")
    create.set_defaults(run=admin_handler(create_app))

    listing = admin.add_parser("list-apps", help="list API client apps (never their secrets)")
    add_json_flag(listing)
    listing.set_defaults(run=admin_handler(list_apps))

    show = admin.add_parser("show-app", help="one API client app")
    show.add_argument("code")
    add_json_flag(show)
    show.set_defaults(run=admin_handler(show_app))

    delete = admin.add_parser("delete-app", help="delete an app: its requests are refused from now on")
    delete.add_argument("code")
    delete.set_defaults(run=admin_handler(delete_app))


async def create_app(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers import identity

    secret = read_secret(args, "secret", what="app secret")
    app = await identity.create_app(args.code, secret, settings, skip_user_auth=args.skip_user_auth)
    return f"created app {app.code}{' (may skip user auth)' if app.skip_user_auth else ''}"


async def list_apps(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers import identity

    apps = await identity.list_apps()
    if args.json:
        return render_json(apps)
    rows = [(a["code"], a["skip_user_auth"], a["created_at"]) for a in apps]
    return render_table(("CODE", "SKIP USER AUTH", "CREATED"), rows, empty="(no apps)")


async def show_app(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers import identity

    app = await identity.describe_app(args.code)
    if args.json:
        return render_json(app)
    return render_fields(
        [("code", app["code"]), ("skip user auth", app["skip_user_auth"]), ("created", app["created_at"])]
    )


async def delete_app(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers import identity

    await identity.delete_app(args.code)
    return f"deleted app {args.code}"
