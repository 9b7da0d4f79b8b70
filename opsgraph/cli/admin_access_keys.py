"""`opsgraph admin` for Huawei Cloud access keys (AK/SK): create, list, delete."""

from __future__ import annotations

import argparse
import json

from opsgraph.cli.common import add_json_flag, admin_handler, render_json, render_table
from opsgraph.core.settings import Settings


def add_parsers(admin: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    create = admin.add_parser(
        "create-access-key",
        help="issue a Huawei Cloud AK/SK for a project; prints {access_key, secret_key, project_id} as JSON",
    )
    create.add_argument("--project", required=True, help="the project_id clients put in request paths")
    create.add_argument("--biz", type=int, help="bk_biz_id: confine the key to this business")
    create.add_argument("--user", help="the user the key acts as (default: the first superuser)")
    create.set_defaults(run=admin_handler(create_access_key))

    listing = admin.add_parser("list-access-keys", help="list access keys (never their secrets)")
    listing.add_argument("--project", help="only this project's keys")
    listing.add_argument("--user", help="only the keys acting as this user")
    listing.add_argument("--biz", type=int, help="only the keys confined to this business")
    add_json_flag(listing)
    listing.set_defaults(run=admin_handler(list_access_keys))

    delete = admin.add_parser("delete-access-key", help="delete an access key: signed requests are refused")
    delete.add_argument("access_key", metavar="AK")
    delete.set_defaults(run=admin_handler(delete_access_key))


async def create_access_key(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers.access_keys import create_access_key

    key, secret = await create_access_key(settings, project_id=args.project, business_id=args.biz, username=args.user)
    # Machine-readable: the secret is shown this once and never stored in plain text.
    return json.dumps({"access_key": key.access_key, "secret_key": secret, "project_id": key.project_id})


async def list_access_keys(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers.access_keys import list_access_keys

    keys = await list_access_keys(username=args.user, project_id=args.project, business_id=args.biz)
    if args.json:
        return render_json(keys)
    rows = [
        (k["access_key"], k["project_id"], k["business_id"], k["user"], k["is_active"], k["created_at"]) for k in keys
    ]
    return render_table(("ACCESS KEY", "PROJECT", "BIZ", "USER", "ACTIVE", "CREATED"), rows, empty="(no access keys)")


async def delete_access_key(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers.access_keys import delete_access_key

    await delete_access_key(args.access_key)
    return f"deleted access key {args.access_key}"
