"""`opsgraph` command line: serve | migrate | worker | admin … | tasks …  (stable: scripts and operators use it).

Each concern is a module that adds its subcommands to the parser and binds each to a handler
(`run`) returning the exit status. Errors we raise on purpose are one line on stderr and exit 1;
argparse's usage errors exit 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Sequence

from opsgraph.cli import (
    admin_access_keys,
    admin_accounts,
    admin_apps,
    admin_directory,
    admin_roles,
    admin_users,
    serve,
    tasks,
    tasks_watch,
    worker,
)
from opsgraph.core.errors import OpsGraphError
from opsgraph.core.log_format import BoundedFormatter

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="opsgraph", description="OpsGraph operations API")
    commands = parser.add_subparsers(dest="command", required=True)
    serve.add_parsers(commands)
    worker.add_parsers(commands)
    admin = commands.add_parser("admin", help="administrative tasks (on the server: they use its database)")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    for module in (admin_users, admin_apps, admin_roles, admin_accounts, admin_access_keys, admin_directory):
        module.add_parsers(admin_commands)
    tasks_watch.add_parser(tasks.add_parsers(commands))
    return parser


def silence_known_warnings() -> None:
    """asyncssh 2.x names cryptography's DSA classes in its type annotations at import time, and the
    cryptography release installed here (51) deprecates DSA with a warning on each such use: about ten
    CryptographyDeprecationWarning lines on every CLI call that imports asyncssh and in the server log.
    We neither generate nor offer DSA keys, so exactly that category, raised from asyncssh, is ignored;
    the same warning from any other module still shows."""
    from cryptography.utils import CryptographyDeprecationWarning

    warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning, module=r"asyncssh(\.|$)")


def main(argv: Sequence[str] | None = None) -> int:
    silence_known_warnings()
    args = build_parser().parse_args(argv)
    # Bounded: a client's huge value in a message or traceback line is cut (core/log_format.py).
    handler = logging.StreamHandler()
    handler.setFormatter(BoundedFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("tortoise").setLevel(logging.WARNING)
    # asyncssh logs every command line at INFO, script content included: keep secrets out of logs.
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    # httpx logs each request at INFO: noise on the output of `opsgraph tasks …`.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        status: int = args.run(args)
    except OpsGraphError as exc:
        print(f"opsgraph: error: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nopsgraph: interrupted", file=sys.stderr)
        return 130
    return status
