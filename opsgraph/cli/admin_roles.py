"""`opsgraph admin` for roles on businesses: grant, list, revoke."""

from __future__ import annotations

import argparse

from opsgraph.cli.common import add_json_flag, admin_handler, render_json, render_table
from opsgraph.core.settings import Settings

ROLES = ("maintainer", "operator", "viewer")


def add_parsers(admin: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    grant = admin.add_parser("grant-role", help="give a user a role on a business")
    grant.add_argument("username")
    grant.add_argument("--biz", type=int, required=True, help="bk_biz_id")
    grant.add_argument("--role", required=True, choices=ROLES)
    grant.set_defaults(run=admin_handler(grant_role))

    listing = admin.add_parser("list-roles", help="list role grants, optionally of one user and/or business")
    listing.add_argument("--user", help="only this user's roles")
    listing.add_argument("--biz", type=int, help="only roles on this business (bk_biz_id)")
    add_json_flag(listing)
    listing.set_defaults(run=admin_handler(list_roles))

    revoke = admin.add_parser("revoke-role", help="take a user's role on a business away")
    revoke.add_argument("username")
    revoke.add_argument("--biz", type=int, required=True, help="bk_biz_id")
    revoke.set_defaults(run=admin_handler(revoke_role))


async def grant_role(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers import identity

    await identity.grant_role(None, args.username, args.biz, args.role)
    return f"{args.username} is now {args.role} of business {args.biz}"


async def list_roles(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers import identity

    roles = await identity.list_roles(username=args.user, business_id=args.biz)
    if args.json:
        return render_json(roles)
    rows = [(r["username"], r["business_id"], r["business_name"], r["role"]) for r in roles]
    return render_table(("USERNAME", "BIZ", "BUSINESS", "ROLE"), rows, empty="(no roles)")


async def revoke_role(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers import identity

    await identity.revoke_role(None, args.username, args.biz)
    return f"{args.username} no longer has a role on business {args.biz}"
