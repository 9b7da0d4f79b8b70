"""Run graphql-core's parse or validation of a large document in a worker thread.

Both take time that grows with the document (parsing the largest document the token limit admits
costs ~30 ms here, validating it more): inline, that much time is taken from every other client of
the event loop. Documents longer than `THRESHOLD` characters go to a thread, where the interpreter
hands the loop its turn every few milliseconds; small ones (almost every request) stay inline,
where a thread hop would cost more than the work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

THRESHOLD = 2048


async def run_sized(query: str | None, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    if len(query or "") > THRESHOLD:
        return await asyncio.to_thread(function, *args, **kwargs)
    return function(*args, **kwargs)
