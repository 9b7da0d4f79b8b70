"""OpenC3's envelope: `{stat, info, data}` with `stat` a JSON boolean, plus `uuid` where a task
starts. Refusals are HTTP 200 with `stat: false` and an `info` saying why; not being logged in is
`code: 10000` (upstream sends no `info` then; we add one, which clients ignore).

Example:
    return C3Reply(data=rows)                              # {"stat": true, "data": rows}
    return C3Reply(data=rows, uuid="a1b2c3d4e5f6")         # {"stat": true, "uuid": …, "data": rows}
    refused_body("check format fail name: is required")    # {"stat": false, "info": "…"}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NOT_LOGGED_IN = 10000
_MISSING = object()


@dataclass
class C3Reply:
    """What a handler returns when the answer is more than `data`."""

    data: Any = _MISSING
    info: str | None = None
    uuid: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    stat: bool = True


def success_body(result: Any) -> dict[str, Any]:
    reply = result if isinstance(result, C3Reply) else C3Reply(data=result)
    body: dict[str, Any] = {"stat": reply.stat}
    if reply.info is not None:
        body["info"] = reply.info
    if reply.uuid is not None:
        body["uuid"] = reply.uuid
    body.update(reply.extra)
    if reply.data is not _MISSING:
        body["data"] = reply.data
    return body


def refused_body(info: str) -> dict[str, Any]:
    return {"stat": False, "info": info}


def not_logged_in_body(info: str = "not logged in") -> dict[str, Any]:
    return {"stat": False, "code": NOT_LOGGED_IN, "info": info}
