"""`opsgraph serve` and `opsgraph migrate`."""

from __future__ import annotations

import argparse
import asyncio
import errno
import ipaddress
import logging
import re
import socket
from dataclasses import replace

from opsgraph.core.broker_check import ensure_broker_reachable
from opsgraph.core.db import apply_migrations, describe_database_url
from opsgraph.core.json_log import configure_logging
from opsgraph.core.settings import get_settings

log = logging.getLogger("opsgraph.cli")

_HOST_NAME = re.compile(
    r"^(?=.{1,253}\.?$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)
_LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="apply migrations and run the HTTP server")
    serve.add_argument("--host", type=listen_host, help="address or name to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=port_number, help="TCP port, 1–65535 (default 8000)")
    serve.add_argument(
        "--fd",
        type=inherited_listener,
        metavar="N",
        help="serve on the listening TCP socket inherited as file descriptor N instead of --host/--port "
        "(socket activation; a parent that keeps the server in a network namespace of its own)",
    )
    serve.add_argument("--log-level", default="info", choices=_LOG_LEVELS)
    serve.set_defaults(run=serve_command, parser=serve)

    migrate = commands.add_parser("migrate", help="apply database migrations (says how many were applied)")
    migrate.set_defaults(run=migrate_command)


def port_number(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number from 1 to 65535, got {value!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be from 1 to 65535, got {port}")
    return port


def listen_host(value: str) -> str:
    """An IP address (IPv6 with or without brackets), or a host name that resolves here."""
    host = value.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if not _HOST_NAME.match(host):
        raise argparse.ArgumentTypeError(f"{value!r} is neither an IP address nor a host name")
    try:
        socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"host name {value!r} does not resolve: {exc.strerror or exc}") from None
    return host


def inherited_listener(value: str) -> socket.socket:
    """The listening TCP socket open as file descriptor `value` (checked before anything else runs)."""
    try:
        fd = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"file descriptor must be a number, got {value!r}") from None
    if fd < 0:
        raise argparse.ArgumentTypeError(f"file descriptor must not be negative, got {fd}")
    try:
        sock = socket.socket(fileno=fd)
    except OSError as exc:
        reason = "is not open" if exc.errno == errno.EBADF else "is not a socket" if exc.errno == errno.ENOTSOCK else ""
        raise argparse.ArgumentTypeError(f"file descriptor {fd} {reason or exc.strerror or exc}") from None
    listening = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM or not listening:
        sock.detach()  # not ours to close
        raise argparse.ArgumentTypeError(f"file descriptor {fd} is not a listening TCP socket")
    return sock


def listening_url(host: str, port: int) -> str:
    """Where agents reach a server listening on host:port (a wildcard address means this machine's name)."""
    if host in {"", "0.0.0.0", "::"}:
        host = socket.getfqdn()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def migrate_command(args: argparse.Namespace) -> int:
    settings = get_settings()
    applied = asyncio.run(apply_migrations(settings.database_url))
    print(migration_report(applied, describe_database_url(settings.database_url)))
    return 0


def migration_report(applied: list[str], where: str) -> str:
    if not applied:
        return f"database is up to date ({where})"
    plural = "" if len(applied) == 1 else "s"
    return f"applied {len(applied)} migration{plural} to {where}: {', '.join(applied)}"


def serve_command(args: argparse.Namespace) -> int:
    import uvicorn

    from opsgraph.app import create_app
    from opsgraph.http.bounded_protocol import HEAD_ALLOWANCE_BYTES, bounded_http_protocol
    from opsgraph.http.draining_server import DrainingServer

    listener: socket.socket | None = args.fd
    if listener is not None and (args.host is not None or args.port is not None):
        args.parser.error("--fd serves on the address its socket is bound to: drop --host and --port")
    if listener is not None:
        host, port = listener.getsockname()[:2]
    else:
        host = "127.0.0.1" if args.host is None else args.host
        port = 8000 if args.port is None else args.port
    settings = get_settings()
    configure_logging(settings.log_format)
    if settings.distributed:  # refuse at once, in one line, when the broker is not there
        asyncio.run(ensure_broker_reachable(settings.broker_url))
    applied = asyncio.run(apply_migrations(settings.database_url))
    if applied:
        log.info("%s", migration_report(applied, describe_database_url(settings.database_url)))
    # Agents report to OPSGRAPH_PUBLIC_URL; without it, to where this server listens.
    settings = replace(settings, public_url=settings.public_url or listening_url(host, port))
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_level=args.log_level,
        # httptools with a cap on the request head (uvicorn's own has none), and WebSocket messages
        # no larger than a GraphQL body may be.
        http=bounded_http_protocol(settings.max_header_bytes + HEAD_ALLOWANCE_BYTES),
        ws_max_size=settings.max_graphql_body_bytes,
        # JSON: uvicorn's loggers propagate to the root handler configured above.
        log_config=None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
    )
    if listener is not None:  # uvicorn announces only the sockets it binds itself
        log.info("serving on %s (inherited socket, file descriptor %d)", listening_url(host, port), listener.fileno())
    DrainingServer(config).run(sockets=[listener] if listener is not None else None)
    return 0
