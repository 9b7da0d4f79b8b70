"""graphql-transport-ws frames, each event's payload encoded once for all its subscribers.

When subscribers of one document receive one event, the executor hands them the same result
(`schema.subscriptions.event_executor`), so their `next` messages differ only by the operation id.
The payload's JSON is made once and the frame is spliced around it: `{"id":…,"type":"next",
"payload":<the same bytes>}`, byte for byte what encoding the whole message would give. Every other
message is encoded as strawberry encodes it.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected

_KEPT = 1024
# id(result data) → (the data, its payload's JSON); the entry keeps the data alive, so the id is not
# reused by another object while it is here.
_payloads: OrderedDict[int, tuple[Any, str]] = OrderedDict()


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))  # strawberry's encode_json


def next_frame(message: Mapping[str, object]) -> str | None:
    """The frame of a `next` message that carries data only, its payload encoded once per result."""
    payload = message.get("payload")
    if message.get("type") != "next" or not isinstance(payload, dict) or payload.keys() != {"data"}:
        return None
    data = payload["data"]
    kept = _payloads.get(id(data))
    if kept is None or kept[0] is not data:
        kept = (data, _dumps(payload))
        _payloads[id(data)] = kept
        while len(_payloads) > _KEPT:
            _payloads.popitem(last=False)
    return f'{{"id":{_dumps(message.get("id"))},"type":"next","payload":{kept[1]}}}'


class SharedFrameWebSocketAdapter(ASGIWebSocketAdapter):
    async def send_json(self, message: Mapping[str, object]) -> None:
        frame = next_frame(message)
        if frame is None:
            await super().send_json(message)
            return
        try:
            await self.ws.send_text(frame)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc
