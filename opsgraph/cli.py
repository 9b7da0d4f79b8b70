"""`opsgraph` command line: serve | migrate | admin …  (stable: scripts and operators use it)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

from opsgraph.core.db import apply_migrations, database
from opsgraph.core.errors import OpsGraphError
from opsgraph.core.settings import Settings, get_settings


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="opsgraph", description="OpsGraph operations API")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="apply migrations and run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-level", default="info")

    commands.add_parser("migrate", help="apply database migrations")

    admin = commands.add_parser("admin", help="administrative tasks")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    create_user = admin_commands.add_parser("create-user", help="create a user")
    create_user.add_argument("username")
    create_user.add_argument("--password", required=True)
    create_user.add_argument("--superuser", action="store_true")
    create_app = admin_commands.add_parser("create-app", help="create an API client app (bk_app_code)")
    create_app.add_argument("code")
    create_app.add_argument("--secret", required=True)
    create_app.add_argument("--skip-user-auth", action="store_true", help="may name users by bk_username")
    issue_token = admin_commands.add_parser("issue-token", help="print a login token (JWT) for a user")
    issue_token.add_argument("username")
    grant_role = admin_commands.add_parser("grant-role", help="give a user a role on a business")
    grant_role.add_argument("username")
    grant_role.add_argument("--biz", type=int, required=True, help="bk_biz_id")
    grant_role.add_argument("--role", required=True, choices=["maintainer", "operator", "viewer"])
    create_account = admin_commands.add_parser(
        "create-account", help="add an OS account (SSH login) to a business; the secret is stored encrypted"
    )
    create_account.add_argument("--biz", type=int, required=True, help="bk_biz_id")
    create_account.add_argument("--alias", required=True, help="the name callers use for this account")
    create_account.add_argument("--user", required=True, help="the OS user to log in as")
    secret = create_account.add_mutually_exclusive_group(required=True)
    secret.add_argument("--key-file", help="an unencrypted SSH private key (OpenSSH or PEM)")
    secret.add_argument("--password")
    create_account.add_argument("--default", action="store_true", help="use it where a caller names no account")
    create_account.add_argument("--description", default="")
    create_access_key = admin_commands.add_parser(
        "create-access-key",
        help="issue a Huawei Cloud AK/SK for a project; prints {access_key, secret_key, project_id} as JSON",
    )
    create_access_key.add_argument("--project", required=True, help="the project_id clients put in request paths")
    create_access_key.add_argument("--biz", type=int, help="bk_biz_id: confine the key to this business")
    create_access_key.add_argument("--user", help="the user the key acts as (default: the first superuser)")
    return parser


async def _with_database(settings: Settings, action: Callable[[], Awaitable[str]]) -> str:
    from opsgraph.resolvers.topology.bootstrap import ensure_builtin_records

    await apply_migrations(settings.database_url)
    async with database(settings.database_url):
        await ensure_builtin_records()
        return await action()


async def _admin(args: argparse.Namespace, settings: Settings) -> str:
    from opsgraph.core.auth.tokens import issue_token
    from opsgraph.core.errors import NotFound
    from opsgraph.models.identity import User
    from opsgraph.resolvers import identity

    async def create_user() -> str:
        user = await identity.create_user(args.username, args.password, superuser=args.superuser)
        return f"created user {user.username}{' (superuser)' if user.is_superuser else ''}"

    async def create_app() -> str:
        app = await identity.create_app(args.code, args.secret, settings, skip_user_auth=args.skip_user_auth)
        return f"created app {app.code}{' (may skip user auth)' if app.skip_user_auth else ''}"

    async def token() -> str:
        user = await User.get_or_none(username=args.username, is_active=True)
        if user is None:
            raise NotFound(f"user {args.username!r} does not exist")
        value, _ = issue_token(user.username, secret=settings.secret_key, ttl_seconds=settings.token_ttl_seconds)
        return value

    async def grant() -> str:
        await identity.grant_role(None, args.username, args.biz, args.role)
        return f"{args.username} is now {args.role} of business {args.biz}"

    async def account() -> str:
        from opsgraph.resolvers.jobs.accounts import create_account

        created = await create_account(
            None,
            settings,
            args.biz,
            alias=args.alias,
            username=args.user,
            password=args.password,
            private_key=_read_key_file(args.key_file) if args.key_file else None,
            is_default=args.default,
            description=args.description,
        )
        auth = "key" if args.key_file else "password"
        default = ", default" if created.is_default else ""
        return f"created account {created.alias} (id {created.id}, {auth}{default}) in business {args.biz}"

    async def access_key() -> str:
        from opsgraph.resolvers.access_keys import create_access_key

        key, secret = await create_access_key(
            settings, project_id=args.project, business_id=args.biz, username=args.user
        )
        # Machine-readable: the secret is shown this once and never stored in plain text.
        return json.dumps({"access_key": key.access_key, "secret_key": secret, "project_id": key.project_id})

    actions: dict[str, Callable[[], Awaitable[str]]] = {
        "create-user": create_user,
        "create-app": create_app,
        "issue-token": token,
        "grant-role": grant,
        "create-account": account,
        "create-access-key": access_key,
    }
    return await _with_database(settings, actions[args.admin_command])


def _read_key_file(path: str) -> str:
    from opsgraph.core.errors import ValidationFailed

    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise ValidationFailed(f"cannot read key file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ValidationFailed(f"key file {path} is not a text (OpenSSH or PEM) private key") from exc


def listening_url(host: str, port: int) -> str:
    """Where agents reach a server listening on host:port (a wildcard address means this machine's name)."""
    if host in {"", "0.0.0.0", "::"}:
        host = socket.getfqdn()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from opsgraph.app import create_app

    asyncio.run(apply_migrations(settings.database_url))
    # Agents report to OPSGRAPH_PUBLIC_URL; without it, to where this server listens.
    settings = replace(settings, public_url=settings.public_url or listening_url(args.host, args.port))
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level=args.log_level)


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("tortoise").setLevel(logging.WARNING)
    # asyncssh logs every command line at INFO, script content included: keep secrets out of logs.
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    try:
        settings = get_settings()
        if args.command == "serve":
            _serve(args, settings)
            return 0
        output: Any
        if args.command == "migrate":
            asyncio.run(apply_migrations(settings.database_url))
            output = f"database is up to date ({settings.database_url.split('?', 1)[0]})"
        else:
            output = asyncio.run(_admin(args, settings))
    except OpsGraphError as exc:
        print(f"opsgraph: error: {exc.message}", file=sys.stderr)
        return 1
    print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
