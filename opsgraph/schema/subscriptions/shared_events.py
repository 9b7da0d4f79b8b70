"""One object per stored event for all the subscribers that receive it.

Every subscriber of a task reads the same events (from the database when it replays, from the bus
when live). Handing them the same object lets the executor (`event_executor`) execute a document
once per event for all subscribers that sent it, instead of once per subscriber. An event is
identified by its stream and number, e.g. ("task", 42, 17); the newest few thousand are kept.

Example:
    event = shared_event(("task", task_id, row["seq"]), lambda: TaskEventType(...))
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
_KEPT = 4096
_events: OrderedDict[Hashable, Any] = OrderedDict()


def shared_event(identity: Hashable, make: Callable[[], T]) -> T:
    found = _events.get(identity)
    if found is None:
        found = _events[identity] = make()
        while len(_events) > _KEPT:
            _events.popitem(last=False)
    return found
