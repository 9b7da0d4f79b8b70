"""`opsgraph admin` for OS accounts (SSH logins of a business): create, list, delete."""

from __future__ import annotations

import argparse

from opsgraph.cli.common import add_json_flag, admin_handler, render_json, render_table
from opsgraph.cli.secrets_input import add_secret_options, read_secret
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.core.settings import Settings


def add_parsers(admin: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    create = admin.add_parser(
        "create-account", help="add an OS account (SSH login) to a business; the secret is stored encrypted"
    )
    create.add_argument("--biz", type=int, required=True, help="bk_biz_id")
    create.add_argument("--alias", required=True, help="the name callers use for this account")
    create.add_argument("--user", required=True, help="the OS user to log in as")
    secret = create.add_mutually_exclusive_group()
    secret.add_argument("--key-file", help="an unencrypted SSH private key (OpenSSH or PEM)")
    add_secret_options(secret, "password", what="password")
    create.add_argument("--default", action="store_true", help="use it where a caller names no account")
    create.add_argument("--description", default="")
    create.set_defaults(run=admin_handler(create_account))

    listing = admin.add_parser("list-accounts", help="list a business's OS accounts (never their secrets)")
    listing.add_argument("--biz", type=int, required=True, help="bk_biz_id")
    add_json_flag(listing)
    listing.set_defaults(run=admin_handler(list_accounts))

    delete = admin.add_parser("delete-account", help="delete an OS account (refused while a job template uses it)")
    delete.add_argument("--biz", type=int, required=True, help="bk_biz_id")
    delete.add_argument("--alias", required=True)
    delete.set_defaults(run=admin_handler(delete_account))


async def create_account(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.resolvers.jobs.accounts import create_account

    if args.key_file:
        password, private_key = None, read_key_file(args.key_file)
    else:
        # Without --key-file or a --password… option, a terminal is asked for the password.
        password, private_key = read_secret(args, "password", what="password"), None
    created = await create_account(
        None,
        settings,
        args.biz,
        alias=args.alias,
        username=args.user,
        password=password,
        private_key=private_key,
        is_default=args.default,
        description=args.description,
    )
    auth = "key" if args.key_file else "password"
    default = ", default" if created.is_default else ""
    return f"created account {created.alias} (id {created.id}, {auth}{default}) in business {args.biz}"


def read_key_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise ValidationFailed(f"cannot read key file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ValidationFailed(f"key file {path} is not a text (OpenSSH or PEM) private key") from exc


async def list_accounts(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.core.auth.principal import CLI_OPERATOR
    from opsgraph.resolvers.jobs.accounts import list_accounts

    accounts = await list_accounts(CLI_OPERATOR, args.biz)
    if args.json:
        return render_json(accounts)
    rows = [
        (a["id"], a["alias"], a["username"], str(a["auth"]), a["is_default"], a["created_by"], a["description"])
        for a in accounts
    ]
    headers = ("ID", "ALIAS", "OS USER", "AUTH", "DEFAULT", "CREATED BY", "DESCRIPTION")
    return render_table(headers, rows, empty=f"(business {args.biz} has no accounts)")


async def delete_account(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.core.auth.principal import CLI_OPERATOR
    from opsgraph.resolvers.jobs.accounts import account_by_alias, delete_account

    account = await account_by_alias(args.biz, args.alias)
    if account is None:
        raise NotFound(f"business {args.biz} has no account {args.alias!r}")
    await delete_account(CLI_OPERATOR, account.id)
    return f"deleted account {args.alias} (id {account.id}) of business {args.biz}"
