"""Counting SQL statements per request, for query-count tests and benchmarks.

Off unless `OPSGRAPH_DEBUG_SQL_COUNT=1`: then each HTTP response carries `X-SQL-Count` and
`X-SQL-Rows`. Tortoise logs every statement on `tortoise.db_client` at DEBUG; a handler counts them
into a per-request box held in a context variable (tasks spawned by the request, e.g. DataLoader
batches, inherit it). `X-SQL-Count` is statements as sent: a bulk insert of 2,000 rows is ONE
(`executemany`); `X-SQL-Rows` counts each parameter set — that insert is 2,000, any other statement
1 — so a write path that sends many rows at once is not mistaken for a cheap one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from contextvars import ContextVar, copy_context
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_DB_LOGGER = "tortoise.db_client"


@dataclass
class _Box:
    count: int = 0
    rows: int = 0


_current: ContextVar[_Box | None] = ContextVar("opsgraph_sql_count", default=None)


class _CountingHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        box = _current.get()
        if box is not None and record.msg != "Created connection %s with params: filename=%s %s":
            box.count += 1
            values = record.args[1] if isinstance(record.args, tuple) and len(record.args) == 2 else None
            box.rows += len(values) if record.funcName == "execute_many" and isinstance(values, list) else 1


def install_sql_counter() -> None:
    logger = logging.getLogger(_DB_LOGGER)
    if not any(isinstance(h, _CountingHandler) for h in logger.handlers):
        logger.addHandler(_CountingHandler())
    logger.setLevel(logging.DEBUG)
    logger.propagate = False


class SqlCountMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        install_sql_counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        box = _Box()
        token = _current.set(box)

        async def send_with_count(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                headers.append((b"x-sql-count", str(box.count).encode()))
                headers.append((b"x-sql-rows", str(box.rows).encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_count)
        finally:
            _current.reset(token)


_background: set[asyncio.Task[None]] = set()


def start_uncounted(work: Coroutine[Any, Any, None]) -> None:
    """Start work that belongs to no request (a cache re-read beside one): its statements count in
    no request's `X-SQL-Count`, however the two interleave. The task is kept until it ends."""
    context = copy_context()  # the database context of the caller, without its count box
    context.run(_current.set, None)
    task = asyncio.get_running_loop().create_task(work, context=context)
    _background.add(task)
    task.add_done_callback(_background.discard)
