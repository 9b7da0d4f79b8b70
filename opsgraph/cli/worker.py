"""`opsgraph worker [--concurrency N]`: run tasks from the Redis queue (distributed deployment)."""

from __future__ import annotations

import argparse
import asyncio

from opsgraph.core.errors import ConfigurationError
from opsgraph.core.json_log import configure_logging
from opsgraph.core.settings import PREFIX, get_settings


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = commands.add_parser(
        "worker", help="run tasks from the queue on Redis (needs OPSGRAPH_BROKER_URL and PostgreSQL)"
    )
    worker.add_argument(
        "--concurrency", type=concurrency, default=50, help="tasks run at once by this process (default 50)"
    )
    worker.add_argument(
        "--metrics-port", type=int, default=0, help="serve this worker's Prometheus metrics on this port (0: off)"
    )
    worker.add_argument("--metrics-host", default="127.0.0.1", help="address of --metrics-port (default 127.0.0.1)")
    worker.set_defaults(run=worker_command)


def concurrency(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"concurrency must be a number from 1 to 10000, got {value!r}") from None
    if not 1 <= number <= 10_000:
        raise argparse.ArgumentTypeError(f"concurrency must be from 1 to 10000, got {number}")
    return number


def worker_command(args: argparse.Namespace) -> int:
    from opsgraph.executors.distributed import run_worker

    settings = get_settings()
    if not settings.distributed:
        raise ConfigurationError(
            f"opsgraph worker needs {PREFIX}BROKER_URL=redis://… (and {PREFIX}DATABASE_URL=postgres://…); "
            "without a broker, `opsgraph serve` runs the tasks itself"
        )
    configure_logging(settings.log_format)
    if args.metrics_port:
        from prometheus_client import start_http_server

        from opsgraph.core.metrics import REGISTRY

        start_http_server(args.metrics_port, addr=args.metrics_host, registry=REGISTRY)
    asyncio.run(run_worker(settings, args.concurrency))
    return 0
