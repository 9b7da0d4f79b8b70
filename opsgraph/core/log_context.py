"""The request id of the work in hand, carried into every log line it causes.

A REST call's envelope `request_id` (or a GraphQL request's `X-Request-Id`) is bound here by the
HTTP middleware; asyncio tasks started while handling the request inherit it, the distributed
queue sends it along with the task to the worker, which binds it again while running the task. So
`grep <request_id>` over the logs of servers and workers follows one call end to end.
"""

from __future__ import annotations

import contextvars
import logging

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("opsgraph_request_id", default="")


def current_request_id() -> str:
    return _request_id.get()


def bind_request_id(value: str) -> contextvars.Token[str]:
    return _request_id.set(value[:128])


def reset_request_id(token: contextvars.Token[str]) -> None:
    _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts `request_id` on every record (empty outside a request), for formatters to show."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = _request_id.get()
        return True
