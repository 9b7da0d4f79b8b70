"""`OPSGRAPH_LOG_FORMAT=json`: one JSON object per line, as bounded as the text format.

Every string that may carry a client's value (the message, an exception's lines) is cut like
`BoundedFormatter` cuts it, so a client's 5 MB value is never 5 MB of log in JSON either.

Example line:
    {"time": "2026-11-02T10:00:00.123Z", "level": "INFO", "logger": "opsgraph.runner",
     "message": "task 7 ended SUCCESS", "request_id": "3f2a…", "process": 4242}
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime

from opsgraph.core.log_context import RequestIdFilter
from opsgraph.core.log_format import BoundedFormatter, one_line


class JsonFormatter(BoundedFormatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": one_line(record.getMessage()),
            "request_id": getattr(record, "request_id", ""),
            "process": os.getpid(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class TextFormatter(BoundedFormatter):
    """The usual text line, with ` request_id=<id>` at the end when there is one."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        request_id = getattr(record, "request_id", "")
        return f"{line} request_id={request_id}" if request_id else line


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """The root handler's format for `serve` / `worker`: text (the default) or JSON; both carry the
    request id (text: at the end of the line, when there is one)."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level)
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter(_TEXT_FORMAT))
        handler.addFilter(RequestIdFilter())
    if log_format == "json":
        # uvicorn's own loggers have their own handlers: JSON too.
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            for handler in logging.getLogger(name).handlers:
                handler.setFormatter(JsonFormatter())
                handler.addFilter(RequestIdFilter())
