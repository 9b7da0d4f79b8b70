"""Log records that cannot be blown up by what a client sends.

A client's 5 MB string that ends up in an error message must not become 5 MB of log, and a client
mistake is one line, not a traceback. `BoundedFormatter` cuts every message to `MAX_MESSAGE_CHARS`
and folds it onto one line; tracebacks (our own failures only) keep their frames but each line is
cut too. `one_line` does the same for a value a caller wants to quote in a message.

Example:
    handler.setFormatter(BoundedFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.info("refused: %s", one_line(error_message))
"""

from __future__ import annotations

import logging
from types import TracebackType

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]

MAX_MESSAGE_CHARS = 1000
MAX_TRACEBACK_LINE_CHARS = 300
MAX_TRACEBACK_LINES = 80


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text` on one line, at most `limit` characters, saying how much was cut."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return f"{flat[:limit]}… ({len(flat) - limit} more characters)"


class BoundedFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = one_line(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: _ExcInfo) -> str:
        lines = super().formatException(ei).splitlines()
        if len(lines) > MAX_TRACEBACK_LINES:
            skipped = len(lines) - MAX_TRACEBACK_LINES
            lines = [*lines[: MAX_TRACEBACK_LINES // 2], f"  … {skipped} lines …", *lines[-MAX_TRACEBACK_LINES // 2 :]]
        return "\n".join(
            one_line(line, MAX_TRACEBACK_LINE_CHARS) if len(line) > MAX_TRACEBACK_LINE_CHARS else line for line in lines
        )
